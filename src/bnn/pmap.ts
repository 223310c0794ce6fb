/**
 * Level transforms applied to every array chunk: CapMin clipping (paper Eq. 4) and the P_map error model
 * (paper Eq. 6). Levels m are the number of conducting cells (weight ≠ input), 0..a.
 *
 * File formats read by `readPMap` (parsed and validated in src/errormodel/pmapfile.ts):
 * - capmin CSV (src/errormodel): a header row `level,<m0>,<m1>,…` naming the column levels, then one row per level
 *   (first column = its level, same order); the levels may be a subset of 0..a. Without the label column the
 *   header lists the levels and rows follow in that order.
 * - a headerless (a+1)×(a+1) numeric table indexed by m (`numpy.savetxt`, comma or whitespace delimited).
 * - capmin JSON: `{ "levels": [...], "matrix": [[...], ...] }` (also `pMap` / `p_map` / `pmap` / `P`), or a bare
 *   (a+1)×(a+1) matrix; indexed by m. Levels not listed read themselves (identity rows). A matrix that is not
 *   (a+1)×(a+1) must name its levels.
 * - SPICE-Torch .npy: a float32/float64 (a+1)×(a+1) matrix indexed by popcount = a − m (converted here); a 1-D
 *   .npy of length a+1 is SPICE-Torch's direct mapping popcount → popcount' (deterministic).
 * Rows must be probability vectors of finite numbers in [0, 1] (sum 1 within 1e-3; they are renormalized); an
 * all-zero row (a level that the model never reads) is taken as the identity.
 */
import { CapminError, inputError } from '../util/errors.js';
import { readUserFile } from '../util/readfile.js';
import { parsePmapBytes, popcountToLevelIndex, validatePmapMatrix } from '../errormodel/pmapfile.js';

/** P(read level m' | level m): rows indexed by m, (a+1)×(a+1). */
export type PMap = number[][];

/** Parse `--clip lo,hi` (also `lo..hi`), 0 <= lo <= hi <= a. */
export function parseClip(text: string, a: number, field = '--clip'): [number, number] {
  const m = /^\s*(\d+)\s*(?:,|\.\.)\s*(\d+)\s*$/.exec(text);
  if (!m) throw inputError(field, `'${text.slice(0, 40)}' is not lo,hi (integers within 0..${a}, e.g. 9,22)`);
  const lo = Number(m[1]);
  const hi = Number(m[2]);
  if (lo > hi) throw inputError(field, `lo ${lo} > hi ${hi}; use lo,hi within 0..${a}`);
  if (hi > a) throw inputError(field, `${hi} is above the array size; allowed range 0..${a}`);
  return [lo, hi];
}

/** Eq. 4 as a lookup table: level m → min(max(m, lo), hi). */
export function clipTable(a: number, clip?: readonly [number, number]): Int32Array {
  const t = new Int32Array(a + 1);
  for (let m = 0; m <= a; m++) t[m] = clip ? Math.min(Math.max(m, clip[0]), clip[1]) : m;
  return t;
}

/** Identity P_map (every level read correctly). */
export function identityPMap(a: number): PMap {
  return Array.from({ length: a + 1 }, (_, i) => Array.from({ length: a + 1 }, (_, j) => (i === j ? 1 : 0)));
}

/** Check and renormalize a full (a+1)×(a+1) P_map indexed by level m (the shared P_map validation); names the offending row. */
export function validatePMap(p: number[][], a: number, label = 'P_map'): PMap {
  return validatePmapMatrix(p, { label, a, renormalize: true }).matrix;
}

/** Convert a matrix indexed by popcount (SPICE-Torch) into one indexed by level m = a − popcount. */
export function fromPopcountIndex(p: number[][]): number[][] {
  return popcountToLevelIndex(p);
}

/**
 * Read a P_map file (CSV / JSON / headerless numeric table indexed by level, .npy indexed by popcount) for array
 * size a; levels the file does not cover read themselves. Regular files only, size-capped.
 */
