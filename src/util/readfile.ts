/**
 * The one bounded reader for every file a user names (model cards, P_map, F_MAC, variation, spikes,
 * checkpoints, datasets, raw files). Only regular files are read, and never more than a per-kind cap,
 * so `/dev/zero`, a FIFO or a huge file is a one-line error instead of a hang or an out-of-memory.
 */
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { CapminError } from './errors.js';

/** Size caps per kind of input file, in bytes. */
export const MAX_BYTES = {
  /** SPICE text: model cards, cells, `.lib` files. */
  spice: 64 * 1024 * 1024,
  /** Small JSON/CSV inputs: P_map, F_MAC, variation, spikes, circuit and run configuration. */
  table: 16 * 1024 * 1024,
  /** ngspice raw output files. */
  raw: 2 * 1024 * 1024 * 1024 - 1,
  /** Checkpoints (safetensors, .npy). */
  tensor: 1024 * 1024 * 1024,
  /** Datasets (IDX, possibly gzip). */
  dataset: 1024 * 1024 * 1024,
} as const;

export type FileKind = keyof typeof MAX_BYTES;

export interface ReadUserFileOptions {
  /** The option or field that named the file, for the error message (e.g. `--model-card`). */
  field: string;
  /** Which size cap applies. */
  kind: FileKind;
  /** Override the kind's cap. */
  maxBytes?: number;
}

function errnoOf(err: unknown): string {
  return err && typeof err === 'object' && 'code' in err ? String((err as { code: unknown }).code) : '';
}

/**
 * Read a user-named file as bytes: regular files only, at most the kind's cap.
 * Throws a {@link CapminError} naming `field` and the path for a missing, unreadable, special or oversized file.
 */
export function readUserFile(path: string, opts: ReadUserFileOptions): Buffer {
  const cap = opts.maxBytes ?? MAX_BYTES[opts.kind];
  const { fd } = openUserFile(path, opts);
  try {
    // Read to EOF but never past the cap (the file may grow while we read).
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const want = Math.min(1 << 20, cap + 1 - total);
      if (want <= 0) throw new CapminError(`${opts.field}: ${path} is larger than ${cap} bytes`, 'EINPUT', 2);
      const buf = Buffer.allocUnsafe(want);
      let n: number;
      try {
        n = readSync(fd, buf, 0, want, null);
      } catch (err) {
        throw new CapminError(`${opts.field}: ${path}: read failed (${errnoOf(err) || 'error'})`, 'EINPUT', 2);
      }
      if (n === 0) break;
      chunks.push(n === want ? buf : buf.subarray(0, n));
      total += n;
    }
    return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, total);
  } finally {
    closeSync(fd);
  }
}

/** {@link readUserFile} decoded as text (`utf8` unless told). */
export function readUserText(path: string, opts: ReadUserFileOptions & { encoding?: BufferEncoding }): string {
  return readUserFile(path, opts).toString(opts.encoding ?? 'utf8');
}

/**
 * Open a user-named file for reading in pieces (e.g. large binary raw files): the same checks as
 * {@link readUserFile} (regular file, at most the kind's cap) without reading it. The caller closes `fd`.
 */
export function openUserFile(path: string, opts: ReadUserFileOptions): { fd: number; size: number } {
  const cap = opts.maxBytes ?? MAX_BYTES[opts.kind];
  let fd: number;
  try {
    // O_NONBLOCK: opening a FIFO for reading must not wait for a writer (fstat then refuses it).
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (err) {
    const code = errnoOf(err);
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'is a folder' : `cannot open (${code || 'error'})`;
    throw new CapminError(`${opts.field}: cannot read ${path}: ${why}`, 'EINPUT', 2);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) {
      const what = st.isDirectory() ? 'a folder' : st.isFIFO() ? 'a FIFO' : st.isCharacterDevice() || st.isBlockDevice() ? 'a device' : 'not a regular file';
      throw new CapminError(`${opts.field}: ${path} is ${what}; a regular file is required`, 'EINPUT', 2);
    }
    if (st.size > cap) {
      throw new CapminError(`${opts.field}: ${path} is ${st.size} bytes; at most ${cap} bytes are allowed for this kind of file`, 'EINPUT', 2);
    }
    return { fd, size: st.size };
  } catch (err) {
    closeSync(fd);
    throw err;
  }
}
