/**
 * The trainer's memory-bound kernels (everything but GEMM): im2col/col2im, 2×2 maxpool, BatchNorm forward/backward
 * with the straight-through estimator, and the Adam update. Two implementations with bit-identical results:
 * plain TypeScript (below) and the N-API addon (native/capmin_native.cc), which performs the same float64
 * operations in the same order without FMA contraction. `getKernels()` picks the addon when it is built.
 */
import { loadNative } from './native.js';

export interface TrainKernels {
  readonly name: 'native' | 'ts';
  /** im2col of NHWC data (3×3, pad 1, stride 1): rows = output pixels, K ordered (kh, kw, c). */
  im2colNhwc(a: Float32Array, B: number, H: number, W: number, C: number, out: Float32Array): void;
  /** Adjoint of im2colNhwc: accumulate patch gradients into the (zeroed) NHWC image gradient. */
  col2imNhwc(g: Float32Array, B: number, H: number, W: number, C: number, out: Float32Array): void;
  /** 2×2 max pooling on NHWC data; the first maximum wins; `arg` records the winner (0..3). */
  maxpool2(src: Float32Array, dst: Float32Array, arg: Uint8Array, B: number, H: number, W: number, C: number): void;
  /** Route pooled gradients back to the winners (other positions get 0). */
  maxpool2Backward(gOut: Float32Array, arg: Uint8Array, gIn: Float32Array, B: number, H: number, W: number, C: number): void;
  /**
   * Training-mode BatchNorm over `rows` rows of C channels: batch mean and biased variance normalise
   * (x̂ → `xh`, z = γ·x̂ + β → `z`, 1/√(var+eps) → `invStd`); running mean and unbiased variance update with `momentum`.
   * `xh` may alias `x`.
   */
  bnTrain(
    x: Float32Array, rows: number, C: number, gamma: Float32Array, beta: Float32Array, runMean: Float32Array, runVar: Float32Array,
    invStd: Float64Array, xh: Float32Array, z: Float32Array, momentum: number, eps: number,
  ): void;
  /**
   * BatchNorm backward through the STE: dz = gAct·[|z| ≤ 1]; dγ = Σ dz·x̂, dβ = Σ dz;
   * dx = γ·invStd/N·(N·dz − dβ − x̂·dγ). `gx` may alias `gAct`.
   */
  bnBackward(
    gAct: Float32Array, z: Float32Array, xh: Float32Array, rows: number, C: number, gamma: Float32Array, invStd: Float64Array,
    gGamma: Float32Array, gBeta: Float32Array, gx: Float32Array,
  ): void;
  /** dst = +1 where src > 0 else −1 (weight binarization). */
  signInto(src: Float32Array, dst: Float32Array): void;
  /** g = 0 where |w| > 1: the hardtanh STE on latent weights. */
  steMask(w: Float32Array, g: Float32Array): void;
  /**
   * Weight gradient of a conv followed by 2×2 maxpool, straight from the pooled gradient (NHWC, C channels) and the
   * winners `arg`: gw[co·K + k] = Σ_rows gPool[row, co]·p[winner pixel, k] with im2col rows `p` (K per pixel), float64 sums.
   */
  pooledWeightGrad(gPool: Float32Array, arg: Uint8Array, p: Float32Array, B: number, H: number, W: number, C: number, K: number, gw: Float32Array): void;
  /** Adam on one tensor: m, v moments; p −= stepSize·m/(√v/bc2 + eps). */
  adam(p: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array, b1: number, b2: number, stepSize: number, bc2: number, eps: number): void;
}

