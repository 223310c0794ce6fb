/**
 * Bit-packed XNOR/popcount kernels of the analog array (paper Sec. II-A Eq. 1, Fig. 7).
 *
 * Operands are packed one chunk per 32-bit word: bit b of word j is cell j·a + b; bit 1 = +1, bit 0 = −1.
 * `X` holds P rows (output positions) of nC words with an active-cell mask `M` (0 = zero padding / beyond β),
 * `W` holds O rows (neurons) of nC words. For each (position p, neuron o) a kernel computes, per chunk,
 * the level m = popcount((x ⊕ w) ∧ mask) (the conducting cells), maps it to a read level m' (identity,
 * clipping LUT, or a P_map draw), and writes  out[o·P + p] = Σ_chunks (n_active − 2·m') = nAct[p] − 2·Σ m'.
 * Neurons are processed four at a time so each input word is loaded once per four dot products.
 */

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
  for (let p = 0; p < P; p++) {
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

/**
 * Sampler state and tables for P_map draws. Every chunk's read level is an independent draw from the P_map
 * row of its (clipped) level. Two exact realisations:
 * - direct: one 32-bit xoshiro128** word per chunk whose row is not deterministic, through the row's alias table;
 * - thinned (when every row keeps its most likely value with probability ≥ 1 − qMax, qMax small): chunks are
 *   visited by a Bernoulli(qMax) event process with geometric gaps; an event chunk deviates with probability
 *   q_m / qMax and then draws from the row's off-mode alias table. Distributionally identical, far fewer draws.
 * The generator is seeded per image from util/rng.ts (see Engine.forward).
 */
export class Sampler {
  /** xoshiro128** state */
  readonly rs = new Int32Array(4);
  /** chunks left until the next event (thinned mode) */
  gap = 1;
  constructor(
    readonly K: number,
    /** read level without deviation: deterministic level or the row's mode */
    readonly base: Int32Array,
    /** direct mode: −1 = draw from alias; else deterministic read level */
    readonly det: Int32Array,
    /** direct mode alias tables over the full row (thresholds scaled to 2^32), stride K */
    readonly thr: Float64Array,
    readonly alias: Int32Array,
    /** thinned mode: accept threshold q_m / qMax scaled to 2^32 */
    readonly accept: Float64Array,
    /** thinned mode alias tables over the off-mode distribution, stride K */
    readonly devThr: Float64Array,
    readonly devAlias: Int32Array,
    /** largest deviation probability over the rows that occur */
    readonly qMax: number,
    readonly thinned: boolean,
  ) {
    this.lnKeep = Math.log1p(-qMax);
  }
  private readonly lnKeep: number;

  /** Seed the generator (4 words, not all zero) and the first gap. */
  seed(words: ArrayLike<number>): void {
    for (let i = 0; i < 4; i++) this.rs[i] = words[i]! | 0;
    if ((this.rs[0]! | this.rs[1]! | this.rs[2]! | this.rs[3]!) === 0) this.rs[0] = 1;
    if (this.thinned) this.gap = this.geometric();
  }

  /** Next uniform 32-bit word (xoshiro128**, the recurrence of util/rng.ts). */
  next(): number {
    const rs = this.rs;
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

  /** Direct mode: alias draw from row m. */
  draw(m: number): number {
    const K = this.K;
    const x = this.next() * K;
    const col = Math.floor(x * 2.3283064365386963e-10);
    const k = m * K + col;
    return x - col * 4294967296 < this.thr[k]! ? col : this.alias[k]!;
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
 * P_map sampling, direct realisation: one xoshiro128** word per chunk whose row is not deterministic, through
 * the row's alias table (generator state kept in registers, written back to the sampler at the end).
 */
export function kernelSampleDirect(k: KernelArgs, sm: Sampler): void {
  const { X, M, nAct, P, W, O, nC, out } = k;
  const { det, thr, alias, K } = sm;
  const rs = sm.rs;
  let r0 = rs[0]! | 0;
  let r1 = rs[1]! | 0;
  let r2 = rs[2]! | 0;
  let r3 = rs[3]! | 0;
  let t1 = 0;
  let u = 0;
  let t = 0;
  let xx = 0;
  let col = 0;
  let kk = 0;
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
          t1 = Math.imul(r1, 5);
          u = Math.imul((t1 << 7) | (t1 >>> 25), 9) >>> 0;
          t = r1 << 9;
          r2 ^= r0;
          r3 ^= r1;
          r1 ^= r2;
          r0 ^= r3;
          r2 ^= t;
          r3 = (r3 << 11) | (r3 >>> 21);
          xx = u * K;
          col = Math.floor(xx * 2.3283064365386963e-10);
          kk = m * K + col;
          s0 += xx - col * 4294967296 < thr[kk]! ? col : alias[kk]!;
        }
        v = (x ^ W[w1 + j]!) & mk;
        v = v - ((v >>> 1) & 0x55555555);
        v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
        m = Math.imul((v + (v >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24;
        d = det[m]!;
        if (d >= 0) s1 += d;
        else {
          t1 = Math.imul(r1, 5);
          u = Math.imul((t1 << 7) | (t1 >>> 25), 9) >>> 0;
          t = r1 << 9;
          r2 ^= r0;
          r3 ^= r1;
          r1 ^= r2;
          r0 ^= r3;
          r2 ^= t;
          r3 = (r3 << 11) | (r3 >>> 21);
          xx = u * K;
          col = Math.floor(xx * 2.3283064365386963e-10);
          kk = m * K + col;
          s1 += xx - col * 4294967296 < thr[kk]! ? col : alias[kk]!;
        }
        v = (x ^ W[w2 + j]!) & mk;
        v = v - ((v >>> 1) & 0x55555555);
        v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
        m = Math.imul((v + (v >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24;
        d = det[m]!;
        if (d >= 0) s2 += d;
        else {
          t1 = Math.imul(r1, 5);
          u = Math.imul((t1 << 7) | (t1 >>> 25), 9) >>> 0;
          t = r1 << 9;
          r2 ^= r0;
          r3 ^= r1;
          r1 ^= r2;
          r0 ^= r3;
          r2 ^= t;
          r3 = (r3 << 11) | (r3 >>> 21);
          xx = u * K;
          col = Math.floor(xx * 2.3283064365386963e-10);
          kk = m * K + col;
          s2 += xx - col * 4294967296 < thr[kk]! ? col : alias[kk]!;
        }
        v = (x ^ W[w3 + j]!) & mk;
        v = v - ((v >>> 1) & 0x55555555);
        v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
        m = Math.imul((v + (v >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24;
        d = det[m]!;
        if (d >= 0) s3 += d;
        else {
          t1 = Math.imul(r1, 5);
          u = Math.imul((t1 << 7) | (t1 >>> 25), 9) >>> 0;
          t = r1 << 9;
          r2 ^= r0;
          r3 ^= r1;
          r1 ^= r2;
          r0 ^= r3;
          r2 ^= t;
          r3 = (r3 << 11) | (r3 >>> 21);
          xx = u * K;
          col = Math.floor(xx * 2.3283064365386963e-10);
          kk = m * K + col;
          s3 += xx - col * 4294967296 < thr[kk]! ? col : alias[kk]!;
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
          t1 = Math.imul(r1, 5);
          u = Math.imul((t1 << 7) | (t1 >>> 25), 9) >>> 0;
          t = r1 << 9;
          r2 ^= r0;
          r3 ^= r1;
          r1 ^= r2;
          r0 ^= r3;
          r2 ^= t;
          r3 = (r3 << 11) | (r3 >>> 21);
          xx = u * K;
          col = Math.floor(xx * 2.3283064365386963e-10);
          kk = m * K + col;
          s += xx - col * 4294967296 < thr[kk]! ? col : alias[kk]!;
        }
      }
      out[o * P + p] = na - 2 * s;
    }
  }
  rs[0] = r0;
  rs[1] = r1;
  rs[2] = r2;
  rs[3] = r3;
}
