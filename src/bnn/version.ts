/** Version of the engine semantics; part of every cache key, bump when a number the engine reports can change. */
export const ENGINE_VERSION = 'capmin-bnn-1';