export const tsKernels: TrainKernels = {
  name: 'ts',
  im2colNhwc(a, B, H, W, C, out) {
    const K = 9 * C;
    for (let b = 0; b < B; b++) {
      for (let y = 0; y < H; y++) {
        for (let x = 0; x < W; x++) {
          const row = ((b * H + y) * W + x) * K;
          for (let kh = 0; kh < 3; kh++) {
            const yy = y + kh - 1;
            for (let kw = 0; kw < 3; kw++) {
              const xx = x + kw - 1;
              const o = row + (kh * 3 + kw) * C;
              if (yy < 0 || yy >= H || xx < 0 || xx >= W) {
                for (let c = 0; c < C; c++) out[o + c] = 0;
              } else {
                const src = ((b * H + yy) * W + xx) * C;
                for (let c = 0; c < C; c++) out[o + c] = a[src + c]!;
              }
            }
          }
        }
      }
    }
  },
  col2imNhwc(g, B, H, W, C, out) {
    const K = 9 * C;
    out.fill(0, 0, B * H * W * C);
    for (let b = 0; b < B; b++) {
      for (let y = 0; y < H; y++) {
        for (let x = 0; x < W; x++) {
          const row = ((b * H + y) * W + x) * K;
          for (let kh = 0; kh < 3; kh++) {
            const yy = y + kh - 1;
            if (yy < 0 || yy >= H) continue;
            for (let kw = 0; kw < 3; kw++) {
              const xx = x + kw - 1;
              if (xx < 0 || xx >= W) continue;
              const o = row + (kh * 3 + kw) * C;
              const d = ((b * H + yy) * W + xx) * C;
              for (let c = 0; c < C; c++) out[d + c] += g[o + c]!;
            }
          }
        }
      }
    }
  },
  maxpool2(src, dst, arg, B, H, W, C) {
    const Ho = H >> 1;
    const Wo = W >> 1;
    for (let b = 0; b < B; b++) {
      for (let oy = 0; oy < Ho; oy++) {
        for (let ox = 0; ox < Wo; ox++) {
          const r0 = ((b * H + 2 * oy) * W + 2 * ox) * C;
          const r1 = r0 + C;
          const r2 = r0 + W * C;
          const r3 = r2 + C;
          const o = ((b * Ho + oy) * Wo + ox) * C;
          for (let c = 0; c < C; c++) {
            let m = src[r0 + c]!;
            let a = 0;
            const v1 = src[r1 + c]!;
            if (v1 > m) {
              m = v1;
              a = 1;
            }
            const v2 = src[r2 + c]!;
            if (v2 > m) {
              m = v2;
              a = 2;
            }
            const v3 = src[r3 + c]!;
            if (v3 > m) {
              m = v3;
              a = 3;
            }
            dst[o + c] = m;
            arg[o + c] = a;
          }
        }
      }
    }
  },
  maxpool2Backward(gOut, arg, gIn, B, H, W, C) {
    const Ho = H >> 1;
    const Wo = W >> 1;
    gIn.fill(0, 0, B * H * W * C);
    for (let b = 0; b < B; b++) {
      for (let oy = 0; oy < Ho; oy++) {
        for (let ox = 0; ox < Wo; ox++) {
          const r0 = ((b * H + 2 * oy) * W + 2 * ox) * C;
          const o = ((b * Ho + oy) * Wo + ox) * C;
          for (let c = 0; c < C; c++) {
            const a = arg[o + c]!;
            gIn[r0 + (a & 1) * C + (a >> 1) * W * C + c] = gOut[o + c]!;
          }
        }
      }
    }
  },
  bnTrain(x, rows, C, gamma, beta, runMean, runVar, invStd, xh, z, momentum, eps) {
    const mean = new Float64Array(C);
    const sq = new Float64Array(C);
    for (let r = 0; r < rows; r++) {
      const o = r * C;
      for (let c = 0; c < C; c++) mean[c] += x[o + c]!;
    }
    for (let c = 0; c < C; c++) mean[c]! /= rows;
    for (let r = 0; r < rows; r++) {
      const o = r * C;
      for (let c = 0; c < C; c++) {
        const d = x[o + c]! - mean[c]!;
        sq[c] += d * d;
      }
    }
    const g = new Float64Array(C);
    const bt = new Float64Array(C);
    for (let c = 0; c < C; c++) {
      const v = sq[c]! / rows;
      invStd[c] = 1 / Math.sqrt(v + eps);
      g[c] = gamma[c]!;
      bt[c] = beta[c]!;
      runMean[c] = (1 - momentum) * runMean[c]! + momentum * mean[c]!;
      runVar[c] = (1 - momentum) * runVar[c]! + momentum * (rows > 1 ? sq[c]! / (rows - 1) : v);
    }
    for (let r = 0; r < rows; r++) {
      const o = r * C;
      for (let c = 0; c < C; c++) {
        const h = (x[o + c]! - mean[c]!) * invStd[c]!;
        xh[o + c] = h;
        z[o + c] = g[c]! * h + bt[c]!;
      }
    }
  },
  bnBackward(gAct, z, xh, rows, C, gamma, invStd, gGamma, gBeta, gx) {
    const dg = new Float64Array(C);
    const db = new Float64Array(C);
    for (let r = 0; r < rows; r++) {
      const o = r * C;
      for (let c = 0; c < C; c++) {
        const zz = z[o + c]!;
        const d = zz <= 1 && zz >= -1 ? gAct[o + c]! : 0;
        gx[o + c] = d;
        dg[c] += d * xh[o + c]!;
        db[c] += d;
      }
    }
    const k = new Float64Array(C);
    for (let c = 0; c < C; c++) {
      gGamma[c] = dg[c]!;
      gBeta[c] = db[c]!;
      k[c] = (gamma[c]! * invStd[c]!) / rows;
    }
    for (let r = 0; r < rows; r++) {
      const o = r * C;
      for (let c = 0; c < C; c++) gx[o + c] = k[c]! * (rows * gx[o + c]! - db[c]! - xh[o + c]! * dg[c]!);
    }
  },
  signInto(src, dst) {
    for (let i = 0; i < src.length; i++) dst[i] = src[i]! > 0 ? 1 : -1;
  },
  steMask(w, g) {
    for (let i = 0; i < w.length; i++) if (w[i]! > 1 || w[i]! < -1) g[i] = 0;
  },
  pooledWeightGrad(gPool, arg, p, B, H, W, C, K, gw) {
    const Ho = H >> 1;
    const Wo = W >> 1;
    const acc = new Float64Array(C * K);
    for (let b = 0; b < B; b++) {
      for (let oy = 0; oy < Ho; oy++) {
        for (let ox = 0; ox < Wo; ox++) {
          const pix0 = (b * H + 2 * oy) * W + 2 * ox;
          const o = ((b * Ho + oy) * Wo + ox) * C;
          for (let co = 0; co < C; co++) {
            const g = gPool[o + co]!;
            if (g === 0) continue;
            const a = arg[o + co]!;
            const pr = (pix0 + (a & 1) + (a >> 1) * W) * K;
            const ac = co * K;
            for (let k = 0; k < K; k++) acc[ac + k] += g * p[pr + k]!;
          }
        }
      }
    }
    for (let i = 0; i < C * K; i++) gw[i] = acc[i]!;
  },
  adam(p, g, m, v, b1, b2, stepSize, bc2, eps) {
    const c1 = 1 - b1;
    const c2 = 1 - b2;
    for (let i = 0; i < p.length; i++) {
      const gi = g[i]!;
      const mi = b1 * m[i]! + c1 * gi;
      const vi = b2 * v[i]! + c2 * gi * gi;
      m[i] = mi;
      v[i] = vi;
      p[i] = p[i]! - (stepSize * mi) / (Math.sqrt(vi) / bc2 + eps);
    }
  },
};

