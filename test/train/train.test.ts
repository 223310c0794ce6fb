import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { naiveGemm, nativeGemm, tsGemm, getGemm, type Gemm } from '../../src/train/gemm.js';
import { wasmGemm } from '../../src/train/wasm-gemm.js';
import { Vgg3Net, initVgg3, VGG3_PARAM_KEYS, type Vgg3Shape, type Vgg3ParamKey } from '../../src/train/vgg3.js';
import { Adam, stepLr } from '../../src/train/adam.js';
import { getKernels, tsKernels } from '../../src/train/kernels.js';
import { train, epochOrder, evaluate } from '../../src/train/trainer.js';
import { readStateDict, engineModel } from '../../src/train/state.js';
import { loadCheckpoint } from '../../src/bnn/checkpoint.js';
import { readSafetensors } from '../../src/bnn/safetensors.js';
import { Engine } from '../../src/bnn/engine.js';
import { loadDataset } from '../../src/data/datasets.js';
import { Rng } from '../../src/util/rng.js';

function rand(n: number, seed: number, lo = -1, hi = 1): Float32Array {
  const r = new Rng(seed, n);
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = lo + (hi - lo) * r.uniform();
  return a;
}

describe('GEMM backends', () => {
  const backends: Gemm[] = [tsGemm, ...(wasmGemm() ? [wasmGemm()!] : []), ...(nativeGemm() ? [nativeGemm()!] : [])];
  it('the WebAssembly SIMD module validates on Node 20', () => expect(wasmGemm()?.name).toBe('wasm-simd'));
  for (const [ta, tb] of [[false, false], [false, true], [true, false], [true, true]] as const) {
    it(`agree with the naive triple loop (transA=${ta}, transB=${tb}, offsets, ld > cols, beta)`, () => {
      const M = 37, N = 70, K = 300; // not multiples of any block size
      const lda = (ta ? M : K) + 3, ldb = (tb ? K : N) + 5, ldc = N + 2;
      const offA = 7, offB = 11, offC = 13;
      const A = rand(offA + (ta ? K : M) * lda, 1);
      const B = rand(offB + (tb ? N : K) * ldb, 2);
      const C0 = rand(offC + M * ldc, 3);
      const ref = C0.slice();
      naiveGemm.sgemm(ta, tb, M, N, K, 0.5, A, offA, lda, B, offB, ldb, 0.25, ref, offC, ldc);
      for (const g of backends) {
        const C = C0.slice();
        g.sgemm(ta, tb, M, N, K, 0.5, A, offA, lda, B, offB, ldb, 0.25, C, offC, ldc);
        let maxd = 0;
        for (let i = 0; i < C.length; i++) maxd = Math.max(maxd, Math.abs(C[i]! - ref[i]!));
        expect(maxd, g.name).toBeLessThan(2e-5); // |C| ~ 5: float32 rounding only
        // untouched padding columns stay untouched
        for (let i = 0; i < M; i++) for (let j = N; j < ldc && offC + i * ldc + j < C.length; j++) expect(C[offC + i * ldc + j]).toBe(C0[offC + i * ldc + j]);
      }
    });
  }
  it('beta = 0 ignores NaN in C (BLAS convention) and ±1 products are exact', () => {
    const M = 5, N = 6, K = 3136;
    const A = new Float32Array(M * K).map((_, i) => ((i * 7919) % 3 === 0 ? 1 : -1));
    const B = new Float32Array(K * N).map((_, i) => ((i * 104729) % 5 < 2 ? 1 : -1));
    const ref = new Float32Array(M * N);
    naiveGemm.sgemm(false, false, M, N, K, 1, A, 0, K, B, 0, N, 0, ref, 0, N);
    for (const g of backends) {
      const C = new Float32Array(M * N).fill(NaN);
      g.sgemm(false, false, M, N, K, 1, A, 0, K, B, 0, N, 0, C, 0, N);
      expect(Array.from(C), g.name).toEqual(Array.from(ref));
    }
  });
});

