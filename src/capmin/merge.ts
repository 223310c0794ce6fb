/**
 * CapMin-V (paper Sec. III-B, Alg. 1): merge the least reliable spike times of CapMin's k kept levels φ times.
 *
 * Order. Alg. 1 indexes spike times t_1 < t_2 < … (t_1 = shortest = most conducting cells). capmin takes the kept
 * levels with their nominal spike times in any order and works in spike-time order (a level with no spike,
 * t = Infinity, is the slowest); "left" = shorter spike time, "right" = longer spike time.
 *
 * One merge step (Alg. 1 lines 4–14):
 *  - j = argmin of the diagonal p_{j,j}. Ties (equal within TIE_EPS): the shortest spike time (the paper's argmin returns the first index,
 *    and shorter spike times are the less reliable ones by the paper's own hypothesis).
 *  - Boundaries merge inward (the first spike time into the second, the last into the one before).
 *  - Interior: Alg. 1 lines 6–11 and the paper's prose ("If p_{i−1,i−1} … is smaller than p_{i+1,i+1} …, a left
 *    merge will be performed. Otherwise, a right merge") merge into the neighbour with the *lower* diagonal entry:
 *    `mergeToward: 'lower'`, the default. `mergeToward: 'higher'` merges into the neighbour with the higher diagonal
 *    entry instead (a departure from the paper, kept for comparison). Ties between the neighbours go to the right
 *    (Alg. 1's `else` branch), i.e. to the longer, more reliable spike time, in both directions.
 *  - Column j is added into the target's column, then row and column j are removed.
 *
 * Padding (Alg. 1 line 15). Every removed level maps to the surviving spike time it was (transitively) merged into,
 * so the level → read-level map covers the whole clipped range; its P_map row is the survivor's merged row (the level
 * is read out as that spike time, with that spike time's error distribution). Levels outside the clipped range
 * (Eq. 4): `pad: 'paper'` (default) makes their rows one-hot on the bound, as line 15 prints it ("pads P_map with
 * zeros … and adds 1s to realize the clipping"); `pad: 'bound'` gives them the bound's error row (clip first, then
 * read through the bound's spike time). docs/capmin.md says why the pipeline uses `paper`.
 */

import { accumulateRow, makeBuckets } from '../errormodel/pmap.js';

/** Interior merge target of Alg. 1: the neighbour with the lower diagonal entry (lines 6–11) or the higher one. */
export type MergeToward = 'lower' | 'higher';
/** Rows of clipped levels after padding: one-hot on the bound (Alg. 1 line 15) or the bound's error row. */
export type PadMode = 'paper' | 'bound';
/** Alg. 1 lines 6–11 as printed. */
export const DEFAULT_MERGE_TOWARD: MergeToward = 'lower';
/** Alg. 1 line 15 as printed (docs/capmin.md: why the pipeline uses it). */
export const DEFAULT_PAD: PadMode = 'paper';

/**
 * Probabilities within this distance count as equal (ties), so that column sums such as 0.7 + 0.2 vs 0.9 do not
 * turn a tie into a decision by rounding error.
 */
export const TIE_EPS = 1e-12;

/** One merge of Alg. 1. Positions are in spike-time order of the step's current set. */
export interface MergeStep {
  step: number;
  /** level whose spike time is removed */
  removed: number;
  /** level whose spike time absorbs it */
  into: number;
  /** p_{j,j} of the removed level at this step */
  diag: number;
  /** 'left' (shorter spike time) or 'right' (longer) */
  direction: 'left' | 'right';
  /** why this direction: 'boundary', 'neighbour-diagonal' or 'tie' */
  reason: 'boundary' | 'neighbour-diagonal' | 'tie';
}

