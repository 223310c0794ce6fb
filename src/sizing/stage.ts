/**
 * The sizing stage of one k: the smallest C_mem at which the kept levels' registered spike times stay distinct, by
 * SPICE-verified bisection or by the quasi-static prediction plus one SPICE transient check.
 */
import type { CircuitParams } from '../circuit/params.js';
import { runMonteCarlo } from '../montecarlo/engine.js';
import type { BatchStore } from '../montecarlo/store.js';
import type { VariationSigmas } from '../montecarlo/variation.js';
import type { SpiceQueue } from '../spice/runner.js';
import { cycleOf, mapLevels, representable, sizeCapacitor, windowAt, type Mapping, type QsModel } from './sizing.js';

/** Inputs of {@link sizeForLevels}; SI units. */
export interface SizeForLevelsInput {
  circuit: CircuitParams;
  /** CapMin's kept levels (ascending) */
  levels: number[];
  mapping: Mapping;
  /** 'transient': bisection with every step simulated; 'quasistatic+check': quasi-static sizing + one SPICE check */
  how: 'transient' | 'quasistatic+check';
  /** relative tolerance of the bisection */
  tol: number;
  /** nominal quasi-static model (J_m, C_par) */
  model: QsModel;
  /** variation sigmas of the run (the check zeroes them: it is nominal) */
  sigmas: VariationSigmas;
  queue: SpiceQueue;
  store: BatchStore;
}

/** The sized capacitor of one k. */
export interface SizedK {
  /** C_mem [F] */
  cMem: number;
  /** registered spike time of each mapped current at C_mem [s] (null = none) */
  tSpike: (number | null)[];
  /** guaranteed response time: the last finite registered spike time [s] (NaN or null when none spikes) */
  latency: number | null;
  /** how C_mem was found, for the report */
  source: string;
  /** false when the SPICE check at a quasi-static C_mem found colliding levels */
  checkOk: boolean;
}

/**
 * Smallest C_mem for the kept levels (src/sizing sizeCapacitor), transient-verified or quasi-static plus one nominal
 * SPICE transient of every mapped current at the predicted C_mem. Cache: every ngspice batch goes through `store`; the
 * result itself is not cached here (`capmin run` caches it as its 'size' stage).
 */
export async function sizeForLevels(i: SizeForLevelsInput): Promise<SizedK> {
  const p = i.circuit;
  const common = { circuit: p, levels: i.levels, mapping: i.mapping, tol: i.tol, queue: i.queue, store: i.store, model: i.model };
  if (i.how === 'transient') {
    const r = await sizeCapacitor(common);
    return { cMem: r.cMem, tSpike: r.tSpike, latency: r.latency, source: `SPICE bisection (${r.steps.length} transient steps)`, checkOk: true };
  }
  const r = await sizeCapacitor({ ...common, verify: 'quasistatic' });
  const currents = mapLevels(i.levels, i.mapping);
  const win = windowAt(i.model, r.cMem, p);
  const zero = { ...i.sigmas, delvto: 0, mulu0: 0, dW: 0, dL: 0, globalDelvto: 0, globalMulu0: 0 };
  const mc = await runMonteCarlo({ circuit: { ...p, cMem: r.cMem }, sigmas: zero, seed: 0, samples: 1, levels: currents, engine: 'transient', window: win, queue: i.queue, store: i.store, progress: false });
  const cycles = currents.map((m) => cycleOf(mc.nominal.find((n) => n.level === m)!.tCross, p.fClk));
  const ok = representable(cycles, 1);
  const tSpike = cycles.map((c) => (c === null ? null : c / p.fClk));
  const fin = tSpike.filter((t): t is number => t !== null && Number.isFinite(t));
  return { cMem: r.cMem, tSpike, latency: fin.length ? Math.max(...fin) : NaN, source: ok ? 'quasi-static, SPICE-checked' : 'quasi-static (SPICE check: levels collide)', checkOk: ok };
}