describe('VGG3 backward pass', () => {
  it('is the exact gradient of the hardtanh surrogate network (finite differences, every parameter tensor)', () => {
    const shape: Vgg3Shape = { c: 1, h: 8, w: 8, classes: 3, ch: 4, hidden: 8 };
    const st = initVgg3(shape, 5);
    st.params['scale.scale'][0] = 0.7; // logits of order 1 so that some hinges (b = 1) are inactive
    const r = new Rng(9);
    for (const k of ['bn1.bias', 'bn2.bias', 'bn3.bias'] as const) st.params[k].forEach((_, i, a) => (a[i] = 0.3 * (r.uniform() - 0.5)));
    const B = 6;
    const images = rand(B * 64, 4, 0, 1);
    const labels = Uint8Array.from([0, 1, 2, 0, 1, 2]);
    const idx = [0, 1, 2, 3, 4, 5];
    const net = new Vgg3Net(st, B, tsGemm, { surrogate: true });
    const margin = 1;
    net.trainStep(images, labels, idx, B, margin);
    const grads = Object.fromEntries(VGG3_PARAM_KEYS.map((k) => [k, net.grads[k].slice()])) as Record<Vgg3ParamKey, Float32Array>;
    const lossAt = () => new Vgg3Net(st, B, tsGemm, { surrogate: true }).trainStep(images, labels, idx, B, margin).loss;
    const fdAt = (p: Float32Array, i: number, h: number) => {
      const w0 = p[i]!;
      p[i] = w0 + h;
      const up = p[i]!;
      const lp = lossAt();
      p[i] = w0 - h;
      const dn = p[i]!;
      const lm = lossAt();
      p[i] = w0;
      return (lp - lm) / (up - dn);
    };
    for (const k of VGG3_PARAM_KEYS) {
      const p = st.params[k];
      // largest-gradient entries first; an entry whose central difference changes between h and h/2 sits near a
      // kink of the surrogate (hinge, hardtanh saturation, maxpool switch) and is skipped
      const order = Array.from(p.keys()).sort((a, b) => Math.abs(grads[k][b]!) - Math.abs(grads[k][a]!));
      let checked = 0;
      for (const i of order.slice(0, 12)) {
        const f1 = fdAt(p, i, 2e-4);
        const f2 = fdAt(p, i, 1e-4);
        if (Math.abs(f1 - f2) > 0.005 * Math.abs(f2) + 1e-4) continue;
        const g = grads[k][i]!;
        expect(Math.abs(f2 - g), `${k}[${i}] analytic ${g} vs finite difference ${f2}`).toBeLessThan(0.01 * Math.abs(g) + 2e-4);
        if (++checked === 3) break;
      }
      expect(checked, k).toBeGreaterThanOrEqual(Math.min(2, p.length));
    }
  });

  it('weights outside [-1, 1] get no gradient (hardtanh STE on the latent weights)', () => {
    const shape: Vgg3Shape = { c: 1, h: 8, w: 8, classes: 3, ch: 4, hidden: 8 };
    const st = initVgg3(shape, 2);
    st.params['fc1.weight'][0] = 1.5;
    st.params['fc1.weight'][1] = -2;
    const net = new Vgg3Net(st, 4, tsGemm);
    net.trainStep(rand(4 * 64, 8, 0, 1), Uint8Array.from([0, 1, 2, 0]), [0, 1, 2, 3], 4);
    expect(net.grads['fc1.weight'][0]).toBe(0);
    expect(net.grads['fc1.weight'][1]).toBe(0);
    expect(net.grads['fc1.weight'].some((v) => v !== 0)).toBe(true);
  });
});

describe('training kernels', () => {
  it.runIf(getKernels().name === 'native')('native kernels give bit-identical training steps to the TypeScript ones', () => {
    const shape: Vgg3Shape = { c: 1, h: 12, w: 12, classes: 10, ch: 16, hidden: 64 };
    const images = rand(20 * 144, 12, 0, 1);
    const labels = Uint8Array.from({ length: 20 }, (_, i) => i % 10);
    const run = (kernels: typeof tsKernels) => {
      const st = initVgg3(shape, 3);
      const net = new Vgg3Net(st, 20, tsGemm, { kernels });
      const opt = new Adam(VGG3_PARAM_KEYS.map((k) => st.params[k]), 0.9, 0.999, 1e-8, kernels);
      const losses: number[] = [];
      for (let s = 0; s < 3; s++) {
        losses.push(net.trainStep(images, labels, Array.from({ length: 20 }, (_, i) => (i * 7 + s) % 20), 20).loss);
        opt.update(VGG3_PARAM_KEYS.map((k) => net.grads[k]), 1e-2);
      }
      return { st, losses };
    };
    const a = run(tsKernels);
    const b = run(getKernels());
    expect(b.losses).toEqual(a.losses);
    for (const k of VGG3_PARAM_KEYS) expect(Array.from(b.st.params[k]), k).toEqual(Array.from(a.st.params[k]));
    for (const k of Object.keys(a.st.buffers) as (keyof typeof a.st.buffers)[]) expect(Array.from(b.st.buffers[k]), k).toEqual(Array.from(a.st.buffers[k]));
  });
});

