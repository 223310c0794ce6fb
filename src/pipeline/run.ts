/**
 * `capmin run`: the paper's experiments end to end on capmin's own circuit and network.
 *
 *   F_MAC over the training set (Fig. 1)
 *   → for each k: CapMin levels (Eq. 4) → smallest C_mem for them (src/sizing, SPICE-verified)
 *       → accuracy without variation (clipping only) → Monte-Carlo P_map at that C_mem (Eq. 6)
 *       → accuracy under variation (mean/min/max over runs)
 *   → CapMin-V (Alg. 1) from k₀ (default 16) for φ = 1..11, merging toward the lower-diagonal neighbour (lines 6–11
 *     as printed; the other direction alongside), P_map re-bucketed from the raw samples
 *   → the smallest capacitor within the tolerance (1 pt) of the error-free accuracy for baseline / CapMin / CapMin-V,
 *     with latency (GRT) and energy ½·C·V_th²
 *   → charging curves (Fig. 3), analytic-vs-SPICE table, report.html.
 *
 * Every stage result is cached under runs/<id>/cache/ keyed by a content hash of its inputs (StageCache), and every
 * ngspice batch under runs/<id>/cache/mc/ (the Monte-Carlo BatchStore), so a re-run or a resumed run only computes
 * what is missing. runs/<id>/manifest.json records inputs, versions, seeds and timings.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { availableParallelism } from 'node:os';
import { capminLevels } from '../capmin/levels.js';
import { capminV, compareMerge, padCapminV, padRebucket, padRows, rebucket, type MergeToward, type PadMode } from '../capmin/merge.js';
import { capEnergy, guaranteedResponseTime } from '../capmin/cost.js';
import { defaultCircuit, type CircuitParams } from '../circuit/params.js';
import { runMonteCarlo, type McResult } from '../montecarlo/engine.js';
import { BatchStore } from '../montecarlo/store.js';
import { readManifest } from '../montecarlo/rundir.js';
import { defaultSigmas, type VariationSigmas } from '../montecarlo/variation.js';
import { nominalQsModel, sizeCapacitor, mapLevels, cycleOf, representable, windowAt, type Mapping, type QsModel } from '../sizing/sizing.js';
import { QS_POINTS, QS_RULE } from '../analytic/quasistatic.js';
import { checkNgspice, SpiceQueue } from '../spice/runner.js';
import { defaultFig3Levels, fig3Waveforms } from '../spikes/fig3.js';
import { validateLevels } from '../analytic/validate.js';
import { describeCircuit } from '../circuit/describe.js';
import { readSafetensors } from '../bnn/safetensors.js';
import { writeReport } from '../report/report.js';
import { writeFileAtomic, writeJsonAtomic } from '../util/atomic.js';
import { CapminError } from '../util/errors.js';
import { mkdirChecked, writeJsonChecked } from '../util/cas.js';
import { acquireLock } from '../util/lock.js';
import { sha256, stableStringify } from '../util/hash.js';
import { packageVersion, shippedFile } from '../util/paths.js';
import { fmtDuration } from '../util/progress.js';
import { StageCache, encodeJson } from './cache.js';
import { EvalPool, type EvalSource } from './evalpool.js';
import type { AccuracyStats, AnalyticRow, ChargingCurves, KResult, PaddingComparison, PhiResult, PmapFigure, RunResults, Selection, SpotCheck } from '../report/results.js';
import { compareEngines, fastPathAllowed, QS_MISMATCH_BOUND, QS_MISMATCH_MIN_COUNT } from '../montecarlo/crosscheck.js';

/** Everything that decides the numbers of a run. */
export interface RunConfig {
  quick: boolean;
  /** k values (levels with their own spike time), each 2..a+1 */
  ks: number[];
  /** CapMin-V start k₀ and the φ values */
  phiFrom: number;
  phis: number[];
  /** allowed accuracy loss (absolute fraction) for the selections */
  tolerance: number;
  model: string;
  dataset: 'fashion';
  dataDir?: string;
  /** images of the training set for F_MAC (undefined = all) */
  trainLimit?: number;
  /** images of the test set for the accuracies (undefined = all) */
  testLimit?: number;
  /** Monte-Carlo inference runs under variation (paper: 3) */
  runs: number;
  /** runs for the Alg. 1 variant of CapMin-V (0 = compare P(correct) only) */
  alg1Runs: number;
  /** CapMin-V interior merge target: 'lower' = neighbour with the lower diagonal entry (Alg. 1 lines 6–11), 'higher' */
  mergeToward: MergeToward;
  /** also evaluate CapMin-V merging in the other direction, re-bucketed, `runs` runs */
  compareToward: boolean;
  /**
   * rows of clipped levels in every padded P_map (CapMin and CapMin-V): 'paper' = one-hot on the bound (Alg. 1
   * line 15), 'bound' = the bound's error row; the other padding is evaluated once for comparison (docs/capmin.md)
   */
  pad: PadMode;
  seed: number;
  mcSamples: number;
  mcEngine: 'quasistatic' | 'transient';
  /** quasi-static P_maps: transient spot check on this many samples per kept level (0 = none) */
  crosscheckSamples: number;
  sigmas: VariationSigmas;
  mapping: Mapping;
  /** 'transient': bisection with every step simulated; 'quasistatic+check': quasi-static sizing + one SPICE check */
  sizing: 'transient' | 'quasistatic+check';
  sizingTol: number;
  circuit: CircuitParams;
  chargingLevels: number[];
  analyticLevels: number[];
  workers: number;
}

