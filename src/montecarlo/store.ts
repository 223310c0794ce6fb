/**
 * Batch cache of a run directory: one content-addressed record (src/util/cas.ts) per batch,
 * `batches/<sha256 of the batch deck>.json`, written atomically when a batch finished. Every read verifies the
 * record's content checksum, so an edited or damaged batch is simulated again (counted as `corrupt`).
 * A batch that failed is stored as a failure record (its tries, their kinds and details, the log in
 * `failed/<hash>.log`): it is never used as a result; a resumed run retries it until MAX_BATCH_TRIES tries in all.
 * Without a directory the store is in memory only.
 */
import { join } from 'node:path';
import { CasStore, writeFileChecked, type Attempt } from '../util/cas.js';

/** Tries of one batch over all invocations of a run (each invocation tries at most twice: default, then tight). */
export const MAX_BATCH_TRIES = 6;

/** Result of one batch. `values` holds the engine's numbers (null = no spike). */
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
  /** ngspice wall time of the successful attempt [ms] */
  simMs: number;
  /** tries over all invocations (including the successful one) */
  attempts: number;
  /** every failed try, oldest first (also kept on a record that finally succeeded) */
  tries?: Attempt[];
  /** failed only: the last failure */
  error?: { kind: string; detail: string };
  log?: string;
  /** failed only: MAX_BATCH_TRIES reached, not retried any more */
  final?: boolean;
}

/** What the manifest says about a batch that failed at least once. */
export interface BatchHistory {
  kind: 'qs' | 'tran';
  level?: number;
  lkey?: number;
  samples: string;
  status: 'ok' | 'failed';
  tries: number;
  failures: Attempt[];
  log?: string;
}

/** What a lookup found for a batch. */
export type BatchLookup =
  | { state: 'ok'; rec: BatchRecord }
  | { state: 'failed'; rec: BatchRecord }
  | { state: 'missing' }
  | { state: 'corrupt'; reason: string };

export class BatchStore {
  private readonly cas: CasStore;
  private readonly hist = new Map<string, BatchHistory>();
  private readonly where?: string;

  /** `dir` = run directory (null: memory only); `where`: how the user names it in error messages (e.g. `--out`). */
  constructor(
    readonly dir: string | null = null,
    opts: { where?: string } = {},
  ) {
    this.cas = new CasStore(dir === null ? null : join(dir, 'batches'), opts);
    this.where = opts.where;
  }

  /** Look a batch up (verified); a failure record comes back as `failed`, never as a result. */
  lookup(hash: string): BatchLookup {
    const r = this.cas.read<BatchRecord>(hash);
    this.cas.count(r);
    if (r.state === 'missing' || r.state === 'corrupt') return r;
    if (r.state === 'result') {
      const rec = r.value;
      if (rec.hash !== hash || rec.status !== 'ok') return { state: 'corrupt', reason: 'record does not describe this batch' };
      return { state: 'ok', rec };
    }
    const info = r.info as Partial<BatchRecord>;
    const last = r.attempts[r.attempts.length - 1];
    const rec: BatchRecord = {
      hash,
      kind: info.kind ?? 'tran',
      status: 'failed',
      ...(info.level !== undefined ? { level: info.level } : {}),
      ...(info.lkey !== undefined ? { lkey: info.lkey } : {}),
      samples: Array.isArray(info.samples) ? info.samples : [],
      values: [],
      simMs: 0,
      attempts: r.attempts.length,
      tries: r.attempts,
      error: { kind: last?.kind ?? '?', detail: last?.detail ?? '' },
      ...(typeof info.log === 'string' ? { log: info.log } : {}),
      final: r.attempts.length >= MAX_BATCH_TRIES,
    };
    return { state: 'failed', rec };
  }

  /** The stored result of a batch, if it finished before (failures and corrupt records: undefined). */
  get(hash: string): BatchRecord | undefined {
    const l = this.lookup(hash);
    return l.state === 'ok' ? l.rec : undefined;
  }

  /** Store a finished (`ok`) or failed batch atomically. */
  put(rec: BatchRecord): void {
    const tries = rec.tries ?? [];
    if (rec.status === 'ok') this.cas.putResult(rec.hash, rec, { attempts: tries });
    else {
      const { values: _v, tries: _t, error: _e, ...info } = rec;
      this.cas.putFailure(rec.hash, tries, { info: info as unknown as Record<string, unknown> });
    }
    if (tries.length) {
      this.hist.set(rec.hash, {
        kind: rec.kind,
        ...(rec.level !== undefined ? { level: rec.level } : {}),
        ...(rec.lkey !== undefined ? { lkey: rec.lkey } : {}),
        samples: rec.samples.length ? `${rec.samples[0]}..${rec.samples[rec.samples.length - 1]}` : '',
        status: rec.status,
        tries: rec.attempts,
        failures: tries,
        ...(rec.log ? { log: rec.log } : {}),
      });
    }
  }

  /** Keep the log of a failed batch; returns its path relative to the run directory. */
  putLog(hash: string, text: string): string | undefined {
    if (!this.dir) return undefined;
    const rel = join('failed', `${hash}.log`);
    writeFileChecked(join(this.dir, rel), text, this.where);
    return rel;
  }

  /** Batches written by this process that failed at least once: how often each was tried and why each try failed. */
  history(): Record<string, BatchHistory> {
    return Object.fromEntries(this.hist);
  }

  /** Verification counts of this process's reads (hits, misses, corrupt, failure records). */
  get stats(): CasStore['stats'] {
    return this.cas.stats;
  }
}
