/**
 * NumPy .npy arrays (format versions 1.0–3.0, C order, little-endian or byte types).
 * Used for datasets (`--dataset npy`) and SPICE-Torch's 33×33 P_map / mapping files.
 */
import { CapminError } from '../util/errors.js';
import { readMaybeGzip } from './idx.js';
import type { FileKind } from '../util/readfile.js';

export type NpyData = Float32Array | Float64Array | Uint8Array | Int8Array | Int16Array | Uint16Array | Int32Array | Uint32Array;

export interface NpyArray {
  /** NumPy dtype descr, e.g. '<f4', '|u1'. */
  dtype: string;
  shape: number[];
  data: NpyData;
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

/** Parse a .npy buffer; `name` is used in the one-line errors. int64/uint64 are converted to Float64Array. */
export function parseNpy(buf: Uint8Array, name = '.npy file'): NpyArray {
  if (buf.length < 10 || MAGIC.some((m, i) => buf[i] !== m)) throw new CapminError(`${name}: not a .npy file (bad magic)`, 'EDATA');
  const major = buf[6]!;
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let hlen: number;
  let hstart: number;
  if (major === 1) {
    hlen = dv.getUint16(8, true);
    hstart = 10;
  } else if (major === 2 || major === 3) {
    if (buf.length < 12) throw new CapminError(`${name}: truncated .npy header`, 'EDATA');
    hlen = dv.getUint32(8, true);
    hstart = 12;
  } else {
    throw new CapminError(`${name}: .npy format version ${major} unsupported`, 'EDATA');
  }
  if (buf.length < hstart + hlen) throw new CapminError(`${name}: truncated .npy header`, 'EDATA');
  const header = new TextDecoder().decode(buf.subarray(hstart, hstart + hlen));
  const descr = /'descr'\s*:\s*'([^']+)'/.exec(header)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (!descr || !fortran || shapeText === undefined) throw new CapminError(`${name}: unreadable .npy header`, 'EDATA');
  if (fortran === 'True') throw new CapminError(`${name}: Fortran-order .npy arrays are not supported (save with np.ascontiguousarray)`, 'EDATA');
  const dims = shapeText
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  // plain decimal dimensions (NumPy writes `(33, 33)`), a bounded rank, and an element count that stays exact
  if (dims.length > 16 || dims.some((d) => !/^\d{1,12}$/.test(d))) throw new CapminError(`${name}: bad .npy shape (${shapeText.slice(0, 60)})`, 'EDATA');
  const shape = dims.map(Number);
  const count = shape.reduce((a, b) => a * b, 1);
  if (!Number.isSafeInteger(count)) throw new CapminError(`${name}: .npy shape (${shape.join(',')}) is too large`, 'EDATA');
  const off = hstart + hlen;
  const kind = descr.replace(/^[<|=]/, '');
  if (descr.startsWith('>') && !/^>(u1|i1|b1)$/.test(descr)) throw new CapminError(`${name}: big-endian dtype ${descr} unsupported`, 'EDATA');
  const sizes: Record<string, number> = { f4: 4, f8: 8, u1: 1, i1: 1, b1: 1, i2: 2, u2: 2, i4: 4, u4: 4, i8: 8, u8: 8 };
  const size = sizes[kind.replace(/^>/, '')];
  if (!size) throw new CapminError(`${name}: dtype ${descr} unsupported (f4, f8, u1, i1, b1, i2, u2, i4, u4, i8, u8)`, 'EDATA');
  const nbytes = count * size;
  if (buf.length - off !== nbytes) {
    throw new CapminError(`${name}: shape (${shape.join(',')}) of ${descr} needs ${nbytes} data bytes, file has ${buf.length - off}`, 'EDATA');
  }
  // Copy into an aligned buffer so typed-array views are always valid.
  const bytes = new Uint8Array(nbytes);
  bytes.set(buf.subarray(off, off + nbytes));
  const ab = bytes.buffer;
  let data: NpyData;
  switch (kind.replace(/^>/, '')) {
    case 'f4': data = new Float32Array(ab); break;
    case 'f8': data = new Float64Array(ab); break;
    case 'u1': case 'b1': data = bytes; break;
    case 'i1': data = new Int8Array(ab); break;
    case 'i2': data = new Int16Array(ab); break;
    case 'u2': data = new Uint16Array(ab); break;
    case 'i4': data = new Int32Array(ab); break;
    case 'u4': data = new Uint32Array(ab); break;
    default: {
      // i8 / u8: convert to doubles (exact up to 2^53)
      const out = new Float64Array(count);
      const v = new DataView(ab);
      const signed = kind === 'i8';
      for (let i = 0; i < count; i++) out[i] = Number(signed ? v.getBigInt64(8 * i, true) : v.getBigUint64(8 * i, true));
      data = out;
    }
  }
  return { dtype: descr, shape, data };
}

/** Read a .npy file (optionally gzip-compressed), regular files only, size-capped by `kind` (default dataset). */
export function readNpy(path: string, opts: { field?: string; kind?: FileKind } = {}): NpyArray {
  return parseNpy(readMaybeGzip(path, { field: opts.field ?? 'dataset', kind: opts.kind ?? 'dataset' }), path);
}

/** Encode a .npy (v1.0) buffer: float32 '<f4', float64 '<f8', uint8 '|u1', int8 '|i1', int32 '<i4'. */
export function encodeNpy(data: Float32Array | Float64Array | Uint8Array | Int8Array | Int32Array, shape: number[]): Buffer {
  const descr =
    data instanceof Float32Array ? '<f4' : data instanceof Float64Array ? '<f8' : data instanceof Int8Array ? '|i1' : data instanceof Int32Array ? '<i4' : '|u1';
  const count = shape.reduce((a, b) => a * b, 1);
  if (count !== data.length) throw new Error(`encodeNpy: shape (${shape.join(',')}) does not match ${data.length} elements`);
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  const total = 10 + header.length + 1;
  header += ' '.repeat((64 - (total % 64)) % 64) + '\n';
  const head = Buffer.alloc(10);
  MAGIC.forEach((m, i) => (head[i] = m));
  head[6] = 1;
  head[7] = 0;
  head.writeUInt16LE(header.length, 8);
  return Buffer.concat([head, Buffer.from(header, 'latin1'), Buffer.from(data.buffer, data.byteOffset, data.byteLength)]);
}
