/**
 * Monte-Carlo of spike times (paper Sec. IV-C: "1000 samples per spike time") with two engines that give one answer:
 * - `transient` (the reference, "what SPICE says"): the full array per sample, many samples per ngspice process
 *   (`alter` + `stop when`), the clock applied in post-processing (`registerSpike`).
 * - `quasistatic` (the fast path): one DC sweep per die of every cell in every input state; any level is a sum of cell
 *   currents and any C an integral, t = (C_mem + C_par)·∫dV/I, with C_par calibrated against nominal transients.
 * Batches are content-hashed and cached (BatchStore, verified on every read), run on a p-queue of ngspice processes,
 * retried once with tighter solver options, and recorded as failed (samples counted, never dropped silently) when the
 * retry fails too. A failure is a record of what happened, not a result: a resumed run tries the batch again (up to
 * MAX_BATCH_TRIES tries in all) and the record keeps every try's kind and detail.
 */
import { readFileSync } from 'node:fs';
import type { CircuitParams } from '../circuit/params.js';
import { modelInclude, variationShape } from '../circuit/deck.js';
import { zeroVariation, type ArrayVariation } from '../circuit/variation.js';
import { parseRaw, assertComplete, vector } from '../spice/rawfile.js';
import { isSpiceErrorKind, runNgspiceFile, SpiceError, SpiceQueue, spiceErrorFromRecord, type RemoteRunner } from '../spice/runner.js';
import { crossingTime, registerSpike } from '../spikes/spikes.js';
import { sha256 } from '../util/hash.js';
import { Progress } from '../util/progress.js';
import { CapminError, inputError } from '../util/errors.js';
import type { Attempt } from '../util/cas.js';
import { qsDeck, tranBatchDeck } from './decks.js';
import { fitParasitic, noSpikeWindow, qsCrossTime } from '../analytic/quasistatic.js';
import { dieCurrentsFromPlot, levelIntegrals } from './quasistatic.js';
import { BatchStore, MAX_BATCH_TRIES, type BatchRecord } from './store.js';
import { levelKey, sampleArrayVariation, validateSigmas, zeroSigmas, type Correlation, type VariationSigmas } from './variation.js';

export type Engine = 'transient' | 'quasistatic';

/** Inputs of a Monte-Carlo run (all SI). */
export interface McOptions {
  circuit: CircuitParams;
  sigmas: VariationSigmas;
  seed: number;
  /** samples per level */
  samples: number;
  /** levels to simulate (subset of 0..a) */
  levels: number[];
  engine: Engine;
  /** default 'die' (see variation.ts) */
  correlation?: Correlation;
  /** transient window = no-spike threshold [s]; default max(tStop, 3·C_mem·J_1) */
  window?: number;
  /** quasi-static match-line parasitic [F]; default: calibrated against nominal transients */
  cPar?: number;
  /** transient samples per ngspice process (default 25) */
  batchSize?: number;
  /** parallel ngspice processes (default: cores) */
  workers?: number;
  /** shared queue (overrides workers) */
  queue?: SpiceQueue;
  /**
   * where the decks run (e.g. a SlurmExecutor); default: `queue.remote` if set, else `queue` on this machine. Results
   * are the same bytes either way: the executor only runs decks, hashing, caching and parsing stay here.
   */
  executor?: RemoteRunner;
  /** per-batch wall-clock limit [ms] (default 60 s + 10 s per transient sample) */
  timeoutMs?: number;
  /** batch cache (run directory); default in memory */
  store?: BatchStore;
  /** progress label; false = silent */
  progress?: string | false;
}

/** Spike times of one level's samples (Infinity = no spike in the window, NaN = failed sample). */
export interface LevelSamples {
  level: number;
  tCross: Float64Array;
  tSpike: Float64Array;
  failed: number;
}

/** Nominal (zero-variation) spike of one level by the same engine. */
export interface NominalSpike {
  level: number;
  tCross: number;
  tSpike: number;
  clockCycle: number | null;
}

export interface McFailure {
  hash: string;
  /** kind and detail of the last try */
  kind: string;
  detail: string;
  log?: string;
  level?: number;
  samples: number;
  /** tries over all invocations of the run, and every failed try (oldest first) */
  tries: number;
  failures: Attempt[];
  /** MAX_BATCH_TRIES reached: not retried by --resume any more */
  final: boolean;
}

