import { describe, it, expect, beforeAll, afterEach } from 'vitest';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Engine } from '../../src/bnn/engine.js';
import { im2col } from '../../src/bnn/reference.js';
import { randomModel } from '../../src/bnn/random.js';
import { evaluate, computeFmac } from '../../src/bnn/run.js';
import { chunkWord, paddedNeurons, philox4x32, philoxGroup, seedKey } from '../../src/bnn/philox.js';
import { drawRead, readTables } from '../../src/bnn/sampling.js';
import { availablePaths, nativeBnn, resolvePath } from '../../src/bnn/native.js';
import type { BnnModel, ConvOp, LinearOp } from '../../src/bnn/arch.js';
import type { PMap } from '../../src/bnn/pmap.js';
import type { Dataset } from '../../src/data/datasets.js';
import { Rng } from '../../src/util/rng.js';

const ADDON = fileURLToPath(new URL('../../build/Release/capmin_native.node', import.meta.url));
const PATHS = availablePaths();

function hex(v: Uint32Array): string[] {
  return Array.from(v, (x) => x.toString(16).padStart(8, '0'));
}

/** P_map with spread ±1, ±2 around the diagonal and an asymmetric tail (rows sum to 1). */
function noisyPMap(a: number): PMap {
  return Array.from({ length: a + 1 }, (_, m) => {
    const row = new Array<number>(a + 1).fill(0);
    const put = (j: number, p: number) => (row[Math.min(a, Math.max(0, j))]! += p);
    put(m, 0.7);
    put(m + 1, 0.12);
    put(m - 1, 0.1);
    put(m + 2, 0.05);
    put(m - 2, 0.03);
    return row;
  });
}

function plusOne(a: number): PMap {
  return Array.from({ length: a + 1 }, (_, m) => Array.from({ length: a + 1 }, (_, j) => (j === Math.min(m + 1, a) ? 1 : 0)));
}

describe('Philox4x32-10', () => {
  it('matches the published known-answer vectors (Random123 kat_vectors)', () => {
    const out = new Uint32Array(4);
    philox4x32(0, 0, 0, 0, 0, 0, out);
    expect(hex(out)).toEqual(['6627e8d5', 'e169c58d', 'bc57ac4c', '9b00dbd8']);
    philox4x32(0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, out);
    expect(hex(out)).toEqual(['408f276d', '41c83b0e', 'a20bc7c6', '6d5451fd']);
    philox4x32(0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344, 0xa4093822, 0x299f31d0, out);
    expect(hex(out)).toEqual(['d16cfe09', '94fdcceb', '5001e420', '24126ea1']);
  });

  it('a chunk group of 64 words equals the per-chunk addresses; words are uniform', () => {
    const [k0, k1] = seedKey(2 ** 33 + 5);
    expect([k0, k1]).toEqual([5, 2]);
    const g = new Uint32Array(64);
    philoxGroup(7, 3, 11, 2, k0, k1, g);
    for (let r = 0; r < 64; r++) expect(g[r]).toBe(chunkWord(2 ** 33 + 5, 2, 11, 3, 7 * 64 + r));
    // uniformity of the top 4 bits over 64k words (chi-square, 15 degrees of freedom, p < 1e-4 bound 42)
    const counts = new Array<number>(16).fill(0);
    for (let grp = 0; grp < 1024; grp++) {
      philoxGroup(grp, 0, 0, 0, 1, 0, g);
      for (const w of g) counts[w >>> 28]!++;
    }
    const e = 65536 / 16;
    expect(counts.reduce((s, c) => s + (c - e) ** 2 / e, 0)).toBeLessThan(42);
  });

  it('read tables pick the cheapest exact realisation of a setting', () => {
    expect(readTables(32).mode).toBe('exact');
    expect(readTables(32, [0, 32]).mode).toBe('exact');
    const c = readTables(32, [9, 22]);
    expect([c.mode, c.lo, c.hi]).toEqual(['clip', 9, 22]);
    const one = readTables(32, undefined, plusOne(32));
    expect(one.mode).toBe('lut');
    expect(Array.from(one.lut.subarray(30))).toEqual([31, 32, 32]);
    expect(readTables(32, [9, 22], noisyPMap(32)).mode).toBe('sample');
  });

  it('alias draws reproduce each P_map row of the clipped level (chi-square)', () => {
    const a = 32;
    const p = noisyPMap(a);
    const t = readTables(a, [9, 22], p);
    expect(t.mode).toBe('sample');
    const g = new Rng(5);
    for (const m of [3, 16, 30]) {
      const row = p[Math.min(Math.max(m, 9), 22)]!;
      const N = 100_000;
      const counts = new Array<number>(a + 1).fill(0);
      for (let i = 0; i < N; i++) counts[drawRead(t, m, g.nextU32())]!++;
      let chi = 0;
      row.forEach((q, j) => {
        if (q > 0) chi += (counts[j]! - N * q) ** 2 / (N * q);
        else expect(counts[j]).toBe(0);
      });
      expect(chi).toBeLessThan(25); // 4 degrees of freedom
    }
  });
});

