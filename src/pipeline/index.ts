/** `capmin run`: every stage from nominal spike times to the report, resumable in its output directory. */
export {
  type RunConfig,
  type RunOutcome,
  /** Default configuration, full or quick; no cache. */
  defaultConfig,
  /** Run the whole pipeline into `outDir`; every stage is cached there by content hash and a rerun resumes. */
  runPipeline,
} from './run.js';
export {
  type FMacCounts,
  type RunAccuracy,
  type AccuracyCache,
  /** F_MAC (Fig. 1) over a dataset split on a worker pool; no cache of its own. */
  computeFMac,
  /** Accuracy under clipping / a padded P_map, each evaluation cached in a stage cache. */
  AccuracyEvaluator,
  /** Mean / min / max of per-run accuracies; pure, no cache. */
  accuracyStats,
} from './evalpool.js';
export {
  type SelectionInput,
  /** Smallest capacitor within the tolerance for baseline / CapMin / CapMin-V; pure, no cache. */
  selectCapacitors,
} from './select.js';
export {
  type RunInputs,
  /** Write results.json, report.html and the final manifest of a run (atomic). */
  writeRunOutputs,
} from './outputs.js';
