/**
 * GEMM backends on the trainer's shapes: GFLOP/s per backend and the ratio against the naive triple loop,
 * all measured in the same run. Also checks the backends agree (max relative difference).
 *   npx tsx bench/gemm.ts [--quick]
 */
import { naiveGemm, tsGemm, nativeGemm, type Gemm } from '../src/train/gemm.js';
import { wasmGemm } from '../src/train/wasm-gemm.js';
import { loadNative, nativeLoadError } from '../src/train/native.js';
import { Rng } from '../src/util/rng.js';

interface Shape { label: string; ta: boolean; tb: boolean; M: number; N: number; K: number }

const quick = process.argv.includes('--quick');
// The VGG3 training GEMMs at batch 256 (some scaled down in M so the naive loop finishes).
const shapes: Shape[] = [
  { label: 'square 512', ta: false, tb: false, M: 512, N: 512, K: 512 },
  { label: 'conv2 fwd (P2·W2ᵀ, M=B·196/8)', ta: false, tb: true, M: 6272, N: 64, K: 576 },
  { label: 'conv2 dW (dYᵀ·P2, K=B·196/8)', ta: true, tb: false, M: 64, N: 576, K: 6272 },
  { label: 'fc1 fwd (A·W3ᵀ)', ta: false, tb: true, M: 256, N: 2048, K: 3136 },
  { label: 'fc1 dX (dY·W3)', ta: false, tb: false, M: 256, N: 3136, K: 2048 },
  { label: 'fc1 dW (dYᵀ·A)', ta: true, tb: false, M: 2048, N: 3136, K: 256 },
];

function rand(n: number, seed: number): Float32Array {
  const r = new Rng(seed, n);
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = r.uniform() * 2 - 1;
  return a;
}

function time(g: Gemm, s: Shape, A: Float32Array, B: Float32Array, C: Float32Array, minSec: number): number {
  const lda = s.ta ? s.M : s.K;
  const ldb = s.tb ? s.K : s.N;
  let reps = 0;
  const t0 = performance.now();
  let t = t0;
  do {
    g.sgemm(s.ta, s.tb, s.M, s.N, s.K, 1, A, 0, lda, B, 0, ldb, 0, C, 0, s.N);
    reps++;
    t = performance.now();
  } while (t - t0 < minSec * 1000);
  return (2 * s.M * s.N * s.K * reps) / ((t - t0) / 1000) / 1e9;
}

const addon = loadNative();
const nat = nativeGemm();
console.log(`native addon: ${addon ? `loaded (${addon.config()}, ${addon.getThreads()} threads)` : `absent (${nativeLoadError()})`}`);
const wasm = wasmGemm();
console.log(`WebAssembly SIMD: ${wasm ? 'available' : 'not supported by this runtime'}`);
const backends: Gemm[] = [naiveGemm, tsGemm, ...(wasm ? [wasm] : []), ...(nat ? [nat] : [])];
const rows: string[][] = [['shape', 'M×N×K', ...backends.map((b) => `${b.name} GFLOP/s`), ...backends.slice(1).map((b) => `${b.name}/naive`), 'max |ΔC|/max|C|']];
for (const s of quick ? shapes.slice(0, 2) : shapes) {
  const A = rand(s.M * s.K, 1);
  const B = rand(s.K * s.N, 2);
  const outs: Float32Array[] = [];
  const g: number[] = [];
  for (const b of backends) {
    const C = new Float32Array(s.M * s.N);
    // naive: a single pass is enough for a rate; the others get a warm-up and ≥1 s
    if (b !== naiveGemm) time(b, s, A, B, C, 0.05);
    g.push(time(b, s, A, B, C, b === naiveGemm ? 0.5 : quick ? 0.3 : 1));
    outs.push(C);
  }
  // difference relative to the largest |C| of the naive result
  let maxRel = 0;
  let scale = 0;
  for (const v of outs[0]!) scale = Math.max(scale, Math.abs(v));
  for (let o = 1; o < outs.length; o++) {
    for (let i = 0; i < outs[0]!.length; i++) {
      const d = Math.abs(outs[o]![i]! - outs[0]![i]!) / scale;
      if (d > maxRel) maxRel = d;
    }
  }
  rows.push([s.label, `${s.M}×${s.N}×${s.K}`, ...g.map((x) => x.toFixed(2)), ...g.slice(1).map((x) => `${(x / g[0]!).toFixed(1)}×`), maxRel.toExponential(1)]);
}
const w = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
for (const r of rows) console.log(r.map((x, c) => x.padEnd(w[c]!)).join('  '));
