/**
 * Single-precision GEMM backends for the trainer's float path (im2col + GEMM, forward and backward).
 *
 * All backends compute the row-major BLAS operation
 *   C[M,N] = alpha · op(A)[M,K] · op(B)[K,N] + beta · C
 * on Float32Array operands with element offsets and leading dimensions, exactly like
 * `cblas_sgemm(CblasRowMajor, …)`. Results agree up to float rounding: the native backend
 * (OpenBLAS) accumulates in float32 with its own blocking and FMA order, the TypeScript
 * backends accumulate in float64 registers per k-panel and round to float32 when they store to C.
 */
import { loadNative } from './native.js';
import type { Gemm } from './gemm-types.js';
import { wasmGemm } from './wasm-gemm.js';

export type { Gemm } from './gemm-types.js';

function scaleC(M: number, N: number, beta: number, C: Float32Array, offC: number, ldc: number): void {
  if (beta === 1) return;
  for (let i = 0; i < M; i++) {
    const r = offC + i * ldc;
    if (beta === 0) C.fill(0, r, r + N);
    else for (let j = 0; j < N; j++) C[r + j]! *= beta;
  }
}

/** The textbook triple loop (one dot product per output element): the baseline of bench/gemm.ts. */
export const naiveGemm: Gemm = {
  name: 'naive',
  sgemm(ta, tb, M, N, K, alpha, A, offA, lda, B, offB, ldb, beta, C, offC, ldc) {
    const sai = ta ? 1 : lda;
    const sak = ta ? lda : 1;
    const sbk = tb ? 1 : ldb;
    const sbj = tb ? ldb : 1;
    for (let i = 0; i < M; i++) {
      for (let j = 0; j < N; j++) {
        let s = 0;
        for (let k = 0; k < K; k++) s += A[offA + i * sai + k * sak]! * B[offB + k * sbk + j * sbj]!;
        const c = offC + i * ldc + j;
        C[c] = alpha * s + (beta === 0 ? 0 : beta * C[c]!);
      }
    }
  },
};

const MC = 64;
const KC = 256;
const NC = 1024;

let packA = new Float64Array(MC * KC);
let packB = new Float64Array(KC * NC);

/**
 * Cache-blocked GEMM in plain TypeScript (the fallback when the native addon is absent).
 * op(A) and op(B) are packed into contiguous float64 panels (MC×KC and KC×NC) so the inner kernel
 * streams both with unit stride whatever the transposition; the micro-kernel updates a 4×NC strip
 * of C per k-step with four independent rows held in registers.
 */