export interface McStats {
  batches: number;
  cached: number;
  simulated: number;
  retried: number;
  failed: number;
  /** stored batches that failed verification (edited or damaged) and were simulated again */
  corrupt: number;
  /** batches that had failed in an earlier invocation and were tried again, and how many of them now succeeded */
  retriedFailures: number;
  recovered: number;
  failedSamples: Record<string, number>;
  /** summed ngspice wall time of simulated batches [ms] (pure simulation time) */
  simMs: number;
  /** wall time of the run [ms] */
  wallMs: number;
  workers: number;
  /** 1 − simMs / (wallMs · workers): the share of worker time not spent inside ngspice */
  overhead: number;
}

export interface McResult {
  engine: Engine;
  levels: number[];
  samples: number;
  window: number;
  cPar: number | null;
  nominal: NominalSpike[];
  byLevel: LevelSamples[];
  stats: McStats;
  failures: McFailure[];
}

/** Registered spike (Infinity when there is no crossing). */
export function registered(tCross: number, fClk: number): { tSpike: number; clockCycle: number | null } {
  if (!Number.isFinite(tCross)) return { tSpike: tCross, clockCycle: null };
  return registerSpike(tCross, fClk);
}

/** Give the event loop a turn (spawned ngspice processes start while more batches are prepared). */
const yieldLoop = (): Promise<void> => new Promise((r) => setImmediate(r));

const toJson = (x: number): number | null => (Number.isFinite(x) ? x : null);
const fromJson = (x: number | null): number => (x === null ? Infinity : x);

interface Ctx {
  opts: McOptions;
  p: CircuitParams;
  queue: SpiceQueue;
  store: BatchStore;
  stats: McStats;
  failures: McFailure[];
  prog: Progress | null;
  /** aborts this run's running ngspice processes (queue.abort() only reaches jobs queued through runFile) */
  abort: AbortController;
  /** SHA-256 of the model card (batch keys use it instead of the card's path) */
  cardSha?: string;
  /** records served from the cache (their cost leaves the progress estimate) */
  hits: WeakSet<BatchRecord>;
  /** the error of the last try of a batch that failed in this invocation */
  causes: WeakMap<BatchRecord, Error>;
}

/** Non-convergence repeats with the same deck and options: a resumed run goes straight to the tight options. */
const TIGHT_FIRST_KINDS = new Set(['convergence']);

/** Failure class of a try: the SpiceError kind, 'disk-full' for ENOSPC, 'bad-output' for unreadable output. */
function failureKind(e: Error): string {
  if (e instanceof SpiceError) return e.kind;
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ENOSPC' || code === 'EDQUOT') return 'disk-full';
  if (e instanceof CapminError) return 'bad-output';
  if (typeof code === 'string' && /^E[A-Z]+$/.test(code)) return `io-${code.toLowerCase()}`;
  return 'internal';
}

/** The error a failed nominal batch stands for (its true kind), with what to do about it. */
function nominalError(ctx: Ctx, rec: BatchRecord, what: string): Error {
  const tries = `${rec.attempts} ${rec.attempts === 1 ? 'try' : 'tries'}`;
  const where = rec.log ? `; log: ${rec.log}` : '';
  const again = rec.final ? `; it is not retried any more: remove batches/${rec.hash}.json in the run directory to try again` : '; --resume tries it again';
  const cause = ctx.causes.get(rec);
  if (cause instanceof SpiceError) return new SpiceError(cause.kind, `${what} failed (${tries}): ${cause.detail}${where}${again}`, undefined, cause.stdout, cause.stderr);
  if (cause === undefined && isSpiceErrorKind(rec.error?.kind)) return spiceErrorFromRecord({ kind: rec.error.kind, detail: `${rec.error.detail}${where}${again}` }, `${what} failed (${tries})`);
  return new CapminError(`${what} failed (${tries}): ${rec.error?.kind ?? '?'}: ${rec.error?.detail ?? ''}${where}${again}`, `ESPICE_${(rec.error?.kind ?? 'failed').toUpperCase().replace(/-/g, '_')}`, 1);
}

