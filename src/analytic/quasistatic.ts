/**
 * The quasi-static spike time, defined once for `capmin validate`, the Monte-Carlo engine and the capacitor sizing.
 *
 * With static inputs, an ideal comparator and flip-flop, the match line obeys (C_mem + C_par)·dV/dt = I(V), so the
 * comparator fires at t = (C_mem + C_par)·J with J = ∫₀^Vth dV / I(V) and I(V) the match-line current at a held ML
 * voltage (an ngspice DC sweep). Paper Eq. 5 is the special case of a resistor, I(V) = (V0 − V)/R_eq. J depends on
 * the circuit and the die only, so one sweep serves every capacitor value. Pure functions, SI units.
 */

/**
 * Points of the DC sweep 0..V_th (inclusive, a linear grid as ngspice's `.dc` sweeps it) on which J is integrated, in
 * the Monte-Carlo decks and in `capmin validate`. 1/I(V) is smooth, so the quintic rule of `inverseCurrentIntegral`
 * needs few points: over real sweeps of 200 Monte-Carlo dies its largest relative error against 181-point sweeps is
 * 1.9e-6 for levels 1..32 (7.5e-5 for the leakage-only level 0), where a piecewise-linear I(V) on 91 points was
 * 5.3e-5 (7.7e-4); no registered 2 GHz cycle of 26 400 die × level samples (1, 2.94, 12.27, 60 pF) differs from the
 * 181-point reference.
 */
export const QS_POINTS = 19;

/**
 * Name of the integration rule. It goes into the quasi-static deck's title, so cached per-die integrals (keyed by the
 * deck text) are never reused after the rule changes: change it with the rule.
 */
export const QS_RULE = 'quintic-gauss3';

/** Degree of the local interpolant of 1/I(V) (6 neighbouring sweep points). */
const DEGREE = 5;

/** 3-point Gauss–Legendre nodes and weights on [−1, 1]: exact for polynomials of degree ≤ 5. */
const GAUSS3: ReadonlyArray<readonly [number, number]> = [
  [-Math.sqrt(3 / 5), 5 / 9],
  [0, 8 / 9],
  [Math.sqrt(3 / 5), 5 / 9],
];

/**
 * J = ∫₀^vth dV / I(V) [s/F] for a current `i` sampled at ascending voltages `v` (an ngspice DC sweep; any spacing).
 * Each interval is integrated exactly (3-point Gauss–Legendre) over the degree-5 Lagrange interpolant of 1/I through
 * the 6 sweep points centred on it (one-sided at the ends, where points beyond V_th with I > 0 may serve; all points
 * when there are fewer than 6), so J is exact for 1/I a polynomial of degree ≤ 5 (in particular a constant current
 * gives V_th/I) and its error falls as h⁶ on a uniform grid. V_th may lie inside the grid; the integral stops there.
 * Infinity when the current is ≤ 0 at a sweep point up to the first one at or beyond V_th (the comparator never
 * fires). Throws when the grids do not match, are not strictly ascending, do not start at 0 or end below V_th.
 */
export function inverseCurrentIntegral(v: ArrayLike<number>, i: ArrayLike<number>, vth: number): number {
  const n = v.length;
  if (n < 2 || i.length !== n) throw new Error(`inverseCurrentIntegral: need matching V and I grids of at least 2 points (got ${n} and ${i.length})`);
  if (!(vth > 0)) throw new Error(`inverseCurrentIntegral: V_th = ${vth} V must be > 0`);
  if (Math.abs(v[0]!) > 1e-12) throw new Error(`inverseCurrentIntegral: the V grid must start at 0 (starts at ${v[0]} V)`);
  if (!(v[n - 1]! >= vth * (1 - 1e-9))) throw new Error(`inverseCurrentIntegral: V grid ends at ${v[n - 1]} V, below V_th = ${vth} V`);
  for (let k = 1; k < n; k++) if (!(v[k]! > v[k - 1]!)) throw new Error(`inverseCurrentIntegral: V grid not strictly ascending at point ${k}`);
  // intervals up to the first point at or beyond V_th; the stencils may also use the points after it while I > 0
  let last = 0;
  while (last + 1 < n && v[last]! < vth) last++;
  for (let k = 0; k <= last; k++) if (!(i[k]! > 0)) return Infinity;
  let used = last + 1;
  while (used < n && i[used]! > 0) used++;
  const q = Math.min(DEGREE + 1, used);
  let acc = 0;
  for (let k = 0; k < last; k++) {
    const a = v[k]!;
    const b = Math.min(v[k + 1]!, vth);
    if (!(b > a)) break;
    const lo = Math.max(0, Math.min(k - Math.floor((q - 2) / 2), used - q));
    const mid = 0.5 * (a + b);
    const half = 0.5 * (b - a);
    for (const [x, w] of GAUSS3) {
      const at = mid + half * x;
      let f = 0;
      for (let r = lo; r < lo + q; r++) {
        let l = 1;
        for (let u = lo; u < lo + q; u++) if (u !== r) l *= (at - v[u]!) / (v[r]! - v[u]!);
        f += l / i[r]!;
      }
      acc += w * half * f;
    }
  }
  return acc;
}

/**
 * Quasi-static crossing time t = (C_mem + C_par)·J for J = ∫₀^Vth dV / I (from `inverseCurrentIntegral`);
 * Infinity when later than `window` (no spike in the window) or when J is Infinity.
 */
export function qsCrossTime(j: number, cMem: number, cPar: number, window = Infinity): number {
  const t = (cMem + cPar) * j;
  return t > window ? Infinity : t;
}

/**
 * Quasi-static spike time (C_mem + C_par)·∫₀^Vth dV / I(V) straight from a DC sweep (`inverseCurrentIntegral`);
 * null when the current is ≤ 0 before V_th (never fires).
 */
export function quasiStaticTime(cMem: number, v: ArrayLike<number>, i: ArrayLike<number>, vth: number, cPar = 0): number | null {
  const j = inverseCurrentIntegral(v, i, vth);
  return Number.isFinite(j) ? (cMem + cPar) * j : null;
}

/**
 * Match-line parasitic C_par by least squares from SPICE transient crossing times: t_tran ≈ (C_mem + C_par)·J
 * → C_par = Σ J·(t − C_mem·J) / Σ J² over the pairs where both are finite; 0 when there is none. It absorbs the
 * junction/overlap capacitance on ML (~9 fF) that a DC sweep cannot see.
 */
export function fitParasitic(cMem: number, j: readonly number[], tTran: readonly number[]): number {
  if (j.length !== tTran.length) throw new Error(`fitParasitic: ${j.length} integrals but ${tTran.length} transient times`);
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

/**
 * Span of a transient that decides "spike or no spike" once the nominal quasi-static model is known: a sample later
 * than this is "no spike". max(tStop, 3·C_mem·J_1), J_1 the nominal integral of level 1 (the slowest firing level):
 * three times its nominal crossing leaves room for the slow tail of the variation, and tStop keeps a floor for small
 * capacitors. The Monte-Carlo engines, the capacitor sweep and sizing, and the pipeline's transient check all use it,
 * so the same sample gets the same verdict everywhere (and the same deck, hence the same cache entry).
 */
export function noSpikeWindow(tStop: number, cMem: number, j1: number): number {
  return Number.isFinite(j1) ? Math.max(tStop, 3 * cMem * j1) : tStop;
}