export interface CapminVResult {
  phi: number;
  mergeToward: MergeToward;
  /** the k kept levels in spike-time order (shortest first) */
  order: number[];
  /** surviving levels (k − φ), in spike-time order */
  survivors: number[];
  /** nominal spike time of each survivor [s] */
  survivorTimes: number[];
  /** the merged P_map over survivors (rows/cols in `survivors` order) — Alg. 1's result before padding */
  merged: number[][];
  /** for each kept level, the survivor it reads as (itself if it survived) */
  readLevel: Record<number, number>;
  steps: MergeStep[];
  /** diagonal of `merged` */
  diagonal: number[];
}

function checkSquare(p: readonly (readonly number[])[], k: number, what: string): void {
  if (p.length !== k) throw new Error(`${what} has ${p.length} rows; expected ${k}`);
  p.forEach((row, i) => {
    if (row.length !== k) throw new Error(`${what} row ${i} has ${row.length} entries; expected ${k}`);
    row.forEach((v, j) => {
      if (!Number.isFinite(v) || v < 0) throw new Error(`${what}[${i}][${j}] = ${v}; probabilities must be finite and ≥ 0`);
    });
  });
}

/**
 * CapMin-V (Alg. 1).
 * @param levels the kept levels (CapMin's k levels), any order
 * @param spikeTimes nominal spike time of each level in `levels` order [s] (Infinity = no spike); fixes the order
 * @param pMap P_map over `levels` (rows = true level, columns = read level, both in `levels` order)
 * @param phi number of merges, 0 ≤ φ ≤ k − 1
 * @param opts.mergeToward interior merge target (default 'lower', Alg. 1 lines 6–11)
 */
export function capminV(
  levels: readonly number[],
  spikeTimes: readonly number[],
  pMap: readonly (readonly number[])[],
  phi: number,
  opts: { mergeToward?: MergeToward } = {},
): CapminVResult {
  const toward = opts.mergeToward ?? DEFAULT_MERGE_TOWARD;
  if (toward !== 'lower' && toward !== 'higher') throw new Error(`mergeToward = ${String(toward)}; allowed: lower, higher`);
  const k = levels.length;
  if (k < 1) throw new Error('capminV: no levels');
  if (new Set(levels).size !== k) throw new Error('capminV: levels must be distinct');
  if (spikeTimes.length !== k) throw new Error(`capminV: ${spikeTimes.length} spike times for ${k} levels`);
  spikeTimes.forEach((t, i) => {
    if (Number.isNaN(t) || t < 0) throw new Error(`capminV: spike time of level ${levels[i]} is ${t}; must be ≥ 0 or Infinity`);
  });
  checkSquare(pMap, k, 'pMap');
  if (!Number.isInteger(phi) || phi < 0 || phi > k - 1) throw new Error(`phi = ${phi}; allowed range 0..${k - 1} (integer)`);

  // Spike-time order, shortest first; equal times (should not happen for kept levels) by higher level first.
  const idx = levels.map((_, i) => i).sort((x, y) => spikeTimes[x]! - spikeTimes[y]! || levels[y]! - levels[x]!);
  const order = idx.map((i) => levels[i]!);
  let times = idx.map((i) => spikeTimes[i]!);
  let cur = order.slice();
  let P = idx.map((i) => idx.map((j) => pMap[i]![j]!));
  const into = new Map<number, number>();
  const steps: MergeStep[] = [];

  for (let step = 1; step <= phi; step++) {
    const n = cur.length;
    let j = 0;
    for (let i = 1; i < n; i++) if (P[i]![i]! < P[j]![j]! - TIE_EPS) j = i; // first (shortest) wins ties
    let t: number;
    let reason: MergeStep['reason'];
    if (j === 0) {
      t = 1;
      reason = 'boundary';
    } else if (j === n - 1) {
      t = n - 2;
      reason = 'boundary';
    } else {
      const dl = P[j - 1]![j - 1]!;
      const dr = P[j + 1]![j + 1]!;
      if (Math.abs(dl - dr) <= TIE_EPS) {
        t = j + 1;
        reason = 'tie';
      } else {
        const left = toward === 'lower' ? dl < dr : dl > dr;
        t = left ? j - 1 : j + 1;
        reason = 'neighbour-diagonal';
      }
    }
    steps.push({ step, removed: cur[j]!, into: cur[t]!, diag: P[j]![j]!, direction: t < j ? 'left' : 'right', reason });
    into.set(cur[j]!, cur[t]!);
    for (let i = 0; i < n; i++) P[i]![t]! += P[i]![j]!;
    P = P.filter((_, r) => r !== j).map((row) => row.filter((_, c) => c !== j));
    cur = cur.filter((_, r) => r !== j);
    times = times.filter((_, r) => r !== j);
  }

  const readLevel: Record<number, number> = {};
  for (const m of order) {
    let s = m;
    while (into.has(s)) s = into.get(s)!;
    readLevel[m] = s;
  }
  return {
    phi,
    mergeToward: toward,
    order,
    survivors: cur,
    survivorTimes: times,
    merged: P,
    readLevel,
    steps,
    diagonal: P.map((row, i) => row[i]!),
  };
}