/**
 * Cache key of a batch: its deck with the model card's path replaced by the card's SHA-256, so a project moved to
 * another folder (or a clean clone) reuses finished simulations, and an edited card never does.
 */
function batchKey(ctx: Ctx, text: string): string {
  ctx.cardSha ??= sha256(readFileSync(ctx.p.modelCard));
  return sha256(text.split(modelInclude(ctx.p)).join(`.include sha256:${ctx.cardSha}`));
}

/**
 * Run one batch with caching and the retry policy: a verified stored result → return it; else simulate; on a
 * failure retry once with tighter options (`tight`), then store a failure record with every try and the log.
 * A failure that tighter options cannot change (a deck ngspice rejects, an unwritable folder) is not retried in the
 * same invocation. A stored failure is tried again by a later invocation (default options first after a fault of
 * the environment such as a timeout, a crash or a full disk, so the result equals an uninterrupted run's; straight to
 * the tight options after non-convergence) until MAX_BATCH_TRIES tries in all. Store writes happen outside the try:
 * a full or read-only run directory aborts the run instead of failing a batch.
 */
async function runBatch(
  ctx: Ctx,
  kind: 'qs' | 'tran',
  meta: { level?: number; lkey?: number; samples: number[] },
  deck: (tight: boolean) => { text: string; file: string },
  parse: (raw: Buffer) => (number | null)[][],
  timeoutMs: number,
): Promise<BatchRecord> {
  // hash the deck, then let the text go: it is rebuilt (deterministically) when the queue runs the batch, so
  // thousands of queued batches do not hold their decks in memory
  const hash = batchKey(ctx, deck(false).text);
  ctx.stats.batches++;
  const found = ctx.store.lookup(hash);
  if (found.state === 'ok') {
    ctx.stats.cached++;
    ctx.hits.add(found.rec);
    return found.rec;
  }
  if (found.state === 'corrupt') ctx.stats.corrupt++;
  const prev = found.state === 'failed' ? (found.rec.tries ?? []) : [];
  if (found.state === 'failed') {
    if (found.rec.final) return found.rec;
    ctx.stats.retriedFailures++;
  }
  const plan = prev.length > 0 && prev.every((t) => TIGHT_FIRST_KINDS.has(t.kind)) ? [true] : [false, true];
  const budget = MAX_BATCH_TRIES - prev.length;
  const tries: Attempt[] = [...prev];
  let last: Error | null = null;
  for (const tight of plan.slice(Math.max(0, plan.length - budget))) {
    if (tight) ctx.stats.retried++;
    let values: (number | null)[][];
    let durationMs: number;
    try {
      const limit = tight ? timeoutMs * 2 : timeoutMs;
      const remote = ctx.opts.executor ?? ctx.queue.remote;
      const r = remote
        ? await (() => {
            const d = deck(tight);
            return remote.runFile({ key: tight ? `${hash}-tight` : hash, deck: d.text, file: d.file, timeoutMs: limit }, ctx.abort.signal);
          })()
        : await ctx.queue.add(() => {
            const d = deck(tight);
            return runNgspiceFile(d.text, d.file, { timeoutMs: limit, signal: ctx.abort.signal });
          });
      values = parse(r.data);
      durationMs = r.durationMs;
    } catch (e) {
      if (e instanceof SpiceError && (e.kind === 'aborted' || e.kind === 'not-installed' || e.kind === 'too-old')) throw e;
      if (!(e instanceof Error)) throw e;
      last = e;
      const detail = e instanceof SpiceError ? e.detail || e.message : e.message;
      tries.push({ at: new Date().toISOString(), kind: failureKind(e), detail: detail.slice(0, 500), options: tight ? 'tight' : 'default' });
      // a deck ngspice rejects or a folder it cannot write does not change with tighter solver options
      if (e instanceof SpiceError && !e.retryable) break;
      continue;
    }
    ctx.stats.simMs += durationMs;
    ctx.stats.simulated++;
    if (prev.length) ctx.stats.recovered++;
    const rec: BatchRecord = { hash, kind, status: 'ok', ...meta, values, simMs: Math.round(durationMs), attempts: tries.length + 1, ...(tries.length ? { tries } : {}) };
    ctx.store.put(rec);
    return rec;
  }
  const err = last!;
  const lastTry = tries[tries.length - 1]!;
  const logText = [
    `batch ${hash} (${kind}${meta.level !== undefined ? ` level ${meta.level}` : ''}, samples ${meta.samples[0]}..${meta.samples[meta.samples.length - 1]})`,
    ...tries.map((t, i) => `try ${i + 1} (${t.at}, ${t.options ?? 'default'} options): ${t.kind}: ${t.detail}`),
    `last error: ${err.message}`,
    '--- stdout ---',
    err instanceof SpiceError ? err.stdout.slice(-20000) : '',
    '--- stderr ---',
    err instanceof SpiceError ? err.stderr.slice(-20000) : '',
  ].join('\n');
  const log = ctx.store.putLog(hash, logText);
  const rec: BatchRecord = {
    hash,
    kind,
    status: 'failed',
    ...meta,
    values: [],
    simMs: 0,
    attempts: tries.length,
    tries,
    error: { kind: lastTry.kind, detail: lastTry.detail },
    ...(log ? { log } : {}),
    final: tries.length >= MAX_BATCH_TRIES,
  };
  ctx.store.put(rec);
  ctx.causes.set(rec, err);
  ctx.stats.simulated++;
  return rec;
}

