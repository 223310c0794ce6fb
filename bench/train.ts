/**
 * VGG3 training throughput (images/s) on Fashion-MNIST at batch 256, measured in one run for:
 *   native   OpenBLAS GEMM + native memory-bound kernels (what `capmin train` uses when the addon is built)
 *   wasm     the WebAssembly SIMD GEMM + TypeScript kernels (what runs when the addon is not built)
 *   ts       the plain-TypeScript blocked GEMM + TypeScript kernels (the last fallback; the baseline of the ratio)
 * plus the eval-mode forward (test accuracy) in images/s, and the projected time of one 60,000-image epoch.
 *   npx tsx bench/train.ts [--steps N] [--skip-ts]
 */
import { loadDataset } from '../src/data/datasets.js';
import { getGemm, tsGemm, type Gemm } from '../src/train/gemm.js';
import { wasmGemm } from '../src/train/wasm-gemm.js';
import { getKernels, tsKernels, type TrainKernels } from '../src/train/kernels.js';
import { loadNative, nativeLoadError } from '../src/train/native.js';
import { Adam } from '../src/train/adam.js';
import { Vgg3Net, initVgg3, VGG3_FASHION, VGG3_PARAM_KEYS } from '../src/train/vgg3.js';
import { epochOrder, evaluate } from '../src/train/trainer.js';
import { fmtDuration } from '../src/util/progress.js';
import os from 'node:os';

const argSteps = process.argv.indexOf('--steps');
const steps = argSteps > 0 ? Number(process.argv[argSteps + 1]) : 4;
const skipTs = process.argv.includes('--skip-ts');
const B = 256;
const train = loadDataset('fashion', 'train', { limit: B * (steps + 1) });
const test = loadDataset('fashion', 'test', { limit: 512 });

function trainRate(gemm: Gemm, kernels: TrainKernels, n: number): number {
  const st = initVgg3(VGG3_FASHION, 1);
  const net = new Vgg3Net(st, B, gemm, { kernels });
  const opt = new Adam(VGG3_PARAM_KEYS.map((k) => st.params[k]), 0.9, 0.999, 1e-8, kernels);
  const order = epochOrder(train.n, 1, 0);
  const step = (s: number) => {
    net.trainStep(train.images, train.labels, order.subarray(s * B, s * B + B), B);
    opt.update(VGG3_PARAM_KEYS.map((k) => net.grads[k]), 1e-3);
  };
  step(0); // warm-up (JIT, buffers, BLAS threads)
  const t0 = performance.now();
  for (let s = 1; s <= n; s++) step(s);
  return (n * B) / ((performance.now() - t0) / 1000);
}

function evalRate(gemm: Gemm, kernels: TrainKernels): number {
  const net = new Vgg3Net(initVgg3(VGG3_FASHION, 1), B, gemm, { kernels });
  evaluate(net, { ...test, n: 256, images: test.images.subarray(0, 256 * 784), labels: test.labels.subarray(0, 256) });
  const t0 = performance.now();
  evaluate(net, test);
  return test.n / ((performance.now() - t0) / 1000);
}

const addon = loadNative();
console.log(`machine: ${os.cpus().length} cores, load average ${os.loadavg().map((x) => x.toFixed(1)).join(' ')} (shared machine: rates vary with the load)`);
console.log(`native addon: ${addon ? addon.config() : `absent (${nativeLoadError()})`}`);
const rows: Array<[string, number, number]> = [];
const native = getGemm();
const nk = getKernels();
if (native.name === 'openblas') rows.push([`${native.name} GEMM + ${nk.name} kernels`, trainRate(native, nk, steps), evalRate(native, nk)]);
const wasm = wasmGemm();
if (wasm) rows.push(['wasm-simd GEMM + ts kernels (no addon)', trainRate(wasm, tsKernels, 1), evalRate(wasm, tsKernels)]);
if (!skipTs) rows.push(['ts GEMM + ts kernels (baseline)', trainRate(tsGemm, tsKernels, 1), evalRate(tsGemm, tsKernels)]);
const base = rows.find((r) => r[0].startsWith('ts GEMM'));
console.log('backend                               train img/s   epoch (60k)   eval img/s   train ratio vs ts');
for (const [name, tr, ev] of rows) {
  console.log(
    `${name.padEnd(38)}${tr.toFixed(1).padStart(11)}   ${fmtDuration(60000 / tr).padStart(11)}   ${ev.toFixed(0).padStart(10)}   ${base ? (tr / base[1]).toFixed(1) + '×' : '—'}`,
  );
}