export function readPMap(path: string, a: number, field = '--pmap'): PMap {
  const buf = readUserFile(path, { field, kind: 'table' });
  const p = parsePmapBytes(buf, { label: `${field}: ${path}`, path, a });
  return expandLevels(p.matrix, p.levels, a, `${field}: ${path}`);
}

/**
 * A P_map over a subset of levels (rows and columns in `levels` order) as a full (a+1)×(a+1) matrix indexed by m;
 * levels not listed read themselves (identity rows).
 */
export function expandLevels(rows: number[][], levels: number[], a: number, label = 'P_map'): PMap {
  const n = levels.length;
  if (rows.length !== n || rows.some((r) => r.length !== n)) {
    throw new CapminError(`${label}: P_map must be square over its ${n} levels, got ${rows.length}×${rows[0]?.length ?? 0}`, 'EDATA');
  }
  if (levels.some((m) => !Number.isInteger(m) || m < 0 || m > a)) throw new CapminError(`${label}: levels must be integers 0..${a} (a = ${a})`, 'EDATA');
  if (new Set(levels).size !== n) throw new CapminError(`${label}: levels must be distinct`, 'EDATA');
  const full = identityPMap(a);
  levels.forEach((m, i) => {
    const row = new Array<number>(a + 1).fill(0);
    levels.forEach((m2, j) => (row[m2] = rows[i]![j]!));
    full[m] = row;
  });
  return validatePMap(full, a, label);
}

/** Write a P_map as capmin CSV text (header `level,0,1,...,a`; one row per level m). */
export function pMapToCsv(p: PMap): string {
  const a = p.length - 1;
  const head = ['level', ...Array.from({ length: a + 1 }, (_, j) => String(j))].join(',');
  return [head, ...p.map((r, i) => [String(i), ...r.map((v) => String(v))].join(','))].join('\n') + '\n';
}

/**
 * Per-level tables for the engine (indexed by the raw level m; the P_map row used is the clipped level's):
 * - `lut`: clipped level (Eq. 4); `det`: deterministic read level (clipping, then a one-hot P_map row), or −1
 *   when the row must be sampled;
 * - `bucket`/`cdf`: inversion tables of the whole row (direct sampling): `cdf[m·K + j]` = P(read ≤ j)·2^42
 *   (rounded, last = 2^42); `bucket[m·1024 + i]` = the read level of every u ∈ [i, i+1)/1024 when that interval
 *   lies inside one level's CDF step, else −1 (resolved with 32 more random bits against `cdf`);
 * - `base`: the row's most likely read level; `q[m]` = 1 − P(base); `qMax` = max q;
 *   `accept` = q/qMax·2^32 and `devThr`/`devAlias`: alias table of the row without `base`, renormalized
 *   (thinned sampling, see kernels.ts Sampler).
 * Alias draws use one uniform 32-bit word u: x = u·K, column = ⌊x / 2^32⌋, keep it if x mod 2^32 < thr, else alias.
 */
export interface LevelTables {
  a: number;
  lut: Int32Array;
  det: Int32Array;
  bucket: Int8Array;
  cdf: Float64Array;
  base: Int32Array;
  q: Float64Array;
  qMax: number;
  accept: Float64Array;
  devThr: Float64Array;
  devAlias: Int32Array;
  /** true when any level needs sampling */
  sampled: boolean;
  /** true when every level reads itself (no clipping effect, no errors) */
  exact: boolean;
}

/**
 * Build the per-level tables for clipping `clip` and an optional P_map (rows of the clipped level are used, so a
 * clipped level reads with the bound's error row — CapMin-V's `pad: 'bound'`; a P_map padded one-hot on the bound,
 * `pad: 'paper'` of Alg. 1 line 15, carries the clipping itself and is passed without `clip`).
 */