function noteFailure(ctx: Ctx, rec: BatchRecord, levels: number[]): void {
  if (rec.status !== 'failed') return;
  ctx.stats.failed++;
  ctx.failures.push({
    hash: rec.hash,
    kind: rec.error?.kind ?? '?',
    detail: rec.error?.detail ?? '',
    log: rec.log,
    level: rec.level,
    samples: rec.samples.length,
    tries: rec.attempts,
    failures: rec.tries ?? [],
    final: Boolean(rec.final),
  });
  for (const m of levels) ctx.stats.failedSamples[m] = (ctx.stats.failedSamples[m] ?? 0) + rec.samples.length;
}

/** One die's quasi-static sweep (cached): J_m for m = 0..a. */
async function qsDie(ctx: Ctx, lkey: number, sample: number, variation: () => ArrayVariation): Promise<BatchRecord> {
  const { p } = ctx;
  return runBatch(
    ctx,
    'qs',
    { lkey, samples: [sample] },
    (tight) => ({ text: qsDeck(p, [variation()], { tight, rawPath: 'qs.raw' }), file: 'qs.raw' }),
    (raw) => {
      const plot = assertComplete(parseRaw(raw), 'quasi-static sweep')[0]!;
      const [dc] = dieCurrentsFromPlot(plot, p.a, 1);
      return [levelIntegrals(dc!, p.a, p.vth).map(toJson)];
    },
    ctx.opts.timeoutMs ?? 60_000,
  );
}

/** Internal step cap, in units of tStep, for levels without a nominal spike (see runMonteCarlo). */
export const NO_SPIKE_STEP_FACTOR = 5;

/** One transient batch (cached): tCross per sample. */
async function tranBatch(ctx: Ctx, level: number, samples: number[], variations: () => ArrayVariation[], sigmas: VariationSigmas, window: number, tMax?: number): Promise<BatchRecord> {
  const { p } = ctx;
  return runBatch(
    ctx,
    'tran',
    { level, samples },
    (tight) => ({ text: tranBatchDeck(p, level, variations(), sigmas, { window, tight, tMax, rawPath: 'tran.raw' }), file: 'tran.raw' }),
    (raw) => {
      const plots = assertComplete(parseRaw(raw), 'batched transient');
      if (plots.length !== samples.length) throw new SpiceError('truncated', `expected ${samples.length} transient plots, got ${plots.length}`);
      return [plots.map((pl) => toJson(crossingTime(vector(pl, 'time'), vector(pl, 'v(ml)'), p.vth) ?? Infinity))];
    },
    ctx.opts.timeoutMs ?? 60_000 + 10_000 * samples.length,
  );
}

/** Nominal transient crossing times of `levels` (zero variation), one cached batch per level. */
async function nominalTransient(ctx: Ctx, levels: number[], window: number): Promise<number[]> {
  const zero = zeroVariation(ctx.p.a);
  const recs = await Promise.all(levels.map((m) => tranBatch(ctx, m, [0], () => [zero], zeroSigmas(), window)));
  return recs.map((r, i) => {
    if (r.status !== 'ok') throw nominalError(ctx, r, `nominal transient of level ${levels[i]}`);
    return fromJson(r.values[0]![0]!);
  });
}

