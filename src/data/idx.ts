/**
 * IDX files (the MNIST / Fashion-MNIST container), gzip-compressed or plain.
 * Format: 2 zero bytes, a type byte (0x08 = ubyte), a rank byte, then `rank` big-endian
 * uint32 dimensions and the row-major data.
 */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { CapminError } from '../util/errors.js';

export interface IdxArray {
  /** Dimensions, outermost first (e.g. [60000, 28, 28]). */
  shape: number[];
  /** Raw unsigned bytes, row-major. */
  data: Uint8Array;
}

/** Read a whole file and gunzip it when it starts with the gzip magic (1f 8b); one-line errors. */
export function readMaybeGzip(path: string): Buffer {
  let raw: Buffer;
  try {
    raw = readFileSync(path);
  } catch (e) {
    throw new CapminError(`cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, 'ENOENT');
  }
  if (raw.length >= 2 && raw[0] === 0x1f && raw[1] === 0x8b) {
    try {
      return gunzipSync(raw);
    } catch (e) {
      throw new CapminError(`${path}: corrupt gzip data (${(e as Error).message})`, 'EDATA');
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

/** Read an IDX file (gzip or plain). */
export function readIdx(path: string): IdxArray {
  return parseIdx(readMaybeGzip(path), path);
}

function hex(b: Uint8Array, n: number): string {
  return Array.from(b.subarray(0, n), (x) => x.toString(16).padStart(2, '0')).join(' ');
}
