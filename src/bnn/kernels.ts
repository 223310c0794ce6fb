/**
 * Bit-packed XNOR/popcount kernels of the analog array (paper Sec. II-A Eq. 1, Fig. 7).
 *
 * Operands are packed one chunk per 32-bit word: bit b of word j is cell j·a + b; bit 1 = +1, bit 0 = −1.
 * `X` holds P rows (output positions) of nC words with an active-cell mask `M` (0 = zero padding / beyond β),
 * `W` holds O rows (neurons) of nC words. For each (position p, neuron o) a kernel computes, per chunk,
 * the level m = popcount((x ⊕ w) ∧ mask) (the conducting cells), maps it to a read level m' (identity,
 * clipping LUT, or a P_map draw), and writes  out[o·P + p] = Σ_chunks (n_active − 2·m') = nAct[p] − 2·Σ m'.
 * Neurons are processed four at a time so each input word is loaded once per four dot products.
 * These are the engine's TypeScript path; the native kernels (native/bnn_engine.cc) compute the same reads.
 */

import { paddedNeurons, philoxGroup } from './philox.js';
import type { ReadTables } from './sampling.js';
import type { LevelTables } from './pmap.js';

/** Hamming weight of a 32-bit word (SWAR bit tricks, no tables). */
export function popcount32(v: number): number {
  v = v - ((v >>> 1) & 0x55555555);
  v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
  return Math.imul((v + (v >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24;
}

/** Operands of one array layer for one image. */
export interface KernelArgs {
  X: Int32Array;
  M: Int32Array;
  nAct: Int32Array;
  P: number;
  W: Int32Array;
  O: number;
  nC: number;
  out: Float64Array;
  /** read level of every chunk, at its address (p·nC + j)·Op + o (sampling kernel; tests) */
  levels?: Int32Array;
}

/** Error-free: out = nAct − 2·Σ m. */
export function kernelExact(k: KernelArgs): void {
  const { X, M, nAct, P, W, O, nC, out } = k;
  const O4 = O & ~3;
  for (let p = 0; p < P; p++) {
    const xo = p * nC;
    const na = nAct[p]!;
    for (let o = 0; o < O4; o += 4) {
      const w0 = o * nC;
      const w1 = w0 + nC;
      const w2 = w1 + nC;
      const w3 = w2 + nC;
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      for (let j = 0; j < nC; j++) {
        const x = X[xo + j]!;
        const mk = M[xo + j]!;
        let v = (x ^ W[w0 + j]!) & mk;
        v = v - ((v >>> 1) & 0x55555555);
        v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
        s0 += Math.imul((v + (v >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24;
        v = (x ^ W[w1 + j]!) & mk;
        v = v - ((v >>> 1) & 0x55555555);
        v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
        s1 += Math.imul((v + (v >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24;
        v = (x ^ W[w2 + j]!) & mk;
        v = v - ((v >>> 1) & 0x55555555);
        v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
        s2 += Math.imul((v + (v >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24;
        v = (x ^ W[w3 + j]!) & mk;
        v = v - ((v >>> 1) & 0x55555555);
        v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
        s3 += Math.imul((v + (v >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24;
      }
      out[o * P + p] = na - 2 * s0;
      out[(o + 1) * P + p] = na - 2 * s1;
      out[(o + 2) * P + p] = na - 2 * s2;
      out[(o + 3) * P + p] = na - 2 * s3;
    }
    for (let o = O4; o < O; o++) {
      const wo = o * nC;
      let s = 0;
      for (let j = 0; j < nC; j++) {
        let v = (X[xo + j]! ^ W[wo + j]!) & M[xo + j]!;
        v = v - ((v >>> 1) & 0x55555555);
        v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
        s += Math.imul((v + (v >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24;
      }
      out[o * P + p] = na - 2 * s;
    }
  }
}

/** Error-free, counting every chunk's level m into `hist` (F_MAC, a+1 bins). */
export function kernelHist(k: KernelArgs, hist: Float64Array): void {
  const { X, M, nAct, P, W, O, nC, out } = k;
  const O4 = O & ~3;
  let v = 0;
  let m = 0;
  for (let p = 0; p < P; p++) {
    const xo = p * nC;
    const na = nAct[p]!;
    for (let o = 0; o < O4; o += 4) {
      const w0 = o * nC;
      const w1 = w0 + nC;
      const w2 = w1 + nC;
      const w3 = w2 + nC;
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      for (let j = 0; j < nC; j++) {
        const x = X[xo + j]!;
        const mk = M[xo + j]!;
        v = (x ^ W[w0 + j]!) & mk;
        v = v - ((v >>> 1) & 0x55555555);
        v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
        m = Math.imul((v + (v >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24;
        hist[m]!++;
        s0 += m;
        v = (x ^ W[w1 + j]!) & mk;
        v = v - ((v >>> 1) & 0x55555555);
        v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
        m = Math.imul((v + (v >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24;
        hist[m]!++;
        s1 += m;
        v = (x ^ W[w2 + j]!) & mk;
        v = v - ((v >>> 1) & 0x55555555);
        v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
        m = Math.imul((v + (v >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24;
        hist[m]!++;
        s2 += m;
        v = (x ^ W[w3 + j]!) & mk;
        v = v - ((v >>> 1) & 0x55555555);
        v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
        m = Math.imul((v + (v >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24;
        hist[m]!++;
        s3 += m;
      }
      out[o * P + p] = na - 2 * s0;
      out[(o + 1) * P + p] = na - 2 * s1;
      out[(o + 2) * P + p] = na - 2 * s2;
      out[(o + 3) * P + p] = na - 2 * s3;
    }
    for (let o = O4; o < O; o++) {
      const wo = o * nC;
      let s = 0;
      for (let j = 0; j < nC; j++) {
        v = (X[xo + j]! ^ W[wo + j]!) & M[xo + j]!;
        v = v - ((v >>> 1) & 0x55555555);
        v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
        m = Math.imul((v + (v >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24;
        hist[m]!++;
        s += m;
      }
      out[o * P + p] = na - 2 * s;
    }
  }
}

/** Deterministic level map (clipping, Eq. 4): out = nAct − 2·Σ lut[m]. */
export function kernelLut(k: KernelArgs, lut: Int32Array): void {
  const { X, M, nAct, P, W, O, nC, out } = k;
  const O4 = O & ~3;
  for (let p = 0; p < P; p++) {
    const xo = p * nC;
    const na = nAct[p]!;
    for (let o = 0; o < O4; o += 4) {
      const w0 = o * nC;
      const w1 = w0 + nC;
      const w2 = w1 + nC;
      const w3 = w2 + nC;
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      for (let j = 0; j < nC; j++) {
        const x = X[xo + j]!;
        const mk = M[xo + j]!;
        let v = (x ^ W[w0 + j]!) & mk;
        v = v - ((v >>> 1) & 0x55555555);
        v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
        s0 += lut[Math.imul((v + (v >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24]!;
        v = (x ^ W[w1 + j]!) & mk;
        v = v - ((v >>> 1) & 0x55555555);
        v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
        s1 += lut[Math.imul((v + (v >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24]!;
        v = (x ^ W[w2 + j]!) & mk;
        v = v - ((v >>> 1) & 0x55555555);
        v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
        s2 += lut[Math.imul((v + (v >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24]!;
        v = (x ^ W[w3 + j]!) & mk;
        v = v - ((v >>> 1) & 0x55555555);
        v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
        s3 += lut[Math.imul((v + (v >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24]!;
      }
      out[o * P + p] = na - 2 * s0;
      out[(o + 1) * P + p] = na - 2 * s1;
      out[(o + 2) * P + p] = na - 2 * s2;
      out[(o + 3) * P + p] = na - 2 * s3;
    }
    for (let o = O4; o < O; o++) {
      const wo = o * nC;
      let s = 0;
      for (let j = 0; j < nC; j++) {
        let v = (X[xo + j]! ^ W[wo + j]!) & M[xo + j]!;
        v = v - ((v >>> 1) & 0x55555555);
        v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
        s += lut[Math.imul((v + (v >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24]!;
      }
      out[o * P + p] = na - 2 * s;
    }
  }
}

/** Random context of a sampled layer: tables, the Philox address (layer, image, run, key) and a word buffer. */
export interface SampleCtx {
  t: ReadTables;
  layer: number;
  image: number;
  run: number;
  k0: number;
  k1: number;
  buf: Uint32Array;
}

/**
 * P_map sampling (Eq. 6 after Eq. 4): every chunk's read level is an alias draw from the table of its raw level
 * with the Philox word of its address (src/bnn/philox.ts), out = nAct − 2·Σ read levels. Identical to the
 * native kernels' reads for any loop order, since a draw depends on its address only.
 */
export function kernelSample(k: KernelArgs, ctx: SampleCtx): void {
  const { X, M, nAct, P, W, O, nC, out, levels } = k;
  const Op = paddedNeurons(O);
  const span = nC * Op;
  const table = ctx.t.table;
  const need = (Math.ceil(span / 64) + 1) * 64;
  if (ctx.buf.length < need) ctx.buf = new Uint32Array(need);
  const buf = ctx.buf;
  for (let p = 0; p < P; p++) {
    const c0 = p * span;
    const g0 = Math.floor(c0 / 64);
    const g1 = Math.floor((c0 + span - 1) / 64);
    for (let g = g0; g <= g1; g++) philoxGroup(g, ctx.layer, ctx.image, ctx.run, ctx.k0, ctx.k1, buf.subarray((g - g0) * 64, (g - g0) * 64 + 64));
    const off = c0 - g0 * 64;
    const xo = p * nC;
    const na = nAct[p]!;
    for (let o = 0; o < O; o++) {
      const wo = o * nC;
      let s = 0;
      for (let j = 0; j < nC; j++) {
        let v = (X[xo + j]! ^ W[wo + j]!) & M[xo + j]!;
        v = v - ((v >>> 1) & 0x55555555);
        v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
        const m = Math.imul((v + (v >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24;
        const u = buf[off + j * Op + o]!;
        const col = u >>> 26;
        const e = table[(m << 6) | col]!;
        const read = (u & 0x3ffffff) < e >>> 6 ? col : e & 63;
        if (levels) levels[c0 + j * Op + o] = read;
        s += read;
      }
      out[o * P + p] = na - 2 * s;
    }
  }
}

/**
 * The earlier stateful P_map samplers over `levelTables` (xoshiro128**, inverse-CDF buckets and thinning), kept for
 * the table tests in test/bnn/pmap.test.ts; the engine draws through sampling.ts + philox.ts (kernelSample).
 *
 * Sampler state and tables for P_map draws. Every chunk's read level is an independent draw from the P_map
 * row of its (clipped) level. Two exact realisations:
 * - direct: for every chunk whose row is not deterministic, 10 random bits pick one of 1024 slices of [0, 1);
 *   a slice inside one CDF step gives the read level at once, a slice straddling a step (rare) is resolved with
 *   32 further bits against the row's CDF (exact to 2^-42). One xoshiro128** word serves three draws.
 * - thinned (when every row keeps its most likely value with probability ≥ 1 − qMax, qMax small): chunks are
 *   visited by a Bernoulli(qMax) event process with geometric gaps; an event chunk deviates with probability
 *   q_m / qMax and then draws from the row's off-mode alias table. Distributionally identical, far fewer draws.
 * The generator is seeded per image from util/rng.ts (see Engine.forward).
 */
export class Sampler {
  /** xoshiro128** state */
  readonly rs = new Int32Array(4);
  /** second stream for the rare straddling-slice resolutions of the direct mode */
  readonly rs2 = new Int32Array(4);
  /** chunks left until the next event (thinned mode) */
  gap = 1;
  /** unused random bits of the current word (direct mode) and how many 10-bit draws remain in it */
  bits = 0;
  left = 0;
  readonly K: number;
  readonly base: Int32Array;
  readonly det: Int32Array;
  readonly bucket: Int8Array;
  readonly cdf: Float64Array;
  readonly accept: Float64Array;
  readonly devThr: Float64Array;
  readonly devAlias: Int32Array;
  readonly qMax: number;
  private readonly lnKeep: number;

  constructor(
    t: LevelTables,
    /** use the thinned realisation */
    readonly thinned: boolean,
  ) {
    this.K = t.a + 1;
    this.base = t.base;
    this.det = t.det;
    this.bucket = t.bucket;
    this.cdf = t.cdf;
    this.accept = t.accept;
    this.devThr = t.devThr;
    this.devAlias = t.devAlias;
    this.qMax = t.qMax;
    this.lnKeep = Math.log1p(-t.qMax);
  }

  /** Seed the generators from 8 words (two xoshiro128** states, each not all zero) and the first gap. */
  seed(words: ArrayLike<number>): void {
    for (let i = 0; i < 4; i++) this.rs[i] = words[i]! | 0;
    for (let i = 0; i < 4; i++) this.rs2[i] = (words[4 + i] ?? 0x9e3779b9 * (i + 1)) | 0;
    if ((this.rs[0]! | this.rs[1]! | this.rs[2]! | this.rs[3]!) === 0) this.rs[0] = 1;
    if ((this.rs2[0]! | this.rs2[1]! | this.rs2[2]! | this.rs2[3]!) === 0) this.rs2[0] = 1;
    this.left = 0;
    this.bits = 0;
    if (this.thinned) this.gap = this.geometric();
  }

  /** Next uniform 32-bit word of stream 1 (or 2) (xoshiro128**, the recurrence of util/rng.ts). */
  next(rs: Int32Array = this.rs): number {
    const s1 = rs[1]!;
    const t1 = Math.imul(s1, 5);
    const u = Math.imul((t1 << 7) | (t1 >>> 25), 9) >>> 0;
    const t = s1 << 9;
    rs[2]! ^= rs[0]!;
    rs[3]! ^= s1;
    rs[1]! ^= rs[2]!;
    rs[0]! ^= rs[3]!;
    rs[2]! ^= t;
    const s3 = rs[3]!;
    rs[3] = (s3 << 11) | (s3 >>> 21);
    return u;
  }

  /** Chunks until (and including) the next event: 1 + ⌊ln U / ln(1 − qMax)⌋, U ∈ (0, 1]. */
  geometric(): number {
    const u = (this.next() + 1) * 2.3283064365386963e-10;
    return 1 + Math.floor(Math.log(u) / this.lnKeep);
  }

  /** Direct mode: the read level of a chunk of level m whose row is not deterministic. */
  draw(m: number): number {
    if (this.left === 0) {
      this.bits = this.next();
      this.left = 3;
    }
    this.left--;
    const i = this.bits >>> 22;
    this.bits = (this.bits << 10) | 0;
    const v = this.bucket[(m << 10) | i]!;
    return v >= 0 ? v : this.resolve(m, i);
  }

  /** A slice straddling a CDF step: 32 more bits (stream 2) place u inside slice i exactly. */
  resolve(m: number, i: number): number {
    const x = i * 4294967296 + this.next(this.rs2);
    const K = this.K;
    const cdf = this.cdf;
    let j = 0;
    while (x >= cdf[m * K + j]!) j++;
    return j;
  }

  /** Thinned mode: the read level of an event chunk of level m; also draws the next gap. */
  event(m: number): number {
    let r = this.base[m]!;
    if (this.next() < this.accept[m]!) {
      const K = this.K;
      const x = this.next() * K;
      const col = Math.floor(x * 2.3283064365386963e-10);
      const k = m * K + col;
      r = x - col * 4294967296 < this.devThr[k]! ? col : this.devAlias[k]!;
    }
    this.gap = this.geometric();
    return r;
  }
}

/** P_map sampling, thinned realisation (see Sampler). */
export function kernelSampleThinned(k: KernelArgs, sm: Sampler): void {
  const { X, M, nAct, P, W, O, nC, out } = k;
  const base = sm.base;
  let gap = sm.gap;
  const O4 = O & ~3;
  for (let p = 0; p < P; p++) {
    const xo = p * nC;
    const na = nAct[p]!;
    for (let o = 0; o < O4; o += 4) {
      const w0 = o * nC;
      const w1 = w0 + nC;
      const w2 = w1 + nC;
      const w3 = w2 + nC;
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      for (let j = 0; j < nC; j++) {
        const x = X[xo + j]!;
        const mk = M[xo + j]!;
        let v = (x ^ W[w0 + j]!) & mk;
        v = v - ((v >>> 1) & 0x55555555);
        v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
        let m = Math.imul((v + (v >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24;
        if (--gap > 0) s0 += base[m]!;
        else {
          s0 += sm.event(m);
          gap = sm.gap;
        }
        v = (x ^ W[w1 + j]!) & mk;
        v = v - ((v >>> 1) & 0x55555555);
        v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
        m = Math.imul((v + (v >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24;
        if (--gap > 0) s1 += base[m]!;
        else {
          s1 += sm.event(m);
          gap = sm.gap;
        }
        v = (x ^ W[w2 + j]!) & mk;
        v = v - ((v >>> 1) & 0x55555555);
        v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
        m = Math.imul((v + (v >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24;
        if (--gap > 0) s2 += base[m]!;
        else {
          s2 += sm.event(m);
          gap = sm.gap;
        }
        v = (x ^ W[w3 + j]!) & mk;
        v = v - ((v >>> 1) & 0x55555555);
        v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
        m = Math.imul((v + (v >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24;
        if (--gap > 0) s3 += base[m]!;
        else {
          s3 += sm.event(m);
          gap = sm.gap;
        }
      }
      out[o * P + p] = na - 2 * s0;
      out[(o + 1) * P + p] = na - 2 * s1;
      out[(o + 2) * P + p] = na - 2 * s2;
      out[(o + 3) * P + p] = na - 2 * s3;
    }
    for (let o = O4; o < O; o++) {
      const wo = o * nC;
      let s = 0;
      for (let j = 0; j < nC; j++) {
        let v = (X[xo + j]! ^ W[wo + j]!) & M[xo + j]!;
        v = v - ((v >>> 1) & 0x55555555);
        v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
        const m = Math.imul((v + (v >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24;
        if (--gap > 0) s += base[m]!;
        else {
          s += sm.event(m);
          gap = sm.gap;
        }
      }
      out[o * P + p] = na - 2 * s;
    }
  }
  sm.gap = gap;
}

/**
 * P_map sampling, direct realisation (see Sampler): per chunk whose row is not deterministic, 10 bits of the
 * xoshiro128** stream (kept in registers; three draws per word) index the row's bucket table.
 */
export function kernelSampleDirect(k: KernelArgs, sm: Sampler): void {
  const { X, M, nAct, P, W, O, nC, out } = k;
  const { det, bucket } = sm;
  const rs = sm.rs;
  let r0 = rs[0]! | 0;
  let r1 = rs[1]! | 0;
  let r2 = rs[2]! | 0;
  let r3 = rs[3]! | 0;
  let bits = sm.bits | 0;
  let left = sm.left;
  let t1 = 0;
  let t = 0;
  let i = 0;
  let d = 0;
  let m = 0;
  let v = 0;
  const O4 = O & ~3;
  for (let p = 0; p < P; p++) {
    const xo = p * nC;
    const na = nAct[p]!;
    for (let o = 0; o < O4; o += 4) {
      const w0 = o * nC;
      const w1 = w0 + nC;
      const w2 = w1 + nC;
      const w3 = w2 + nC;
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      for (let j = 0; j < nC; j++) {
        const x = X[xo + j]!;
        const mk = M[xo + j]!;
        v = (x ^ W[w0 + j]!) & mk;
        v = v - ((v >>> 1) & 0x55555555);
        v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
        m = Math.imul((v + (v >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24;
        d = det[m]!;
        if (d >= 0) s0 += d;
        else {
          if (left === 0) {
            t1 = Math.imul(r1, 5);
            bits = Math.imul((t1 << 7) | (t1 >>> 25), 9);
            t = r1 << 9;
            r2 ^= r0;
            r3 ^= r1;
            r1 ^= r2;
            r0 ^= r3;
            r2 ^= t;
            r3 = (r3 << 11) | (r3 >>> 21);
            left = 3;
          }
          left--;
          i = bits >>> 22;
          bits <<= 10;
          d = bucket[(m << 10) | i]!;
          s0 += d >= 0 ? d : sm.resolve(m, i);
        }
        v = (x ^ W[w1 + j]!) & mk;
        v = v - ((v >>> 1) & 0x55555555);
        v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
        m = Math.imul((v + (v >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24;
        d = det[m]!;
        if (d >= 0) s1 += d;
        else {
          if (left === 0) {
            t1 = Math.imul(r1, 5);
            bits = Math.imul((t1 << 7) | (t1 >>> 25), 9);
            t = r1 << 9;
            r2 ^= r0;
            r3 ^= r1;
            r1 ^= r2;
            r0 ^= r3;
            r2 ^= t;
            r3 = (r3 << 11) | (r3 >>> 21);
            left = 3;
          }
          left--;
          i = bits >>> 22;
          bits <<= 10;
          d = bucket[(m << 10) | i]!;
          s1 += d >= 0 ? d : sm.resolve(m, i);
        }
        v = (x ^ W[w2 + j]!) & mk;
        v = v - ((v >>> 1) & 0x55555555);
        v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
        m = Math.imul((v + (v >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24;
        d = det[m]!;
        if (d >= 0) s2 += d;
        else {
          if (left === 0) {
            t1 = Math.imul(r1, 5);
            bits = Math.imul((t1 << 7) | (t1 >>> 25), 9);
            t = r1 << 9;
            r2 ^= r0;
            r3 ^= r1;
            r1 ^= r2;
            r0 ^= r3;
            r2 ^= t;
            r3 = (r3 << 11) | (r3 >>> 21);
            left = 3;
          }
          left--;
          i = bits >>> 22;
          bits <<= 10;
          d = bucket[(m << 10) | i]!;
          s2 += d >= 0 ? d : sm.resolve(m, i);
        }
        v = (x ^ W[w3 + j]!) & mk;
        v = v - ((v >>> 1) & 0x55555555);
        v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
        m = Math.imul((v + (v >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24;
        d = det[m]!;
        if (d >= 0) s3 += d;
        else {
          if (left === 0) {
            t1 = Math.imul(r1, 5);
            bits = Math.imul((t1 << 7) | (t1 >>> 25), 9);
            t = r1 << 9;
            r2 ^= r0;
            r3 ^= r1;
            r1 ^= r2;
            r0 ^= r3;
            r2 ^= t;
            r3 = (r3 << 11) | (r3 >>> 21);
            left = 3;
          }
          left--;
          i = bits >>> 22;
          bits <<= 10;
          d = bucket[(m << 10) | i]!;
          s3 += d >= 0 ? d : sm.resolve(m, i);
        }
      }
      out[o * P + p] = na - 2 * s0;
      out[(o + 1) * P + p] = na - 2 * s1;
      out[(o + 2) * P + p] = na - 2 * s2;
      out[(o + 3) * P + p] = na - 2 * s3;
    }
    for (let o = O4; o < O; o++) {
      const wo = o * nC;
      let s = 0;
      for (let j = 0; j < nC; j++) {
        v = (X[xo + j]! ^ W[wo + j]!) & M[xo + j]!;
        v = v - ((v >>> 1) & 0x55555555);
        v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
        m = Math.imul((v + (v >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24;
        d = det[m]!;
        if (d >= 0) s += d;
        else {
          if (left === 0) {
            t1 = Math.imul(r1, 5);
            bits = Math.imul((t1 << 7) | (t1 >>> 25), 9);
            t = r1 << 9;
            r2 ^= r0;
            r3 ^= r1;
            r1 ^= r2;
            r0 ^= r3;
            r2 ^= t;
            r3 = (r3 << 11) | (r3 >>> 21);
            left = 3;
          }
          left--;
          i = bits >>> 22;
          bits <<= 10;
          d = bucket[(m << 10) | i]!;
          s += d >= 0 ? d : sm.resolve(m, i);
        }
      }
      out[o * P + p] = na - 2 * s;
    }
  }
  rs[0] = r0;
  rs[1] = r1;
  rs[2] = r2;
  rs[3] = r3;
  sm.bits = bits;
  sm.left = left;
}
