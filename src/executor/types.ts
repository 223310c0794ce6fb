/**
 * Executors run ngspice decks somewhere — on this machine (`local`) or on a Slurm cluster (`slurm`) — and hand back
 * the one output file each deck writes. Callers (Monte-Carlo, sizing) hash, cache and parse; an executor only runs.
 * The same deck gives the same bytes on either executor, so results do not depend on where they were computed.
 */

/** One deck to run. `key` is the content hash of the deck (the caller's cache key); it names the job on disk. */
export interface DeckJob {
  key: string;
  /** the deck text (`ngspice -b -n deck.cir`) */
  deck: string;
  /** the output file the deck writes, relative to its work dir (e.g. `tran.raw`) */
  file: string;
  /** wall-clock limit of this deck [ms] */
  timeoutMs: number;
}

/** What a finished deck gave back. */
export interface DeckResult {
  data: Buffer;
  stdout: string;
  stderr: string;
  /** ngspice wall time [ms] as measured where it ran */
  durationMs: number;
}

export type ExecutorName = 'local' | 'slurm';

export interface Executor {
  readonly name: ExecutorName;
  /** how many decks the caller should keep in flight */
  readonly concurrency: number;
  /** Run one deck; rejects with a SpiceError (kind says why) on failure. */
  runFile(job: DeckJob, signal?: AbortSignal): Promise<DeckResult>;
  /** Cancel everything still running or queued (Ctrl-C, a fatal error). */
  abort(): void;
  /** Release resources (timers); outstanding work is left as it is for a later re-attach. */
  close(): Promise<void>;
}

/** Options of the Slurm executor (see README "Running on a cluster"). */
export interface SlurmOptions {
  /** folder on a filesystem shared with the nodes: decks, outputs and the job state live here */
  workRoot: string;
  partition?: string;
  account?: string;
  /** time limit per array task, Slurm syntax (`MM`, `HH:MM:SS`, `D-HH`); default from deck timeouts */
  time?: string;
  /** memory per array task, Slurm syntax (`500M`, `2G`) */
  mem?: string;
  /** at most this many array tasks run at once (`--array=…%M`); default unlimited */
  throttle?: number;
  /** decks per array task (default 8): amortizes the scheduler's per-task cost */
  decksPerTask?: number;
  /** extra `sbatch` arguments, passed as they are (each checked: no newline) */
  sbatchArgs?: string[];
  /** scheduler poll interval [ms] (bounded to 500..60000; default 2000) */
  pollMs?: number;
  /** resubmissions of a deck whose task failed, timed out, ran out of memory, was preempted or lost its node */
  maxResubmits?: number;
  /** files that the nodes must be able to read (model cards, cells): checked by the probe task */
  requiredFiles?: string[];
  /** environment for the array tasks (default: this process's); tests use it to hide ngspice */
  taskEnv?: Record<string, string>;
  /** Slurm client binaries folder (default: PATH) */
  slurmBin?: string;
  /** status callback (progress) */
  onStatus?: (s: SlurmStatus) => void;
}

export interface SlurmStatus {
  pending: number;
  running: number;
  done: number;
  failed: number;
  resubmitted: number;
  arrays: number;
}
