/**
 * The BNN engine's native kernels (native/bnn_engine.cc in the optional N-API addon) and the choice of kernel
 * path: 'avx512' (VPOPCNTDQ), 'avx2', 'scalar' (native, portable C++) or 'ts' (src/bnn/kernels.ts). All paths give
 * identical results. `auto` takes the best native path the CPU supports, else 'ts'. CAPMIN_BNN_KERNEL forces a
 * path (tests, machines without AVX-512); CAPMIN_NATIVE=0 disables the addon.
 */
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CapminError } from '../util/errors.js';

export type KernelPath = 'avx512' | 'avx2' | 'scalar' | 'ts';
export const KERNEL_PATHS: readonly KernelPath[] = ['avx512', 'avx2', 'scalar', 'ts'];
const PATH_CODE: Record<Exclude<KernelPath, 'ts'>, number> = { scalar: 0, avx2: 1, avx512: 2 };

/** Opaque compiled model inside the addon. */
export type NativeModelHandle = { readonly __native: unique symbol };

export interface NativeTablesArg {
  mode: number;
  K: number;
  lo: number;
  hi: number;
  lut: Int32Array;
  table: Uint32Array;
  path: number;
  threads: number;
  /** run index of the first run (bnnRun) */
  runBase?: number;
}

export interface NativeBnn {
  bnnModel(spec: object): NativeModelHandle;
  bnnRun(
    model: NativeModelHandle,
    cfg: NativeTablesArg,
    images: Float32Array,
    count: number,
    start: number,
    runs: number,
    k0: number,
    k1: number,
    preds: Uint8Array,
    hist: Float64Array | null,
    logits: Float64Array | null,
  ): void;
  bnnLayer(
    model: NativeModelHandle,
    cfg: NativeTablesArg,
    opIndex: number,
    X: Uint32Array,
    image: number,
    run: number,
    k0: number,
    k1: number,
    out: Float64Array,
    hist: Float64Array | null,
    levels: Int32Array | null,
  ): void;
  bnnCpu(): 'avx512' | 'avx2' | 'scalar';
}

let cached: NativeBnn | null | undefined;

/** The addon's BNN functions, or null when it is not built (or too old, or CAPMIN_NATIVE=0). */
export function nativeBnn(): NativeBnn | null {
  if (cached !== undefined) return cached;
  cached = null;
  if (process.env.CAPMIN_NATIVE === '0') return cached;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    const p = join(dir, 'build', 'Release', 'capmin_native.node');
    if (existsSync(p)) {
      try {
        const mod = createRequire(import.meta.url)(p) as Partial<NativeBnn>;
        if (typeof mod.bnnRun === 'function' && typeof mod.bnnModel === 'function') cached = mod as NativeBnn;
      } catch {
        cached = null;
      }
      break;
    }
    dir = resolve(dir, '..');
  }
  return cached;
}

/** Kernel paths this machine can run, best first (always ends with 'ts'). */
export function availablePaths(): KernelPath[] {
  const n = nativeBnn();
  if (!n) return ['ts'];
  const best = n.bnnCpu();
  return best === 'avx512' ? ['avx512', 'avx2', 'scalar', 'ts'] : best === 'avx2' ? ['avx2', 'scalar', 'ts'] : ['scalar', 'ts'];
}

/** Resolve a requested path ('auto', a path name, or CAPMIN_BNN_KERNEL when not given). */
export function resolvePath(requested?: KernelPath | 'auto'): KernelPath {
  const env = process.env.CAPMIN_BNN_KERNEL;
  const want = requested ?? (env && env !== '' ? (env as KernelPath | 'auto') : 'auto');
  const avail = availablePaths();
  if (want === 'auto') return avail[0]!;
  if (!KERNEL_PATHS.includes(want))
    throw new CapminError(`CAPMIN_BNN_KERNEL: '${String(want).slice(0, 20)}' is not a kernel path; allowed: auto, ${KERNEL_PATHS.join(', ')}`, 'EINPUT');
  if (!avail.includes(want)) throw new CapminError(`BNN kernel path '${want}' is not available here (available: ${avail.join(', ')})`, 'EINPUT');
  return want;
}

/** The addon's code of a native path. */
export function pathCode(p: Exclude<KernelPath, 'ts'>): number {
  return PATH_CODE[p];
}