describe('kernel paths', () => {
  it(`paths available here: ${PATHS.join(', ')}; the built addon loads and is used`, () => {
    expect(PATHS.at(-1)).toBe('ts');
    if (existsSync(ADDON) && process.env.CAPMIN_NATIVE !== '0') {
      // a built addon must load (a stale or broken build fails here instead of silently testing TS only)
      expect(nativeBnn()).not.toBeNull();
      expect(PATHS).toContain('scalar');
      expect(resolvePath('auto')).toBe(PATHS[0]);
    }
  });

  it('a forced path that the machine lacks, or an unknown one, is a one-line error', () => {
    const saved = process.env.CAPMIN_BNN_KERNEL;
    try {
      process.env.CAPMIN_BNN_KERNEL = 'sse9';
      expect(() => resolvePath()).toThrow(/CAPMIN_BNN_KERNEL: 'sse9' is not a kernel path; allowed: auto, avx512, avx2, scalar, ts/);
    } finally {
      if (saved === undefined) delete process.env.CAPMIN_BNN_KERNEL;
      else process.env.CAPMIN_BNN_KERNEL = saved;
    }
    if (!PATHS.includes('avx512')) expect(() => resolvePath('avx512')).toThrow(/not available here/);
  });
});

/** Independent per-chunk levels of an array layer from the ±1 input (0 = zero padding) and ±1 weights. */
function referenceLevels(
  op: ConvOp | LinearOp,
  x: Float64Array,
  a: number,
): { levels: Int32Array; P: number; O: number; nC: number; Op: number; nAct: Int32Array[] } {
  const beta = op.op === 'conv' ? op.cin * op.k * op.k : op.inF;
  const P = op.op === 'conv' ? op.outH * op.outW : 1;
  const O = op.op === 'conv' ? op.cout : op.outF;
  const cols = op.op === 'conv' ? im2col(op, x) : x;
  const nC = Math.ceil(beta / a);
  const Op = paddedNeurons(O);
  const levels = new Int32Array(P * nC * Op).fill(-1);
  const nAct = Array.from({ length: P }, () => new Int32Array(nC));
  for (let p = 0; p < P; p++)
    for (let j = 0; j < nC; j++)
      for (let o = 0; o < O; o++) {
        let m = 0;
        let act = 0;
        for (let i = j * a; i < Math.min(beta, (j + 1) * a); i++) {
          const v = cols[p * beta + i]!;
          if (v === 0) continue;
          act++;
          if (v !== op.weight[o * beta + i]) m++;
        }
        levels[(p * nC + j) * Op + o] = m;
        nAct[p]![j] = act;
      }
  return { levels, P, O, nC, Op, nAct };
}

