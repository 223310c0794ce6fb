/**
 * safetensors reader/writer (https://github.com/huggingface/safetensors): an 8-byte little-endian
 * header length, a JSON header `{name: {dtype, shape, data_offsets}, __metadata__: {..}}`, then raw
 * little-endian tensor bytes. Pure data — loading never executes code (unlike PyTorch pickles).
 */
import { CapminError } from '../util/errors.js';
import { writeFileAtomic } from '../util/atomic.js';
import { readUserFile } from '../util/readfile.js';

export type TensorData =
  | Float32Array
  | Float64Array
  | Int8Array
  | Uint8Array
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | BigInt64Array
  | BigUint64Array;

export interface Tensor {
  /** safetensors dtype: F32, F64, F16, BF16, I8, U8, BOOL, I16, U16, I32, U32, I64, U64. F16/BF16 are widened to Float32Array on read. */
  dtype: string;
  shape: number[];
  data: TensorData;
}

export interface SafetensorsFile {
  tensors: Map<string, Tensor>;
  metadata: Record<string, string>;
}

const SIZE: Record<string, number> = { F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, U64: 8, I32: 4, U32: 4, I16: 2, U16: 2, I8: 1, U8: 1, BOOL: 1 };

/** Largest header accepted: a state_dict's header is a few kB; 16 MiB leaves room for 100k tensors. */
export const MAX_HEADER_BYTES = 16 * 1024 * 1024;
/** Largest tensor rank accepted. */
const MAX_RANK = 8;

/**
 * Read a safetensors file (path or bytes; a path is read through the bounded reader, regular files only); throws a
 * one-line CapminError on anything malformed: a header over {@link MAX_HEADER_BYTES}, unknown dtypes, bad shapes,
 * `data_offsets` that are reversed, out of range, overlapping or leave gaps (the tensors must tile the data section
 * exactly, in any header order), and BOOL tensors holding bytes other than 0 and 1.
 */
export function readSafetensors(src: string | Uint8Array, opts: { field?: string } = {}): SafetensorsFile {
  const name = typeof src === 'string' ? src : 'safetensors buffer';
  const buf = typeof src === 'string' ? readUserFile(src, { field: opts.field ?? 'checkpoint', kind: 'tensor' }) : src;
  const bad = (why: string) => new CapminError(`${name}: not a valid safetensors file (${why})`, 'EDATA');
  if (buf.length < 8) throw bad('shorter than the 8-byte header length');
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const hlen = Number(dv.getBigUint64(0, true));
  if (hlen < 2 || hlen > MAX_HEADER_BYTES || 8 + hlen > buf.length) {
    throw bad(`header length ${hlen} does not fit in ${buf.length} bytes (allowed 2..${Math.min(MAX_HEADER_BYTES, buf.length - 8)})`);
  }
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(buf.subarray(8, 8 + hlen))) as Record<string, unknown>;
  } catch (e) {
    throw bad(`header is not JSON: ${(e as Error).message.slice(0, 100)}`);
  }
  if (!header || typeof header !== 'object' || Array.isArray(header)) throw bad('header is not a JSON object');
  const base = 8 + hlen;
  const dataLen = buf.length - base;
  const metadata: Record<string, string> = {};
  const entries: { key: string; dtype: string; shape: number[]; b: number; e: number; count: number }[] = [];
  for (const [key, value] of Object.entries(header)) {
    const shownKey = key.slice(0, 80);
    if (key === '__metadata__') {
      if (value === null || typeof value !== 'object' || Array.isArray(value)) throw bad('__metadata__ is not an object of strings');
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
        if (typeof v !== 'string') throw bad(`metadata '${k.slice(0, 40)}' is not a string`);
        metadata[k] = v;
      }
      continue;
    }
    const info = value as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (!info || typeof info !== 'object' || Array.isArray(info)) throw bad(`entry '${shownKey}' is not an object`);
    const dtype = typeof info.dtype === 'string' ? info.dtype : '';
    const size = Object.hasOwn(SIZE, dtype) ? SIZE[dtype] : undefined;
    if (!size) throw bad(`tensor '${shownKey}' has unsupported dtype ${String(JSON.stringify(info.dtype) ?? info.dtype).slice(0, 20)}`);
    if (!Array.isArray(info.shape) || info.shape.length > MAX_RANK || info.shape.some((d) => !Number.isSafeInteger(d) || (d as number) < 0)) {
      throw bad(`tensor '${shownKey}' has a bad shape (at most ${MAX_RANK} non-negative integer dimensions)`);
    }
    const shape = info.shape as number[];
    const offs = info.data_offsets;
    if (!Array.isArray(offs) || offs.length !== 2 || !offs.every((o) => Number.isSafeInteger(o) && (o as number) >= 0)) throw bad(`tensor '${shownKey}' has bad data_offsets`);
    const [b, e] = offs as [number, number];
    if (e < b) throw bad(`tensor '${shownKey}' data_offsets [${b},${e}] end before they begin`);
    if (e > dataLen) throw bad(`tensor '${shownKey}' data_offsets [${b},${e}] exceed the ${dataLen} data bytes (truncated?)`);
    const count = shape.reduce((a, d) => a * d, 1);
    if (e - b !== count * size) throw bad(`tensor '${shownKey}' has ${e - b} bytes but shape [${shape.join(',')}] of ${dtype} needs ${count * size}`);
    entries.push({ key, dtype, shape, b, e, count });
  }
  // The tensors must tile the data section: sorted by offset, each starts where the previous one ends.
  const sorted = [...entries].sort((x, y) => x.b - y.b || x.e - y.e);
  let at = 0;
  for (const t of sorted) {
    if (t.b < at) throw bad(`tensor '${t.key.slice(0, 80)}' data_offsets [${t.b},${t.e}] overlap another tensor's bytes (up to ${at})`);
    if (t.b > at) throw bad(`data bytes ${at}..${t.b} belong to no tensor (before '${t.key.slice(0, 80)}'); data_offsets must be contiguous`);
    at = t.e;
  }
  if (at !== dataLen) throw bad(`data bytes ${at}..${dataLen} belong to no tensor; data_offsets must cover the data section`);
  const tensors = new Map<string, Tensor>();
  for (const t of entries) {
    const bytes = buf.subarray(base + t.b, base + t.e);
    if (t.dtype === 'BOOL') {
      const i = bytes.findIndex((x) => x > 1);
      if (i >= 0) throw bad(`BOOL tensor '${t.key.slice(0, 80)}' holds byte ${bytes[i]} at element ${i}; BOOL bytes are 0 or 1`);
    }
    tensors.set(t.key, { dtype: t.dtype, shape: t.shape, data: decode(t.dtype, bytes, t.count) });
  }
  return { tensors, metadata };
}

