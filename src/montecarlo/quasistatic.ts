/**
 * Quasi-static spike times (issue 3, fast path): with static inputs, an ideal comparator and flip-flop, the match line
 * obeys (C_mem + C_par)·dV/dt = I(V), so t(V_th) = (C_mem + C_par)·∫₀^Vth dV / I(V) (paper Eq. 5 is the special case of
 * a linear I(V) = (V0 − V)/R_eq). I(V) of any input pattern is the sum of its cells' swept currents.
 */
import { vector, type RawPlot } from '../spice/rawfile.js';
import { CELL_STATES, levelStates, senseName } from './decks.js';

/**
 * ∫₀^vth dV / I(V) for a current sampled at increasing voltages `v` (piecewise linear in V, integrated exactly per
 * segment: h·ln(I_b/I_a)/(I_b − I_a)). Infinity if the current is ≤ 0 anywhere on [0, vth].
 */
export function integrateInverse(v: ArrayLike<number>, i: ArrayLike<number>, vth: number): number {
  let acc = 0;
  for (let k = 0; k + 1 < v.length; k++) {
    const va = v[k]!;
    if (va >= vth) break;
    let vb = v[k + 1]!;
    let ia = i[k]!;
    let ib = i[k + 1]!;
    if (!(ia > 0) || !(ib > 0)) return Infinity;
    if (vb > vth) {
      ib = ia + ((ib - ia) * (vth - va)) / (vb - va);
      vb = vth;
    }
    const h = vb - va;
    const d = ib - ia;
    acc += Math.abs(d) < 1e-9 * ia ? (2 * h) / (ia + ib) : (h * Math.log(ib / ia)) / d;
  }
  return acc;
}

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
  for (let m = 0; m <= a; m++) out.push(integrateInverse(dc.v, patternCurrent(dc, levelStates(a, m)), vth));
  return out;
}

/** Quasi-static crossing time for C_mem + C_par; Infinity when later than `window` (no spike in the window). */
export function qsCrossTime(j: number, cMem: number, cPar: number, window = Infinity): number {
  const t = (cMem + cPar) * j;
  return t > window ? Infinity : t;
}

/**
 * Least-squares match-line parasitic from transient crossing times: t_tran ≈ (C + C_par)·J
 * → C_par = Σ J·(t − C·J) / Σ J² over the pairs with a finite time.
 */
export function fitParasitic(cMem: number, j: readonly number[], tTran: readonly number[]): number {
  let num = 0;
  let den = 0;
  j.forEach((x, k) => {
    const t = tTran[k]!;
    if (!Number.isFinite(x) || !Number.isFinite(t)) return;
    num += x * (t - cMem * x);
    den += x * x;
  });
  return den > 0 ? num / den : 0;
}