const SETTINGS: Array<{ name: string; clip?: [number, number]; pMap?: (a: number) => PMap; hist?: boolean }> = [
  { name: 'error-free' },
  { name: 'F_MAC levels', hist: true },
  { name: 'clip', clip: [6, 13] },
  { name: 'asymmetric one-hot P_map (m → m+1)', pMap: plusOne },
  { name: 'clip + sampled P_map', clip: [6, 13], pMap: noisyPMap },
  { name: 'sampled P_map', pMap: noisyPMap },
];

describe.each([20, 32])('every path = the slow reference, chunk by chunk (a = %i)', (a) => {
  let model: BnnModel;
  const inputs = new Map<number, Float64Array>();
  beforeAll(() => {
    // width 1/4: conv2 16→16 (β = 144), fc1 784 → 512, fc2 512 → 10 (padded lanes); a = 20 leaves short last chunks
    model = randomModel('vgg3', { seed: 9, width: 1 / 4 });
    const g = new Rng(3, a);
    model.arrayLayers.forEach((l) => {
      const op = model.ops[l.opIndex] as ConvOp | LinearOp;
      const n = op.op === 'conv' ? op.cin * op.inH * op.inW : op.inF;
      inputs.set(
        l.opIndex,
        Float64Array.from({ length: n }, () => (g.nextU32() & 1 ? 1 : -1)),
      );
    });
  });

  it.each(SETTINGS)('$name', ({ clip, pMap, hist }) => {
    const pm = pMap?.(a);
    const t = readTables(a, clip, pm);
    const seed = 2 ** 32 + 77;
    const image = 123;
    const run = 2;
    for (const [L, layer] of model.arrayLayers.entries()) {
      const op = model.ops[layer.opIndex] as ConvOp | LinearOp;
      const x = inputs.get(layer.opIndex)!;
      const ref = referenceLevels(op, x, a);
      // reference read levels and sums
      const want = new Int32Array(ref.levels.length).fill(-1);
      const wantOut = new Float64Array(ref.O * ref.P);
      const wantHist = new Float64Array(a + 1);
      for (let p = 0; p < ref.P; p++)
        for (let o = 0; o < ref.O; o++) {
          let s = 0;
          for (let j = 0; j < ref.nC; j++) {
            const c = (p * ref.nC + j) * ref.Op + o;
            const m = ref.levels[c]!;
            let r = m;
            if (!hist) {
              if (clip) r = Math.min(Math.max(m, clip[0]), clip[1]);
              if (pm && t.mode === 'lut') r = t.lut[m]!;
              if (t.mode === 'sample') r = drawRead(t, m, chunkWord(seed, run, image, L, c));
            }
            wantHist[m]!++;
            want[c] = r;
            s += ref.nAct[p]![j]! - 2 * r;
          }
          wantOut[o * ref.P + p] = s;
        }
      for (const path of PATHS) {
        const e = new Engine(model, { a, clip, pMap: pm, kernel: path });
        e.slot(op.src).set(x);
        const X = e.packedInput(L);
        const out = new Float64Array(ref.O * ref.P);
        const h = hist ? new Float64Array(a + 1) : undefined;
        const levels = path !== 'ts' || t.mode === 'sample' ? new Int32Array(ref.levels.length).fill(-1) : undefined;
        e.layerKernel(L, X, out, path, image, run, seed, h, levels);
        expect(Array.from(out), `${path} ${layer.name} sums`).toEqual(Array.from(wantOut));
        if (h) expect(Array.from(h), `${path} ${layer.name} F_MAC`).toEqual(Array.from(wantHist));
        if (levels) {
          for (let c = 0; c < levels.length; c++) {
            if (want[c] === -1) continue; // padded lanes beyond O
            if (levels[c] !== want[c]) expect(`${path} ${layer.name} chunk ${c}: ${levels[c]}`).toBe(`${path} ${layer.name} chunk ${c}: ${want[c]}`);
          }
        }
      }
    }
  });
});