function checkPad(pad: PadMode): void {
  if (pad !== 'paper' && pad !== 'bound') throw new Error(`pad = ${String(pad)}; allowed: paper, bound`);
}

/**
 * Alg. 1 line 15, padding: rows 0..a of a full level-indexed P_map from the rows of the clipped range [lo, hi].
 * `rowOf(m)` is the row of a level inside the range; `readOf(m)` the level it reads as without variation. A level
 * outside the range is clipped to its bound b (Eq. 4): `paper` → one-hot on readOf(b) (the "1s" of line 15; readOf(b)
 * = b unless b itself was merged away), `bound` → rowOf(b).
 */
export function padRows(a: number, lo: number, hi: number, rowOf: (m: number) => number[], readOf: (m: number) => number, pad: PadMode = DEFAULT_PAD): number[][] {
  checkPad(pad);
  return Array.from({ length: a + 1 }, (_, m) => {
    if (m >= lo && m <= hi) return rowOf(m);
    const b = m < lo ? lo : hi;
    if (pad === 'bound') return rowOf(b);
    const row = new Array<number>(a + 1).fill(0);
    row[readOf(b)] = 1;
    return row;
  });
}

/**
 * Alg. 1 line 15, padding: the full (a+1)×(a+1) level-indexed P_map of a CapMin-V result over the clipped range
 * [lo, hi] = [min(levels), max(levels)]. Row m (lo ≤ m ≤ hi) = merged row of readLevel[m]; rows outside the range
 * follow `pad` (see padRows; default 'paper'). Columns of removed levels are 0.
 */
export function padCapminV(r: CapminVResult, a: number, opts: { pad?: PadMode } = {}): number[][] {
  const pos = new Map(r.survivors.map((m, i) => [m, i]));
  const lo = Math.min(...r.order);
  const hi = Math.max(...r.order);
  if (lo < 0 || hi > a) throw new Error(`padCapminV: levels ${lo}..${hi} outside 0..${a}`);
  for (let m = lo; m <= hi; m++) if (!(m in r.readLevel)) throw new Error(`padCapminV: level ${m} lies in the clipped range ${lo}..${hi} but is not a kept level`);
  const rowOf = (m: number): number[] => {
    const s = r.readLevel[m]!;
    const src = r.merged[pos.get(s)!]!;
    const row = new Array<number>(a + 1).fill(0);
    r.survivors.forEach((n, j) => (row[n] = src[j]!));
    return row;
  };
  return padRows(a, lo, hi, rowOf, (m) => r.readLevel[m]!, opts.pad ?? DEFAULT_PAD);
}

/** The level → read-level map of a CapMin-V result over 0..a (clip to [lo, hi], then readLevel). */
export function readLevelTable(r: CapminVResult, a: number): number[] {
  const lo = Math.min(...r.order);
  const hi = Math.max(...r.order);
  return Array.from({ length: a + 1 }, (_, m) => r.readLevel[m < lo ? lo : m > hi ? hi : m]!);
}

