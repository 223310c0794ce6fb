/**
 * Where decks run: `local` (one ngspice per core here) or `slurm` (job arrays on a cluster).
 */
export type { DeckJob, DeckResult, Executor, ExecutorName, SlurmOptions, SlurmStatus } from './types.js';
export { LocalExecutor } from './local.js';
export { SlurmExecutor } from './slurm.js';
