/**
 * A direct, slow implementation of the engine's semantics in plain floating point: im2col, then per-chunk
 * dot products of ±1 weights with ±1/0 inputs (0 = zero padding, an inactive cell). It is the reference the
 * bit-packed engine is tested against, the baseline of bench/engine.ts, and a forward the trainer can compare
 * its own float forward with (`forwardReference(model, image)` = error-free logits).
 */
import { Rng } from '../util/rng.js';
import type { BnnModel, ConvOp } from './arch.js';
import type { PMap } from './pmap.js';

export interface ReferenceOptions {
  /** Cells per array; default 32 (any positive integer here). */
  a?: number;
  /** Read level for a chunk of level m with nActive active cells (default: m itself). */
  levelMap?: (m: number, nActive: number) => number;
  /** F_MAC bins (a+1 per array layer) to count the error-free levels into. */
  hist?: Float64Array[];
}

/** Error-free (or `levelMap`-transformed) logits of one image (C·H·W values). */
export function forwardReference(model: BnnModel, image: ArrayLike<number>, opts: ReferenceOptions = {}): Float64Array {
  const a = opts.a ?? 32;
  const map = opts.levelMap ?? ((m: number) => m);
  const slots: Float64Array[] = new Array(model.nSlots);
  slots[0] = Float64Array.from(image as ArrayLike<number>);
  let layer = 0;
  for (const op of model.ops) {
    switch (op.op) {
      case 'conv': {
        const cols = im2col(op, slots[op.src]!);
        const beta = op.cin * op.k * op.k;
        const P = op.outH * op.outW;
        const out = new Float64Array(op.cout * P);
        for (let o = 0; o < op.cout; o++) {
          for (let p = 0; p < P; p++) {
            out[o * P + p] = op.first
              ? rowDot(op.weight, o * beta, cols, p * beta, beta, op.k)
              : chunked(op.weight, o * beta, cols, p * beta, beta, a, map, opts.hist?.[layer]);
          }
        }
        if (!op.first) layer++;
        slots[op.dst] = out;
        break;
      }
      case 'linear': {
        const x = slots[op.src]!;
        const out = new Float64Array(op.outF);
        for (let o = 0; o < op.outF; o++) {
          out[o] = op.first ? dot(op.weight, o * op.inF, x, 0, op.inF) : chunked(op.weight, o * op.inF, x, 0, op.inF, a, map, opts.hist?.[layer]);
        }
        if (!op.first) layer++;
        slots[op.dst] = out;
        break;
      }
      case 'maxpool': {
        const x = slots[op.src]!;
        const out = new Float64Array(op.c * op.outH * op.outW);
        for (let c = 0; c < op.c; c++)
          for (let oy = 0; oy < op.outH; oy++)
            for (let ox = 0; ox < op.outW; ox++) {
              let mx = -Infinity;
              for (let dy = 0; dy < op.k; dy++)
                for (let dx = 0; dx < op.k; dx++) mx = Math.max(mx, x[(c * op.inH + oy * op.k + dy) * op.inW + ox * op.k + dx]!);
              out[(c * op.outH + oy) * op.outW + ox] = mx;
            }
        slots[op.dst] = out;
        break;
      }
      case 'bn': {
        const x = slots[op.src]!;
        const out = new Float64Array(x.length);
        for (let i = 0; i < x.length; i++) {
          const c = Math.floor(i / op.hw);
          out[i] = ((x[i]! - op.mean[c]!) / op.sd[c]!) * op.gamma[c]! + op.beta[c]!;
        }
        slots[op.dst] = out;
        break;
      }
      case 'sign':
        slots[op.dst] = slots[op.src]!.map((v) => (v > 0 ? 1 : -1));
        break;
      case 'add': {
        const x = slots[op.a]!;
        const y = slots[op.b]!;
        slots[op.dst] = x.map((v, i) => v + y[i]!);
        break;
      }
      case 'scale':
        slots[op.dst] = slots[op.src]!.map((v) => v * op.s);
        break;
    }
  }
  return slots[model.outSlot]!;
}

/** im2col: column p holds the receptive field of output position p in (C_in, kh, kw) order, 0 for padding. */
export function im2col(op: ConvOp, x: Float64Array): Float64Array {
  const beta = op.cin * op.k * op.k;
  const P = op.outH * op.outW;
  const cols = new Float64Array(P * beta);
  for (let oy = 0; oy < op.outH; oy++)
    for (let ox = 0; ox < op.outW; ox++) {
      const p = oy * op.outW + ox;
      for (let c = 0; c < op.cin; c++)
        for (let ky = 0; ky < op.k; ky++)
          for (let kx = 0; kx < op.k; kx++) {
            const iy = oy * op.stride + ky - op.pad;
            const ix = ox * op.stride + kx - op.pad;
            const inside = iy >= 0 && iy < op.inH && ix >= 0 && ix < op.inW;
            cols[p * beta + (c * op.k + ky) * op.k + kx] = inside ? x[(c * op.inH + iy) * op.inW + ix]! : 0;
          }
    }
  return cols;
}

/** First-layer dot product: kernel rows of length k summed left to right, then added in order (engine's order). */
function rowDot(w: Int8Array, wo: number, x: Float64Array, xo: number, n: number, k: number): number {
  let s = 0;
  for (let r = 0; r < n; r += k) {
    let row = w[wo + r]! * x[xo + r]!;
    for (let i = r + 1; i < r + k; i++) row += w[wo + i]! * x[xo + i]!;
    s += row;
  }
  return s;
}

function dot(w: Int8Array, wo: number, x: Float64Array, xo: number, n: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) s += w[wo + i]! * x[xo + i]!;
  return s;
}

/** Σ over chunks of (n_active − 2·map(m)), with m = (n_active − dot)/2 per chunk. */
function chunked(
  w: Int8Array, wo: number, x: Float64Array, xo: number, n: number, a: number,
  map: (m: number, nActive: number) => number, hist: Float64Array | undefined,
): number {
  let total = 0;
  for (let start = 0; start < n; start += a) {
    const end = Math.min(n, start + a);
    let d = 0;
    let active = 0;
    for (let i = start; i < end; i++) {
      const xi = x[xo + i]!;
      if (xi !== 0) {
        active++;
        d += w[wo + i]! * xi;
      }
    }
    const m = (active - d) / 2;
    if (hist) hist[m]!++;
    total += active - 2 * map(m, active);
  }
  return total;
}

/**
 * A straightforward level map for the reference: clipping (Eq. 4), then a P_map draw by cumulative search
 * with one uniform per chunk (`Rng.uniform`). Used as the baseline in bench/engine.ts.
 */
export function referenceLevelMap(a: number, clip?: readonly [number, number], pMap?: PMap, rng?: Rng): (m: number) => number {
  return (m: number) => {
    let c = m;
    if (clip) c = Math.min(Math.max(m, clip[0]), clip[1]);
    if (!pMap) return c;
    const row = pMap[c]!;
    const u = (rng ?? new Rng(0)).uniform();
    let acc = 0;
    let last = c;
    for (let j = 0; j <= a; j++) {
      if (row[j]! <= 0) continue;
      acc += row[j]!;
      last = j;
      if (u < acc) return j;
    }
    return last;
  };
}