/** Result of re-bucketing raw Monte-Carlo samples with the merged decision boundaries. */
export interface RebucketResult {
  /** kept levels, ascending (rows) */
  levels: number[];
  /** surviving levels, ascending (columns) */
  survivors: number[];
  /** P(read survivor j | true level i): rows for every kept level, columns = survivors */
  matrix: number[][];
  /** decision boundaries between consecutive survivors in spike-time order [s] */
  boundaries: number[];
  /** samples per row */
  samples: number[];
  /** the survivor each kept level reads as without variation (rows order) */
  readLevel: number[];
  /** P(read == readLevel[level]) per kept level (the "correct" read after merging) */
  pCorrect: number[];
}

/**
 * Re-bucketing variant of CapMin-V: with the survivors' nominal spike times as the only spike times the read-out
 * knows, decision boundaries lie midway between neighbouring survivors (first/last buckets open; a sample exactly on
 * a boundary is split half/half, as in errormodel's P_map); every raw Monte-Carlo sample of every kept level
 * (removed ones included — their currents still exist) is sorted into those buckets by errormodel's `bucketOf`,
 * the same membership rule as the P_map itself.
 * @param samplesByLevel sample spike times per level (indexed by level)
 * @param opts.fClk registered spike times: decide membership in integer clock cycles (a removed level whose
 *   neighbours are one cycle away on each side sits exactly on the new boundary and is split half/half)
 */
export function rebucket(
  r: Pick<CapminVResult, 'order' | 'survivors' | 'survivorTimes' | 'readLevel'>,
  samplesByLevel: ReadonlyArray<ArrayLike<number> | undefined> | ReadonlyMap<number, ArrayLike<number>>,
  opts: { fClk?: number } = {},
): RebucketResult {
  const get = (m: number): ArrayLike<number> =>
    samplesByLevel instanceof Map ? ((samplesByLevel as ReadonlyMap<number, ArrayLike<number>>).get(m) ?? []) : ((samplesByLevel as ReadonlyArray<ArrayLike<number> | undefined>)[m] ?? []);
  const levels = [...r.order].sort((x, y) => x - y);
  const survivors = [...r.survivors].sort((x, y) => x - y);
  const tOf = new Map(r.survivors.map((m, i) => [m, r.survivorTimes[i]!]));
  const b = makeBuckets(survivors.map((m) => tOf.get(m)!), opts);
  const col = new Map(survivors.map((m, j) => [m, j]));
  const samples: number[] = [];
  const matrix = levels.map((m) => {
    const ts = get(m);
    const row = new Array<number>(survivors.length).fill(0);
    accumulateRow(b, ts, row);
    samples.push(ts.length);
    if (ts.length === 0) {
      // No samples: the nominal read (its survivor) with certainty.
      row[col.get(r.readLevel[m]!)!] = 1;
      return row;
    }
    return row.map((c) => c / ts.length);
  });
  const readLevel = levels.map((m) => r.readLevel[m]!);
  const pCorrect = readLevel.map((s, i) => matrix[i]![col.get(s)!]!);
  return { levels, survivors, matrix, boundaries: b.boundaries, samples, readLevel, pCorrect };
}

/**
 * Full (a+1)×(a+1) level-indexed P_map of a re-bucketed result (Alg. 1 line 15; rows outside the kept range follow
 * `pad`, see padRows; default 'paper').
 */
