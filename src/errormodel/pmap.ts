/**
 * The error model P_map (paper Eq. 6, Sec. III-B and IV-C): for a set of kept levels with nominal spike times,
 * decision boundaries lie midway between neighbouring spike times (the first and last buckets are open); each
 * Monte-Carlo sample of level i falls into a bucket j; counts normalised per row give p_{i,j}.
 *
 * Rows and columns are indexed by the level m (number of conducting cells, 0..a) in `levels` order.
 * Pure functions only; file formats live in pmapio.ts.
 */

/** A P_map over a set of levels. `matrix[i][j]` = P(read level levels[j] | true level levels[i]). */
export interface Pmap {
  /** kept levels, ascending (row/column order) */
  levels: number[];
  /** nominal spike time per kept level [s] (Infinity = no spike in the window) */
  nominal: number[];
  /** probabilities, rows sum to 1 */
  matrix: number[][];
  /** raw (possibly half-integer) counts behind `matrix` */
  counts: number[][];
  /** samples per row */
  samples: number[];
  /** kept levels that had no samples (their row is set to the identity) */
  emptyRows: number[];
}

/** Samples per level: an array indexed by level, or a Map level → times. */
export type SamplesByLevel = ReadonlyArray<ArrayLike<number> | undefined> | ReadonlyMap<number, ArrayLike<number>>;

function samplesOf(s: SamplesByLevel, level: number): ArrayLike<number> {
  if (s instanceof Map) return (s as ReadonlyMap<number, ArrayLike<number>>).get(level) ?? [];
  return (s as ReadonlyArray<ArrayLike<number> | undefined>)[level] ?? [];
}

/** Buckets of a level set: groups of levels with equal nominal time, in increasing time, and the boundaries between them. */
export interface Buckets {
  /** distinct nominal times, ascending (may end with Infinity) */
  times: number[];
  /** indices into `levels` for each distinct time (tied levels share a bucket and split its samples equally) */
  groups: number[][];
  /** boundaries[k] lies between times[k] and times[k+1] (midway; Infinity when times[k+1] is Infinity) */
  boundaries: number[];
}

/** Decision buckets for nominal spike times `nominal` (one per kept level, any order, Infinity allowed). */
export function makeBuckets(nominal: readonly number[]): Buckets {
  nominal.forEach((t, i) => {
    if (Number.isNaN(t) || t < 0) throw new Error(`nominal spike time #${i} is ${t}; must be ≥ 0 or Infinity`);
  });
  const order = nominal.map((_, i) => i).sort((x, y) => nominal[x]! - nominal[y]! || x - y);
  const times: number[] = [];
  const groups: number[][] = [];
  for (const i of order) {
    const t = nominal[i]!;
    if (times.length && times[times.length - 1] === t) groups[groups.length - 1]!.push(i);
    else {
      times.push(t);
      groups.push([i]);
    }
  }
  const boundaries = times.slice(0, -1).map((t, k) => {
    const u = times[k + 1]!;
    return u === Infinity ? Infinity : t + (u - t) / 2;
  });
  return { times, groups, boundaries };
}

/**
 * Bucket weights of one sample time: a list of [group index, weight] summing to 1. A sample exactly on a finite
 * boundary is split half/half between the two buckets; Infinity (no spike) goes to the Infinity bucket if one
 * exists, otherwise to the last (open) bucket.
 */
export function bucketOf(b: Buckets, t: number): Array<[number, number]> {
  if (Number.isNaN(t)) throw new Error('sample time is NaN (failed samples must be excluded and counted before bucketing)');
  const n = b.times.length;
  if (t === Infinity) return [[n - 1, 1]];
  // binary search: first boundary ≥ t
  let lo = 0;
  let hi = b.boundaries.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (b.boundaries[mid]! < t) lo = mid + 1;
    else hi = mid;
  }
  if (lo < b.boundaries.length && b.boundaries[lo] === t) return [[lo, 0.5], [lo + 1, 0.5]];
  return [[lo, 1]];
}

/**
 * Build P_map (paper Eq. 6) for `levels` from nominal spike times and Monte-Carlo samples.
 * @param nominal nominal spike time per level, indexed by level (Infinity = no spike)
 * @param samplesByLevel sample spike times per level (indexed by level, or a Map)
 * @param levels the kept levels (all a+1, or CapMin's k levels); sorted ascending in the result
 */
export function buildPmap(nominal: readonly number[], samplesByLevel: SamplesByLevel, levels: readonly number[]): Pmap {
  const lv = [...new Set(levels)].sort((x, y) => x - y);
  if (lv.length === 0) throw new Error('buildPmap: no levels');
  const nom = lv.map((m) => {
    const t = nominal[m];
    if (t === undefined) throw new Error(`buildPmap: no nominal spike time for level ${m}`);
    return t;
  });
  const b = makeBuckets(nom);
  const k = lv.length;
  const counts = lv.map(() => new Array<number>(k).fill(0));
  const samples: number[] = [];
  const emptyRows: number[] = [];
  const matrix: number[][] = [];
  lv.forEach((m, i) => {
    const ts = samplesOf(samplesByLevel, m);
    const row = counts[i]!;
    for (let s = 0; s < ts.length; s++) {
      for (const [g, w] of bucketOf(b, ts[s]!)) {
        const grp = b.groups[g]!;
        const share = w / grp.length;
        for (const j of grp) row[j]! += share;
      }
    }
    samples.push(ts.length);
    if (ts.length === 0) {
      emptyRows.push(m);
      matrix.push(lv.map((_, j) => (j === i ? 1 : 0)));
    } else {
      matrix.push(row.map((c) => c / ts.length));
    }
  });
  return { levels: lv, nominal: nom, matrix, counts, samples, emptyRows };
}

/** Diagonal p_{i,i} of a P_map (in `levels` order). */
export function pmapDiagonal(p: Pmap): number[] {
  return p.matrix.map((row, i) => row[i]!);
}

/**
 * Expand a P_map over kept levels to a full (a+1)×(a+1) matrix indexed by level m: kept rows as computed
 * (columns of levels not kept are 0), rows of levels not kept are the identity.
 */
export function expandPmap(p: Pmap, a: number): number[][] {
  const full: number[][] = Array.from({ length: a + 1 }, (_, i) => Array.from({ length: a + 1 }, (_, j) => (i === j ? 1 : 0)));
  p.levels.forEach((m, i) => {
    const row = new Array<number>(a + 1).fill(0);
    p.levels.forEach((n, j) => (row[n] = p.matrix[i]![j]!));
    full[m] = row;
  });
  return full;
}

/**
 * Re-index a full level-indexed (a+1)×(a+1) matrix by popcount (matches) = a − m, as SPICE-Torch expects:
 * out[a − i][a − j] = full[i][j] (row = true popcount, column = read popcount).
 */
export function toPopcountIndex(full: number[][], a: number): number[][] {
  return full.map((_, pi) => full[a - pi]!.map((_, pj) => full[a - pi]![a - pj]!));
}