/** Levels used to calibrate C_par (spread over 1..a). */
export function calibrationLevels(a: number): number[] {
  return [...new Set([1, 2, 4, 8, 16, 32].map((m) => Math.min(m, a)))];
}

function checkOptions(o: McOptions): void {
  const a = o.circuit.a;
  if (!Number.isInteger(o.samples) || o.samples < 1 || o.samples > 1_000_000) throw inputError('samples', `${o.samples} out of range; allowed range 1..1000000`);
  if (!Number.isSafeInteger(o.seed) || o.seed < 0) throw inputError('seed', `${o.seed} must be an integer ≥ 0`);
  if (o.levels.length === 0 || o.levels.some((m) => !Number.isInteger(m) || m < 0 || m > a)) throw inputError('levels', `must be integers in 0..${a}`);
  if (o.engine !== 'transient' && o.engine !== 'quasistatic') throw inputError('engine', `'${String(o.engine)}' unknown; allowed: transient, quasistatic`);
  validateSigmas(o.sigmas);
}

/**
 * Run the Monte-Carlo: nominal spike times and `samples` samples for each level in `levels`, by `engine`.
 * Deterministic: the same options give the same numbers with any `workers` (draws keyed by seed, level key, sample).
 */
export async function runMonteCarlo(opts: McOptions): Promise<McResult> {
  checkOptions(opts);
  const p = opts.circuit;
  const levels = [...new Set(opts.levels)].sort((x, y) => x - y);
  const correlation = opts.correlation ?? 'die';
  const queue = opts.queue ?? new SpiceQueue(opts.workers);
  const t0 = performance.now();
  const ctx: Ctx = {
    opts,
    p,
    queue,
    store: opts.store ?? new BatchStore(null),
    stats: { batches: 0, cached: 0, simulated: 0, retried: 0, failed: 0, corrupt: 0, retriedFailures: 0, recovered: 0, failedSamples: {}, simMs: 0, wallMs: 0, workers: queue.concurrency, overhead: 0 },
    failures: [],
    prog: opts.progress === false ? null : new Progress(opts.progress ?? `mc ${opts.engine}`, levels.length * opts.samples, 'samples'),
    abort: new AbortController(),
    hits: new WeakSet(),
    causes: new WeakMap(),
  };
  try {
    // nominal die (quasi-static) sets the window: max(tStop, 3 × nominal crossing of level 1)
    const nomDie = await qsDie(ctx, -1, -1, () => zeroVariation(p.a));
    if (nomDie.status !== 'ok') throw nominalError(ctx, nomDie, 'nominal quasi-static sweep');
    const jNom = nomDie.values[0]!.map(fromJson);
    const window = opts.window ?? noSpikeWindow(p.tStop, p.cMem, jNom[Math.min(1, p.a)] ?? 0);
    const N = opts.samples;
    const tCross = new Map(levels.map((m) => [m, new Float64Array(N).fill(NaN)]));
    let cPar: number | null = null;
    let nominalCross: number[];
    if (opts.engine === 'quasistatic') {
      if (opts.cPar !== undefined) cPar = opts.cPar;
      else {
        const cal = calibrationLevels(p.a);
        const tt = await nominalTransient(ctx, cal, window);
        cPar = fitParasitic(p.cMem, cal.map((m) => jNom[m]!), tt);
      }
      const cp = cPar;
      nominalCross = levels.map((m) => qsCrossTime(jNom[m]!, p.cMem, cp, window));
      const dies: Array<{ lkey: number; sample: number; levels: number[] }> = [];
      if (correlation === 'die') for (let s = 0; s < N; s++) dies.push({ lkey: levelKey(0, 'die'), sample: s, levels });
      else for (const m of levels) for (let s = 0; s < N; s++) dies.push({ lkey: levelKey(m, 'level'), sample: s, levels: [m] });
      const dieJobs: Array<Promise<void>> = [];
      for (const [k, d] of dies.entries()) {
        if (k % 32 === 31) await yieldLoop();
        dieJobs.push((async () => {
          const rec = await qsDie(ctx, d.lkey, d.sample, () => sampleArrayVariation(opts.seed, d.lkey, d.sample, p.a, opts.sigmas, variationShape(p)));
          if (rec.status === 'ok') {
            const j = rec.values[0]!;
            for (const m of d.levels) tCross.get(m)![d.sample] = qsCrossTime(fromJson(j[m]!), p.cMem, cp, window);
          } else noteFailure(ctx, rec, d.levels);
          ctx.prog?.tick(d.levels.length);
        })());
        dieJobs[dieJobs.length - 1]!.catch(() => undefined); // rejections are collected by Promise.all below
      }
      await Promise.all(dieJobs);
    } else {
      nominalCross = await nominalTransient(ctx, levels, window);
      // A level that does not fire nominally (m = 0: leakage only) would run the whole window at tStep, ~40% of all
      // transient time. Its waveform is a slow ramp: steps up to NO_SPIKE_STEP_FACTOR·tStep (≤ span/50) change
      // v(ml) by < 5 µV (measured at 12.27 pF), and a sample that does cross is still stopped and interpolated.
      const slowMax = Math.min(window / 50, NO_SPIKE_STEP_FACTOR * p.tStep);
      const tMaxOf = new Map(levels.map((m, i) => [m, nominalCross[i] === Infinity && slowMax > p.tStep ? slowMax : undefined]));
      // time left follows the simulated span per sample (slow levels first would otherwise skew it ~3×)
      const costOf = new Map(levels.map((m, i) => [m, Math.min(nominalCross[i]!, window) / (tMaxOf.get(m) ?? p.tStep) + 50]));
      ctx.prog?.setWork(levels.reduce((s, m) => s + N * costOf.get(m)!, 0));
      const bs = Math.max(1, Math.min(opts.batchSize ?? 25, N));
      const jobs: Array<Promise<void>> = [];
      for (const m of levels) {
        const lk = levelKey(m, correlation);
        for (let s0 = 0; s0 < N; s0 += bs) {
          const samples = Array.from({ length: Math.min(bs, N - s0) }, (_, i) => s0 + i);
          jobs.push(
            (async () => {
              const vars = (): ArrayVariation[] => samples.map((s) => sampleArrayVariation(opts.seed, lk, s, p.a, opts.sigmas, variationShape(p)));
              const rec = await tranBatch(ctx, m, samples, vars, opts.sigmas, window, tMaxOf.get(m));
              if (rec.status === 'ok') rec.values[0]!.forEach((t, i) => (tCross.get(m)![samples[i]!] = fromJson(t)));
              else noteFailure(ctx, rec, [m]);
              const w = samples.length * costOf.get(m)!;
              const cached = ctx.hits.has(rec);
              if (cached) ctx.prog?.dropWork(w);
              ctx.prog?.tick(samples.length, '', cached ? 0 : w);
            })(),
          );
          jobs[jobs.length - 1]!.catch(() => undefined); // rejections are collected by Promise.all below
          // let queued ngspice jobs start while the remaining batches are hashed
          if (jobs.length % 8 === 0) await yieldLoop();
        }
      }
      await Promise.all(jobs);
    }
    const nominal = levels.map((level, i) => {
      const t = nominalCross[i]!;
      const r = registered(t, p.fClk);
      return { level, tCross: t, tSpike: r.tSpike, clockCycle: r.clockCycle };
    });
    const byLevel = levels.map((level) => {
      const tc = tCross.get(level)!;
      const ts = tc.map((t) => (Number.isNaN(t) ? NaN : registered(t, p.fClk).tSpike));
      let failed = 0;
      for (const t of tc) if (Number.isNaN(t)) failed++;
      return { level, tCross: tc, tSpike: ts, failed };
    });
    const st = ctx.stats;
    st.wallMs = performance.now() - t0;
    st.overhead = st.wallMs > 0 ? Math.max(0, 1 - st.simMs / (st.wallMs * st.workers)) : 0;
    ctx.prog?.finish(`${st.simulated} simulated, ${st.cached} cached, ${st.failed} failed`);
    return { engine: opts.engine, levels, samples: N, window, cPar, nominal, byLevel, stats: st, failures: ctx.failures };
  } catch (e) {
    ctx.abort.abort();
    if (!opts.queue) queue.abort();
    throw e;
  }
}
