import { describe, it, expect, beforeAll } from 'vitest';
import { existsSync } from 'node:fs';
import { Engine, subMacsPerImage, packWeights } from '../../src/bnn/engine.js';
import { forwardReference, im2col } from '../../src/bnn/reference.js';
import { randomModel } from '../../src/bnn/random.js';
import { evaluate, computeFmac } from '../../src/bnn/run.js';
import { identityPMap, levelTables, type PMap } from '../../src/bnn/pmap.js';
import { popcount32 } from '../../src/bnn/kernels.js';
import type { BnnModel, ConvOp } from '../../src/bnn/arch.js';
import { loadDataset, type Dataset } from '../../src/data/datasets.js';
import { Rng } from '../../src/util/rng.js';

const FASHION = '/usr/share/datasets/fashion-mnist';

function syntheticDataset(n: number, c: number, h: number, w: number, seed = 1): Dataset {
  const g = new Rng(seed, 99);
  return {
    images: Float32Array.from({ length: n * c * h * w }, () => Math.fround(Math.round(g.uniform() * 255) / 255)),
    labels: Uint8Array.from({ length: n }, () => g.int(10)),
    n, c, h, w, classes: 10,
  };
}

function image(ds: Dataset, i: number): Float32Array {
  const per = ds.c * ds.h * ds.w;
  return ds.images.subarray(i * per, (i + 1) * per);
}

/** P_map whose row m reads m+1 (row a reads a). */
function plusOne(a: number): PMap {
  return Array.from({ length: a + 1 }, (_, m) => Array.from({ length: a + 1 }, (_, j) => (j === Math.min(m + 1, a) ? 1 : 0)));
}

let data: Dataset;
let vgg3: BnnModel;
beforeAll(() => {
  data = existsSync(FASHION) ? loadDataset('fashion', 'test', { limit: 300 }) : syntheticDataset(300, 1, 28, 28);
  vgg3 = randomModel('vgg3', { seed: 21, calibration: data, calibrate: 8 });
});

describe('bit-packed kernels', () => {
  it('popcount32 counts bits of edge words', () => {
    expect([0, 1, -1, 0x80000000, 0x55555555, 0x7fffffff, 0x12345678].map(popcount32)).toEqual([0, 1, 32, 1, 16, 31, 13]);
  });

  it('packs weights LSB-first per chunk, including a short last chunk', () => {
    const w = Int8Array.from([1, -1, 1, 1, -1, -1, -1, 1]); // one row, beta = 8, a = 3 → chunks 3,3,2
    expect(Array.from(packWeights(w, 1, 8, 3))).toEqual([0b101, 0b001, 0b10]);
  });
});

