/**
 * Capacitor sweep and sizing (paper Sec. IV-B, Fig. 9): how many levels a C_mem represents with distinct registered
 * spike times, its latency (guaranteed response time = the last representable spike) and energy ½·C·V_th², and the
 * smallest C_mem that represents a chosen set of levels (bisection, each step verified by SPICE transients).
 *
 * Level → current mappings for a kept set q_1 < … < q_k (levels = conducting cells m):
 * - `natural`: each kept level keeps its own current (m = q_i).
 * - `shifted`: the set is shifted so the lowest kept level takes the slowest firing spike time (m = q_i − q_1 + 1), as
 *   Sec. IV-C says CapMin moves the important levels to slower, more reliable spike times. A set containing 0 is not
 *   shifted (level 0 is the no-spike outcome).
 */
import { capEnergy } from '../analytic/equations.js';
import { noSpikeWindow, qsCrossTime } from '../analytic/quasistatic.js';
import type { CircuitParams } from '../circuit/params.js';
import { SpiceQueue } from '../spice/runner.js';
import { registerSpike } from '../spikes/spikes.js';
import { inputError } from '../util/errors.js';
import { runMonteCarlo } from '../montecarlo/engine.js';
import { BatchStore } from '../montecarlo/store.js';
import { zeroSigmas } from '../montecarlo/variation.js';

export type Mapping = 'natural' | 'shifted';

/** Currents (levels m) that represent the kept levels under a mapping. */
export function mapLevels(levels: readonly number[], mapping: Mapping): number[] {
  const lv = [...new Set(levels)].sort((x, y) => x - y);
  if (mapping === 'natural' || lv[0] === 0) return lv;
  const off = lv[0]! - 1;
  return lv.map((q) => q - off);
}

/** Registered clock cycle of a crossing time (null = no spike). */
export function cycleOf(t: number, fClk: number): number | null {
  return Number.isFinite(t) ? registerSpike(t, fClk).clockCycle : null;
}

/**
 * True when the registered outcomes of the mapped currents are all distinct with at least `margin` clock cycles
 * between neighbours (no spike counts as its own outcome, later than every cycle; at most one level may not spike).
 */
export function representable(cycles: ReadonlyArray<number | null>, margin = 1): boolean {
  const none = cycles.filter((c) => c === null).length;
  if (none > 1) return false;
  const fired = (cycles.filter((c) => c !== null) as number[]).sort((x, y) => x - y);
  for (let i = 1; i < fired.length; i++) if (fired[i]! - fired[i - 1]! < margin) return false;
  return true;
}

/** Number of distinct registered outcomes among levels (no spike counts as one outcome). */
export function distinctOutcomes(cycles: ReadonlyArray<number | null>): number {
  return new Set(cycles.map((c) => (c === null ? 'none' : c))).size;
}

/** Nominal quasi-static model of a circuit: J_m (s/F) for m = 0..a and the calibrated match-line parasitic C_par. */
export interface QsModel {
  j: number[];
  cPar: number;
}

/** Crossing time of level m at C under the quasi-static model (Infinity beyond `window`). */
export function qsTime(model: QsModel, m: number, cMem: number, window = Infinity): number {
  return qsCrossTime(model.j[m]!, cMem, model.cPar, window);
}

/** Nominal quasi-static model from SPICE: one DC sweep of the nominal array + nominal transients for C_par. */
export async function nominalQsModel(p: CircuitParams, opts: { queue?: SpiceQueue; store?: BatchStore } = {}): Promise<QsModel> {
  const levels = Array.from({ length: p.a + 1 }, (_, i) => i);
  const r = await runMonteCarlo({ circuit: p, sigmas: zeroSigmas(), seed: 0, samples: 1, levels, engine: 'quasistatic', window: 1e-3, queue: opts.queue, store: opts.store, progress: false });
  const cPar = r.cPar ?? 0;
  return { j: r.nominal.map((n) => n.tCross / (p.cMem + cPar)), cPar };
}

