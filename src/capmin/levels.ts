/**
 * CapMin (paper Sec. III-A, Eq. 4): keep the k most frequent MAC levels and clip every other level to the
 * nearest kept bound.
 *
 * Levels are indexed by m = number of conducting cells (0..a), the index of `fMac`.
 *
 * Eq. 4 clips to a *range* [q_first, q_last], and every level inside the range keeps its own spike time, so the
 * number of spike times the capacitor must resolve is hi − lo + 1. When the k most frequent levels are not
 * contiguous (a bimodal or ragged F_MAC), "the k most frequent levels" and "a range" disagree. capmin resolves this
 * by taking **the contiguous window of k levels with the largest total frequency** (the window that reads the most
 * sub-MACs exactly):
 *  - it keeps the spike-time budget at exactly k (the span of the top-k set would need more than k spike times
 *    and so a larger capacitor than the k that was asked for);
 *  - when the top-k set is contiguous (the unimodal F_MAC of every network in the paper's Fig. 1) the window *is*
 *    the top-k set, so the paper's definition is reproduced exactly;
 *  - ties are deterministic: among windows of equal total, the one holding the most top-k levels, then the one
 *    whose centre is nearest the frequency-weighted mean level, then the lowest `lo`.
 * The top-k set itself is also reported (ties: higher count, then nearer the weighted mean, then lower level),
 * with its span and whether it is contiguous.
 */

/** Result of CapMin for one k. */
export interface CapminLevels {
  k: number;
  /** number of cells a (= fMac.length − 1) */
  a: number;
  /** clipping bounds of Eq. 4 (q_first, q_last as levels m) */
  lo: number;
  hi: number;
  /** the kept levels lo..hi (length k) */
  levels: number[];
  /** the k most frequent levels, ascending */
  topK: number[];
  /** whether topK is a contiguous run of levels (then levels == topK) */
  contiguous: boolean;
  /** the span [min(topK), max(topK)] — what "clip to the top-k range" would need instead */
  topKSpan: [number, number];
  /** fraction of all sub-MACs whose level lies in [lo, hi] (read without clipping) */
  coverage: number;
  /** fraction of all sub-MACs whose level is one of topK */
  topKCoverage: number;
}

/** Check an F_MAC histogram: ≥ 2 finite non-negative counts with a positive total. */
export function checkFmac(fMac: readonly number[]): void {
  if (!Array.isArray(fMac) && !(fMac as unknown as ArrayLike<number>).length) throw new Error('fMac must be an array of counts');
  if (fMac.length < 2) throw new Error(`fMac has ${fMac.length} bins; needs a+1 ≥ 2 (one per level 0..a)`);
  fMac.forEach((f, m) => {
    if (typeof f !== 'number' || !Number.isFinite(f) || f < 0) throw new Error(`fMac[${m}] = ${String(f)}; counts must be finite and ≥ 0`);
  });
  if (fMac.reduce((s, f) => s + f, 0) <= 0) throw new Error('fMac is all zeros; nothing to rank');
}

/** Frequency-weighted mean level of F_MAC. */
export function meanLevel(fMac: readonly number[]): number {
  let s = 0;
  let w = 0;
  fMac.forEach((f, m) => {
    s += f * m;
    w += f;
  });
  return w > 0 ? s / w : (fMac.length - 1) / 2;
}

/** The k most frequent levels (ascending). Ties: higher count, then nearer the weighted mean, then lower level. */
export function topKLevels(fMac: readonly number[], k: number): number[] {
  checkFmac(fMac);
  checkK(k, fMac.length);
  const mu = meanLevel(fMac);
  const order = fMac
    .map((_, m) => m)
    .sort((x, y) => fMac[y]! - fMac[x]! || Math.abs(x - mu) - Math.abs(y - mu) || x - y);
  return order.slice(0, k).sort((x, y) => x - y);
}

function checkK(k: number, bins: number): void {
  if (!Number.isInteger(k) || k < 1 || k > bins) throw new Error(`k = ${k}; allowed range 1..${bins} (integer)`);
}

/** CapMin (Sec. III-A): kept levels and the clipping bounds of Eq. 4 for k (see the module comment for the range rule). */
export function capminLevels(fMac: readonly number[], k: number): CapminLevels {
  checkFmac(fMac);
  checkK(k, fMac.length);
  const a = fMac.length - 1;
  const total = fMac.reduce((s, f) => s + f, 0);
  const top = topKLevels(fMac, k);
  const inTop = new Set(top);
  const mu = meanLevel(fMac);
  let best = { lo: 0, sum: -1, nTop: -1, dist: Infinity };
  for (let lo = 0; lo + k - 1 <= a; lo++) {
    let sum = 0;
    let nTop = 0;
    for (let m = lo; m < lo + k; m++) {
      sum += fMac[m]!;
      if (inTop.has(m)) nTop++;
    }
    const dist = Math.abs(lo + (k - 1) / 2 - mu);
    const better =
      sum > best.sum || (sum === best.sum && (nTop > best.nTop || (nTop === best.nTop && dist < best.dist - 1e-12)));
    if (better) best = { lo, sum, nTop, dist };
  }
  const lo = best.lo;
  const hi = lo + k - 1;
  const levels = Array.from({ length: k }, (_, i) => lo + i);
  const contiguous = top[top.length - 1]! - top[0]! === k - 1;
  return {
    k,
    a,
    lo,
    hi,
    levels,
    topK: top,
    contiguous,
    topKSpan: [top[0]!, top[top.length - 1]!],
    coverage: best.sum / total,
    topKCoverage: top.reduce((s, m) => s + fMac[m]!, 0) / total,
  };
}

/** Eq. 4: the clipped level of m for bounds [lo, hi]. */
export function clipLevel(m: number, lo: number, hi: number): number {
  return m < lo ? lo : m > hi ? hi : m;
}

/** Eq. 4 as a lookup table over levels 0..a (what the BNN engine's clipping applies). */
export function clipTable(a: number, lo: number, hi: number): number[] {
  return Array.from({ length: a + 1 }, (_, m) => clipLevel(m, lo, hi));
}
