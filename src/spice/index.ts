/** Running ngspice (one process per deck, a queue with a concurrency limit, typed failures) and raw files. */
export {
  type SpiceErrorKind,
  type RunOptions as SpiceRunOptions,
  type RunResult as SpiceRunResult,
  /** A classified ngspice failure (not installed, timeout, syntax, convergence, crash …); faults are never cached. */
  SpiceError,
  /** Queue of ngspice jobs, `concurrency` at once (default one per core); no cache. */
  SpiceQueue,
  /** Run one deck with `ngspice -b`; keeps its temporary work dir for the caller; no cache. */
  runNgspice,
  /** Run one deck and return the bytes of one output file; removes its temporary work dir; no cache. */
  runNgspiceFile,
  /** Remove a work dir created by `runNgspice`; no cache. */
  removeWorkDir,
  /** Check that ngspice ≥ 39 is installed and return its version; no cache. */
  checkNgspice,
  /** Values of `.meas` results in ngspice's output; pure, no cache. */
  parseMeasures,
} from './runner.js';
export {
  type RawPlot,
  type RawVariable,
  /** Parse raw-file bytes (binary or ASCII, several plots); pure, no cache. */
  parseRaw,
  /** Read a raw file from disk in chunks; no cache. */
  readRawFile,
  /** One vector of a plot by name (`v(ml)`, `i(vml)`); pure, no cache. */
  vector,
  /** Throw unless the plots are complete (not truncated) for the named analysis; no cache. */
  assertComplete,
} from './rawfile.js';