/** Defaults: full (≈ paper settings within the 60-minute budget) or quick (< 5 minutes on 2 cores). */
export function defaultConfig(quick: boolean): RunConfig {
  const circuit = defaultCircuit();
  const a = circuit.a;
  // Full: 14 k values (dense where the paper's Fig. 8 changes) so that 3 runs under variation fit the 60-minute budget;
  // the paper's protocol is --ks 5..33 --test-limit 10000 (docs/capmin.md).
  const full = [a + 1, 28, 24, 20, 16, 15, 14, 13, 12, 11, 10, 8, 6, 5].filter((k) => k <= a + 1);
  return {
    quick,
    ks: quick ? [a + 1, 24, 20, 16, 14, 12, 10, 8, 6].filter((k) => k <= a + 1) : full,
    phiFrom: 16,
    phis: Array.from({ length: 11 }, (_, i) => i + 1),
    tolerance: 0.01,
    model: shippedFile('models', 'vgg3-fashion.safetensors'),
    dataset: 'fashion',
    trainLimit: quick ? 2000 : undefined,
    testLimit: quick ? 500 : 5000,
    runs: quick ? 2 : 3,
    alg1Runs: 1,
    mergeToward: 'lower',
    compareToward: true,
    pad: 'paper',
    seed: 1,
    mcSamples: quick ? 200 : 1000,
    mcEngine: 'quasistatic',
    crosscheckSamples: quick ? 4 : 10,
    sigmas: defaultSigmas(),
    // Sec. IV-C: "CapMin shifts the important spike times to more reliable, slower spike times" — the kept levels take
    // the k slowest firing currents (src/sizing mapLevels). `natural` keeps each level's own current.
    mapping: 'shifted',
    // src/sizing brackets the quasi-static prediction with two SPICE transients (more only where SPICE disagrees),
    // so SPICE-verified sizing is cheap enough for --quick too.
    sizing: 'transient',
    sizingTol: quick ? 0.01 : 0.005,
    circuit,
    chargingLevels: defaultFig3Levels(a),
    analyticLevels: quick ? [1, 2, 4, 8, 16, 24, 32] : Array.from({ length: a }, (_, i) => i + 1),
    workers: Math.max(1, Math.min(2, availableParallelism())),
  };
}

