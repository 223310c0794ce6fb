/**
 * The local executor: one ngspice process per core on this machine (the p-queue in SpiceQueue).
 */
import { SpiceQueue } from '../spice/runner.js';
import type { DeckJob, DeckResult, Executor } from './types.js';

export class LocalExecutor implements Executor {
  readonly name = 'local' as const;
  readonly queue: SpiceQueue;

  constructor(queueOrWorkers?: SpiceQueue | number) {
    this.queue = queueOrWorkers instanceof SpiceQueue ? queueOrWorkers : new SpiceQueue(queueOrWorkers);
  }

  get concurrency(): number {
    return this.queue.concurrency;
  }

  /** Run one deck on a free core; the work dir is removed afterwards (also on failure). */
  runFile(job: DeckJob, signal?: AbortSignal): Promise<DeckResult> {
    return this.queue
      .runFile(job.deck, job.file, { timeoutMs: job.timeoutMs, signal })
      .then((r) => ({ data: r.data, stdout: r.stdout, stderr: r.stderr, durationMs: r.durationMs }));
  }

  abort(): void {
    this.queue.abort();
  }

  async close(): Promise<void> {}
}
