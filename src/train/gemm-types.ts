/** The GEMM backend interface, shared by the TypeScript backends (gemm.ts) and the WebAssembly one (wasm-gemm.ts). */
import type { SgemmFn } from './native.js';

export interface Gemm {
  /** Backend name: 'openblas', 'wasm-simd', 'ts-blocked' or 'naive'. */
  readonly name: string;
  /** Row-major C = alpha·op(A)·op(B) + beta·C (see gemm.ts). */
  sgemm: SgemmFn;
}