function fileSha(path: string): string | null {
  if (!existsSync(path)) return null;
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

function datasetSha(dir: string): string | null {
  if (!existsSync(dir)) return null;
  const h = createHash('sha256');
  for (const f of readdirSync(dir).sort()) {
    const p = join(dir, f);
    if (statSync(p).isFile()) h.update(f).update(readFileSync(p));
  }
  return h.digest('hex');
}

/**
 * Full (a+1)×(a+1) level-indexed P_map from one over the kept levels lo..hi (Alg. 1 line 15 with φ = 0): rows outside
 * the range follow `pad` ('paper': one-hot on the bound, 'bound': the bound's row).
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

/** P_map of kept levels from a Monte-Carlo over their mapped currents (registered spike times; midway boundaries). */
interface KeptPmap {
  levels: number[];
  currents: number[];
  nominal: number[];
  matrix: number[][];
  /** registered spike-time samples per kept level (failed samples dropped) */
  samples: number[][];
  failed: number;
}

function keptPmapFromMc(levels: number[], currents: number[], mc: McResult, fClk: number): KeptPmap {
  // decision boundaries midway between the kept levels' nominal registered spike times (paper Sec. IV-C), decided in
  // integer clock cycles
  const nomOf = new Map(mc.nominal.map((n) => [n.level, n.tSpike]));
  const samplesOf = new Map(mc.byLevel.map((l) => [l.level, Array.from(l.tSpike).filter((t) => !Number.isNaN(t))]));
  const nominal = currents.map((m) => nomOf.get(m)!);
  const samples = currents.map((m) => samplesOf.get(m)!);
  // reuse the re-bucketing routine with "no merges": survivors = all kept levels
  const order = levels.slice();
  const readLevel: Record<number, number> = Object.fromEntries(levels.map((m) => [m, m]));
  const rb = rebucket({ order, survivors: levels, survivorTimes: nominal, readLevel }, new Map(levels.map((m, i) => [m, samples[i]!])), { fClk });
  const failed = mc.byLevel.filter((l) => currents.includes(l.level)).reduce((s, l) => s + l.failed, 0);
  return { levels, currents, nominal, matrix: rb.matrix, samples, failed };
}

/** CapMin-V at φ toward `dir` on k₀'s P_map, re-bucketed from its raw samples with the merged boundaries (in clock cycles). */
function capminVRebucketed(base: KeptPmap, phi: number, dir: MergeToward, fClk: number) {
  const r = capminV(base.levels, base.nominal, base.matrix, phi, { mergeToward: dir });
  return { r, rb: rebucket(r, new Map(base.levels.map((m, i) => [m, base.samples[i]!])), { fClk }) };
}

function stats(accs: number[], images: number): AccuracyStats {
  return { mean: accs.reduce((s, x) => s + x, 0) / accs.length, min: Math.min(...accs), max: Math.max(...accs), runs: accs.length, images };
}

/** A stage's progress line: stage, done/total, elapsed and time left (from the weighted work done so far). */
class RunProgress {
  private readonly t0 = Date.now();
  private done = 0;
  constructor(
    private total: number,
    private readonly quiet = process.env.CAPMIN_QUIET === '1',
  ) {}
  addTotal(n: number): void {
    this.total += n;
  }
  step(stage: string, weight = 1, detail = ''): void {
    this.done += weight;
    if (this.quiet) return;
    const el = (Date.now() - this.t0) / 1000;
    const left = this.done > 0 ? (el * (this.total - this.done)) / this.done : NaN;
    process.stderr.write(`[capmin run] ${stage}${detail ? ' ' + detail : ''} — ${Math.min(100, (100 * this.done) / this.total).toFixed(0)}% · ${fmtDuration(el)} elapsed · ~${fmtDuration(left)} left\n`);
  }
  note(text: string): void {
    if (!this.quiet) process.stderr.write(`[capmin run] ${text}\n`);
  }
}

export interface RunOutcome {
  dir: string;
  report: string;
  results: RunResults;
  wallSeconds: number;
}

/**
 * Run the pipeline into `outDir` (created; re-used as a cache when it exists). The folder is locked for the run: a
 * second run into it is a one-line error naming the process that holds it.
 */
export async function runPipeline(cfg: RunConfig, outDir: string, opts: { queue?: (dir: string) => SpiceQueue } = {}): Promise<RunOutcome> {
  const dir = resolve(outDir);
  mkdirChecked(dir, '--out');
  const lock = acquireLock(dir, { what: 'run directory', command: 'run', where: '--out' });
  try {
    return await runPipelineLocked(cfg, dir, opts.queue);
  } finally {
    lock.release();
  }
}

async function runPipelineLocked(cfg: RunConfig, dir: string, makeQueue?: (dir: string) => SpiceQueue): Promise<RunOutcome> {
  const t0 = performance.now();
  const cache = new StageCache(join(dir, 'cache'), { where: '--out' });
  const store = new BatchStore(join(dir, 'cache', 'mc'), { where: '--out' });
  const p = cfg.circuit;
  const a = p.a;
  for (const k of cfg.ks) if (!Number.isInteger(k) || k < 2 || k > a + 1) throw new CapminError(`--ks: ${k} out of range; allowed 2..${a + 1}`);
  if (!cfg.ks.includes(a + 1)) cfg.ks = [a + 1, ...cfg.ks]; // the baseline needs all levels
  cfg.ks = [...new Set(cfg.ks)].sort((x, y) => y - x);
  if (!Number.isInteger(cfg.phiFrom) || cfg.phiFrom < 2 || cfg.phiFrom > a + 1) throw new CapminError(`--phi-from: ${cfg.phiFrom} out of range; allowed 2..${a + 1}`);
  cfg.phis = cfg.phis.filter((f) => f >= 1 && f <= cfg.phiFrom - 1);
  if (cfg.mergeToward !== 'lower' && cfg.mergeToward !== 'higher') throw new CapminError(`--merge-toward: '${String(cfg.mergeToward).slice(0, 20)}' must be lower or higher`);
  if (cfg.pad !== 'paper' && cfg.pad !== 'bound') throw new CapminError(`--pad: '${String(cfg.pad).slice(0, 20)}' must be paper or bound`);

  const missing: string[] = [];
  const notes: string[] = [];
  const timings: Record<string, number> = {};
  const time = async <T>(name: string, fn: () => Promise<T>): Promise<T> => {
    const s = performance.now();
    try {
      return await fn();
    } finally {
      timings[name] = (timings[name] ?? 0) + (performance.now() - s) / 1000;
    }
  };
  const prog = new RunProgress(2 + cfg.ks.length * (3 + cfg.runs) + cfg.phis.length * (cfg.runs * (cfg.compareToward ? 2 : 1) + cfg.alg1Runs) + 2 * cfg.runs + 3);

  // ---- inputs and versions
  const modelSha = fileSha(cfg.model);
  const dataDir = cfg.dataDir ?? (process.env.CAPMIN_FASHION_DIR ?? '/usr/share/datasets/fashion-mnist');
  const dataSha = datasetSha(dataDir);
  let ngspice: string | null = null;
  try {
    ngspice = `ngspice-${(await checkNgspice()).version}`;
  } catch (e) {
    missing.push(`ngspice: ${(e as Error).message} — every SPICE stage (sizing, Monte-Carlo, Fig. 3, analytic table) is skipped`);
  }
  const modelCardSha = fileSha(p.modelCard);
  // stage keys hold the card's hash, not its path: a moved project or a clean clone reuses its simulations
  const { modelCard: _card, ...circuitKey } = p;
  let modelMeta: Record<string, string> = {};
  if (modelSha) {
    try {
      modelMeta = readSafetensors(cfg.model).metadata;
    } catch (e) {
      throw new CapminError(`--model: ${cfg.model} is not a readable safetensors checkpoint (${(e as Error).message.slice(0, 120)})`);
    }
  }
  const pkg = { version: packageVersion() };
  const manifestBase = {
    tool: 'capmin',
    command: 'run',
    version: pkg.version,
    node: process.version,
    ngspice,
    config: encodeJson(cfg),
    inputs: { modelSha256: modelSha, modelMetadata: modelMeta, datasetSha256: dataSha, dataDir, modelCardSha256: modelCardSha },
    seeds: { inference: cfg.seed, monteCarlo: cfg.seed },
    started: new Date().toISOString(),
  };
  let previousInvocations: unknown[] = [];
  if (existsSync(join(dir, 'manifest.json'))) {
    // a damaged manifest is a one-line error naming it (not a silently lost invocation history)
    const prev = readManifest<{ invocations?: unknown[]; started?: string; wallSeconds?: number; timings?: unknown; status?: string }>(
      join(dir, 'manifest.json'),
      (j) => j.tool === 'capmin' && (j.invocations === undefined || Array.isArray(j.invocations)),
    );
    previousInvocations = prev.invocations ?? (prev.wallSeconds !== undefined ? [{ started: prev.started, wallSeconds: prev.wallSeconds, timings: prev.timings }] : prev.started ? [{ started: prev.started, status: prev.status ?? 'interrupted' }] : []);
  }
  writeJsonChecked(join(dir, 'manifest.json'), { ...manifestBase, status: 'running', invocations: previousInvocations }, '--out');
  const bnnKey = { modelSha, dataSha, a };

  // ---- BNN side
  const haveModel = modelSha !== null;
  const haveData = dataSha !== null;
  if (!haveModel) missing.push(`checkpoint ${cfg.model} not found — F_MAC and every accuracy are missing (capmin ships models/vgg3-fashion.safetensors; capmin train makes one)`);
  if (!haveData) missing.push(`dataset folder ${dataDir} not found — F_MAC and every accuracy are missing (Debian package dataset-fashion-mnist)`);
  const bnnOk = haveModel && haveData;
  // Work on a copy of the checkpoint taken now, so a checkpoint rewritten during the run (e.g. by a running
  // `capmin train`) cannot mix two networks under one hash.
  let modelPath = cfg.model;
  if (modelSha) {
    modelPath = join(dir, 'inputs', `model-${modelSha.slice(0, 16)}.safetensors`);
    if (!existsSync(modelPath)) {
      const bytes = readFileSync(cfg.model);
      if (createHash('sha256').update(bytes).digest('hex') !== modelSha) throw new CapminError(`--model: ${cfg.model} changed while the run started; start it again`);
      writeFileAtomic(modelPath, bytes);
    }
  }
  const src = (split: 'train' | 'test', limit?: number): EvalSource => ({ model: { checkpoint: modelPath }, dataset: { name: cfg.dataset, dir: dataDir, split, limit }, a });
  let trainPool: EvalPool | null = null;
  let testPool: EvalPool | null = null;
  const getTestPool = () => (testPool ??= new EvalPool(src('test', cfg.testLimit), cfg.workers));
  const evaluate = async (stage: string, task: { clip?: [number, number]; pMap?: number[][]; run?: number }, extraKey: unknown): Promise<{ accuracy: number; images: number }> => {
    const r = await cache.run(stage, { bnnKey, test: cfg.testLimit ?? 'all', clip: task.clip ?? null, run: task.run ?? 0, seed: cfg.seed, pMapSha: task.pMap ? sha256(stableStringify(task.pMap)) : null, extraKey }, async () => {
      const o = await getTestPool().evaluate({ clip: task.clip, pMap: task.pMap, run: task.run ?? 0, seed: cfg.seed });
      return { accuracy: o.accuracy, images: o.images };
    });
    return r.value;
  };
  /**
   * Accuracy of a padded (a+1)×(a+1) P_map (Alg. 1 line 15). The padding carries the clipping (Eq. 4): its clipped rows
   * are one-hot on the bound ('paper') or the bound's row ('bound'), so the engine reads every row as it stands and
   * gets no separate clip (with one it would read clipped levels through the bound's row whatever the padding).
   */
  const evaluatePadded = (stage: string, pMap: number[][], run: number, extraKey: unknown) => evaluate(stage, { pMap, run }, extraKey);

  let fMac: RunResults['fMac'];
  let errorFree: RunResults['errorFree'];
  try {
    if (bnnOk) {
      const fm = await time('fmac', () =>
        cache.run('fmac', { bnnKey, train: cfg.trainLimit ?? 'all' }, async () => {
          trainPool = new EvalPool(src('train', cfg.trainLimit), cfg.workers);
          const o = await trainPool.evaluate({ hist: true });
          await trainPool.close();
          trainPool = null;
          const total = new Array<number>(a + 1).fill(0);
          for (const h of o.hist!) h.forEach((v, m) => (total[m]! += v));
          return { total, perLayer: o.hist!.map((h, i) => ({ name: o.layerNames![i]!, counts: h })), images: o.images, split: 'train', trainAccuracy: o.accuracy };
        }),
      );
      fMac = { total: fm.value.total, perLayer: fm.value.perLayer, images: fm.value.images, split: 'train' };
      prog.step('F_MAC', 1, `(${fm.value.images} training images${fm.cached ? ', cached' : ''})`);
      const ef = await time('accuracy', () => evaluate('acc-errorfree', {}, null));
      errorFree = { accuracy: ef.accuracy, images: ef.images };
      prog.step('error-free accuracy', 1, `${(100 * ef.accuracy).toFixed(2)}%`);
    }

    // ---- circuit side: nominal quasi-static model (J_m, C_par)
    const spiceOk = ngspice !== null;
    const queue = spiceOk ? (makeQueue?.(dir) ?? new SpiceQueue(cfg.workers)) : null;
    let qs: QsModel | null = null;
    if (spiceOk) {
      qs = (await time('nominal-model', () => cache.run('qs-model', { circuit: circuitKey, cardSha: modelCardSha, qs: [QS_RULE, QS_POINTS] }, () => nominalQsModel(p, { queue: queue!, store })))).value;
    }

    // ---- per k
    const perK: KResult[] = [];
    const pmaps: PmapFigure[] = [];
    const kept = new Map<number, KeptPmap>();
    if (!fMac) missing.push('CapMin levels per k need F_MAC (missing, see above): the per-k sweep and CapMin-V are skipped');
    for (const k of fMac ? cfg.ks : []) {
      const lv = capminLevels(fMac!.total, k);
      const row: KResult = { k, lo: lv.lo, hi: lv.hi, contiguous: lv.contiguous, coverage: lv.coverage };
      const currents = mapLevels(lv.levels, cfg.mapping);
      // sizing
      if (spiceOk && qs) {
        const sz = await time('sizing', () =>
          cache.run('size', { circuit: circuitKey, cardSha: modelCardSha, qs: [QS_RULE, QS_POINTS], levels: lv.levels, mapping: cfg.mapping, how: cfg.sizing, tol: cfg.sizingTol }, async () => {
            if (cfg.sizing === 'transient') {
              const r = await sizeCapacitor({ circuit: p, levels: lv.levels, mapping: cfg.mapping, tol: cfg.sizingTol, queue: queue!, store, model: qs! });
              return { cMem: r.cMem, tSpike: r.tSpike, latency: r.latency, source: `SPICE bisection (${r.steps.length} transient steps)`, checkOk: true };
            }
            const r = await sizeCapacitor({ circuit: p, levels: lv.levels, mapping: cfg.mapping, tol: cfg.sizingTol, queue: queue!, store, model: qs!, verify: 'quasistatic' });
            // one SPICE transient check of every mapped current at the predicted C
            const win = windowAt(qs!, r.cMem, p);
            const mc = await runMonteCarlo({ circuit: { ...p, cMem: r.cMem }, sigmas: { ...cfg.sigmas, delvto: 0, mulu0: 0, dW: 0, dL: 0, globalDelvto: 0, globalMulu0: 0 }, seed: 0, samples: 1, levels: currents, engine: 'transient', window: win, queue: queue!, store, progress: false });
            const cycles = currents.map((m) => cycleOf(mc.nominal.find((n) => n.level === m)!.tCross, p.fClk));
            const ok = representable(cycles, 1);
            const tSpike = cycles.map((c) => (c === null ? null : c / p.fClk));
            return { cMem: r.cMem, tSpike, latency: guaranteedResponseTime(tSpike.map((t) => t ?? Infinity)), source: ok ? 'quasi-static, SPICE-checked' : 'quasi-static (SPICE check: levels collide)', checkOk: ok };
          }),
        );
        row.cMem = sz.value.cMem;
        row.cMemSource = sz.value.source;
        row.spikeTimes = sz.value.tSpike;
        row.latency = sz.value.latency ?? NaN;
        row.energy = capEnergy(sz.value.cMem, p.vth);
        if (!sz.value.checkOk) notes.push(`k = ${k}: the SPICE check at the quasi-static C_mem found colliding levels; quasi-static sizing is optimistic there.`);
      }
      prog.step(`k=${k}`, 1, `levels ${lv.lo}..${lv.hi}${row.cMem ? `, C_mem ${(row.cMem * 1e12).toFixed(2)} pF` : ''}`);
      // accuracy without variation
      if (bnnOk) {
        row.accNoVar = (await time('accuracy', () => evaluate('acc-clip', { clip: [lv.lo, lv.hi] }, null))).accuracy;
        prog.step(`k=${k} accuracy (clipping)`, 1, `${(100 * row.accNoVar).toFixed(2)}%`);
      }
      // Monte-Carlo P_map at C_k
      if (spiceOk && qs && row.cMem !== undefined) {
        const cMem = row.cMem;
        const pm = await time('montecarlo', () =>
          cache.run('pmap', { circuit: circuitKey, cardSha: modelCardSha, cMem, levels: lv.levels, currents, sigmas: cfg.sigmas, seed: cfg.seed, samples: cfg.mcSamples, engine: cfg.mcEngine, cPar: qs!.cPar, check: cfg.crosscheckSamples, buckets: 'clock-cycles' }, async () => {
            const base = { circuit: { ...p, cMem }, sigmas: cfg.sigmas, seed: cfg.seed, levels: currents, queue: queue!, store };
            const quiet = process.env.CAPMIN_QUIET === '1';
            let mc = await runMonteCarlo({ ...base, samples: cfg.mcSamples, engine: cfg.mcEngine, cPar: qs!.cPar, progress: quiet ? false : `  mc k=${k}` });
            let spot: SpotCheck | undefined;
            if (cfg.mcEngine === 'quasistatic' && cfg.crosscheckSamples > 0) {
              // the fast path is used only where the transient reference agrees on the registered cycle
              const n = Math.min(cfg.crosscheckSamples, cfg.mcSamples);
              const tr = await runMonteCarlo({ ...base, samples: n, engine: 'transient', window: mc.window, progress: quiet ? false : `  crosscheck k=${k}` });
              const o = compareEngines(mc, tr).overall;
              spot = { samples: o.compared, mismatches: o.mismatches, cycleMismatch: o.cycleMismatch, rmsDt: o.rmsDt, maxAbsDt: o.maxAbsDt, bound: QS_MISMATCH_BOUND, allowed: fastPathAllowed(o.mismatches, o.compared) };
              if (!spot.allowed) mc = await runMonteCarlo({ ...base, samples: cfg.mcSamples, engine: 'transient', window: mc.window, progress: quiet ? false : `  mc k=${k} (transient: fast path rejected)` });
            }
            return { ...keptPmapFromMc(lv.levels, currents, mc, p.fClk), engine: mc.engine, spot };
          }),
        );
        row.mcEngine = pm.value.engine;
        row.crosscheck = pm.value.spot;
        kept.set(k, pm.value);
        row.pmapDiag = pm.value.matrix.map((r, i) => r[i]!);
        if (pm.value.failed > 0) notes.push(`k = ${k}: ${pm.value.failed} Monte-Carlo samples failed and were excluded (counted in the MC run's manifest).`);
        if (k === a + 1 || k === cfg.phiFrom || k === 14 || k === Math.min(...cfg.ks)) pmaps.push({ label: `k = ${k}, C_mem = ${(cMem * 1e12).toFixed(2)} pF`, levels: lv.levels, matrix: pm.value.matrix });
        prog.step(`k=${k} Monte-Carlo P_map`, 1, `min p_ii ${Math.min(...row.pmapDiag).toFixed(3)}`);
        if (bnnOk) {
          const full = expandKept(lv.levels, pm.value.matrix, a, cfg.pad);
          const accs: number[] = [];
          let images = 0;
          for (let run = 0; run < cfg.runs; run++) {
            const r = await time('accuracy', () => evaluatePadded('acc-var', full, run, null));
            accs.push(r.accuracy);
            images = r.images;
            prog.step(`k=${k} accuracy under variation`, 1, `run ${run + 1}/${cfg.runs}: ${(100 * r.accuracy).toFixed(2)}%`);
          }
          row.accVar = stats(accs, images);
        }
      }
      perK.push(row);
    }
    if (!spiceOk) missing.push('capacitor sizing, Monte-Carlo P_map and accuracy under variation (ngspice unavailable)');

    // ---- CapMin-V
    let capV: RunResults['capminV'];
    const k0 = cfg.phiFrom;
    const base0 = kept.get(k0);
    const row0 = perK.find((r) => r.k === k0);
    if (fMac && !cfg.ks.includes(k0)) missing.push(`CapMin-V: k₀ = ${k0} is not in --ks, so it has no P_map; add it to --ks`);
    if (base0 && row0) {
      const phis: PhiResult[] = [];
      const toward = cfg.mergeToward;
      const otherToward: MergeToward = toward === 'lower' ? 'higher' : 'lower';
      /** level → read level over 0..a: clip to k₀'s range (Eq. 4), then the merge's read level (Alg. 1 line 15). */
      const clippedReadLevels = (readLevel: Record<number, number>) => Array.from({ length: a + 1 }, (_, m) => readLevel[Math.min(Math.max(m, row0.lo), row0.hi)]!);
      /** Accuracy under variation of one padded CapMin-V P_map over `runs` runs (cached per φ and variant). */
      const capVAccuracy = async (pMap: number[][], runs: number, phi: number, variant: string, label: string): Promise<AccuracyStats> => {
        const accs: number[] = [];
        let images = 0;
        for (let run = 0; run < runs; run++) {
          const e = await time('accuracy', () => evaluatePadded('acc-capminv', pMap, run, { phi, variant }));
          accs.push(e.accuracy);
          images = e.images;
          prog.step(`CapMin-V φ=${phi} (${label})`, 1, `run ${run + 1}: ${(100 * e.accuracy).toFixed(2)}%`);
        }
        return stats(accs, images);
      };
      const mergeAt = (phi: number, dir: MergeToward) => capminVRebucketed(base0, phi, dir, p.fClk);
      for (const phi of cfg.phis) {
        const { r, rb } = mergeAt(phi, toward);
        const cmp = compareMerge(r, rb, a, fMac!.total);
        const res: PhiResult = {
          phi,
          kV: r.survivors.length,
          survivors: r.survivors,
          readLevel: clippedReadLevels(r.readLevel),
          meanPCorrectAlg1: cmp.weightedAlg1 ?? cmp.meanAlg1,
          meanPCorrectRebucket: cmp.weightedRebucket ?? cmp.meanRebucket,
          meanAbsErrAlg1: cmp.meanAbsErrAlg1,
          meanAbsErrRebucket: cmp.meanAbsErrRebucket,
          latency: guaranteedResponseTime(r.survivorTimes),
        };
        if (bnnOk) {
          res.accRebucket = await capVAccuracy(padRebucket(rb, a, { pad: cfg.pad }), cfg.runs, phi, 'rebucket', 're-bucketed');
          if (cfg.alg1Runs > 0) res.accAlg1 = await capVAccuracy(padCapminV(r, a, { pad: cfg.pad }), cfg.alg1Runs, phi, 'alg1', 'Alg. 1 P_map');
        }
        if (cfg.compareToward) {
          const o = mergeAt(phi, otherToward);
          const cmpO = compareMerge(o.r, o.rb, a, fMac!.total);
          res.other = {
            mergeToward: otherToward,
            survivors: o.r.survivors,
            readLevel: clippedReadLevels(o.r.readLevel),
            meanAbsErrRebucket: cmpO.meanAbsErrRebucket,
            meanPCorrectRebucket: cmpO.weightedRebucket ?? cmpO.meanRebucket,
          };
          if (bnnOk) res.other.accRebucket = await capVAccuracy(padRebucket(o.rb, a, { pad: cfg.pad }), cfg.runs, phi, `rebucket-${otherToward}`, `toward ${otherToward}, re-bucketed`);
        }
        phis.push(res);
      }
      capV = { k0, cMem: row0.cMem, lo: row0.lo, hi: row0.hi, phis, uses: 'rebucket', mergeToward: toward, pad: cfg.pad };
      const last = phis[phis.length - 1];
      if (last) {
        const { rb } = mergeAt(last.phi, toward);
        pmaps.push({ label: `CapMin-V k₀=${k0}, φ=${last.phi}, toward ${toward}, re-bucketed`, levels: base0.levels, matrix: rb.levels.map((_, i) => base0.levels.map((n) => { const j = rb.survivors.indexOf(n); return j < 0 ? 0 : rb.matrix[i]![j]!; })) });
      }
    } else if (fMac && spiceOk) missing.push(`CapMin-V: no Monte-Carlo P_map at k₀ = ${k0}`);

    // ---- selections
    const selections: Selection[] = [];
    const ef = errorFree?.accuracy;
    const baseRow = perK.find((r) => r.k === a + 1);
    if (baseRow?.cMem !== undefined && ef !== undefined) {
      selections.push({ method: 'baseline', k: a + 1, cMem: baseRow.cMem, latency: baseRow.latency ?? NaN, energy: baseRow.energy ?? NaN, accuracy: baseRow.accNoVar ?? ef, note: 'all levels, no clipping, no variation' });
    }
    if (ef !== undefined) {
      const ok = perK.filter((r) => r.cMem !== undefined && r.accNoVar !== undefined && r.accNoVar >= ef - cfg.tolerance).sort((x, y) => x.cMem! - y.cMem!);
      if (ok[0]) selections.push({ method: 'CapMin', k: ok[0].k, cMem: ok[0].cMem!, latency: ok[0].latency ?? NaN, energy: ok[0].energy ?? NaN, accuracy: ok[0].accNoVar!, note: 'accuracy without variation (clipping only), as the paper\'s Fig. 9' });
      const okV = perK.filter((r) => r.cMem !== undefined && r.accVar && r.accVar.mean >= ef - cfg.tolerance).sort((x, y) => x.cMem! - y.cMem!);
      if (okV[0]) selections.push({ method: 'CapMin (under variation)', k: okV[0].k, cMem: okV[0].cMem!, latency: okV[0].latency ?? NaN, energy: okV[0].energy ?? NaN, accuracy: okV[0].accVar!.mean, note: 'mean accuracy under variation' });
      else if (perK.some((r) => r.accVar)) notes.push(`No k keeps the mean accuracy under variation within ${100 * cfg.tolerance} pt of error-free.`);
      if (capV && capV.cMem !== undefined) {
        const cands = capV.phis.filter((f) => f.accRebucket);
        const within = cands.filter((f) => f.accRebucket!.mean >= ef - cfg.tolerance);
        const best = (within.length ? within : cands).reduce<PhiResult | undefined>((b, f) => (!b || f.accRebucket!.mean > b.accRebucket!.mean ? f : b), undefined);
        if (best) {
          selections.push({
            method: 'CapMin-V',
            k: k0,
            phi: best.phi,
            cMem: capV.cMem,
            latency: best.latency ?? NaN,
            energy: capEnergy(capV.cMem, p.vth),
            accuracy: best.accRebucket!.mean,
            note: within.length ? `best φ under variation (k_V = ${best.kV}); capacitor of k₀ = ${k0}` : `NOT within ${100 * cfg.tolerance} pt under variation (best φ shown)`,
          });
        }
      }
    }

    // ---- padding of clipped rows: the other padding once, on the same runs, for k₀ and the selected CapMin-V φ
    let padding: PaddingComparison | undefined;
    if (bnnOk && base0 && row0?.accVar) {
      const otherPad: PadMode = cfg.pad === 'paper' ? 'bound' : 'paper';
      const accOf = async (stage: string, pMap: number[][], extraKey: unknown, label: string): Promise<AccuracyStats> => {
        const accs: number[] = [];
        let images = 0;
        for (let run = 0; run < cfg.runs; run++) {
          const e = await time('accuracy', () => evaluatePadded(stage, pMap, run, extraKey));
          accs.push(e.accuracy);
          images = e.images;
          prog.step(`${label} (pad ${otherPad})`, 1, `run ${run + 1}: ${(100 * e.accuracy).toFixed(2)}%`);
        }
        return stats(accs, images);
      };
      const rows: PaddingComparison['rows'] = [{ method: 'CapMin', k: k0, kV: k0, acc: row0.accVar, accOther: await accOf('acc-var', expandKept(base0.levels, base0.matrix, a, otherPad), null, `k=${k0}`) }];
      const sel = selections.find((s) => s.method === 'CapMin-V');
      const f = sel && capV?.phis.find((x) => x.phi === sel.phi);
      if (f?.accRebucket) {
        const { rb } = capminVRebucketed(base0, f.phi, cfg.mergeToward, p.fClk);
        rows.push({ method: 'CapMin-V', k: k0, phi: f.phi, kV: f.kV, acc: f.accRebucket, accOther: await accOf('acc-capminv', padRebucket(rb, a, { pad: otherPad }), { phi: f.phi, variant: 'rebucket' }, `CapMin-V φ=${f.phi}`) });
      }
      padding = { pad: cfg.pad, other: otherPad, rows };
    }

    // ---- Fig. 3 and the analytic table
    let charging: ChargingCurves | undefined;
    let analytic: AnalyticRow[] | undefined;
    if (spiceOk && qs) {
      const levels = cfg.chargingLevels;
      const fig = await time('fig3', () =>
        cache.run('fig3', { circuit: circuitKey, cardSha: modelCardSha, levels }, async () => {
          const crossings = new Map(levels.map((m) => [m, (p.cMem + qs!.cPar) * qs!.j[m]!] as [number, number | null]));
          const d = await fig3Waveforms(p, levels, crossings, queue!);
          return d.series.map((s) => ({ level: s.level, t: Array.from(s.t), v: Array.from(s.v), tCross: s.tCross }));
        }),
      );
      charging = {
        cMem: p.cMem,
        vth: p.vth,
        fClk: p.fClk,
        curves: fig.value.map((s) => ({ ...s, tSpike: s.tCross === null ? null : (cycleOf(s.tCross, p.fClk) ?? 0) / p.fClk })),
      };
      prog.step('charging curves (Fig. 3)');
      const val = await time('analytic', () =>
        cache.run('analytic', { circuit: circuitKey, cardSha: modelCardSha, qs: [QS_RULE, QS_POINTS], levels: cfg.analyticLevels }, async () => {
          const r = await validateLevels(p, cfg.analyticLevels, queue!, { progress: process.env.CAPMIN_QUIET !== '1' });
          return r.rows.map((x) => ({ level: x.level, iInit: x.iInit, tSpice: x.tSpice, tEq5: x.tEq5, relErr: x.relErr, tQuasiStatic: x.tQsPar }));
        }),
      );
      analytic = val.value;
      prog.step('analytic vs SPICE');
    }

    if (cfg.mcEngine === 'quasistatic') {
      notes.push('Monte-Carlo P_maps use the quasi-static engine (one DC sweep per die, t = (C_mem + C_par)·∫dV/I); `capmin crosscheck` compares it with the transient reference on the same samples.');
      const spots = perK.filter((r) => r.crosscheck);
      if (spots.length) {
        const n = spots.reduce((s, r) => s + r.crosscheck!.samples, 0);
        const mis = spots.reduce((s, r) => s + r.crosscheck!.mismatches, 0);
        const rejected = spots.filter((r) => !r.crosscheck!.allowed).map((r) => r.k);
        notes.push(
          `Fast-path check: for every k the first ${cfg.crosscheckSamples} samples per kept level were also simulated with the transient engine; registered cycles differed in ${mis} of ${n} level-samples (${((100 * mis) / Math.max(1, n)).toFixed(2)} %), max |Δt| ${(1e12 * Math.max(...spots.map((r) => r.crosscheck!.maxAbsDt))).toFixed(1)} ps. ` +
            `Bound: ${100 * QS_MISMATCH_BOUND} % with at least ${QS_MISMATCH_MIN_COUNT} mismatches per k; ${rejected.length ? `k = ${rejected.join(', ')} exceeded it and use transient P_maps.` : 'no k exceeded it, so every P_map is quasi-static.'}`,
        );
      }
    }
    notes.push(`Level → current mapping: ${cfg.mapping} (src/sizing). CapMin-V accuracies use P_maps re-bucketed from the raw Monte-Carlo samples with decision boundaries midway between the surviving spike times; the Alg. 1 (column-merge) P_map is evaluated alongside with ${cfg.alg1Runs} run(s).`);
    notes.push(
      cfg.mergeToward === 'lower'
        ? 'CapMin-V merges a removed spike time into the neighbour with the lower diagonal entry, as Alg. 1 lines 6–11 and the paper\'s prose say; merging toward the higher diagonal is evaluated alongside.'
        : 'CapMin-V merges a removed spike time into the neighbour with the higher diagonal entry (a departure from Alg. 1 lines 6–11, which merge into the lower one; that direction is evaluated alongside).',
    );
    notes.push(
      cfg.pad === 'paper'
        ? 'Padded P_maps (Alg. 1 line 15): rows of clipped levels are one-hot on the bound, as line 15 prints it; the bound\'s error row instead is evaluated once for k₀ and the selected φ (Padding of clipped rows).'
        : 'Padded P_maps (Alg. 1 line 15): rows of clipped levels are the bound\'s error row (a departure from line 15, which makes them one-hot on the bound; that padding is evaluated once for k₀ and the selected φ).',
    );

    const id = dir.split(/[\\/]/).pop()!;
    const results: RunResults = {
      id,
      createdAt: new Date().toISOString(),
      quick: cfg.quick,
      circuit: describeCircuit(p, modelCardSha),
      config: {
        ks: cfg.ks.join(','), phiFrom: cfg.phiFrom, phis: cfg.phis.join(','), tolerance: cfg.tolerance, model: cfg.model, dataset: cfg.dataset,
        modelSha256: modelSha?.slice(0, 16) ?? null, modelMetadata: modelMeta, trainImages: cfg.trainLimit ?? 'all', testImages: cfg.testLimit ?? 'all', runs: cfg.runs, alg1Runs: cfg.alg1Runs, mergeToward: cfg.mergeToward, compareToward: cfg.compareToward, pad: cfg.pad, seed: cfg.seed,
        mcSamples: cfg.mcSamples, mcEngine: cfg.mcEngine, sigmas: cfg.sigmas, mapping: cfg.mapping, sizing: cfg.sizing, sizingTol: cfg.sizingTol,
        cPar: qs?.cPar ?? null, vth: p.vth, v0: p.v0, fClk: p.fClk, a, ngspice, workers: cfg.workers,
      },
      errorFree,
      tolerance: cfg.tolerance,
      fMac,
      baseline: baseRow,
      perK,
      capminV: capV,
      padding,
      selections,
      charging,
      analytic,
      pmaps,
      timings,
      missing,
      notes,
    };
    writeJsonAtomic(join(dir, 'results.json'), encodeJson(results));
    const rep = writeReport(results, dir);
    prog.step('report', 1, rep.path);
    const wallSeconds = (performance.now() - t0) / 1000;
    writeJsonChecked(join(dir, 'manifest.json'), {
      ...manifestBase,
      status: missing.length ? 'complete-with-missing' : 'complete',
      finished: new Date().toISOString(),
      wallSeconds,
      timings,
      cache: cache.stats,
      missing,
      // every invocation of this run folder (first run, resumes, cached re-runs) with its own timings
      invocations: [...previousInvocations, { started: manifestBase.started, finished: new Date().toISOString(), wallSeconds, timings, cacheHits: cache.stats.hits, cacheMisses: cache.stats.misses, cacheCorrupt: cache.stats.corrupt }],
    }, '--out');
    return { dir, report: rep.path, results, wallSeconds };
  } finally {
    await Promise.all([(trainPool as EvalPool | null)?.close(), (testPool as EvalPool | null)?.close()]);
  }
}
