/**
 * safetensors files and the checkpoints in them (src/bnn/safetensors.ts, src/bnn/checkpoint.ts): offsets tile the
 * data section, every tensor has the dtype its role needs, values are finite, sizes are capped.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { INPUT_LIMITS, loadCheckpoint, modelTensors } from '../../src/bnn/checkpoint.js';
import { randomModel } from '../../src/bnn/random.js';
import { encodeSafetensors, MAX_HEADER_BYTES, readSafetensors, type TensorInput } from '../../src/bnn/safetensors.js';
import type { BnnModel } from '../../src/bnn/arch.js';
import { FUZZ, mkfifo, oneLineError, resultOrOneLineError, tempDir } from './helpers.js';

const { dir, cleanup } = tempDir('capmin-readers-st-');
afterAll(cleanup);

/** safetensors bytes from a literal header object and data bytes. */
function raw(header: unknown, data: Uint8Array | number, pad = 0): Buffer {
  const json = Buffer.from(JSON.stringify(header) + ' '.repeat(pad));
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(json.length));
  return Buffer.concat([len, json, typeof data === 'number' ? Buffer.alloc(data) : Buffer.from(data)]);
}

const f32 = (b: number, e: number, shape = [(e - b) / 4]) => ({ dtype: 'F32', shape, data_offsets: [b, e] });

describe('safetensors: data_offsets must tile the data section', () => {
  it('accepts tensors in any header order as long as they tile the data', () => {
    const r = readSafetensors(raw({ b: f32(8, 16), a: f32(0, 8), z: { dtype: 'U8', shape: [0], data_offsets: [16, 16] } }, 16));
    expect([...r.tensors.keys()]).toEqual(['b', 'a', 'z']);
  });

  it('refuses overlapping, reversed, non-contiguous, out-of-range and trailing offsets', () => {
    oneLineError(() => readSafetensors(raw({ a: f32(0, 8), b: f32(4, 12) }, 12)), /'b' data_offsets \[4,12\] overlap another tensor's bytes/);
    oneLineError(() => readSafetensors(raw({ a: f32(0, 8), b: f32(0, 8) }, 8)), /overlap/);
    oneLineError(() => readSafetensors(raw({ a: { dtype: 'F32', shape: [2], data_offsets: [8, 0] } }, 8)), /'a' data_offsets \[8,0\] end before they begin/);
    oneLineError(() => readSafetensors(raw({ a: f32(0, 4), b: f32(8, 12) }, 12)), /data bytes 4\.\.8 belong to no tensor/, /contiguous/);
    oneLineError(() => readSafetensors(raw({ a: f32(0, 16) }, 12)), /exceed the 12 data bytes/);
    oneLineError(() => readSafetensors(raw({ a: f32(0, 8) }, 12)), /data bytes 8\.\.12 belong to no tensor/);
    oneLineError(() => readSafetensors(raw({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 1e300] } }, 8)), /bad data_offsets/);
    oneLineError(() => readSafetensors(raw({ a: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }, 8)), /'a' has 8 bytes but shape \[3\] of F32 needs 12/);
  });

  it('refuses BOOL tensors holding bytes other than 0/1 (I8 bytes declared as BOOL)', () => {
    const bytes = new Uint8Array(Int8Array.of(-1, 1, -1, 1).buffer);
    oneLineError(() => readSafetensors(raw({ w: { dtype: 'BOOL', shape: [4], data_offsets: [0, 4] } }, bytes)), /BOOL tensor 'w' holds byte 255 at element 0/);
    expect(readSafetensors(raw({ w: { dtype: 'BOOL', shape: [2], data_offsets: [0, 2] } }, Uint8Array.of(0, 1))).tensors.get('w')!.dtype).toBe('BOOL');
  });

  it('caps the header length and refuses unknown dtypes, bad shapes and non-string metadata', () => {
    oneLineError(() => readSafetensors(raw({}, 0, MAX_HEADER_BYTES)), new RegExp(`header length ${MAX_HEADER_BYTES + 2} does not fit`), /allowed 2\.\./);
    const huge = Buffer.alloc(16);
    huge.writeBigUInt64LE(2n ** 62n);
    oneLineError(() => readSafetensors(huge), /header length \d+ does not fit/);
    oneLineError(() => readSafetensors(raw({ a: { dtype: 'F128', shape: [1], data_offsets: [0, 16] } }, 16)), /unsupported dtype "F128"/);
    oneLineError(() => readSafetensors(raw({ a: { dtype: 'toString', shape: [1], data_offsets: [0, 1] } }, 1)), /unsupported dtype/);
    oneLineError(() => readSafetensors(raw({ a: { dtype: 'U8', shape: [1, 1, 1, 1, 1, 1, 1, 1, 1], data_offsets: [0, 1] } }, 1)), /bad shape/);
    oneLineError(() => readSafetensors(raw({ a: { dtype: 'U8', shape: [-1], data_offsets: [0, 1] } }, 1)), /bad shape/);
    oneLineError(() => readSafetensors(raw({ __metadata__: { arch: 3 } }, 0)), /metadata 'arch' is not a string/);
  });

  it('a FIFO or /dev/zero as a checkpoint is a one-line error at once', () => {
    const fifo = join(dir, 'ck.fifo');
    mkfifo(fifo);
    for (const p of [fifo, '/dev/zero']) {
      oneLineError(() => readSafetensors(p), /regular file/);
      oneLineError(() => loadCheckpoint(p), /regular file/);
    }
  });
});

