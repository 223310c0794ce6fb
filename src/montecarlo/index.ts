/** Process variation (seeded, counter-addressed) and the Monte-Carlo engines (transient and quasi-static). */
export {
  type Engine as McEngine,
  type McOptions,
  type McResult,
  type LevelSamples,
  type NominalSpike,
  type McFailure,
  type McStats,
  /** Monte-Carlo spike times of every level by `engine`; with `store` each batch is read from / written to the run directory's content-keyed batch cache. */
  runMonteCarlo,
} from './engine.js';
export {
  type BatchRecord,
  /** Content-addressed batch cache of a run directory (`batches/<deck sha256>.json`, atomic writes); memory only without a directory. */
  BatchStore,
} from './store.js';
export {
  type VariationSigmas,
  type Correlation,
  /** Default device-to-device sigmas (V_th, mobility, W, L); no cache. */
  defaultSigmas,
  /** Sigmas that draw no variation; no cache. */
  zeroSigmas,
  /** True when no variation is drawn; no cache. */
  sigmasAreZero,
  /** Check sigmas (finite, non-negative, below a physical limit); no cache. */
  validateSigmas,
  /** Variation of every device of one sample, fixed by (seed, level key, sample); pure, no cache. */
  sampleArrayVariation,
} from './variation.js';
export {
  type CrosscheckResult,
  type CrosscheckLevel,
  QS_MISMATCH_BOUND,
  /** Quasi-static against transient engine on the same samples (and the clock check); with `store` uses the batch cache. */
  crosscheck,
  /** Compare two Monte-Carlo results of the same samples level by level; pure, no cache. */
  compareEngines,
  /** May a quasi-static P_map stand, given its spot-check mismatches; pure, no cache. */
  fastPathAllowed,
} from './crosscheck.js';
export {
  type SpotCheckFigures,
  type ValidatedMc,
  type ValidatedMcOptions,
  /** Monte-Carlo with the fast-path safety net: quasi-static, transient spot check on the same dies, transient fallback above the bound; batches through `store`. */
  validatedMonteCarlo,
  /** Spot-check figures and decision of a quasi-static result against a transient one of the same dies; pure, no cache. */
  spotCheckFigures,
} from './validated.js';
