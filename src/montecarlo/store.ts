/**
 * Content-addressed batch cache of a run directory: `batches/<sha256 of the batch deck>.json`, written atomically
 * when a batch finished (or finally failed, with its log in `failed/<hash>.log`). A resumed run loads every batch
 * whose file exists and simulates only the rest. Without a directory the store is in memory only.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic, writeJsonAtomic } from '../util/atomic.js';

/** Result of one batch as stored. `values` holds the engine's numbers (null = no spike / not finite). */
export interface BatchRecord {
  hash: string;
  kind: 'qs' | 'tran';
  status: 'ok' | 'failed';
  /** what the batch covered: level (tran) and sample indices / die key */
  level?: number;
  lkey?: number;
  samples: number[];
  /** qs: J_m for m = 0..a of the one die (s/F); tran: tCross per sample (s); null = Infinity */
  values: (number | null)[][];
  /** ngspice wall time of the successful attempt(s) [ms] */
  simMs: number;
  attempts: number;
  /** failed only */
  error?: { kind: string; detail: string };
  log?: string;
}

export class BatchStore {
  private readonly mem = new Map<string, BatchRecord>();

  /** `dir` = run directory (null: memory only). */
  constructor(readonly dir: string | null = null) {}

  private path(hash: string): string {
    return join(this.dir!, 'batches', `${hash}.json`);
  }

  /** The stored record of a batch, if it finished before. */
  get(hash: string): BatchRecord | undefined {
    const m = this.mem.get(hash);
    if (m) return m;
    if (!this.dir) return undefined;
    const p = this.path(hash);
    if (!existsSync(p)) return undefined;
    try {
      const rec = JSON.parse(readFileSync(p, 'utf8')) as BatchRecord;
      if (rec.hash !== hash) return undefined;
      this.mem.set(hash, rec);
      return rec;
    } catch {
      return undefined; // unreadable (cannot happen with atomic writes): simulate again
    }
  }

  /** Store a finished batch atomically. */
  put(rec: BatchRecord): void {
    this.mem.set(rec.hash, rec);
    if (this.dir) writeJsonAtomic(this.path(rec.hash), rec);
  }

  /** Keep the log of a failed batch; returns its path relative to the run directory. */
  putLog(hash: string, text: string): string | undefined {
    if (!this.dir) return undefined;
    const rel = join('failed', `${hash}.log`);
    writeFileAtomic(join(this.dir, rel), text);
    return rel;
  }
}
