/** `capmin run`: every stage from nominal spike times to the report, resumable in its output directory. */
export {
  type RunConfig,
  type RunOutcome,
  /** Default configuration, full or quick; no cache. */
  defaultConfig,
  /** Run the whole pipeline into `outDir`; every stage is cached there by content hash and a rerun resumes. */
  runPipeline,
} from './run.js';
