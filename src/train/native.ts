/**
 * Loader of the optional N-API addon (native/capmin_native.cc, built by `node-gyp rebuild` into
 * build/Release/capmin_native.node). Returns null — and capmin uses its TypeScript kernels — when the
 * addon was not built, fails to load, or CAPMIN_NATIVE=0.
 */
import { createRequire } from 'node:module';
import { existsSync, readFileSync } from 'node:fs';
import { shippedFile } from '../util/paths.js';

/** Row-major `cblas_sgemm(CblasRowMajor, …)`: C = alpha·op(A)·op(B) + beta·C on Float32Array operands with offsets. */
export type SgemmFn = (
  transA: boolean,
  transB: boolean,
  M: number,
  N: number,
  K: number,
  alpha: number,
  A: Float32Array,
  offA: number,
  lda: number,
  B: Float32Array,
  offB: number,
  ldb: number,
  beta: number,
  C: Float32Array,
  offC: number,
  ldc: number,
) => void;

export interface NativeAddon {
  sgemm: SgemmFn;
  /** Row-major cblas_dgemm on Float64Arrays (same argument order as sgemm). */
  dgemm?(
    transA: boolean, transB: boolean, M: number, N: number, K: number, alpha: number,
    A: Float64Array, offA: number, lda: number, B: Float64Array, offB: number, ldb: number,
    beta: number, C: Float64Array, offC: number, ldc: number,
  ): void;
  setThreads(n: number): void;
  getThreads(): number;
  config(): string;
}

let cached: NativeAddon | null | undefined;
let loadError = '';

/** Path of the addon, build/Release/capmin_native.node in the package directory, or null when it is not built. */
export function nativeAddonPath(): string | null {
  const p = shippedFile('build', 'Release', 'capmin_native.node');
  return existsSync(p) ? p : null;
}

/** The addon, or null (see `nativeLoadError()` for why). Loaded once per process. */
export function loadNative(): NativeAddon | null {
  if (cached !== undefined) return cached;
  cached = null;
  if (process.env.CAPMIN_NATIVE === '0') {
    loadError = 'disabled by CAPMIN_NATIVE=0';
    return cached;
  }
  const p = nativeAddonPath();
  if (!p) {
    loadError = 'build/Release/capmin_native.node not built';
    return cached;
  }
  try {
    pickOpenblasCore();
    const req = createRequire(import.meta.url);
    const mod = req(p) as NativeAddon;
    if (typeof mod.sgemm !== 'function') throw new Error('addon has no sgemm');
    cached = mod;
  } catch (e) {
    loadError = `${p}: ${(e as Error).message.split('\n')[0]}`;
  }
  return cached;
}

/**
 * Debian's OpenBLAS is a DYNAMIC_ARCH build that falls back to its slow generic 'Prescott' kernels when it
 * does not recognise a virtualised CPU model (measured here: 38 GFLOP/s instead of 258 with the SkylakeX
 * kernels). Unless the user set OPENBLAS_CORETYPE, choose the kernel family from the CPU flags before the
 * library is loaded (OpenBLAS reads the variable once, at load time).
 */
function pickOpenblasCore(): void {
  if (process.env.OPENBLAS_CORETYPE || process.platform !== 'linux') return;
  let flags: Set<string>;
  try {
    const line = /^flags\s*:(.*)$/m.exec(readFileSync('/proc/cpuinfo', 'latin1'))?.[1] ?? '';
    flags = new Set(line.trim().split(/\s+/));
  } catch {
    return;
  }
  if (['avx512f', 'avx512bw', 'avx512dq', 'avx512vl', 'avx512cd'].every((f) => flags.has(f))) process.env.OPENBLAS_CORETYPE = 'SkylakeX';
  else if (flags.has('avx2') && flags.has('fma')) process.env.OPENBLAS_CORETYPE = 'Haswell';
}

/** Why the addon did not load ('' when it did or was not tried yet). */
export function nativeLoadError(): string {
  return loadError;
}
