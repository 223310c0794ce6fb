import { describe, it, expect, beforeAll } from 'vitest';
import { existsSync, mkdtempSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { loadDataset } from '../../src/data/datasets.js';
import { parseIdx } from '../../src/data/idx.js';
import { encodeNpy, parseNpy } from '../../src/data/npy.js';
import { CapminError } from '../../src/util/errors.js';

function idx(shape: number[], data: number[]): Buffer {
  const head = Buffer.alloc(4 + 4 * shape.length);
  head[2] = 0x08;
  head[3] = shape.length;
  shape.forEach((d, i) => head.writeUInt32BE(d, 4 + 4 * i));
  return Buffer.concat([head, Buffer.from(data)]);
}

function oneLineError(fn: () => unknown, ...parts: (string | RegExp)[]): void {
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(CapminError);
  const msg = (err as Error).message;
  expect(msg).not.toContain('\n');
  for (const p of parts) expect(msg).toMatch(p);
}

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'capmin-data-'));
});

describe('IDX datasets', () => {
  const FASHION = '/usr/share/datasets/fashion-mnist';
  it.skipIf(!existsSync(FASHION))('loads the installed Fashion-MNIST test split scaled to [0,1]', () => {
    const ds = loadDataset('fashion', 'test', { limit: 20 });
    expect([ds.n, ds.c, ds.h, ds.w, ds.classes]).toEqual([20, 1, 28, 28, 10]);
    expect(ds.images.length).toBe(20 * 784);
    expect(Array.from(ds.labels.subarray(0, 10))).toEqual([9, 2, 1, 1, 6, 1, 4, 6, 5, 7]);
    let mn = Infinity;
    let mx = -Infinity;
    for (const v of ds.images) {
      mn = Math.min(mn, v);
      mx = Math.max(mx, v);
    }
    expect(mn).toBe(0);
    expect(mx).toBe(1);
    // every value is an integer / 255 (ToTensor scaling)
    for (const v of ds.images.subarray(0, 784)) expect(Math.abs(v * 255 - Math.round(v * 255))).toBeLessThan(1e-4);
  });

  it('reads plain and gzip IDX files written here', () => {
    const d = join(dir, 'idx');
    mkdirSync(d, { recursive: true });
    const pix = Array.from({ length: 3 * 4 * 5 }, (_, i) => (i * 17) % 256);
    writeFileSync(join(d, 'train-images-idx3-ubyte'), idx([3, 4, 5], pix));
    writeFileSync(join(d, 'train-labels-idx1-ubyte.gz'), gzipSync(idx([3], [2, 0, 7])));
    const ds = loadDataset('fashion', 'train', { dir: d });
    expect([ds.n, ds.c, ds.h, ds.w]).toEqual([3, 1, 4, 5]);
    expect(Array.from(ds.labels)).toEqual([2, 0, 7]);
    expect(Array.from(ds.images)).toEqual(pix.map((p) => Math.fround(p / 255)));
  });

  it('names the file on truncated, mismatched or corrupt IDX data', () => {
    const d = join(dir, 'bad');
    mkdirSync(d, { recursive: true });
    writeFileSync(join(d, 't10k-images-idx3-ubyte'), idx([3, 4, 5], new Array(59).fill(1)));
    writeFileSync(join(d, 't10k-labels-idx1-ubyte'), idx([3], [1, 2, 3]));
    oneLineError(() => loadDataset('fashion', 'test', { dir: d }), /t10k-images/, /60 data bytes/);
    writeFileSync(join(d, 't10k-images-idx3-ubyte'), idx([3, 4, 5], new Array(60).fill(1)));
    writeFileSync(join(d, 't10k-labels-idx1-ubyte'), idx([2], [1, 2]));
    oneLineError(() => loadDataset('fashion', 'test', { dir: d }), /2 labels but/);
    writeFileSync(join(d, 't10k-labels-idx1-ubyte'), Buffer.from([0x1f, 0x8b, 1, 2, 3]));
    oneLineError(() => loadDataset('fashion', 'test', { dir: d }), /corrupt gzip/);
    oneLineError(() => parseIdx(Buffer.from([1, 2, 3, 4, 5]), 'x.idx'), /bad magic/);
    oneLineError(() => loadDataset('fashion', 'test', { dir: join(dir, 'nope') }), /not found/);
  });
});

describe('CIFAR-10 binary batches', () => {
  it('reads records scaled to [-1, 1] and rejects bad sizes and labels', () => {
    const d = join(dir, 'cifar');
    mkdirSync(d, { recursive: true });
    const rec = (label: number, v: number) => Buffer.concat([Buffer.from([label]), Buffer.alloc(3072, v)]);
    writeFileSync(join(d, 'test_batch.bin'), Buffer.concat([rec(3, 0), rec(9, 255)]));
    const ds = loadDataset('cifar10', 'test', { dir: d });
    expect([ds.n, ds.c, ds.h, ds.w]).toEqual([2, 3, 32, 32]);
    expect(Array.from(ds.labels)).toEqual([3, 9]);
    expect(ds.images[0]).toBe(-1);
    expect(ds.images[3072]).toBe(1);
    writeFileSync(join(d, 'test_batch.bin'), Buffer.concat([rec(3, 0), Buffer.alloc(10)]));
    oneLineError(() => loadDataset('cifar10', 'test', { dir: d }), /not a whole number of 3073-byte/);
    writeFileSync(join(d, 'test_batch.bin'), rec(12, 0));
    oneLineError(() => loadDataset('cifar10', 'test', { dir: d }), /label 12/);
  });
});

describe('.npy datasets', () => {
  it('reads uint8 images (scaled by 1/255) and integer labels; rejects a label count mismatch', () => {
    const d = join(dir, 'npy');
    mkdirSync(d, { recursive: true });
    const img = Uint8Array.from({ length: 2 * 3 * 3 }, (_, i) => i * 10);
    writeFileSync(join(d, 'x_test.npy'), encodeNpy(img, [2, 3, 3]));
    writeFileSync(join(d, 'y_test.npy'), encodeNpy(Int32Array.of(4, 1), [2]));
    const ds = loadDataset('npy', 'test', { dir: d });
    expect([ds.n, ds.c, ds.h, ds.w]).toEqual([2, 1, 3, 3]);
    expect(Array.from(ds.labels)).toEqual([4, 1]);
    expect(ds.images[5]).toBe(Math.fround(50 / 255));
    writeFileSync(join(d, 'y_test.npy'), encodeNpy(Int32Array.of(4, 1, 2), [3]));
    oneLineError(() => loadDataset('npy', 'test', { dir: d }), /y_test\.npy/, /shape \(2,\)/);
  });

  it('parses float32 and rejects truncated arrays', () => {
    const f = Float32Array.of(1.5, -2, 3.25, 0);
    const a = parseNpy(encodeNpy(f, [2, 2]));
    expect(a.shape).toEqual([2, 2]);
    expect(Array.from(a.data as Float32Array)).toEqual([1.5, -2, 3.25, 0]);
    const buf = encodeNpy(f, [2, 2]);
    oneLineError(() => parseNpy(buf.subarray(0, buf.length - 3), 'cut.npy'), /cut\.npy/, /needs 16 data bytes/);
  });
});
