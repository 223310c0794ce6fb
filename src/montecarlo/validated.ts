/**
 * The validated Monte-Carlo: the quasi-static engine where it agrees with the transient reference, the transient
 * engine where it does not. One policy for every caller (`capmin pmap`, `capmin run`):
 *
 *   1. run the quasi-static engine on all samples;
 *   2. spot check: run the transient engine on the first N samples of every level, on the same dies (same seed,
 *      sample index and window), and compare the registered clock cycles;
 *   3. if the mismatch exceeds the bound ({@link fastPathAllowed}: more than 1 % of the compared level-samples AND at
 *      least 3 mismatches), rerun all samples with the transient engine and use that.
 *
 * The transient engine needs no check (it is the reference), so it runs once.
 */
import { compareEngines, fastPathAllowed, QS_MISMATCH_BOUND } from './crosscheck.js';
import { runMonteCarlo, type McOptions, type McResult } from './engine.js';

/** Quasi-static vs transient on the first samples of every level (the fast path needs a bounded mismatch). */
export interface SpotCheckFigures {
  /** level-samples compared (samples that are valid in both engines) */
  samples: number;
  /** level-samples whose registered clock cycle (or spike / no spike) differs */
  mismatches: number;
  /** mismatches / samples */
  cycleMismatch: number;
  /** RMS of tCross(quasi-static) − tCross(transient) over samples that spiked in both [s] */
  rmsDt: number;
  /** max |tCross(quasi-static) − tCross(transient)| [s] */
  maxAbsDt: number;
  /** the mismatch-fraction bound (QS_MISMATCH_BOUND) */
  bound: number;
  /** false → the result was recomputed with the transient engine */
  allowed: boolean;
}

/**
 * The spot-check figures and the decision for a quasi-static result and a transient result of the same dies (the
 * transient may cover only the first samples of each level). Pure, no cache.
 */
export function spotCheckFigures(qs: McResult, tr: McResult): SpotCheckFigures {
  const o = compareEngines(qs, tr).overall;
  return { samples: o.compared, mismatches: o.mismatches, cycleMismatch: o.cycleMismatch, rmsDt: o.rmsDt, maxAbsDt: o.maxAbsDt, bound: QS_MISMATCH_BOUND, allowed: fastPathAllowed(o.mismatches, o.compared) };
}

/** Options of {@link validatedMonteCarlo}: those of `runMonteCarlo` plus the spot-check size. */
export interface ValidatedMcOptions extends Omit<McOptions, 'progress'> {
  /**
   * transient samples per level that check a quasi-static run (the first ones; capped at `samples`); 0 = no check
   * (the quasi-static result stands unchecked). Ignored for the transient engine.
   */
  spotCheck: number;
  /** progress label prefix; false = silent */
  progress?: string | false;
  /** the Monte-Carlo runner (default `runMonteCarlo`); replaceable to test the decision with an injected engine */
  run?: (opts: McOptions) => Promise<McResult>;
}

/** A validated Monte-Carlo result: the result used, and the spot check that decided it (none for transient / N = 0). */
export interface ValidatedMc {
  mc: McResult;
  spot?: SpotCheckFigures;
  /** true when the quasi-static result was rejected and `mc` is the transient rerun */
  fellBack: boolean;
}

/**
 * Monte-Carlo spike times with the fast-path safety net (see the module comment): quasi-static engine, transient spot
 * check on the first `spotCheck` samples per level on the same dies, transient fallback above the bound
 * ({@link fastPathAllowed}). Cache: every ngspice batch of the three runs goes through `opts.store` (the run
 * directory's content-keyed batch cache), so a rerun or resume simulates only missing batches; the decision itself is
 * not cached here (callers that cache results key them on `spotCheck`).
 */
export async function validatedMonteCarlo(opts: ValidatedMcOptions): Promise<ValidatedMc> {
  const { spotCheck, progress, run = runMonteCarlo, ...mcOpts } = opts;
  const label = (what: string): string | false => (progress === false || progress === undefined ? false : `${progress}${what}`);
  const first = await run({ ...mcOpts, progress: label('') });
  if (mcOpts.engine !== 'quasistatic' || spotCheck <= 0) return { mc: first, fellBack: false };
  // the transient reference of the same dies: same seed and sample indices, the quasi-static run's window; the
  // calibrated C_par is the quasi-static engine's own parameter and is not passed on
  const { cPar: _cPar, ...trOpts } = mcOpts;
  const n = Math.min(spotCheck, mcOpts.samples);
  const tr = await run({ ...trOpts, samples: n, engine: 'transient', window: first.window, progress: label(' spot check') });
  const spot = spotCheckFigures(first, tr);
  if (spot.allowed) return { mc: first, spot, fellBack: false };
  const full = await run({ ...trOpts, engine: 'transient', window: first.window, progress: label(' (transient: fast path rejected)') });
  return { mc: full, spot, fellBack: true };
}