/** One row of `capmin sweep-cap`. */
export interface SweepRow {
  cMem: number;
  /** nominal crossing and registered spike time per level m = 0..a (null = no spike in the window) */
  tCross: (number | null)[];
  tSpike: (number | null)[];
  /** number of distinct registered outcomes over all a+1 levels (no spike counts once) */
  distinct: number;
  /** guaranteed response time: the last representable (slowest registered) spike [s] */
  latency: number | null;
  /** ½·C·V_th² [J] */
  energy: number;
}

/** Sweep row from per-level crossing times at one C. */
export function sweepRow(cMem: number, tCross: readonly number[], p: CircuitParams): SweepRow {
  const cyc = tCross.map((t) => cycleOf(t, p.fClk));
  const tSpike = cyc.map((c) => (c === null ? null : c / p.fClk));
  const fin = tSpike.filter((t): t is number => t !== null);
  return {
    cMem,
    tCross: tCross.map((t) => (Number.isFinite(t) ? t : null)),
    tSpike,
    distinct: distinctOutcomes(cyc),
    latency: fin.length ? Math.max(...fin) : null,
    energy: capEnergy(cMem, p.vth),
  };
}

/** Capacitor grid: `steps` values from `from` to `to`, logarithmic (default) or linear. */
export function capGrid(from: number, to: number, steps: number, scale: 'log' | 'lin' = 'log'): number[] {
  if (!(from > 0 && to >= from)) throw inputError('--from/--to', `need 0 < from <= to (got ${from}, ${to})`);
  if (steps === 1) return [from];
  return Array.from({ length: steps }, (_, i) => {
    const f = i / (steps - 1);
    return Number((scale === 'log' ? from * Math.pow(to / from, f) : from + (to - from) * f).toPrecision(12));
  });
}

/** No-spike window of a transient at C under the nominal model (`noSpikeWindow`, the Monte-Carlo engine's rule). */
export function windowAt(model: QsModel, cMem: number, p: CircuitParams): number {
  return noSpikeWindow(p.tStop, cMem, model.j[Math.min(1, p.a)]!);
}

/** Ratio between neighbouring points of the prediction grid (4000 points per 4 decades). */
export const PREDICT_STEP = Math.pow(10, 4 / 4000);

/**
 * Quasi-static prediction of the smallest C in [cMin, cMax] from which on (every point of a fine log grid up to cMax)
 * the mapped currents are representable; null if even cMax fails. Registered-cycle bins make the condition
 * non-monotone in C (lucky clock alignments below the threshold); this returns the last transition.
 */
export function predictCapacitor(model: QsModel, currents: readonly number[], margin: number, p: CircuitParams, cMin = 0.1e-12, cMax = 1e-9): number | null {
  let best: number | null = null;
  for (let c = cMax; c >= cMin; c /= PREDICT_STEP) {
    const w = windowAt(model, c, p);
    const ok = representable(currents.map((m) => cycleOf(qsTime(model, m, c, w), p.fClk)), margin);
    if (!ok) break;
    best = c;
  }
  return best;
}

export interface SizeStep {
  cMem: number;
  ok: boolean;
  cycles: (number | null)[];
  engine: 'transient' | 'quasistatic';
}

export interface SizeResult {
  levels: number[];
  mapping: Mapping;
  currents: number[];
  marginCycles: number;
  /** quasi-static (analytic integral) prediction [F] */
  predicted: number | null;
  /** smallest C verified by SPICE transients [F] (upper end of the final bisection bracket) */
  cMem: number;
  /** lower end of the final bracket: verified NOT representable [F] */
  cFail: number | null;
  /** nominal crossing / registered spike times of the mapped currents at cMem (transient) */
  tCross: (number | null)[];
  tSpike: (number | null)[];
  latency: number | null;
  energy: number;
  steps: SizeStep[];
}

/**
 * Smallest C_mem at which the kept `levels` (mapped to currents by `mapping`) have distinct registered spike times
 * with ≥ `marginCycles` cycles between neighbours. A quasi-static scan predicts C; a bracket around it is verified and
 * bisected with nominal SPICE transients (every step simulated) to relative width `tol`.
 */
