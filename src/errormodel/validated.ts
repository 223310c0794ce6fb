/**
 * The validated P_map (Eq. 6) stage: a Monte-Carlo P_map with the fast-path safety net of
 * src/montecarlo/validated.ts (quasi-static engine, transient spot check on the same dies, transient fallback above
 * the bound), and the `capmin pmap` run folder around it.
 */
import { SlurmExecutor } from '../executor/slurm.js';
import type { SpiceQueue } from '../spice/runner.js';
import type { CircuitParams } from '../circuit/params.js';
import { QS_MISMATCH_BOUND, QS_MISMATCH_MIN_COUNT } from '../montecarlo/crosscheck.js';
import type { McResult } from '../montecarlo/engine.js';
import { openRunDir, type RunDir } from '../montecarlo/rundir.js';
import { validatedMonteCarlo, type SpotCheckFigures, type ValidatedMcOptions } from '../montecarlo/validated.js';
import type { Correlation, VariationSigmas } from '../montecarlo/variation.js';
import { circuitInfo, circuitLine } from '../circuit/describe.js';
import { pmapFromMonteCarlo, writePmapFiles, type TimeBase } from './frommc.js';
import type { Pmap } from './pmap.js';

/** A validated P_map: the matrix, the Monte-Carlo result it came from and the spot check that decided the engine. */
export interface ValidatedPmap {
  pmap: Pmap;
  mc: McResult;
  spot?: SpotCheckFigures;
  fellBack: boolean;
}

/**
 * P_map (Eq. 6) of a validated Monte-Carlo run (quasi-static where the transient spot check agrees, else transient;
 * see `validatedMonteCarlo`) on the `timeBase` time base. Cache: the ngspice batches go through `opts.store`; the
 * P_map itself is not cached.
 */
export async function validatedPmap(opts: ValidatedMcOptions & { timeBase?: TimeBase }): Promise<ValidatedPmap> {
  const { timeBase, ...mcOpts } = opts;
  const v = await validatedMonteCarlo(mcOpts);
  return { pmap: pmapFromMonteCarlo(v.mc, { timeBase }), mc: v.mc, spot: v.spot, fellBack: v.fellBack };
}

/** One-line summary of a spot check (printed by `capmin pmap`, recorded in its manifest notes). */
export function spotCheckSummary(spot: SpotCheckFigures | undefined, n: number): string {
  if (!spot) return n > 0 ? 'spot check: not run (transient engine)' : 'spot check: skipped (--spot-check 0): the quasi-static P_map is unchecked';
  return (
    `spot check: first ${n} samples per level also simulated with the transient engine; registered cycles differed in ${spot.mismatches} of ${spot.samples} level-samples ` +
    `(${(100 * spot.cycleMismatch).toFixed(2)} %), max |Δt| ${(1e12 * spot.maxAbsDt).toFixed(1)} ps; bound ${100 * QS_MISMATCH_BOUND} % with at least ${QS_MISMATCH_MIN_COUNT} mismatches: ` +
    (spot.allowed ? 'quasi-static P_map kept' : 'exceeded, P_map recomputed with the transient engine')
  );
}

/** Inputs of {@link pmapRun}; SI units. */
export interface PmapRunOptions {
  /** run folder (created; resumed with `resume`) */
  out: string;
  resume: boolean;
  circuit: CircuitParams;
  sigmas: VariationSigmas;
  seed: number;
  samples: number;
  levels: number[];
  engine: 'quasistatic' | 'transient';
  correlation: Correlation;
  batchSize: number;
  timeoutMs?: number;
  /** no-spike threshold [s] (default: the engine's) */
  window?: number;
  timeBase: TimeBase;
  /** transient spot-check samples per level of a quasi-static run (0 = none) */
  spotCheck: number;
  /** the queue that runs the decks, given the run folder (its work root) */
  makeQueue: (dir: string) => SpiceQueue;
  progress?: string | false;
}

/** What {@link pmapRun} produced. */
export interface PmapRunResult extends ValidatedPmap {
  dir: string;
  /** files written, relative to `dir` */
  outputs: string[];
}