export function levelTables(a: number, clip?: readonly [number, number], pMap?: PMap): LevelTables {
  const K = a + 1;
  const lut = clipTable(a, clip);
  const det = new Int32Array(K);
  const bucket = new Int8Array(K * BUCKETS);
  const cdf = new Float64Array(K * K);
  const base = new Int32Array(K);
  const q = new Float64Array(K);
  const devThr = new Float64Array(K * K);
  const devAlias = new Int32Array(K * K);
  let sampled = false;
  for (let m = 0; m <= a; m++) {
    const c = lut[m]!;
    if (!pMap) {
      det[m] = c;
      base[m] = c;
      continue;
    }
    const row = pMap[c]!;
    let mode = 0;
    for (let j = 1; j <= a; j++) if (row[j]! > row[mode]!) mode = j;
    base[m] = mode;
    const qm = 1 - row[mode]!;
    if (qm <= 0 || row.every((v, j) => j === mode || v === 0)) {
      det[m] = mode;
      continue;
    }
    det[m] = -1;
    q[m] = qm;
    sampled = true;
    buildBuckets(row, bucket, cdf, m);
    buildAlias(row.map((v, j) => (j === mode ? 0 : v / qm)), devThr, devAlias, m * K);
  }
  let qMax = 0;
  for (let m = 0; m <= a; m++) qMax = Math.max(qMax, q[m]!);
  const accept = new Float64Array(K);
  for (let m = 0; m <= a; m++) accept[m] = qMax > 0 ? Math.round((q[m]! / qMax) * 4294967296) : 0;
  let exact = !sampled;
  for (let m = 0; m <= a && exact; m++) if (det[m] !== m) exact = false;
  return { a, lut, det, bucket, cdf, base, q, qMax, accept, devThr, devAlias, sampled, exact };
}

/** Buckets of the direct sampler: 10 random bits pick one of 1024 equal slices of [0, 1). */
export const BUCKET_BITS = 10;
const BUCKETS = 1 << BUCKET_BITS;
const TWO42 = 2 ** 42;

/** Inversion tables of one row (see LevelTables): exact to 2^-42. */
export function buildBuckets(row: readonly number[], bucket: Int8Array, cdf: Float64Array, m: number): void {
  const K = row.length;
  let acc = 0;
  let last = 0;
  row.forEach((v, j) => v > 0 && (last = j));
  for (let j = 0; j < K; j++) {
    acc += row[j]!;
    cdf[m * K + j] = j >= last ? TWO42 : Math.min(TWO42, Math.round(acc * TWO42));
  }
  const level = (x: number) => {
    let j = 0;
    while (x >= cdf[m * K + j]!) j++;
    return j;
  };
  const step = TWO42 / BUCKETS;
  for (let i = 0; i < BUCKETS; i++) {
    const lo = level(i * step);
    bucket[m * BUCKETS + i] = lo === level((i + 1) * step - 1) ? lo : -1;
  }
}

/** Vose's alias method on probabilities `p` into thr/alias at offset `off` (thresholds scaled to 2^32). */
export function buildAlias(p: readonly number[], thr: Float64Array, alias: Int32Array, off: number): void {
  const K = p.length;
  const scaled = p.map((v) => v * K);
  const small: number[] = [];
  const large: number[] = [];
  scaled.forEach((v, i) => (v < 1 ? small : large).push(i));
  const prob = new Float64Array(K);
  const al = new Int32Array(K);
  while (small.length && large.length) {
    const s = small.pop()!;
    const l = large.pop()!;
    prob[s] = scaled[s]!;
    al[s] = l;
    scaled[l] = scaled[l]! + scaled[s]! - 1;
    (scaled[l]! < 1 ? small : large).push(l);
  }
  for (const i of [...large, ...small]) {
    prob[i] = 1;
    al[i] = i;
  }
  for (let i = 0; i < K; i++) {
    thr[off + i] = Math.round(prob[i]! * 4294967296);
    alias[off + i] = al[i]!;
  }
}