export async function sizeCapacitor(opts: {
  circuit: CircuitParams;
  levels: number[];
  mapping?: Mapping;
  marginCycles?: number;
  tol?: number;
  queue?: SpiceQueue;
  workers?: number;
  store?: BatchStore;
  model?: QsModel;
  /** 'transient' (default): every bisection step simulated; 'quasistatic': prediction only */
  verify?: 'transient' | 'quasistatic';
}): Promise<SizeResult> {
  const p = opts.circuit;
  const mapping = opts.mapping ?? 'natural';
  const margin = opts.marginCycles ?? 1;
  const tol = opts.tol ?? 0.005;
  if (!Number.isInteger(margin) || margin < 1 || margin > 1000) throw inputError('--margin-cycles', `${margin} out of range; allowed range 1..1000`);
  if (opts.levels.length < 2) throw inputError('--levels', 'need at least two levels to size for');
  const currents = mapLevels(opts.levels, mapping);
  if (currents.some((m) => m < 0 || m > p.a)) throw inputError('--levels', `mapped currents ${currents.join(',')} leave 0..${p.a}`);
  const queue = opts.queue ?? new SpiceQueue(opts.workers);
  const store = opts.store ?? new BatchStore(null);
  const model = opts.model ?? (await nominalQsModel(p, { queue, store }));
  const predicted = predictCapacitor(model, currents, margin, p);
  if (predicted === null) throw inputError('--levels', `levels ${opts.levels.join(',')} cannot be separated by ${margin} cycle(s) at any C up to 1 nF`);
  const steps: SizeStep[] = [];
  const evalAt = async (c: number): Promise<{ ok: boolean; tCross: number[] }> => {
    const q: CircuitParams = { ...p, cMem: c };
    const window = windowAt(model, c, p);
    let tCross: number[];
    if (opts.verify === 'quasistatic') tCross = currents.map((m) => qsTime(model, m, c, window));
    else {
      const r = await runMonteCarlo({ circuit: q, sigmas: zeroSigmas(), seed: 0, samples: 1, levels: currents, engine: 'transient', window, queue, store, progress: false });
      tCross = currents.map((m) => r.nominal.find((n) => n.level === m)!.tCross);
    }
    const cycles = tCross.map((t) => cycleOf(t, p.fClk));
    const ok = representable(cycles, margin);
    steps.push({ cMem: c, ok, cycles, engine: opts.verify === 'quasistatic' ? 'quasistatic' : 'transient' });
    return { ok, tCross };
  };
  // Bracket the quasi-static last transition: hi = prediction (must pass), lo = the grid point below it (must fail);
  // walk outwards in grid steps while SPICE disagrees, then bisect to relative width `tol`.
  let hi = predicted;
  let hiRes = await evalAt(hi);
  for (let k = 0; !hiRes.ok && k < 200; k++) {
    hi *= PREDICT_STEP;
    hiRes = await evalAt(hi);
  }
  if (!hiRes.ok) throw new Error(`sizeCapacitor: transient never representable up to ${hi} F`);
  let lo = hi / PREDICT_STEP;
  let loRes = await evalAt(lo);
  for (let k = 0; loRes.ok && k < 200; k++) {
    hi = lo;
    hiRes = loRes;
    lo /= PREDICT_STEP;
    loRes = await evalAt(lo);
  }
  let cFail: number | null = loRes.ok ? null : lo;
  while (cFail !== null && (hi - lo) / hi > tol) {
    const mid = Math.sqrt(lo * hi);
    const r = await evalAt(mid);
    if (r.ok) {
      hi = mid;
      hiRes = r;
    } else {
      lo = mid;
      cFail = mid;
    }
  }
  const cyc = hiRes.tCross.map((t) => cycleOf(t, p.fClk));
  const tSpike = cyc.map((c) => (c === null ? null : c / p.fClk));
  const fin = tSpike.filter((t): t is number => t !== null);
  return {
    levels: [...new Set(opts.levels)].sort((x, y) => x - y),
    mapping,
    currents,
    marginCycles: margin,
    predicted,
    cMem: hi,
    cFail,
    tCross: hiRes.tCross.map((t) => (Number.isFinite(t) ? t : null)),
    tSpike,
    latency: fin.length ? Math.max(...fin) : null,
    energy: capEnergy(hi, p.vth),
    steps,
  };
}