describe('checkpoints: each tensor has the dtype and values its role needs', () => {
  let model: BnnModel;
  let tensors: Map<string, TensorInput>;
  const meta = { arch: 'vgg3', weight_format: 'int8', input_shape: '1,28,28' };
  beforeAll(() => {
    model = randomModel('vgg3', { seed: 11 });
    tensors = modelTensors(model, 'int8');
  });
  const withTensor = (key: string, t: TensorInput, m: Record<string, string> = meta): Buffer => {
    const copy = new Map(tensors);
    copy.set(key, t);
    return encodeSafetensors(copy, m);
  };

  it('the unmodified checkpoint loads', () => {
    expect(loadCheckpoint(encodeSafetensors(tensors, meta)).classes).toBe(10);
  });

  it('refuses BN tensors declared I32, weights declared BOOL or U8, and float weights in int8 form', () => {
    oneLineError(() => loadCheckpoint(withTensor('bn1.weight', { shape: [64], data: new Int32Array(64).fill(1) })), /bn1\.weight is I32; BatchNorm tensors must be F32\/F64\/F16\/BF16/);
    const w = tensors.get('conv2.weight')!;
    const asBytes = new Uint8Array((w.data as Int8Array).buffer.slice(0));
    // the bytes of ±1 int8 weights are 0xff/0x01: as BOOL the reader refuses them
    oneLineError(() => loadCheckpoint(withTensor('conv2.weight', { dtype: 'BOOL', shape: w.shape, data: asBytes })), /BOOL tensor 'conv2\.weight' holds byte 255/);
    // 0/1 bytes declared BOOL are still not int8-form weights
    oneLineError(() => loadCheckpoint(withTensor('conv2.weight', { dtype: 'BOOL', shape: w.shape, data: asBytes.map((b) => (b === 1 ? 1 : 0)) })), /conv2\.weight is BOOL; weights of weight_format int8 must be I8\/I16\/I32\/I64/);
    oneLineError(() => loadCheckpoint(withTensor('conv2.weight', { shape: w.shape, data: asBytes })), /conv2\.weight is U8/);
    oneLineError(() => loadCheckpoint(withTensor('conv2.weight', { shape: w.shape, data: Int8Array.from(w.data as Int8Array, (x) => x * 3) })), /conv2\.weight\[0\] = -?3 is not a binary weight/);
    oneLineError(() => loadCheckpoint(withTensor('scale.scale', { shape: [1], data: Int32Array.of(1) })), /scale\.scale is I32; the scale must be F32/);
  });

  it('refuses scale = 0, non-finite values and negative variances, naming the tensor', () => {
    oneLineError(() => loadCheckpoint(withTensor('scale.scale', { shape: [1], data: Float32Array.of(0) })), /scale\.scale\[0\] = 0 is 0 \(the scale must be non-zero\)/);
    oneLineError(() => loadCheckpoint(withTensor('bn3.bias', { shape: [2048], data: new Float32Array(2048).fill(NaN) })), /bn3\.bias\[0\] = NaN is not finite/);
    oneLineError(() => loadCheckpoint(withTensor('bn2.running_var', { shape: [64], data: new Float32Array(64).fill(-1) })), /bn2\.running_var\[0\] = -1 is a negative variance/);
    const float = modelTensors(model, 'float');
    float.set('fc2.weight', { shape: [10, 2048], data: new Float32Array(20480).fill(Infinity) });
    oneLineError(() => loadCheckpoint(encodeSafetensors(float, { arch: 'vgg3' })), /fc2\.weight\[0\] = Infinity is not finite/);
  });

  it('metadata input_shape "1,100000,100000" is a one-line error with the allowed range, not a RangeError', () => {
    const t0 = Date.now();
    const e = oneLineError(() => loadCheckpoint(encodeSafetensors(tensors, { ...meta, input_shape: '1,100000,100000' })), /input shape 1,100000,100000 is out of range/);
    expect(e.message).toContain(`C 1..${INPUT_LIMITS.c}, H 1..${INPUT_LIMITS.h}, W 1..${INPUT_LIMITS.w}`);
    expect(Date.now() - t0).toBeLessThan(3000);
    oneLineError(() => loadCheckpoint(encodeSafetensors(tensors, { ...meta, input_shape: '1,28' })), /input_shape '1,28' is not C,H,W/);
    oneLineError(() => loadCheckpoint(encodeSafetensors(tensors, { ...meta, input_shape: '0x1,28,28' })), /is not C,H,W/);
    // within the range but not this checkpoint's: the mismatch is named, no huge allocation
    oneLineError(() => loadCheckpoint(encodeSafetensors(tensors, { ...meta, input_shape: `1,${INPUT_LIMITS.h},${INPUT_LIMITS.w}` })), /fc1\.weight has shape \[2048,3136\], expected \[2048,65536\]/);
  });

  it('a checkpoint whose offsets were rewritten to overlap is refused (not evaluated as a garbage model)', () => {
    const good = encodeSafetensors(tensors, meta);
    const hlen = Number(good.readBigUInt64LE(0));
    const header = JSON.parse(good.subarray(8, 8 + hlen).toString()) as Record<string, { data_offsets: number[] }>;
    header['bn1.bias']!.data_offsets = [...header['bn1.weight']!.data_offsets];
    const json = Buffer.from(JSON.stringify(header));
    const len = Buffer.alloc(8);
    len.writeBigUInt64LE(BigInt(json.length));
    const bad = Buffer.concat([len, json, good.subarray(8 + hlen)]);
    oneLineError(() => loadCheckpoint(bad), /overlap|belong to no tensor/);
    writeFileSync(join(dir, 'overlap.safetensors'), bad);
    oneLineError(() => loadCheckpoint(join(dir, 'overlap.safetensors')), /overlap\.safetensors/);
  });
});