describe('Adam and the schedule', () => {
  it('matches the closed form of the first Adam steps and halves lr every 10 epochs', () => {
    const p = Float32Array.of(0.5, -0.25);
    const opt = new Adam([p]);
    opt.update([Float32Array.of(2, -1e-3)], 1e-3);
    // first step: m̂ = g, v̂ = g², step = lr·g/(|g| + eps)
    expect(p[0]).toBeCloseTo(0.5 - 1e-3 * (2 / (2 + 1e-8)), 7);
    expect(p[1]).toBeCloseTo(-0.25 + 1e-3 * (1e-3 / (1e-3 + 1e-8)), 7);
    expect([0, 9, 10, 19, 20, 25].map((e) => stepLr(1e-3, e))).toEqual([1e-3, 1e-3, 5e-4, 5e-4, 2.5e-4, 2.5e-4]);
  });
  it('shuffles with a seeded permutation per epoch', () => {
    const a = epochOrder(1000, 3, 0);
    expect(Array.from(a).sort((x, y) => x - y)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    expect(Array.from(epochOrder(1000, 3, 0))).toEqual(Array.from(a));
    expect(Array.from(epochOrder(1000, 3, 1))).not.toEqual(Array.from(a));
  });
});

describe('training on Fashion-MNIST (a few hundred images)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'capmin-train-'));
  const common = { arch: 'vgg3' as const, dataset: 'fashion' as const, batch: 64, lr: 1e-3, seed: 7, limit: 384, testLimit: 200, command: 'test', log: null };

  it('loss falls, the checkpoint loads into the engine with identical logits, and resume reproduces an uninterrupted run', async () => {
    const a = join(dir, 'a');
    const res = await train({ ...common, epochs: 2, out: join(a, 'best.safetensors'), stateDir: a, resume: false, engineFullFrom: 0 });
    const L = res.stepLosses;
    expect(L.length).toBe(12);
    const first = (L[0]! + L[1]! + L[2]!) / 3;
    const last = (L[9]! + L[10]! + L[11]!) / 3;
    expect(last).toBeLessThan(first - 0.01);
    expect(res.history[1]!.testAccuracy).toBeGreaterThan(25); // chance is 10%

    // the exported compact file: engine logits == the trainer's eval-mode logits, image by image
    const best = res.best!.epoch;
    const st = readStateDict(join(a, `epoch-${String(best).padStart(3, '0')}.safetensors`), { c: 1, h: 28, w: 28, classes: 10, ch: 64, hidden: 2048 });
    const net = new Vgg3Net(st, 64, getGemm());
    const test = loadDataset('fashion', 'test', { limit: 200 });
    const model = loadCheckpoint(res.out!);
    const file = readSafetensors(res.out!);
    expect(file.metadata.weight_format).toBe('int8');
    expect(file.tensors.get('fc1.weight')!.dtype).toBe('I8');
    expect(Number(file.metadata.test_accuracy)).toBeCloseTo(res.best!.testAccuracy, 6);
    expect(file.metadata.test_accuracy_source).toMatch(/capmin engine .* all 200 test images/);
    expect(file.metadata.test_accuracy_note).toBeUndefined();
    expect(file.metadata.arch).toBe('vgg3');
    expect(file.metadata.train_command).toBe('test');
    const eng = new Engine(model);
    const logits = new Float64Array(64 * 10);
    const idx = Int32Array.from({ length: 64 }, (_, i) => i);
    net.evalLogits(test.images, idx, 64, logits);
    for (let i = 0; i < 64; i++) {
      const e = eng.forward(test.images.subarray(i * 784, (i + 1) * 784), i);
      expect(Array.from(e)).toEqual(Array.from(logits.subarray(i * 10, i * 10 + 10)));
    }
    expect(evaluate(net, test).accuracy).toBeCloseTo(res.history[best - 1]!.testAccuracy, 9);
    // the full float state dict loads into the engine as well (SPICE-Torch key names)
    const full = loadCheckpoint(join(a, `epoch-${String(best).padStart(3, '0')}.safetensors`));
    expect(Array.from(new Engine(full).forward(test.images.subarray(0, 784)))).toEqual(Array.from(logits.subarray(0, 10)));
    expect(engineModel(st).ops.length).toBe(full.ops.length);

    // kill after epoch 1 (simulated: train 1 of 2 epochs), then resume to 2: same weights as the straight run
    const b = join(dir, 'b');
    await train({ ...common, epochs: 1, out: join(b, 'best.safetensors'), stateDir: b, resume: false });
    await expect(train({ ...common, epochs: 2, out: join(b, 'best.safetensors'), stateDir: b, resume: false })).rejects.toThrow(/--resume/);
    await expect(train({ ...common, seed: 8, epochs: 2, out: join(b, 'best.safetensors'), stateDir: b, resume: true })).rejects.toThrow(/seed 7/);
    const res2 = await train({ ...common, epochs: 2, out: join(b, 'best.safetensors'), stateDir: b, resume: true });
    expect(res2.stepLosses.length).toBe(6);
    expect(res2.history.map((h) => h.testAccuracy)).toEqual(res.history.map((h) => h.testAccuracy));
    const wa = readSafetensors(readFileSync(join(a, 'epoch-002.safetensors')));
    const wb = readSafetensors(readFileSync(join(b, 'epoch-002.safetensors')));
    for (const [k, t] of wa.tensors) expect(Buffer.from((wb.tensors.get(k)!.data as Float32Array).buffer).equals(Buffer.from((t.data as Float32Array).buffer)), k).toBe(true);
    rmSync(dir, { recursive: true, force: true });
  });
});
