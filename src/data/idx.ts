/**
 * IDX files (the MNIST / Fashion-MNIST container), gzip-compressed or plain.
 * Format: 2 zero bytes, a type byte (0x08 = ubyte), a rank byte, then `rank` big-endian
 * uint32 dimensions and the row-major data.
 */
import { gunzipSync } from 'node:zlib';
import { CapminError } from '../util/errors.js';
import { MAX_BYTES, readUserFile, type FileKind } from '../util/readfile.js';

export interface IdxArray {
  /** Dimensions, outermost first (e.g. [60000, 28, 28]). */
  shape: number[];
  /** Raw unsigned bytes, row-major. */
  data: Uint8Array;
}

/**
 * Read a user-named file (regular files only, at most the kind's cap) and gunzip it when it starts with the gzip
 * magic (1f 8b); the inflated size is capped the same way, so a gzip bomb is a one-line error too.
 */
export function readMaybeGzip(path: string, opts: { field?: string; kind?: FileKind } = {}): Buffer {
  const kind = opts.kind ?? 'dataset';
  const raw = readUserFile(path, { field: opts.field ?? 'dataset', kind });
  if (raw.length >= 2 && raw[0] === 0x1f && raw[1] === 0x8b) {
    try {
      return gunzipSync(raw, { maxOutputLength: MAX_BYTES[kind] });
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ERR_BUFFER_TOO_LARGE') throw new CapminError(`${path}: gzip data inflates to more than ${MAX_BYTES[kind]} bytes`, 'EDATA');
      throw new CapminError(`${path}: corrupt gzip data (${(e as Error).message.slice(0, 100)})`, 'EDATA');
    }
  }
  return raw;
}

/** Parse an IDX buffer of unsigned bytes (type 0x08); `name` is used in error messages. */
export function parseIdx(buf: Uint8Array, name = 'IDX file'): IdxArray {
  if (buf.length < 4) throw new CapminError(`${name}: too short for an IDX header (${buf.length} bytes)`, 'EDATA');
  if (buf[0] !== 0 || buf[1] !== 0) throw new CapminError(`${name}: not an IDX file (bad magic ${hex(buf, 4)})`, 'EDATA');
  const type = buf[2]!;
  const rank = buf[3]!;
  if (type !== 0x08) throw new CapminError(`${name}: IDX element type 0x${type.toString(16)} unsupported (only 0x08 unsigned byte)`, 'EDATA');
  if (rank < 1 || rank > 4) throw new CapminError(`${name}: IDX rank ${rank} unsupported (1..4)`, 'EDATA');
  const head = 4 + 4 * rank;
  if (buf.length < head) throw new CapminError(`${name}: truncated IDX header`, 'EDATA');
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const shape: number[] = [];
  let count = 1;
  for (let i = 0; i < rank; i++) {
    const d = dv.getUint32(4 + 4 * i, false);
    shape.push(d);
    count *= d;
  }
  if (buf.length - head !== count) {
    throw new CapminError(
      `${name}: IDX shape [${shape.join(',')}] needs ${count} data bytes, file has ${buf.length - head} (truncated or corrupt)`,
      'EDATA',
    );
  }
  return { shape, data: buf.subarray(head, head + count) };
}

/** Read an IDX file (gzip or plain); `field` names the option or setting that chose it, for errors. */
export function readIdx(path: string, field = 'dataset'): IdxArray {
  return parseIdx(readMaybeGzip(path, { field, kind: 'dataset' }), path);
}

function hex(b: Uint8Array, n: number): string {
  return Array.from(b.subarray(0, n), (x) => x.toString(16).padStart(2, '0')).join(' ');
}