describe('safetensors fuzz: a valid file or one line', () => {
  const dtype = fc.constantFrom('F32', 'F64', 'F16', 'BF16', 'I8', 'U8', 'BOOL', 'I16', 'U16', 'I32', 'U32', 'I64', 'U64', 'X', 'f32');
  const entry = fc.record(
    {
      dtype: fc.oneof(dtype, fc.anything()),
      shape: fc.oneof(fc.array(fc.integer({ min: -1, max: 5 }), { maxLength: 3 }), fc.anything()),
      data_offsets: fc.oneof(fc.tuple(fc.integer({ min: -1, max: 40 }), fc.integer({ min: -1, max: 40 })), fc.anything()),
    },
    { requiredKeys: [] },
  );

  it('generated headers over random data', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string({ maxLength: 4 }), entry, { maxKeys: 4 }), fc.uint8Array({ maxLength: 40 }), fc.option(fc.dictionary(fc.string({ maxLength: 3 }), fc.anything(), { maxKeys: 2 }), { nil: undefined }), (h, data, md) => {
        const header: Record<string, unknown> = { ...h };
        if (md) header.__metadata__ = md;
        const r = resultOrOneLineError(() => readSafetensors(raw(header, data)));
        if (r) {
          // accepted: the tensors tile the data exactly
          const total = [...r.tensors.values()].reduce((s, t) => s + t.data.byteLength / (t.dtype === 'F16' || t.dtype === 'BF16' ? 2 : 1), 0);
          expect(total).toBe(data.length);
        }
      }),
      { ...FUZZ, numRuns: 800 },
    );
  });

  it('arbitrary bytes and byte mutations of a valid file', () => {
    const valid = encodeSafetensors({ a: { shape: [2, 2], data: Float32Array.of(1, 2, 3, 4) }, b: { shape: [3], data: Int8Array.of(1, -1, 1) } }, { arch: 'vgg3' });
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.array(fc.tuple(fc.nat(valid.length - 1), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }), fc.nat(valid.length), (junk, edits, cut) => {
        resultOrOneLineError(() => readSafetensors(junk));
        const b = Buffer.from(valid);
        for (const [i, v] of edits) b[i] = v;
        resultOrOneLineError(() => readSafetensors(b.subarray(0, cut)));
        resultOrOneLineError(() => readSafetensors(b));
      }),
      { ...FUZZ, numRuns: 1000 },
    );
  });

  it('loadCheckpoint on checkpoints with mutated headers (dtype, shape, metadata)', () => {
    const model = randomModel('vgg3', { seed: 2 });
    const tensors = modelTensors(model, 'packbits-le');
    const keys = [...tensors.keys()];
    fc.assert(
      fc.property(
        fc.constantFrom(...keys),
        fc.constantFrom('F32', 'I8', 'U8', 'BOOL', 'I32', 'F64'),
        fc.record({ arch: fc.constantFrom('vgg3', 'VGG7', 'resnet18', 'x'), weight_format: fc.constantFrom('packbits-le', 'int8', 'float', '?'), input_shape: fc.constantFrom('1,28,28', '3,32,32', '1,100000,100000', '1,28', '1,4,4', ' 1 x 28 x 28 ') }, { requiredKeys: [] }),
        (key, dt, md) => {
          const copy = new Map(tensors);
          const t = copy.get(key)!;
          const bytes = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
          const size = { F32: 4, F64: 8, I32: 4, I8: 1, U8: 1, BOOL: 1 }[dt]!;
          if (bytes.length % size === 0) {
            const n = bytes.length / size;
            const data = dt === 'F32' ? new Float32Array(bytes.slice().buffer) : dt === 'F64' ? new Float64Array(bytes.slice().buffer) : dt === 'I32' ? new Int32Array(bytes.slice().buffer) : dt === 'I8' ? new Int8Array(bytes.slice().buffer) : bytes.slice();
            copy.set(key, { dtype: dt === 'BOOL' ? 'BOOL' : undefined, shape: n === t.data.length ? t.shape : [n], data });
          }
          const r = resultOrOneLineError(() => loadCheckpoint(encodeSafetensors(copy, md)));
          if (r) expect(r.ops.length).toBeGreaterThan(0);
        },
      ),
      { ...FUZZ, numRuns: 30 },
    );
  });
});
