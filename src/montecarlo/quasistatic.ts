/**
 * Quasi-static spike times of Monte-Carlo dies (the fast path): I(V) of any input pattern is the sum of its cells'
 * swept currents, and J_m = ∫₀^Vth dV / I_m(V) is integrated by the one rule of src/analytic/quasistatic.ts (the same
 * numerics `capmin validate` checks against SPICE transients); the crossing time is (C_mem + C_par)·J_m.
 */
import { inverseCurrentIntegral } from '../analytic/quasistatic.js';
import { vector, type RawPlot } from '../spice/rawfile.js';
import { CELL_STATES, levelStates, senseName } from './decks.js';

/** Cell currents of one die: cur[c][s] = I(V) of cell c in state s on the sweep grid `v`. */
export interface DieCurrents {
  v: Float64Array;
  cur: Float64Array[][];
}

/** Split the raw plot of a quasi-static deck into per-die cell currents. */
export function dieCurrentsFromPlot(plot: RawPlot, a: number, dies: number): DieCurrents[] {
  const v = plot.data[0]!; // sweep variable (v-sweep)
  const out: DieCurrents[] = [];
  for (let d = 0; d < dies; d++) {
    const cur: Float64Array[][] = [];
    for (let c = 0; c < a; c++) cur.push(CELL_STATES.map((_, s) => vector(plot, `i(${senseName(d, c, s)})`)));
    out.push({ v, cur });
  }
  return out;
}

/** Match-line current of an input pattern given as per-cell state indices. */
export function patternCurrent(dc: DieCurrents, states: readonly number[]): Float64Array {
  const sum = new Float64Array(dc.v.length);
  states.forEach((s, c) => {
    const ic = dc.cur[c]![s]!;
    for (let k = 0; k < sum.length; k++) sum[k]! += ic[k]!;
  });
  return sum;
}

/**
 * J_m = ∫₀^Vth dV / I_m(V) for every level m = 0..a (SPICE core's level→bits convention); the spike time at any
 * capacitor is (C_mem + C_par)·J_m. Values are in s/F.
 */
export function levelIntegrals(dc: DieCurrents, a: number, vth: number): number[] {
  const out: number[] = [];
  for (let m = 0; m <= a; m++) out.push(inverseCurrentIntegral(dc.v, patternCurrent(dc, levelStates(a, m)), vth));
  return out;
}