export function padRebucket(rb: RebucketResult, a: number, opts: { pad?: PadMode } = {}): number[][] {
  const lo = rb.levels[0]!;
  const hi = rb.levels[rb.levels.length - 1]!;
  const rowPos = new Map(rb.levels.map((m, i) => [m, i]));
  const at = (c: number): number => {
    const i = rowPos.get(c);
    if (i === undefined) throw new Error(`padRebucket: level ${c} in ${lo}..${hi} is not a kept level`);
    return i;
  };
  for (let m = lo; m <= hi; m++) at(m);
  const rowOf = (c: number): number[] => {
    const i = at(c);
    const row = new Array<number>(a + 1).fill(0);
    rb.survivors.forEach((n, j) => (row[n] = rb.matrix[i]![j]!));
    return row;
  };
  return padRows(a, lo, hi, rowOf, (c) => rb.readLevel[at(c)]!, opts.pad ?? DEFAULT_PAD);
}

/** Per-level comparison of Alg. 1's padded P_map against re-bucketing the same samples. */
export interface MergeComparison {
  levels: number[];
  readLevel: number[];
  /** P(correct read) per kept level under Alg. 1 (column-merge, row of the survivor for removed levels) */
  pCorrectAlg1: number[];
  /** P(correct read) per kept level when the samples are re-bucketed with the merged boundaries */
  pCorrectRebucket: number[];
  /** mean over kept levels, and weighted by F_MAC when given */
  meanAlg1: number;
  meanRebucket: number;
  weightedAlg1?: number;
  weightedRebucket?: number;
  /** max over levels and columns of |P_alg1 − P_rebucket| */
  maxAbsDiff: number;
  /**
   * Expected |read level − true level| per kept level (Alg. 1 / re-bucketed): the MAC error the merge costs, which
   * P(correct) hides (a removed level "reads correctly" as its survivor, however far away that survivor is).
   */
  absErrAlg1: number[];
  absErrRebucket: number[];
  /** their means over kept levels (F_MAC-weighted when fMac is given) */
  meanAbsErrAlg1: number;
  meanAbsErrRebucket: number;
}

/** Compare Alg. 1 (column merge) with re-bucketing on the same data (optionally weighted by F_MAC). */
export function compareMerge(r: CapminVResult, rb: RebucketResult, a: number, fMac?: readonly number[]): MergeComparison {
  const A = padCapminV(r, a);
  const B = padRebucket(rb, a);
  const levels = rb.levels;
  const readLevel = levels.map((m) => r.readLevel[m]!);
  const pA = levels.map((m, i) => A[m]![readLevel[i]!]!);
  const pB = levels.map((m, i) => B[m]![readLevel[i]!]!);
  let maxAbsDiff = 0;
  for (const m of levels) for (let j = 0; j <= a; j++) maxAbsDiff = Math.max(maxAbsDiff, Math.abs(A[m]![j]! - B[m]![j]!));
  const mean = (v: number[]) => v.reduce((s, x) => s + x, 0) / v.length;
  const absErr = (M: number[][]) => levels.map((m) => M[m]!.reduce((s, p, j) => s + p * Math.abs(j - m), 0));
  const eA = absErr(A);
  const eB = absErr(B);
  const w = fMac ? levels.map((m) => fMac[m] ?? 0) : null;
  const ws = w ? w.reduce((s, x) => s + x, 0) : 0;
  const wmean = (v: number[]) => (w && ws > 0 ? v.reduce((s, x, i) => s + x * w[i]!, 0) / ws : mean(v));
  const out: MergeComparison = {
    levels,
    readLevel,
    pCorrectAlg1: pA,
    pCorrectRebucket: pB,
    meanAlg1: mean(pA),
    meanRebucket: mean(pB),
    maxAbsDiff,
    absErrAlg1: eA,
    absErrRebucket: eB,
    meanAbsErrAlg1: wmean(eA),
    meanAbsErrRebucket: wmean(eB),
  };
  if (w && ws > 0) {
    out.weightedAlg1 = pA.reduce((s, x, i) => s + x * w[i]!, 0) / ws;
    out.weightedRebucket = pB.reduce((s, x, i) => s + x * w[i]!, 0) / ws;
  }
  return out;
}