function decode(dtype: string, bytes: Uint8Array, count: number): TensorData {
  // copy into a fresh, aligned buffer
  const copy = new Uint8Array(bytes.length);
  copy.set(bytes);
  const ab = copy.buffer;
  switch (dtype) {
    case 'F32': return new Float32Array(ab);
    case 'F64': return new Float64Array(ab);
    case 'I8': return new Int8Array(ab);
    case 'U8': case 'BOOL': return copy;
    case 'I16': return new Int16Array(ab);
    case 'U16': return new Uint16Array(ab);
    case 'I32': return new Int32Array(ab);
    case 'U32': return new Uint32Array(ab);
    case 'I64': return new BigInt64Array(ab);
    case 'U64': return new BigUint64Array(ab);
    case 'F16': {
      const u = new Uint16Array(ab);
      const out = new Float32Array(count);
      for (let i = 0; i < count; i++) out[i] = halfToFloat(u[i]!);
      return out;
    }
    case 'BF16': {
      const u = new Uint16Array(ab);
      const out = new Float32Array(count);
      const u32 = new Uint32Array(out.buffer);
      for (let i = 0; i < count; i++) u32[i] = u[i]! << 16;
      return out;
    }
    default:
      throw new Error(`unreachable dtype ${dtype}`);
  }
}

function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * f * 2 ** -24;
  if (e === 31) return f ? NaN : s * Infinity;
  return s * (1 + f / 1024) * 2 ** (e - 15);
}

function dtypeOf(data: TensorData): string {
  if (data instanceof Float32Array) return 'F32';
  if (data instanceof Float64Array) return 'F64';
  if (data instanceof Int8Array) return 'I8';
  if (data instanceof Uint8Array) return 'U8';
  if (data instanceof Int16Array) return 'I16';
  if (data instanceof Uint16Array) return 'U16';
  if (data instanceof Int32Array) return 'I32';
  if (data instanceof Uint32Array) return 'U32';
  if (data instanceof BigInt64Array) return 'I64';
  return 'U64';
}

/** Input tensor for the writer: dtype defaults to the typed array's own (U8 may be overridden to BOOL). */
export interface TensorInput {
  dtype?: string;
  shape: number[];
  data: TensorData;
}

/** Encode tensors + string metadata as safetensors bytes (header padded to 8 bytes, tensors in the given order). */
export function encodeSafetensors(
  tensors: Map<string, TensorInput> | Record<string, TensorInput>,
  metadata: Record<string, string> = {},
): Buffer {
  const entries = tensors instanceof Map ? [...tensors.entries()] : Object.entries(tensors);
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length) header.__metadata__ = Object.fromEntries(Object.entries(metadata).map(([k, v]) => [k, String(v)]));
  let off = 0;
  const chunks: Buffer[] = [];
  for (const [name, t] of entries) {
    const dtype = t.dtype ?? dtypeOf(t.data);
    if (dtype !== dtypeOf(t.data) && !(dtype === 'BOOL' && t.data instanceof Uint8Array)) {
      throw new Error(`writeSafetensors: tensor '${name}' dtype ${dtype} does not match its ${t.data.constructor.name}`);
    }
    const count = t.shape.reduce((a, d) => a * d, 1);
    if (count !== t.data.length) throw new Error(`writeSafetensors: tensor '${name}' shape [${t.shape.join(',')}] does not match ${t.data.length} elements`);
    const bytes = Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength);
    header[name] = { dtype, shape: t.shape, data_offsets: [off, off + bytes.length] };
    off += bytes.length;
    chunks.push(bytes);
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (Buffer.byteLength(json) % 8)) % 8);
  const jb = Buffer.from(json, 'utf8');
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(jb.length));
  return Buffer.concat([len, jb, ...chunks]);
}

/** Write a safetensors file atomically (temp + fsync + rename). */
export function writeSafetensors(
  path: string,
  tensors: Map<string, TensorInput> | Record<string, TensorInput>,
  metadata: Record<string, string> = {},
): void {
  writeFileAtomic(path, encodeSafetensors(tensors, metadata));
}