describe('engine = direct chunk-by-chunk semantics', () => {
  it('VGG3 with a = 20 (zero padding, short last chunks in conv2, fc1, fc2): logits and F_MAC match the slow reference', () => {
    const a = 20;
    expect([576 % a, 3136 % a, 2048 % a]).toEqual([16, 16, 8]);
    const e = new Engine(vgg3, { a });
    for (let i = 0; i < 3; i++) {
      const hist = e.newHist();
      const refHist = vgg3.arrayLayers.map(() => new Float64Array(a + 1));
      const got = Array.from(e.forward(image(data, i), i, 0, 0, hist));
      const want = Array.from(forwardReference(vgg3, image(data, i), { a, hist: refHist }));
      expect(got).toEqual(want);
      expect(hist.map((h) => Array.from(h))).toEqual(refHist.map((h) => Array.from(h)));
      const chunks = hist.reduce((s, h) => s + h.reduce((x, y) => x + y, 0), 0);
      expect(chunks).toBe(subMacsPerImage(vgg3, a));
    }
  });

  it('zero-padded cells are inactive: a corner position of conv2 has fewer active cells', () => {
    const conv2 = vgg3.ops.find((o) => o.op === 'conv' && o.name === 'conv2') as ConvOp;
    const x = new Float64Array(64 * 14 * 14).fill(1);
    const cols = im2col(conv2, x);
    const active = (p: number) => cols.subarray(p * 576, (p + 1) * 576).reduce((s, v) => s + (v !== 0 ? 1 : 0), 0);
    expect(active(0)).toBe(64 * 4); // corner: 2×2 of the 3×3 window inside
    expect(active(14 + 1)).toBe(576);
  });

  it('clipping through the LUT matches the reference level map (Eq. 4)', () => {
    const a = 32;
    const clip: [number, number] = [12, 19];
    const e = new Engine(vgg3, { a, clip });
    const map = (m: number) => Math.min(Math.max(m, clip[0]), clip[1]);
    for (let i = 0; i < 2; i++) {
      expect(Array.from(e.forward(image(data, i)))).toEqual(Array.from(forwardReference(vgg3, image(data, i), { a, levelMap: map })));
    }
    // and it does change something
    expect(Array.from(e.forward(image(data, 0)))).not.toEqual(Array.from(new Engine(vgg3).forward(image(data, 0))));
  });

  it('a P_map that always reads m+1 lowers every chunk of conv2 by 2, and matches the reference', () => {
    const a = 32;
    const exact = new Engine(vgg3, { a });
    const shifted = new Engine(vgg3, { a, pMap: plusOne(a) });
    const conv2Index = vgg3.ops.findIndex((o) => o.op === 'conv' && o.name === 'conv2');
    const conv2 = vgg3.ops[conv2Index] as ConvOp;
    const hist = exact.newHist();
    exact.forward(image(data, 0), 0, 0, 0, hist);
    expect(hist[0]![a]).toBe(0); // no chunk at level a, so every chunk shifts
    exact.forwardPartial(image(data, 0), conv2Index + 1);
    shifted.forwardPartial(image(data, 0), conv2Index + 1);
    const x = exact.slot(conv2.dst);
    const y = shifted.slot(conv2.dst);
    const nC = Math.ceil(576 / a);
    for (let i = 0; i < x.length; i++) expect(y[i]! - x[i]!).toBe(-2 * nC);
    const map = (m: number) => Math.min(m + 1, a);
    expect(Array.from(shifted.forward(image(data, 1)))).toEqual(Array.from(forwardReference(vgg3, image(data, 1), { a, levelMap: map })));
  });

  it('ResNet18 (strides, 1×1 shortcut convs, residual adds; channels / 8) matches the reference on one 64×64 image', () => {
    const ds = syntheticDataset(2, 3, 64, 64, 4);
    const model = randomModel('resnet18', { seed: 3, calibration: ds, calibrate: 1, width: 1 / 8 });
    expect(model.arrayLayers.filter((l) => l.name.includes('shortcut')).map((l) => [l.name, l.beta])).toEqual([
      ['layer2.0.shortcut.0', 8],
      ['layer3.0.shortcut.0', 16],
      ['layer4.0.shortcut.0', 32],
    ]);
    expect(model.arrayLayers.length).toBe(16 + 3 + 1);
    const got = Array.from(new Engine(model).forward(image(ds, 1)));
    expect(got).toEqual(Array.from(forwardReference(model, image(ds, 1))));
  });

  it('VGG7 (channels / 4) matches the reference on one 32×32 image with a = 24', () => {
    const ds = syntheticDataset(2, 3, 32, 32, 5);
    const model = randomModel('vgg7', { seed: 4, calibration: ds, calibrate: 1, width: 1 / 4 });
    const got = Array.from(new Engine(model, { a: 24 }).forward(image(ds, 1)));
    expect(got).toEqual(Array.from(forwardReference(model, image(ds, 1), { a: 24 })));
  });
});

