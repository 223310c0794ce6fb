/**
 * capmin as a library: one typed function per stage, in data-flow order (see CONTRIBUTING.md).
 * Every value is in SI base units (s, F, V, A, Hz). Each function's doc comment says what it does to the cache.
 */
export * from './util/index.js';
export * from './plot/index.js';
export * from './data/index.js';
export * from './circuit/index.js';
export * from './spice/index.js';
export * from './executor/index.js';
export * from './spikes/index.js';
export * from './analytic/index.js';
export * from './montecarlo/index.js';
export * from './errormodel/index.js';
export * from './sizing/index.js';
export * from './bnn/index.js';
export * from './train/index.js';
export * from './capmin/index.js';
export * from './report/index.js';
export * from './pipeline/index.js';
