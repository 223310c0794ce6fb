/**
 * Content-addressed records: the one on-disk cache format of capmin (Monte-Carlo batches, pipeline stages, and any
 * other computation keyed by a content hash of its inputs).
 *
 * A record is `<dir>/<file>` holding `{ format, key, type, sha256, body }`:
 * - `key` is the content hash of the inputs; a file whose key differs from the one asked for is not used.
 * - `sha256` is the SHA-256 of the canonical JSON of `body`, checked on every read, so an edited, truncated or
 *   bit-rotted record is recomputed instead of trusted (it counts as `corrupt` in the stats).
 * - `type` is `result` or `failure`. A failure record is a log of what happened (each try, its kind and detail);
 *   it is never returned as a result, and a later success replaces it.
 * Writes are atomic (temp file + fsync + rename); a full, read-only or unwritable disk is a one-line CapminError
 * naming the path.
 *
 * Typical use (one store per cache folder):
 *   const cas = new CasStore(dir);
 *   const { value, cached } = await cas.run(contentKey({ stage: 'x', inputs }), () => compute(inputs));
 */
import { existsSync, mkdirSync, rmdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { writeFileAtomic } from './atomic.js';
import { CapminError } from './errors.js';
import { sha256, stableStringify } from './hash.js';
import { readUserFile } from './readfile.js';

/** Format tag of every record file; a file without it (or with another) is not used. */
export const CAS_FORMAT = 'capmin-cas/1';

/** Largest record file that is read (bigger ones count as corrupt and are recomputed). */
const MAX_RECORD_BYTES = 512 * 1024 * 1024;

/** JSON cannot hold Infinity/NaN: encode them as strings (typed arrays become arrays). */
export function encodeJson(v: unknown): unknown {
  if (typeof v === 'number') return Number.isFinite(v) ? v : v > 0 ? 'Infinity' : v < 0 ? '-Infinity' : 'NaN';
  if (ArrayBuffer.isView(v) && !(v instanceof DataView)) return Array.from(v as unknown as ArrayLike<number>).map(encodeJson);
  if (Array.isArray(v)) return v.map(encodeJson);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, encodeJson(x)]));
  return v;
}

/** Inverse of {@link encodeJson}. */
export function decodeJson(v: unknown): unknown {
  if (v === 'Infinity') return Infinity;
  if (v === '-Infinity') return -Infinity;
  if (v === 'NaN') return NaN;
  if (Array.isArray(v)) return v.map(decodeJson);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, decodeJson(x)]));
  return v;
}

/** Content key of anything JSON-like (key order does not matter; Infinity/NaN and typed arrays are encoded). */
export function contentKey(inputs: unknown): string {
  return sha256(stableStringify(encodeJson(inputs)));
}

/** Checksum of a record body: SHA-256 of its canonical JSON. */
export function bodyChecksum(body: unknown): string {
  return sha256(stableStringify(body));
}

/** One try of a computation that failed (kept in failure records and carried into the result that follows). */
export interface Attempt {
  /** ISO time the try ended */
  at: string;
  /** failure class, e.g. a SpiceError kind ('timeout', 'convergence', ...) or 'disk-full' */
  kind: string;
  /** the most telling line of the failure */
  detail: string;
  /** which options the try used (e.g. 'default', 'tight') */
  options?: string;
}

/** What a read found. `corrupt`: the file exists but cannot be used (bad JSON, wrong key, checksum mismatch). */
export type CasRead<T> =
  | { state: 'result'; value: T; attempts: Attempt[] }
  | { state: 'failure'; attempts: Attempt[]; info: Record<string, unknown> }
  | { state: 'missing' }
  | { state: 'corrupt'; reason: string };

export interface CasStats {
  /** results served from the store */
  hits: number;
  /** no usable result (missing, failure record or corrupt) */
  misses: number;
  /** records that failed verification and were not used */
  corrupt: number;
  /** failure records found (retried by the caller, never used as results) */
  failures: number;
}

interface RecordFile {
  format: string;
  key: string;
  type: 'result' | 'failure';
  sha256: string;
  body: { value?: unknown; attempts?: Attempt[]; info?: Record<string, unknown> };
}