/** The inputs that determine a pmap run's results (hashed into the manifest; a resume must match them). */
export function pmapRunInputs(o: Omit<PmapRunOptions, 'out' | 'resume' | 'makeQueue' | 'progress'>): Record<string, unknown> {
  return {
    circuit: o.circuit,
    sigmas: o.sigmas,
    seed: o.seed,
    samples: o.samples,
    levels: o.levels,
    engine: o.engine,
    correlation: o.correlation,
    batchSize: o.engine === 'transient' ? o.batchSize : null,
    timeBase: o.timeBase,
    window: o.window ?? null,
    // only a quasi-static run is checked; transient inputs hash as before
    ...(o.engine === 'quasistatic' ? { spotCheck: o.spotCheck } : {}),
  };
}

/** Record a finished validated P_map in its run folder's manifest (stats, failures, spot check, outputs) and save it. */
export function recordPmapRun(rd: RunDir, v: ValidatedPmap, outputs: string[], queue: SpiceQueue, spotCheck: number): void {
  const r = v.mc;
  const inv = rd.manifest.invocations[rd.manifest.invocations.length - 1]!;
  inv.finished = new Date().toISOString();
  inv.stats = r.stats;
  rd.manifest.failures = r.failures;
  rd.manifest.failedSamples = r.stats.failedSamples;
  rd.manifest.cPar = r.cPar;
  rd.manifest.window = r.window;
  rd.manifest.engineUsed = r.engine;
  if (v.spot) rd.manifest.spotCheck = { samplesPerLevel: spotCheck, ...v.spot, fellBack: v.fellBack };
  rd.manifest.notes = [...rd.manifest.notes, spotCheckSummary(v.spot, spotCheck)];
  // the cluster jobs of this run (slurm/state.json maps every deck to its job and task; --resume re-attaches)
  if (queue.remote instanceof SlurmExecutor) rd.manifest.slurm = { state: 'slurm/state.json', jobs: queue.remote.jobIds };
  rd.manifest.outputs = outputs;
  rd.manifest.status = r.failures.length ? 'complete-with-failures' : 'complete';
  rd.save();
}

/**
 * `capmin pmap` as one stage: open (or resume) the run folder, compute the validated P_map, write pmap.csv / .json /
 * .npy, samples.csv and pmap.svg, and record the run (including the spot-check figures) in manifest.json. Cache: the
 * folder's batch store holds every ngspice batch, so `resume` simulates only what is missing; the inputs hash
 * (including `spotCheck` for the quasi-static engine) must match on resume.
 */
export async function pmapRun(o: PmapRunOptions): Promise<PmapRunResult> {
  const rd = await openRunDir(o.out, 'pmap', pmapRunInputs(o), { resume: o.resume, modelCard: o.circuit.modelCard, seed: o.seed });
  if (o.engine === 'quasistatic') {
    rd.manifest.notes = [
      `engine quasistatic (fast path): t = (C_mem + C_par) * integral dV/I(V); checked against the transient engine on the first ${o.spotCheck} samples per level and replaced by it when the registered-cycle mismatch exceeds ${QS_MISMATCH_BOUND} with at least ${QS_MISMATCH_MIN_COUNT} mismatches (docs/montecarlo.md)`,
    ];
  }
  const queue = o.makeQueue(rd.dir);
  const v = await validatedPmap({
    circuit: o.circuit,
    sigmas: o.sigmas,
    seed: o.seed,
    samples: o.samples,
    levels: o.levels,
    engine: o.engine,
    correlation: o.correlation,
    batchSize: o.batchSize,
    queue,
    timeoutMs: o.timeoutMs,
    window: o.window,
    store: rd.store,
    spotCheck: o.spotCheck,
    timeBase: o.timeBase,
    progress: o.progress ?? `pmap ${o.engine}`,
  });
  const files = writePmapFiles(rd.dir, v.pmap, v.mc, o.circuit.a, { cMem: o.circuit.cMem, seed: o.seed, samples: o.samples, timeBase: o.timeBase, correlation: o.correlation, sigmas: o.sigmas }, { subtitle: circuitLine(circuitInfo(o.circuit), o.circuit.cMem) });
  const outputs = files.map((f) => f.slice(rd.dir.length + 1));
  recordPmapRun(rd, v, outputs, queue, o.spotCheck);
  return { ...v, dir: rd.dir, outputs };
}