describe('whole networks: identical on every path, thread count and forced dispatch', () => {
  let data: Dataset;
  let model: BnnModel;
  beforeAll(() => {
    const g = new Rng(4, 4);
    data = {
      images: Float32Array.from({ length: 40 * 784 }, () => Math.fround(Math.round(g.uniform() * 255) / 255)),
      labels: Uint8Array.from({ length: 40 }, () => g.int(10)),
      n: 40,
      c: 1,
      h: 28,
      w: 28,
      classes: 10,
    };
    model = randomModel('vgg3', { seed: 21, calibration: data, calibrate: 8 });
  });
  afterEach(() => {
    delete process.env.CAPMIN_BNN_KERNEL;
  });

  it('logits of VGG3 (error-free, clipped, sampled) agree bit for bit across paths', () => {
    for (const cfg of [{}, { clip: [9, 22] as [number, number] }, { pMap: noisyPMap(32) }, { clip: [9, 22] as [number, number], pMap: noisyPMap(32) }]) {
      const got = PATHS.map((kernel) => {
        const e = new Engine(model, { ...cfg, kernel });
        return [0, 1, 2].flatMap((i) => Array.from(e.forward(data.images.subarray(i * 784, (i + 1) * 784), 1000 + i, 1, 5)));
      });
      for (const g of got) expect(g).toEqual(got[0]);
    }
  });

  it('ResNet18 (strides, shortcuts, residual adds; channels / 8) and VGG7 (a = 24) agree across paths', () => {
    const g = new Rng(6);
    const img64 = Float32Array.from({ length: 3 * 64 * 64 }, () => g.uniform());
    const img32 = img64.subarray(0, 3 * 32 * 32);
    const resnet = randomModel('resnet18', { seed: 3, width: 1 / 8, calibration: { images: img64, n: 1 }, calibrate: 1 });
    const vgg7 = randomModel('vgg7', { seed: 4, width: 1 / 4, calibration: { images: img32, n: 1 }, calibrate: 1 });
    for (const [m, img, a] of [
      [resnet, img64, 32],
      [vgg7, img32, 24],
    ] as const) {
      const got = PATHS.map((kernel) => Array.from(new Engine(m, { a, pMap: noisyPMap(a), kernel }).forward(img, 3, 0, 9)));
      for (const x of got) expect(x).toEqual(got[0]);
    }
  });

  it('sampled predictions do not depend on the path or the thread count; F_MAC neither', async () => {
    const opts = { pMap: noisyPMap(32), runs: 2, seed: 3, quiet: true };
    const base = await evaluate(model, data, { ...opts, kernel: 'ts', threads: 1 });
    for (const kernel of PATHS) {
      for (const threads of [1, 2]) {
        const r = await evaluate(model, data, { ...opts, kernel, threads, blockSize: 15 });
        expect(
          r.predictions.map((p) => Array.from(p)),
          `${kernel} × ${threads}`,
        ).toEqual(base.predictions.map((p) => Array.from(p)));
      }
    }
    expect(base.predictions[0]).not.toEqual(base.predictions[1]);
    const f0 = await computeFmac(model, data, { kernel: 'ts', threads: 1, quiet: true });
    for (const kernel of PATHS) {
      const f = await computeFmac(model, data, { kernel, threads: 2, quiet: true });
      expect(f.layers, kernel).toEqual(f0.layers);
      expect(f.accuracy).toBe(f0.accuracy);
    }
  }, 120_000);

  it('forcing a non-AVX-512 dispatch through CAPMIN_BNN_KERNEL gives the same numbers', async () => {
    const forced = PATHS.filter((p) => p !== 'avx512');
    const opts = { clip: [9, 22] as [number, number], pMap: noisyPMap(32), seed: 8, quiet: true, threads: 2 };
    const ref = await evaluate(model, data, opts);
    for (const p of forced) {
      process.env.CAPMIN_BNN_KERNEL = p;
      expect(new Engine(model).path).toBe(p);
      const r = await evaluate(model, data, opts);
      expect(Array.from(r.predictions[0]!), p).toEqual(Array.from(ref.predictions[0]!));
    }
  }, 60_000);
});