describe('evaluation settings', () => {
  it('identity P_map and clipping to [0, a] give exactly the error-free predictions', async () => {
    const base = await evaluate(vgg3, data, { threads: 1, limit: 120 });
    const ident = await evaluate(vgg3, data, { threads: 1, limit: 120, pMap: identityPMap(32), runs: 2 });
    const clip0a = await evaluate(vgg3, data, { threads: 1, limit: 120, clip: [0, 32] });
    expect(levelTables(32, [0, 32]).exact).toBe(true);
    expect(Array.from(ident.predictions[0]!)).toEqual(Array.from(base.predictions[0]!));
    expect(Array.from(ident.predictions[1]!)).toEqual(Array.from(base.predictions[0]!));
    expect(Array.from(clip0a.predictions[0]!)).toEqual(Array.from(base.predictions[0]!));
    expect(ident.accuracies).toEqual([base.mean, base.mean]);
  });

  it('P_map draws are deterministic per seed, independent of threads, and differ between seeds and runs', async () => {
    const a = 32;
    const noisy: PMap = Array.from({ length: a + 1 }, (_, m) =>
      Array.from({ length: a + 1 }, (_, j) => (j === m ? 0.6 : j === Math.min(m + 1, a) || j === Math.max(m - 1, 0) ? 0.2 : 0)).map((v, j) =>
        m === 0 || m === a ? (j === m ? 0.8 : v) : v,
      ),
    );
    const opts = { pMap: noisy, runs: 2, seed: 7, limit: 100 };
    const r1 = await evaluate(vgg3, data, { ...opts, threads: 1 });
    const r2 = await evaluate(vgg3, data, { ...opts, threads: 2, blockSize: 30 });
    const r3 = await evaluate(vgg3, data, { ...opts, seed: 8, threads: 1 });
    expect(r1.sampled).toBe(true);
    expect(Array.from(r2.predictions[0]!)).toEqual(Array.from(r1.predictions[0]!));
    expect(Array.from(r2.predictions[1]!)).toEqual(Array.from(r1.predictions[1]!));
    expect(Array.from(r1.predictions[0]!)).not.toEqual(Array.from(r1.predictions[1]!));
    expect(Array.from(r3.predictions[0]!)).not.toEqual(Array.from(r1.predictions[0]!));
    expect(r1.min).toBeLessThanOrEqual(r1.mean);
    expect(r1.max).toBeGreaterThanOrEqual(r1.mean);
  }, 120_000);

  it('sampled reads (Philox4x32-10 + alias tables) draw each chunk from its row: per-level deviation rates match', () => {
    // rows read m+1 with probability q_m (0.02 for even m, 0.08 for odd m), else m
    const a = 32;
    const q = (m: number) => (m === a ? 0 : m % 2 ? 0.08 : 0.02);
    const pMap: PMap = Array.from({ length: a + 1 }, (_, m) => Array.from({ length: a + 1 }, (_, j) => (j === m ? 1 - q(m) : j === m + 1 ? q(m) : 0)));
    const conv2Index = vgg3.ops.findIndex((o) => o.op === 'conv' && o.name === 'conv2');
    const conv2 = vgg3.ops[conv2Index] as ConvOp;
    const exact = new Engine(vgg3);
    {
      const e = new Engine(vgg3, { pMap });
      expect(e.tables.mode).toBe('sample');
      let shifts = 0;
      let expected = 0;
      let variance = 0;
      for (let i = 0; i < 6; i++) {
        const hist = exact.newHist();
        exact.forward(image(data, i), i, 0, 0, hist);
        hist[0]!.forEach((count, m) => {
          expected += count * q(m);
          variance += count * q(m) * (1 - q(m));
        });
        exact.forwardPartial(image(data, i), conv2Index + 1);
        const x = Float64Array.from(exact.slot(conv2.dst));
        e.forwardPartial(image(data, i), conv2Index + 1, i, 0, 3);
        const y = e.slot(conv2.dst);
        for (let k = 0; k < x.length; k++) shifts += (x[k]! - y[k]!) / 2;
      }
      expect(Math.abs(shifts - expected)).toBeLessThan(5 * Math.sqrt(variance));
    }
  });
});

describe('F_MAC', () => {
  it('counts every sub-MAC once, in a+1 bins per layer, equal with 1 and 2 threads', async () => {
    const f1 = await computeFmac(vgg3, data, { limit: 60, threads: 1 });
    const f2 = await computeFmac(vgg3, data, { limit: 60, threads: 2, blockSize: 20 });
    expect(f1.total.length).toBe(33);
    expect(f1.subMacs).toBe(60 * subMacsPerImage(vgg3));
    expect(f1.layers.map((l) => l.counts.reduce((s, v) => s + v, 0))).toEqual([60 * 64 * 196 * 18, 60 * 2048 * 98, 60 * 10 * 64]);
    expect(f2.total).toEqual(f1.total);
    expect(f2.layers).toEqual(f1.layers);
    // unimodal around a/2 for a balanced random network
    const peak = f1.total.indexOf(Math.max(...f1.total));
    expect(peak).toBeGreaterThanOrEqual(12);
    expect(peak).toBeLessThanOrEqual(20);
  }, 120_000);
});