export const tsGemm: Gemm = {
  name: 'ts-blocked',
  sgemm(ta, tb, M, N, K, alpha, A, offA, lda, B, offB, ldb, beta, C, offC, ldc) {
    scaleC(M, N, beta, C, offC, ldc);
    if (M === 0 || N === 0 || K === 0 || alpha === 0) return;
    if (packA.length < MC * KC) packA = new Float64Array(MC * KC);
    if (packB.length < KC * NC) packB = new Float64Array(KC * NC);
    const pa = packA;
    const pb = packB;
    const acc = new Float64Array(4 * NC);
    for (let jc = 0; jc < N; jc += NC) {
      const nc = Math.min(NC, N - jc);
      for (let pc = 0; pc < K; pc += KC) {
        const kc = Math.min(KC, K - pc);
        // pack op(B)[pc..pc+kc, jc..jc+nc] row-major with leading dimension nc
        if (tb) {
          for (let j = 0; j < nc; j++) {
            const src = offB + (jc + j) * ldb + pc;
            for (let k = 0; k < kc; k++) pb[k * nc + j] = B[src + k]!;
          }
        } else {
          for (let k = 0; k < kc; k++) {
            const src = offB + (pc + k) * ldb + jc;
            const dst = k * nc;
            for (let j = 0; j < nc; j++) pb[dst + j] = B[src + j]!;
          }
        }
        for (let ic = 0; ic < M; ic += MC) {
          const mc = Math.min(MC, M - ic);
          // pack alpha·op(A)[ic..ic+mc, pc..pc+kc] row-major with leading dimension kc
          if (ta) {
            for (let k = 0; k < kc; k++) {
              const src = offA + (pc + k) * lda + ic;
              for (let i = 0; i < mc; i++) pa[i * kc + k] = alpha * A[src + i]!;
            }
          } else {
            for (let i = 0; i < mc; i++) {
              const src = offA + (ic + i) * lda + pc;
              const dst = i * kc;
              for (let k = 0; k < kc; k++) pa[dst + k] = alpha * A[src + k]!;
            }
          }
          let i = 0;
          for (; i + 4 <= mc; i += 4) {
            acc.fill(0, 0, 4 * nc);
            const r0 = i * kc;
            const r1 = r0 + kc;
            const r2 = r1 + kc;
            const r3 = r2 + kc;
            for (let k = 0; k < kc; k++) {
              const a0 = pa[r0 + k]!;
              const a1 = pa[r1 + k]!;
              const a2 = pa[r2 + k]!;
              const a3 = pa[r3 + k]!;
              const bo = k * nc;
              for (let j = 0; j < nc; j++) {
                const b = pb[bo + j]!;
                acc[j] += a0 * b;
                acc[nc + j] += a1 * b;
                acc[2 * nc + j] += a2 * b;
                acc[3 * nc + j] += a3 * b;
              }
            }
            for (let r = 0; r < 4; r++) {
              const c = offC + (ic + i + r) * ldc + jc;
              const ao = r * nc;
              for (let j = 0; j < nc; j++) C[c + j] += acc[ao + j]!;
            }
          }
          for (; i < mc; i++) {
            acc.fill(0, 0, nc);
            const r0 = i * kc;
            for (let k = 0; k < kc; k++) {
              const a0 = pa[r0 + k]!;
              const bo = k * nc;
              for (let j = 0; j < nc; j++) acc[j] += a0 * pb[bo + j]!;
            }
            const c = offC + (ic + i) * ldc + jc;
            for (let j = 0; j < nc; j++) C[c + j] += acc[j]!;
          }
        }
      }
    }
  },
};

/** The OpenBLAS backend through the N-API addon, or null when build/Release/capmin_native.node is absent. */
export function nativeGemm(): Gemm | null {
  const addon = loadNative();
  if (!addon) return null;
  return {
    name: 'openblas',
    sgemm(ta, tb, M, N, K, alpha, A, offA, lda, B, offB, ldb, beta, C, offC, ldc) {
      addon.sgemm(ta, tb, M, N, K, alpha, A, offA, lda, B, offB, ldb, beta, C, offC, ldc);
    },
  };
}

/**
 * Pick a GEMM backend: 'auto' (default) = native OpenBLAS when the addon loads, else WebAssembly SIMD when the
 * runtime supports it, else TypeScript. `CAPMIN_GEMM=ts|wasm|native|naive` overrides 'auto'.
 */
export function getGemm(which: 'auto' | 'native' | 'wasm' | 'ts' | 'naive' = 'auto'): Gemm {
  const want = which === 'auto' ? ((process.env.CAPMIN_GEMM as typeof which | undefined) ?? 'auto') : which;
  if (want === 'ts') return tsGemm;
  if (want === 'naive') return naiveGemm;
  if (want === 'wasm') {
    const w = wasmGemm();
    if (!w) throw new Error('WebAssembly SIMD GEMM requested but this runtime does not validate the SIMD module');
    return w;
  }
  const n = nativeGemm();
  if (n) return n;
  if (want === 'native') throw new Error('native GEMM requested but build/Release/capmin_native.node did not load (run scripts/setup.sh)');
  return wasmGemm() ?? tsGemm;
}
