/** CapMin (Sec. III-A, Eq. 4) and CapMin-V (Sec. III-B, Alg. 1): pure algorithms, the cost model and their file formats. */
export {
  type CapminLevels,
  /** CapMin: the k most frequent levels of F_MAC and the clipping bounds of Eq. 4; pure, no cache. */
  capminLevels,
  /** The k most frequent levels of F_MAC (ascending, ties broken deterministically); pure, no cache. */
  topKLevels,
  /** Check an F_MAC histogram (≥ 2 finite non-negative counts, positive total); no cache. */
  checkFmac,
  /** F_MAC-weighted mean level; pure, no cache. */
  meanLevel,
  /** Eq. 4: the clipped level of m for bounds [lo, hi]; pure, no cache. */
  clipLevel,
} from './levels.js';
export {
  type MergeToward,
  type MergeStep,
  type CapminVResult,
  type RebucketResult,
  type MergeComparison,
  /** CapMin-V (Alg. 1): φ merges of the spike time with the smallest diagonal entry into a neighbour; pure, no cache. */
  capminV,
  /** Full (a+1)×(a+1) P_map of a CapMin-V result (Alg. 1's column merge, padded); pure, no cache. */
  padCapminV,
  /** Level → read-level map of a CapMin-V result over 0..a; pure, no cache. */
  readLevelTable,
  /** Re-bucket the raw samples with the merged boundaries; pure, no cache. */
  rebucket,
  /** Full (a+1)×(a+1) P_map of a re-bucketed result; pure, no cache. */
  padRebucket,
  /** Compare Alg. 1's column merge with re-bucketing (optionally F_MAC-weighted); pure, no cache. */
  compareMerge,
} from './merge.js';
export {
  /** Eq. 4 clipping as SPICE-Torch's direct mapping (1-D popcount → popcount table of length a+1); pure, no cache. */
  directMapping,
  /** `.npy` bytes (float32, shape (a+1,)) of the direct mapping, the file SPICE-Torch loads; pure, no cache. */
  directMappingNpy,
} from './directmap.js';
export {
  /** Guaranteed response time: the last representable spike time; pure, no cache. */
  guaranteedResponseTime,
} from './cost.js';
export {
  type PmapFile,
  /** Validate an F_MAC array; no cache. */
  validateFmac,
  /** Read an F_MAC file (JSON or CSV); no cache. */
  readFmacFile,
  /** Read a P_map file with its level list (CSV, JSON, table, .npy); no cache. */
  readPmapFile,
  /** Restrict a P_map to a subset of its levels, renormalising rows; pure, no cache. */
  subsetPmap,
  /** Read nominal spike times per level (JSON or CSV); no cache. */
  readSpikesFile,
} from './io.js';
export {
  type KeptLevels,
  type KeptPmap,
  /** CapMin levels of one k (Eq. 4) and their mapped currents (Sec. IV-C); pure, no cache. */
  keptLevels,
  /** P_map over the kept levels from a Monte-Carlo of their currents (clock-cycle boundaries); pure, no cache. */
  keptPmapFromMc,
  /** (a+1)×(a+1) P_map from one over the kept levels, clipped rows padded (Alg. 1 line 15); pure, no cache. */
  expandKept,
} from './kept.js';
export {
  type PhiSweepRow,
  type CapminVSweepInput,
  type SweepEvaluator,
  /** CapMin-V φ sweep (Alg. 1) in both directions, re-bucketed, with a caller's evaluator; no cache of its own. */
  capminVSweep,
  /** CapMin-V at φ re-bucketed from k₀'s raw samples; pure, no cache. */
  capminVRebucketed,
  /** Re-bucketed CapMin-V P_map laid out over k₀'s kept levels (report heatmaps); pure, no cache. */
  rebucketedOverKept,
  type PaddingEvaluator,
  /** Accuracy with the run's padding of clipped rows against the other one (Alg. 1 line 15); no cache of its own. */
  paddingComparison,
} from './sweep.js';
