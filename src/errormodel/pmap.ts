/**
 * The error model P_map (paper Eq. 6, Sec. III-B and IV-C): for a set of kept levels with nominal spike times,
 * decision boundaries lie midway between neighbouring spike times (the first and last buckets are open); each
 * Monte-Carlo sample of level i falls into a bucket j; counts normalised per row give p_{i,j}. Registered spike times
 * (on the clock grid) are bucketed in integer clock cycles, so a sample on a clock edge that is itself a midpoint is
 * split half/half exactly; crossing times are bucketed in seconds.
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

/**
 * Buckets of a level set: groups of levels with equal nominal time, in increasing time, and the boundaries between
 * them. With `fClk` (registered spike times, which lie on the clock grid t = cycle / f_clk) membership is decided
 * in integer clock cycles; without it (interpolated crossing times) in seconds.
 */
export interface Buckets {
  /** distinct nominal times, ascending (may end with Infinity) */
  times: number[];
  /** indices into `levels` for each distinct time (tied levels share a bucket and split its samples equally) */
  groups: number[][];
  /** boundaries[k] lies between times[k] and times[k+1] (midway; Infinity when times[k+1] is Infinity) [s] */
  boundaries: number[];
  /** clock frequency of a registered time base [Hz]; undefined = crossing times (seconds) */
  fClk?: number;
  /** registered time base: clock cycle of each distinct time (Infinity = no spike) */
  cycles?: number[];
  /**
   * boundaries in the unit membership is decided in: c_k + c_{k+1} (twice the midpoint, an exact integer) on a
   * registered time base, the midpoint in seconds otherwise
   */
  keys: number[];
}

/** Relative distance from the clock grid that a registered time may have (float rounding of cycle / f_clk). */
const GRID_TOL = 1e-6;

/**
 * Clock cycle of a registered spike time t = cycle / f_clk (exact integer; Infinity stays Infinity). A time off
 * the clock grid is refused: registered times come from `registerSpike`, crossing times belong in seconds.
 */
export function clockCycleOf(t: number, fClk: number, what = 'spike time'): number {
  if (t === Infinity) return Infinity;
  const x = t * fClk;
  const c = Math.round(x);
  if (!Number.isFinite(x) || Math.abs(x - c) > GRID_TOL * Math.max(1, Math.abs(c))) {
    throw new Error(`${what} ${t} s is not on the ${fClk} Hz clock grid (registered times are cycle / f_clk; use seconds for crossing times)`);
  }
  return c;
}

/**
 * Decision buckets for nominal spike times `nominal` (one per kept level, any order, Infinity allowed): boundaries
 * midway between neighbouring distinct times (paper Sec. III-B, t_i^RI = t_i + (t_{i+1} − t_i)/2).
 * @param opts.fClk registered time base: decide membership in integer clock cycles (a sample on cycle c lies on the
 *   boundary between cycles c_a and c_b exactly when 2·c = c_a + c_b, which floating-point midpoints miss)
 */
export function makeBuckets(nominal: readonly number[], opts: { fClk?: number } = {}): Buckets {
  const { fClk } = opts;
  if (fClk !== undefined && !(Number.isFinite(fClk) && fClk > 0)) throw new Error(`fClk = ${fClk}; must be a finite frequency > 0`);
  nominal.forEach((t, i) => {
    if (Number.isNaN(t) || t < 0) throw new Error(`nominal spike time #${i} is ${t}; must be ≥ 0 or Infinity`);
  });
  const keyOf = nominal.map((t, i) => (fClk === undefined ? t : clockCycleOf(t, fClk, `nominal spike time #${i}`)));
  const order = nominal.map((_, i) => i).sort((x, y) => keyOf[x]! - keyOf[y]! || x - y);
  const times: number[] = [];
  const cyc: number[] = [];
  const groups: number[][] = [];
  for (const i of order) {
    if (cyc.length && cyc[cyc.length - 1] === keyOf[i]) groups[groups.length - 1]!.push(i);
    else {
      times.push(nominal[i]!);
      cyc.push(keyOf[i]!);
      groups.push([i]);
    }
  }
  const keys = cyc.slice(0, -1).map((c, k) => {
    const d = cyc[k + 1]!;
    if (d === Infinity) return Infinity;
    return fClk === undefined ? c + (d - c) / 2 : c + d;
  });
  const boundaries = fClk === undefined ? keys.slice() : keys.map((s) => (s === Infinity ? Infinity : s / (2 * fClk)));
  const b: Buckets = { times, groups, boundaries, keys };
  if (fClk !== undefined) {
    b.fClk = fClk;
    b.cycles = cyc;
  }
  return b;
}

/**
 * Bucket weights of one sample time: a list of [group index, weight] summing to 1 — the one membership rule every
 * P_map and every re-bucketing uses. A sample exactly on a finite boundary is split half/half between the two
 * buckets (on a registered time base "exactly" is decided in integer cycles: 2·c = c_a + c_b); Infinity (no
 * spike) goes to the Infinity bucket if one exists, otherwise to the last (open) bucket.
 */
export function bucketOf(b: Buckets, t: number): Array<[number, number]> {
  if (Number.isNaN(t)) throw new Error('sample time is NaN (failed samples must be excluded and counted before bucketing)');
  const n = b.times.length;
  if (t === Infinity) return [[n - 1, 1]];
  const key = b.fClk === undefined ? t : 2 * clockCycleOf(t, b.fClk, 'sample time');
  // binary search: first boundary ≥ key
  let lo = 0;
  let hi = b.keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (b.keys[mid]! < key) lo = mid + 1;
    else hi = mid;
  }
  if (lo < b.keys.length && b.keys[lo] === key) return [[lo, 0.5], [lo + 1, 0.5]];
  return [[lo, 1]];
}

/**
 * Add the bucket weights of samples `ts` to `row` (indexed like the levels behind `b.groups`); tied levels share
 * their bucket's weight equally.
 */
export function accumulateRow(b: Buckets, ts: ArrayLike<number>, row: number[]): void {
  for (let s = 0; s < ts.length; s++) {
    for (const [g, w] of bucketOf(b, ts[s]!)) {
      const grp = b.groups[g]!;
      const share = w / grp.length;
      for (const j of grp) row[j]! += share;
    }
  }
}

/**
 * Build P_map (paper Eq. 6) for `levels` from nominal spike times and Monte-Carlo samples.
 * @param nominal nominal spike time per level, indexed by level (Infinity = no spike)
 * @param samplesByLevel sample spike times per level (indexed by level, or a Map)
 * @param levels the kept levels (all a+1, or CapMin's k levels); sorted ascending in the result
 * @param opts.fClk registered time base (spike times on the clock grid): bucket in integer cycles (see makeBuckets)
 */
export function buildPmap(nominal: readonly number[], samplesByLevel: SamplesByLevel, levels: readonly number[], opts: { fClk?: number } = {}): Pmap {
  const lv = [...new Set(levels)].sort((x, y) => x - y);
  if (lv.length === 0) throw new Error('buildPmap: no levels');
  const nom = lv.map((m) => {
    const t = nominal[m];
    if (t === undefined) throw new Error(`buildPmap: no nominal spike time for level ${m}`);
    return t;
  });
  const b = makeBuckets(nom, opts);
  const k = lv.length;
  const counts = lv.map(() => new Array<number>(k).fill(0));
  const samples: number[] = [];
  const emptyRows: number[] = [];
  const matrix: number[][] = [];
  lv.forEach((m, i) => {
    const ts = samplesOf(samplesByLevel, m);
    const row = counts[i]!;
    accumulateRow(b, ts, row);
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