type NativeKernelFns = Omit<TrainKernels, 'name'>;

/** The addon's kernels when built (same results as tsKernels), else the TypeScript ones; CAPMIN_KERNELS=ts forces TypeScript. */
export function getKernels(which: 'auto' | 'ts' | 'native' = 'auto'): TrainKernels {
  if (which === 'ts' || (which === 'auto' && process.env.CAPMIN_KERNELS === 'ts')) return tsKernels;
  const addon = loadNative() as (ReturnType<typeof loadNative> & Partial<NativeKernelFns>) | null;
  if (addon && typeof addon.bnTrain === 'function' && typeof addon.pooledWeightGrad === 'function') {
    const a = addon as unknown as NativeKernelFns;
    return {
      name: 'native',
      im2colNhwc: a.im2colNhwc,
      col2imNhwc: a.col2imNhwc,
      maxpool2: a.maxpool2,
      maxpool2Backward: a.maxpool2Backward,
      bnTrain: a.bnTrain,
      bnBackward: a.bnBackward,
      adam: a.adam,
      signInto: a.signInto,
      steMask: a.steMask,
      pooledWeightGrad: a.pooledWeightGrad,
    };
  }
  if (which === 'native') throw new Error('native kernels requested but the addon is not built (run scripts/setup.sh)');
  return tsKernels;
}
