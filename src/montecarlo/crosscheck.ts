/**
 * Cross-check of the two engines on the same samples: per level the spike-time difference quasi-static −
 * transient (ps) and the fraction of samples whose registered clock cycle differs; plus the check that applying the
 * clock in post-processing gives the same registered spike as simulating the flip-flop (XSPICE d_dff) in the deck.
 */
import type { CircuitParams } from '../circuit/params.js';
import { SpiceQueue } from '../spice/runner.js';
import { registerSpike, runLevelTransient } from '../spikes/spikes.js';
import { runMonteCarlo, type McResult, type McStats } from './engine.js';
import type { BatchStore } from './store.js';
import type { Correlation, VariationSigmas } from './variation.js';

/**
 * The pipeline may use the quasi-static engine only where the fraction of samples whose registered clock cycle
 * differs from the transient's stays below this bound (1 %).
 */
export const QS_MISMATCH_BOUND = 0.01;

/** A spot check only rejects the fast path on at least this many mismatching samples (one flip in 100 is noise). */
export const QS_MISMATCH_MIN_COUNT = 3;

/** May the quasi-static P_map stand, given `mismatches` of `samples` spot-checked level-samples? */
export function fastPathAllowed(mismatches: number, samples: number): boolean {
  return !(samples > 0 && mismatches / samples > QS_MISMATCH_BOUND && mismatches >= QS_MISMATCH_MIN_COUNT);
}

export interface CrosscheckLevel {
  level: number;
  samples: number;
  /** mean, RMS and max |Δt| of tCross(quasi-static) − tCross(transient) [s] over samples that spiked in both */
  meanDt: number;
  rmsDt: number;
  maxAbsDt: number;
  /** relative: max |Δt| / t */
  maxRel: number;
  /** fraction of samples whose registered cycle (or spike / no spike) differs */
  cycleMismatch: number;
}

export interface ClockCheck {
  level: number;
  tCross: number | null;
  /** cycle from the crossing time + post-processed clock */
  postProcessed: number | null;
  /** cycle latched by the simulated flip-flop */
  flipFlop: number | null;
  same: boolean;
}

export interface CrosscheckResult {
  cMem: number;
  levels: number[];
  samples: number;
  cPar: number | null;
  perLevel: CrosscheckLevel[];
  overall: { meanDt: number; rmsDt: number; maxAbsDt: number; cycleMismatch: number; mismatches: number; compared: number };
  bound: number;
  fastPathAllowed: boolean;
  clockCheck: ClockCheck[];
  timings: { transient: McStats; quasistatic: McStats };
}

/** Compare two Monte-Carlo results of the same samples level by level. */
export function compareEngines(qs: McResult, tr: McResult): { perLevel: CrosscheckLevel[]; overall: CrosscheckResult['overall'] } {
  const perLevel: CrosscheckLevel[] = [];
  let n = 0, sum = 0, sq = 0, mx = 0, mis = 0, tot = 0;
  for (const lq of qs.byLevel) {
    const lt = tr.byLevel.find((x) => x.level === lq.level);
    if (!lt) continue;
    let ln = 0, lsum = 0, lsq = 0, lmx = 0, lrel = 0, lmis = 0, ltot = 0;
    // the transient may cover only the first samples of the quasi-static run (the pipeline's spot check)
    const ns = Math.min(lq.tCross.length, lt.tCross.length);
    for (let s = 0; s < ns; s++) {
      const a = lq.tCross[s]!;
      const b = lt.tCross[s]!;
      if (Number.isNaN(a) || Number.isNaN(b)) continue;
      ltot++;
      if (lq.tSpike[s] !== lt.tSpike[s]) lmis++;
      if (!Number.isFinite(a) || !Number.isFinite(b)) continue;
      const d = a - b;
      ln++;
      lsum += d;
      lsq += d * d;
      lmx = Math.max(lmx, Math.abs(d));
      lrel = Math.max(lrel, Math.abs(d) / b);
    }
    perLevel.push({
      level: lq.level,
      samples: ltot,
      meanDt: ln ? lsum / ln : 0,
      rmsDt: ln ? Math.sqrt(lsq / ln) : 0,
      maxAbsDt: lmx,
      maxRel: lrel,
      cycleMismatch: ltot ? lmis / ltot : 0,
    });
    n += ln; sum += lsum; sq += lsq; mx = Math.max(mx, lmx); mis += lmis; tot += ltot;
  }
  return { perLevel, overall: { meanDt: n ? sum / n : 0, rmsDt: n ? Math.sqrt(sq / n) : 0, maxAbsDt: mx, cycleMismatch: tot ? mis / tot : 0, mismatches: mis, compared: tot } };
}

/**
 * Post-processed clock vs simulated flip-flop for the nominal circuit at `levels`: runs the unclocked and the clocked
 * transient of each level and compares the registered clock cycle.
 */
export async function clockCheck(p: CircuitParams, levels: number[], queue: SpiceQueue): Promise<ClockCheck[]> {
  return Promise.all(
    levels.map(async (level) => {
      const [plain, clocked] = await Promise.all([
        runLevelTransient(p, level, { queue }),
        runLevelTransient(p, level, { queue, clocked: true }),
      ]);
      const post = plain.tCross === null ? null : registerSpike(plain.tCross, p.fClk).clockCycle;
      const ff = clocked.clocked?.clockCycle ?? null;
      return { level, tCross: plain.tCross, postProcessed: post, flipFlop: ff, same: post === ff };
    }),
  );
}

/** Run both engines on the same (seed, samples, levels) and compare; optionally the clock check on `clockLevels`. */
export async function crosscheck(opts: {
  circuit: CircuitParams;
  sigmas: VariationSigmas;
  seed: number;
  samples: number;
  levels: number[];
  correlation?: Correlation;
  workers?: number;
  /** the queue (or remote executor) to run on; default: `workers` local processes */
  queue?: SpiceQueue;
  batchSize?: number;
  clockLevels?: number[];
  store?: BatchStore;
  progress?: boolean;
}): Promise<CrosscheckResult> {
  const queue = opts.queue ?? new SpiceQueue(opts.workers);
  const base = { circuit: opts.circuit, sigmas: opts.sigmas, seed: opts.seed, samples: opts.samples, levels: opts.levels, correlation: opts.correlation, queue, store: opts.store, batchSize: opts.batchSize };
  const tr = await runMonteCarlo({ ...base, engine: 'transient', progress: opts.progress === false ? false : 'crosscheck transient' });
  const qs = await runMonteCarlo({ ...base, engine: 'quasistatic', window: tr.window, progress: opts.progress === false ? false : 'crosscheck quasistatic' });
  const cmp = compareEngines(qs, tr);
  const clock = opts.clockLevels?.length ? await clockCheck(opts.circuit, opts.clockLevels, queue) : [];
  return {
    cMem: opts.circuit.cMem,
    levels: qs.levels,
    samples: opts.samples,
    cPar: qs.cPar,
    ...cmp,
    bound: QS_MISMATCH_BOUND,
    fastPathAllowed: cmp.overall.cycleMismatch < QS_MISMATCH_BOUND,
    clockCheck: clock,
    timings: { transient: tr.stats, quasistatic: qs.stats },
  };
}
