/**
 * IDX and .npy files (src/data): bounded (also after gunzip), strict headers, and labels that must name one of
 * the model's classes where a dataset meets a model (`capmin eval`, `capmin fmac`).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { saveCheckpoint } from '../../src/bnn/checkpoint.js';
import { loadModelAndData } from '../../src/bnn/options.js';
import { randomModel } from '../../src/bnn/random.js';
import { checkLabelsFitModel, loadDataset } from '../../src/data/datasets.js';
import { parseIdx, readIdx, readMaybeGzip } from '../../src/data/idx.js';
import { encodeNpy, parseNpy, readNpy } from '../../src/data/npy.js';
import { FUZZ, mkfifo, oneLineError, resultOrOneLineError, tempDir } from './helpers.js';

const { dir, cleanup } = tempDir('capmin-readers-data-');
afterAll(cleanup);

/** IDX ubyte bytes of a shape and data. */
function idx(shape: number[], data: Uint8Array): Buffer {
  const head = Buffer.alloc(4 + 4 * shape.length);
  head[2] = 0x08;
  head[3] = shape.length;
  shape.forEach((d, i) => head.writeUInt32BE(d, 4 + 4 * i));
  return Buffer.concat([head, data]);
}

/** A Fashion-MNIST-style folder with `n` test images and the given labels. */
function fashionDir(name: string, labels: number[]): string {
  const d = join(dir, name);
  mkdirSync(d, { recursive: true });
  const n = labels.length;
  writeFileSync(join(d, 't10k-images-idx3-ubyte'), idx([n, 28, 28], new Uint8Array(n * 784).fill(128)));
  writeFileSync(join(d, 't10k-labels-idx1-ubyte.gz'), gzipSync(idx([n], Uint8Array.from(labels))));
  return d;
}

describe('IDX labels must lie in the model’s classes', () => {
  const ck = join(dir, 'vgg3.safetensors');
  saveCheckpoint(ck, randomModel('vgg3', { seed: 4 }), { format: 'packbits-le' });

  it('labels 200 and 77 are refused where the dataset meets the model (not 201 classes)', () => {
    const d = fashionDir('bad-labels', [1, 2, 200, 77]);
    // the loader alone still reports what the file holds
    expect(loadDataset('fashion', 'test', { dir: d }).classes).toBe(201);
    const e = oneLineError(() => loadModelAndData({ model: ck, 'data-dir': d }, 'test'), /t10k-labels-idx1-ubyte\.gz/, /label 200 at index 2/, /allowed 0\.\.9/);
    expect(e.exitCode).toBe(2);
    const d77 = fashionDir('label-77', [3, 77]);
    oneLineError(() => loadModelAndData({ model: ck, 'data-dir': d77 }, 'test'), /label 77 at index 1 is outside the classes of the model .*vgg3\.safetensors: allowed 0\.\.9/);
  });

  it('labels within the classes pass, and --limit checks only the images used', () => {
    const d = fashionDir('ok-labels', [0, 9, 5, 200]);
    const md = loadModelAndData({ model: ck, 'data-dir': d, limit: '3' }, 'test');
    expect(md.dataset.n).toBe(3);
    expect(() => checkLabelsFitModel(md.dataset, 10)).not.toThrow();
    oneLineError(() => checkLabelsFitModel(md.dataset, 9), /label 9 at index 1/, /allowed 0\.\.8/);
  });
});

