/** Shared helpers of every stage: one-line input errors, SI units, the seeded RNG, hashing and the package's files. */
export {
  /** Error with a one-line message for the user (no stack trace); no cache. */
  CapminError,
  /** CapminError naming `field` and its allowed range; no cache. */
  inputError,
} from './errors.js';
export {
  type Unit,
  /** Parse a SPICE-style number (`9.6p`, `2G`, `10pF`) with unit and range checks; no cache. */
  parseSpiceValue,
  /** Format an SI value with its prefix (`1.2 pF`); no cache. */
  formatSi,
  /** Deterministic number text for decks; no cache. */
  spiceNumber,
  /** Parse a level range such as `9..22` within bounds; no cache. */
  parseLevelRange,
} from './units.js';
export {
  /** Counter-addressed seeded generator (xoshiro128**): the source of every random draw; no cache. */
  Rng,
} from './rng.js';
export {
  /** SHA-256 hex of a string or bytes: the content keys of every cache. */
  sha256,
  /** JSON with sorted keys, the input of content keys; no cache. */
  stableStringify,
} from './hash.js';
export {
  /** The capmin package directory, found from this module (works for any install); no cache. */
  packageRoot,
  /** Absolute path of a file shipped in the package (models/, netlists/); never written to. */
  shippedFile,
  /** The package version (recorded in manifests); no cache. */
  packageVersion,
} from './paths.js';
