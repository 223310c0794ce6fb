/**
 * CapMin's clipping (paper Eq. 4) as SPICE-Torch's **direct mapping**: a 1-D table of length a+1, popcount →
 * popcount, saved as a float32 `.npy` (v1.0, little-endian, C order). SPICE-Torch indexes by popcount = a − m
 * (the matching cells), capmin by the level m (the conducting cells), so clipping the level to [lo, hi] is clipping
 * the popcount to [a − hi, a − lo]. `capmin eval --pmap` reads such a file back (src/errormodel/pmapfile.ts).
 */
import { encodeNpy } from '../data/npy.js';
import { clipLevel } from './levels.js';

/**
 * The direct mapping of Eq. 4 clipping to the levels [lo, hi] for an array of a cells: entry pc = a − clip(a − pc),
 * the many-to-one popcount table SPICE-Torch applies to each sub-MAC. Pure, no cache.
 */
export function directMapping(a: number, lo: number, hi: number): Float32Array {
  if (!Number.isInteger(a) || a < 1) throw new RangeError(`a = ${a}; the array size is an integer >= 1`);
  if (!Number.isInteger(lo) || !Number.isInteger(hi) || lo < 0 || hi > a || lo > hi) {
    throw new RangeError(`clipping bounds [${lo}, ${hi}] must be integers with 0 <= lo <= hi <= a = ${a}`);
  }
  const t = new Float32Array(a + 1);
  for (let pc = 0; pc <= a; pc++) t[pc] = a - clipLevel(a - pc, lo, hi);
  return t;
}

/** `.npy` bytes (float32, shape (a+1,)) of {@link directMapping}, the file SPICE-Torch loads. Pure, no cache. */
export function directMappingNpy(a: number, lo: number, hi: number): Buffer {
  return encodeNpy(directMapping(a, lo, hi), [a + 1]);
}