describe('IDX and .npy files are bounded', () => {
  it('a FIFO or /dev/zero as a dataset file is refused at once', () => {
    const fifo = join(dir, 'x.fifo');
    mkfifo(fifo);
    for (const p of [fifo, '/dev/zero']) {
      oneLineError(() => readIdx(p), /regular file/);
      oneLineError(() => readNpy(p), /regular file/);
    }
  });

  it('gzip data that inflates past the cap is refused (no gzip bomb)', () => {
    const p = join(dir, 'bomb.gz');
    writeFileSync(p, gzipSync(Buffer.alloc(17 * 1024 * 1024)));
    oneLineError(() => readMaybeGzip(p, { kind: 'table' }), /bomb\.gz: gzip data inflates to more than 16777216 bytes/);
    writeFileSync(p, Buffer.concat([Buffer.from([0x1f, 0x8b]), Buffer.from('garbage')]));
    oneLineError(() => readIdx(p), /corrupt gzip data/);
  });

  it('.npy shapes must be plain integers of bounded rank and size', () => {
    const good = encodeNpy(new Float32Array(4), [2, 2]);
    const withShape = (s: string) => Buffer.from(good.toString('latin1').replace('(2, 2)', s.padEnd(6)), 'latin1');
    oneLineError(() => parseNpy(withShape('(2e0,2)'), 'e.npy'), /e\.npy: bad \.npy shape/);
    oneLineError(() => parseNpy(withShape('(0x2,2)'), 'x.npy'), /bad \.npy shape/);
    oneLineError(() => parseNpy(withShape('(-2,2)'), 'n.npy'), /bad \.npy shape/);
    const big = encodeNpy(new Float32Array(1), [1]).toString('latin1').replace('(1,)', '(99999999999, 99999999999)');
    const b = Buffer.from(big, 'latin1');
    b.writeUInt16LE(b.length - 10, 8);
    oneLineError(() => parseNpy(b, 'big.npy'), /too large|needs .* data bytes/);
  });
});

describe('IDX / .npy fuzz: a valid array or one line', () => {
  it('parseIdx on arbitrary bytes and mutated headers', () => {
    const valid = idx([2, 3], Uint8Array.of(1, 2, 3, 4, 5, 6));
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), fc.array(fc.tuple(fc.nat(valid.length - 1), fc.integer({ min: 0, max: 255 })), { maxLength: 3 }), (junk, edits) => {
        resultOrOneLineError(() => parseIdx(junk, 'junk'));
        const b = Buffer.from(valid);
        for (const [i, v] of edits) b[i] = v;
        const r = resultOrOneLineError(() => parseIdx(b, 'mut'));
        if (r) expect(r.data.length).toBe(r.shape.reduce((x, y) => x * y, 1));
      }),
      { ...FUZZ, numRuns: 1000 },
    );
  });

  it('readIdx / readNpy on gzip-compressed and plain random files', () => {
    const p = join(dir, 'fz.bin');
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), fc.boolean(), (bytes, gz) => {
        writeFileSync(p, gz ? gzipSync(bytes) : bytes);
        resultOrOneLineError(() => readIdx(p));
        resultOrOneLineError(() => readNpy(p));
      }),
      { ...FUZZ, numRuns: 200 },
    );
  });

  it('parseNpy on mutated headers and data', () => {
    const valid = encodeNpy(Float64Array.of(0.5, 0.25, 1, 0), [2, 2]);
    const headerText = fc.record({
      descr: fc.constantFrom('<f4', '<f8', '|u1', '>f8', '<i8', '<u8', '|b1', '<c16', 'x', "'"),
      fortran: fc.constantFrom('False', 'True', 'maybe'),
      shape: fc.oneof(fc.constantFrom('()', '(2,)', '(2, 2)', '(,)', '(1e3,)', '(0,)', '(4294967296, 4294967296)'), fc.string({ maxLength: 12 })),
    });
    fc.assert(
      fc.property(headerText, fc.uint8Array({ maxLength: 40 }), fc.array(fc.tuple(fc.nat(valid.length - 1), fc.integer({ min: 0, max: 255 })), { maxLength: 3 }), (h, data, edits) => {
        const text = `{'descr': '${h.descr}', 'fortran_order': ${h.fortran}, 'shape': ${h.shape}, }\n`;
        const head = Buffer.alloc(10);
        Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]).copy(head);
        head.writeUInt16LE(Buffer.byteLength(text, 'latin1'), 8);
        const r = resultOrOneLineError(() => parseNpy(Buffer.concat([head, Buffer.from(text, 'latin1'), data]), 'gen.npy'));
        if (r) expect(r.data.length).toBe(r.shape.reduce((x, y) => x * y, 1));
        const b = Buffer.from(valid);
        for (const [i, v] of edits) b[i] = v;
        resultOrOneLineError(() => parseNpy(b, 'mut.npy'));
      }),
      { ...FUZZ, numRuns: 1000 },
    );
  });
});