function errnoOf(err: unknown): string {
  return err && typeof err === 'object' && 'code' in err ? String((err as { code: unknown }).code) : '';
}

/**
 * Turn a failed write (or mkdir) into a one-line CapminError naming the path and what to do; errors that are not
 * file-system conditions are returned unchanged. `where` is how the user names the folder (e.g. `--out`).
 */
export function storageError(err: unknown, path: string, action = 'write', where = 'output folder'): unknown {
  if (err instanceof CapminError) return err;
  const code = errnoOf(err);
  switch (code) {
    case 'ENOSPC':
    case 'EDQUOT':
      return new CapminError(`${path}: no space left on the device (cannot ${action}); free space there or choose another ${where}`, 'ENOSPC', 1);
    case 'EROFS':
      return new CapminError(`${path}: read-only file system (cannot ${action}); choose a writable ${where}`, 'EROFS', 2);
    case 'EACCES':
    case 'EPERM':
      return new CapminError(`${path}: permission denied (cannot ${action}); choose a writable ${where}`, 'EACCES', 2);
    case 'ENOTDIR':
    case 'EEXIST':
    case 'EISDIR':
      return new CapminError(`${path}: a file is in the way (cannot ${action}: ${code}); choose another ${where}`, code, 2);
    case 'ENOENT':
      return new CapminError(`${path}: its folder does not exist (cannot ${action}; removed while running?); choose another ${where}`, 'ENOENT', 1);
    case 'EIO':
      return new CapminError(`${path}: I/O error (cannot ${action}); check the disk or choose another ${where}`, 'EIO', 1);
    default:
      return err;
  }
}

/** Atomic write that reports file-system failures as one-line CapminErrors (see {@link storageError}). */
export function writeFileChecked(path: string, data: string | Uint8Array, where?: string): void {
  try {
    writeFileAtomic(path, data);
  } catch (e) {
    throw storageError(realMkdirError(dirname(path), e), path, 'write', where);
  }
}

/** Atomic pretty-JSON write with one-line errors. */
export function writeJsonChecked(path: string, value: unknown, where?: string): void {
  writeFileChecked(path, JSON.stringify(value, null, 2) + '\n', where);
}

/** `mkdir -p` with one-line errors. */
export function mkdirChecked(path: string, where?: string): void {
  try {
    mkdirSync(path, { recursive: true });
  } catch (e) {
    throw storageError(realMkdirError(path, e), path, 'create the folder', where);
  }
}

/**
 * A recursive mkdir reports ENOENT for a parent on a read-only file system; creating the first missing folder on its
 * own gives the true cause (EROFS, EACCES, ENOSPC, ENOTDIR).
 */
function realMkdirError(path: string, e: unknown): unknown {
  if (errnoOf(e) !== 'ENOENT') return e;
  let p = resolve(path);
  const missing: string[] = [];
  while (!existsSync(p) && dirname(p) !== p) {
    missing.push(p);
    p = dirname(p);
  }
  const first = missing[missing.length - 1];
  if (first === undefined) return e;
  try {
    mkdirSync(first);
    rmdirSync(first);
  } catch (e2) {
    return e2;
  }
  return e;
}

/**
 * A folder of content-addressed records (or, with `dir` null, the same thing in memory). Values are stored with
 * {@link encodeJson}, so Infinity/NaN and typed arrays survive (typed arrays come back as arrays).
 */
export class CasStore {
  readonly stats: CasStats = { hits: 0, misses: 0, corrupt: 0, failures: 0 };
  private readonly mem = new Map<string, RecordFile>();

  /** `where`: how the user names the folder in error messages (e.g. `--out`). */
  constructor(
    readonly dir: string | null,
    private readonly opts: { where?: string } = {},
  ) {}

  /** Path of a record (`file` relative to the store folder; default `<key>.json`). */
  pathOf(key: string, file?: string): string | null {
    return this.dir === null ? null : join(this.dir, file ?? `${key}.json`);
  }

