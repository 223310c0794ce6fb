/**
 * Read-level tables of the analog array for one setting (clipping, Eq. 4, then a P_map, Eq. 6), shared by the
 * TypeScript and the native kernels so that both read every chunk the same way.
 *
 * - mode 'exact': every level reads itself (no clipping effect, identity P_map);
 * - 'clip': read = min(max(m, lo), hi) (lane-wise min/max in the SIMD kernels);
 * - 'lut': any other deterministic map (one-hot P_map rows), `lut[m]`;
 * - 'sample': one P_map draw per chunk from the row of the clipped level with Walker/Vose alias tables of 64 slots
 *   (the a+1 levels, the rest empty) folded per raw level m: a uniform 32-bit word u (src/bnn/philox.ts) picks
 *   slot u >> 26, kept when its low 26 bits are below the slot's threshold, else the slot's alias. An entry packs
 *   both, (threshold << 6) | alias, so a SIMD lane needs one gather. Every probability is represented to 2^-32.
 */
import { buildAlias, levelTables, type PMap } from './pmap.js';

export type ReadMode = 'exact' | 'clip' | 'lut' | 'sample';
export const READ_MODE_CODE: Record<ReadMode, number> = { exact: 0, clip: 1, lut: 2, sample: 3 };

export interface ReadTables {
  a: number;
  K: number;
  mode: ReadMode;
  lo: number;
  hi: number;
  /** deterministic read level per raw level (clip / lut / exact) */
  lut: Int32Array;
  /** alias tables per raw level, 64 slots each: table[m·64 + slot] = (threshold26 << 6) | alias (sample) */
  table: Uint32Array;
}

/** Slots of an alias table (a power of two ≥ 33, so the slot is the top 6 bits of a word). */
export const ALIAS_SLOTS = 64;

/** Tables for array size a, clipping `clip` and an optional P_map indexed by level (rows of the clipped level are used). */
export function readTables(a: number, clip?: readonly [number, number], pMap?: PMap): ReadTables {
  const K = a + 1;
  const lt = levelTables(a, clip, pMap);
  const table = new Uint32Array(K * ALIAS_SLOTS);
  const lut = Int32Array.from(lt.sampled ? lt.lut : lt.det);
  let mode: ReadMode;
  let lo = 0;
  let hi = a;
  if (lt.sampled) {
    mode = 'sample';
    const thr = new Float64Array(ALIAS_SLOTS);
    const alias = new Int32Array(ALIAS_SLOTS);
    for (let m = 0; m <= a; m++) {
      const row = pMap![lt.lut[m]!]!;
      buildAlias(
        Array.from({ length: ALIAS_SLOTS }, (_, j) => (j <= a ? row[j]! : 0)),
        thr,
        alias,
        0,
      );
      // thresholds to 2^26 per slot (2^-32 of probability); a full slot (threshold 2^26) aliases itself, so 2^26 − 1 reads the same
      for (let j = 0; j < ALIAS_SLOTS; j++) table[m * ALIAS_SLOTS + j] = ((Math.min(Math.round(thr[j]! / 64), 0x3ffffff) << 6) | alias[j]!) >>> 0;
    }
  } else if (lt.exact) {
    mode = 'exact';
  } else {
    // a monotone clamp is 'clip' (min/max), anything else a table
    lo = lut[0]!;
    hi = lut[a]!;
    let isClip = lo <= hi;
    for (let m = 0; m <= a && isClip; m++) if (lut[m] !== Math.min(Math.max(m, lo), hi)) isClip = false;
    mode = isClip ? 'clip' : 'lut';
    if (!isClip) {
      lo = 0;
      hi = a;
    }
  }
  return { a, K, mode, lo, hi, lut, table };
}

/** The read level of a chunk of raw level m for random word u (sample mode). */
export function drawRead(t: ReadTables, m: number, u: number): number {
  const col = u >>> 26;
  const e = t.table[m * ALIAS_SLOTS + col]!;
  return (u & 0x3ffffff) < e >>> 6 ? col : e & 63;
}
