/**
 * CapMin per k: the kept levels and their currents (Eq. 4, Sec. IV-C mapping) and the P_map over the kept levels
 * from a Monte-Carlo run over those currents, expanded to (a+1)×(a+1) for the evaluator (Alg. 1 line 15, φ = 0).
 */
import type { McResult } from '../montecarlo/engine.js';
import { mapLevels, type Mapping } from '../sizing/sizing.js';
import { capminLevels, type CapminLevels } from './levels.js';
import { padRows, rebucket, type PadMode } from './merge.js';

/** CapMin's kept levels for one k and the currents (levels m of the circuit) that represent them. */
export interface KeptLevels extends CapminLevels {
  k: number;
  /** currents representing `levels` under the mapping (same order) */
  currents: number[];
}

/**
 * The k most frequent sub-MAC levels of F_MAC (Eq. 4) and their mapped currents (`shifted`: the lowest kept level takes
 * the slowest firing current, Sec. IV-C; `natural`: each level keeps its own). Pure, no cache.
 */
export function keptLevels(fMacTotal: readonly number[], k: number, mapping: Mapping): KeptLevels {
  const lv = capminLevels(fMacTotal, k);
  return { ...lv, k, currents: mapLevels(lv.levels, mapping) };
}

/** P_map of kept levels from a Monte-Carlo over their mapped currents (registered spike times; midway boundaries). */
export interface KeptPmap {
  levels: number[];
  currents: number[];
  /** nominal registered spike time of each kept level [s] */
  nominal: number[];
  /** rows = true kept level, columns = read kept level, rows normalized */
  matrix: number[][];
  /** registered spike-time samples per kept level [s] (failed samples dropped) */
  samples: number[][];
  /** failed samples over the kept currents */
  failed: number;
}

/**
 * P_map (Eq. 6) over the kept levels from a Monte-Carlo of their currents: decision boundaries midway between the
 * kept levels' nominal registered spike times (Sec. IV-C), decided in integer clock cycles (`rebucket` with no
 * merges). Pure, no cache.
 */
export function keptPmapFromMc(levels: number[], currents: number[], mc: McResult, fClk: number): KeptPmap {
  const nomOf = new Map(mc.nominal.map((n) => [n.level, n.tSpike]));
  const samplesOf = new Map(mc.byLevel.map((l) => [l.level, Array.from(l.tSpike).filter((t) => !Number.isNaN(t))]));
  const nominal = currents.map((m) => nomOf.get(m)!);
  const samples = currents.map((m) => samplesOf.get(m)!);
  const order = levels.slice();
  const readLevel: Record<number, number> = Object.fromEntries(levels.map((m) => [m, m]));
  const rb = rebucket({ order, survivors: levels, survivorTimes: nominal, readLevel }, new Map(levels.map((m, i) => [m, samples[i]!])), { fClk });
  const failed = mc.byLevel.filter((l) => currents.includes(l.level)).reduce((s, l) => s + l.failed, 0);
  return { levels, currents, nominal, matrix: rb.matrix, samples, failed };
}

/**
 * Full (a+1)×(a+1) level-indexed P_map from one over the kept levels lo..hi (Alg. 1 line 15 with φ = 0): rows outside
 * the range follow `pad` ('paper': one-hot on the bound, 'bound': the bound's row). Pure, no cache.
 */
export function expandKept(levels: readonly number[], matrix: readonly (readonly number[])[], a: number, pad: PadMode): number[][] {
  const lo = levels[0]!;
  const hi = levels[levels.length - 1]!;
  const pos = new Map(levels.map((m, i) => [m, i]));
  const rowOf = (c: number): number[] => {
    const row = new Array<number>(a + 1).fill(0);
    const src = matrix[pos.get(c)!]!;
    levels.forEach((n, j) => (row[n] = src[j]!));
    return row;
  };
  return padRows(a, lo, hi, rowOf, (c) => c, pad);
}