  /** Read and verify the record of `key`. Counts nothing (see {@link get} for the counting read). */
  read<T>(key: string, file?: string): CasRead<T> {
    const memKey = file ?? key;
    let rec = this.mem.get(memKey);
    if (!rec) {
      const p = this.pathOf(key, file);
      if (p === null) return { state: 'missing' };
      if (!existsSync(p)) return { state: 'missing' };
      let text: string;
      try {
        text = readUserFile(p, { field: 'cache', kind: 'table', maxBytes: MAX_RECORD_BYTES }).toString('utf8');
      } catch (e) {
        if (/no such file/.test((e as Error).message)) return { state: 'missing' };
        return { state: 'corrupt', reason: (e as Error).message };
      }
      let j: RecordFile;
      try {
        j = JSON.parse(text) as RecordFile;
      } catch {
        return { state: 'corrupt', reason: `${p}: not valid JSON (truncated or edited)` };
      }
      const why = verify(j, key);
      if (why) return { state: 'corrupt', reason: `${p}: ${why}` };
      rec = j;
      // verified results are kept (a run asks for the same record many times); failures are re-read
      if (rec.type === 'result') this.mem.set(memKey, rec);
    }
    const attempts = rec.body.attempts ?? [];
    if (rec.type === 'failure') return { state: 'failure', attempts, info: rec.body.info ?? {} };
    return { state: 'result', value: decodeJson(rec.body.value) as T, attempts };
  }

  /** The stored result of `key`, or undefined (missing, a failure record, or corrupt); updates {@link stats}. */
  get<T>(key: string, file?: string): T | undefined {
    const r = this.read<T>(key, file);
    this.count(r);
    return r.state === 'result' ? r.value : undefined;
  }

  /** Count a read in the stats (for callers that use {@link read} and act on its state). */
  count(r: CasRead<unknown>): void {
    if (r.state === 'result') this.stats.hits++;
    else {
      this.stats.misses++;
      if (r.state === 'corrupt') this.stats.corrupt++;
      if (r.state === 'failure') this.stats.failures++;
    }
  }

  /** Store a result (atomically; replaces a failure record). `attempts`: failed tries that came before it. */
  putResult(key: string, value: unknown, opts: { file?: string; attempts?: Attempt[] } = {}): void {
    const body: RecordFile['body'] = { value: encodeJson(value) };
    if (opts.attempts?.length) body.attempts = opts.attempts;
    this.write(key, 'result', body, opts.file);
  }

  /**
   * Store a failure: every try so far (`attempts`) and what the caller needs to report it (`info`, e.g. the path of a
   * log). Never returned as a result by {@link get}.
   */
  putFailure(key: string, attempts: Attempt[], opts: { file?: string; info?: Record<string, unknown> } = {}): void {
    this.write(key, 'failure', { attempts, ...(opts.info ? { info: opts.info } : {}) }, opts.file);
  }

  /** Return the stored result or compute, store and return it (a throwing `fn` stores nothing). */
  async run<T>(key: string, fn: () => Promise<T> | T, file?: string): Promise<{ value: T; cached: boolean }> {
    const hit = this.get<T>(key, file);
    if (hit !== undefined) return { value: hit, cached: true };
    const value = await fn();
    this.putResult(key, value, { file });
    return { value, cached: false };
  }

  private write(key: string, type: RecordFile['type'], body: RecordFile['body'], file?: string): void {
    const rec: RecordFile = { format: CAS_FORMAT, key, type, sha256: bodyChecksum(body), body };
    const memKey = file ?? key;
    const p = this.pathOf(key, file);
    if (p !== null) writeFileChecked(p, JSON.stringify(rec) + '\n', this.opts.where);
    if (type === 'result') this.mem.set(memKey, rec);
    else if (p === null) this.mem.set(memKey, rec);
    else this.mem.delete(memKey);
  }
}

/** Why a parsed record cannot be used for `key` (null: it can). */
function verify(j: RecordFile, key: string): string | null {
  if (!j || typeof j !== 'object' || j.format !== CAS_FORMAT) return `not a ${CAS_FORMAT} record`;
  if (j.key !== key) return 'key does not match its inputs';
  if (j.type !== 'result' && j.type !== 'failure') return `unknown record type '${String(j.type).slice(0, 20)}'`;
  if (!j.body || typeof j.body !== 'object') return 'no body';
  if (j.sha256 !== bodyChecksum(j.body)) return 'content checksum mismatch (edited or damaged)';
  if (j.body.attempts !== undefined && !Array.isArray(j.body.attempts)) return 'attempts is not a list';
  return null;
}
