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
 *
 * This module is composition only: each stage is a function of its own module (listed at the imports), and the
 * stage cache keys are written here, where the stages are composed.
 */
import { join, resolve } from 'node:path';
import { availableParallelism } from 'node:os';
import { expandKept, keptLevels, keptPmapFromMc, type KeptPmap } from '../capmin/kept.js';
import { capminVSweep, paddingComparison, rebucketedOverKept } from '../capmin/sweep.js';
import type { MergeToward, PadMode } from '../capmin/merge.js';
import { capEnergy } from '../capmin/cost.js';
import { defaultCircuit, type CircuitParams } from '../circuit/params.js';
import { describeCircuit } from '../circuit/describe.js';
import { BatchStore } from '../montecarlo/store.js';
import { defaultSigmas, type VariationSigmas } from '../montecarlo/variation.js';
import { validatedMonteCarlo } from '../montecarlo/validated.js';
import { nominalQsModel, type Mapping, type QsModel } from '../sizing/sizing.js';
import { sizeForLevels } from '../sizing/stage.js';
import { QS_POINTS, QS_RULE } from '../analytic/quasistatic.js';
import { SpiceQueue } from '../spice/runner.js';
import { defaultFig3Levels } from '../spikes/fig3.js';
import { chargingCurves, chargingFigure } from '../spikes/charging.js';
import { analyticTable } from '../analytic/table.js';
import { CapminError } from '../util/errors.js';
import { mkdirChecked } from '../util/cas.js';
import { acquireLock } from '../util/lock.js';
import { sha256, stableStringify } from '../util/hash.js';
import { shippedFile } from '../util/paths.js';
import { fmtDuration } from '../util/progress.js';
import { StageCache } from './cache.js';
import { AccuracyEvaluator, computeFMac, type EvalSource } from './evalpool.js';
import { freezeModel, identifyInputs, manifestBase, runNotes, startManifest, writeRunOutputs } from './outputs.js';
import { selectCapacitors } from './select.js';
import type { AnalyticRow, ChargingCurves, KResult, PaddingComparison, PhiResult, PmapFigure, RunResults } from '../report/results.js';

export { expandKept } from '../capmin/kept.js';

/** Everything that decides the numbers of a run. */
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
  /**
   * k whose P_map heatmap the report shows next to the baseline (a+1), k₀ and the smallest k: a configuration value
   * (default 14, between k₀ = 16 and the strongly clipped ks of the paper's Fig. 8); shown only when it is in `ks`
   */
  pmapFigureK: number;
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
    pmapFigureK: 14,
    workers: Math.max(1, Math.min(2, availableParallelism())),
  };
}
/** A stage's progress line: stage, done/total, elapsed and time left (from the weighted work done so far). */
class RunProgress {
  private readonly t0 = Date.now();
  private done = 0;
  constructor(
    private total: number,
    private readonly quiet = process.env.CAPMIN_QUIET === '1',
  ) {}
  step(stage: string, weight = 1, detail = ''): void {
    this.done += weight;
    if (this.quiet) return;
    const el = (Date.now() - this.t0) / 1000;
    const left = this.done > 0 ? (el * (this.total - this.done)) / this.done : NaN;
    process.stderr.write(`[capmin run] ${stage}${detail ? ' ' + detail : ''} — ${Math.min(100, (100 * this.done) / this.total).toFixed(0)}% · ${fmtDuration(el)} elapsed · ~${fmtDuration(left)} left\n`);
  }
}

export interface RunOutcome {
  dir: string;
  report: string;
  results: RunResults;
  wallSeconds: number;
}

/** Check the k / φ / CapMin-V settings and normalise them (baseline k = a+1 added, ks descending, φ < k₀). */
function normaliseConfig(cfg: RunConfig): void {
  const a = cfg.circuit.a;
  for (const k of cfg.ks) if (!Number.isInteger(k) || k < 2 || k > a + 1) throw new CapminError(`--ks: ${k} out of range; allowed 2..${a + 1}`);
  if (!cfg.ks.includes(a + 1)) cfg.ks = [a + 1, ...cfg.ks]; // the baseline needs all levels
  cfg.ks = [...new Set(cfg.ks)].sort((x, y) => y - x);
  if (!Number.isInteger(cfg.phiFrom) || cfg.phiFrom < 2 || cfg.phiFrom > a + 1) throw new CapminError(`--phi-from: ${cfg.phiFrom} out of range; allowed 2..${a + 1}`);
  cfg.phis = cfg.phis.filter((f) => f >= 1 && f <= cfg.phiFrom - 1);
  if (cfg.mergeToward !== 'lower' && cfg.mergeToward !== 'higher') throw new CapminError(`--merge-toward: '${String(cfg.mergeToward).slice(0, 20)}' must be lower or higher`);
  if (cfg.pad !== 'paper' && cfg.pad !== 'bound') throw new CapminError(`--pad: '${String(cfg.pad).slice(0, 20)}' must be paper or bound`);
}

/**
 * Run the pipeline into `outDir` (created; re-used as a cache when it exists). The folder is locked for the run: a
 * second run into it is a one-line error naming the process that holds it. Cache: every stage result under
 * <outDir>/cache/ (content-hash keys), every ngspice batch under <outDir>/cache/mc/.
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
  normaliseConfig(cfg);
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

  // ---- inputs, versions, manifest
  const inp = await identifyInputs(cfg.model, cfg.dataDir, p.modelCard);
  const missing = inp.missing;
  const { ngspice, modelSha, dataSha, modelCardSha } = inp;
  // stage keys hold the card's hash, not its path: a moved project or a clean clone reuses its simulations
  const { modelCard: _card, ...circuitKey } = p;
  const base = manifestBase(cfg, cfg.seed, inp);
  const previousInvocations = startManifest(dir, base);
  const bnnKey = { modelSha, dataSha, a };

  // ---- BNN side
  if (modelSha === null) missing.push(`checkpoint ${cfg.model} not found — F_MAC and every accuracy are missing (capmin ships models/vgg3-fashion.safetensors; capmin train makes one)`);
  if (dataSha === null) missing.push(`dataset folder ${inp.dataDir} not found — F_MAC and every accuracy are missing (Debian package dataset-fashion-mnist)`);
  const bnnOk = modelSha !== null && dataSha !== null;
  const modelPath = freezeModel(dir, cfg.model, modelSha);
  const src = (split: 'train' | 'test', limit?: number): EvalSource => ({ model: { checkpoint: modelPath }, dataset: { name: cfg.dataset, dir: inp.dataDir, split, limit }, a });
  const acc = new AccuracyEvaluator(cache, src('test', cfg.testLimit), cfg.workers, bnnKey, cfg.seed, (m) => sha256(stableStringify(m)));
  /** accuracy of a padded P_map over `runs` runs, timed and with a progress line per run */
  const accOverRuns = (stage: string, pMap: number[][], runs: number, extraKey: unknown, label: string) =>
    time('accuracy', () => acc.overRuns(stage, pMap, runs, extraKey, (run, r) => prog.step(label, 1, `run ${run + 1}/${runs}: ${(100 * r.accuracy).toFixed(2)}%`)));

  let fMac: RunResults['fMac'];
  let errorFree: RunResults['errorFree'];
  try {
    if (bnnOk) {
      const fm = await time('fmac', () => cache.run('fmac', { bnnKey, train: cfg.trainLimit ?? 'all' }, () => computeFMac(src('train', cfg.trainLimit), cfg.workers)));
      fMac = { total: fm.value.total, perLayer: fm.value.perLayer, images: fm.value.images, split: 'train' };
      prog.step('F_MAC', 1, `(${fm.value.images} training images${fm.cached ? ', cached' : ''})`);
      const ef = await time('accuracy', () => acc.evaluate('acc-errorfree', {}, null));
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

    // ---- per k: CapMin levels → sizing → accuracy (clipping) → validated P_map → accuracy under variation
    const perK: KResult[] = [];
    const pmaps: PmapFigure[] = [];
    const kept = new Map<number, KeptPmap>();
    if (!fMac) missing.push('CapMin levels per k need F_MAC (missing, see above): the per-k sweep and CapMin-V are skipped');
    for (const k of fMac ? cfg.ks : []) {
      const lv = keptLevels(fMac!.total, k, cfg.mapping);
      const { currents } = lv;
      const row: KResult = { k, lo: lv.lo, hi: lv.hi, contiguous: lv.contiguous, coverage: lv.coverage };
      if (spiceOk && qs) {
        const sz = await time('sizing', () =>
          cache.run('size', { circuit: circuitKey, cardSha: modelCardSha, qs: [QS_RULE, QS_POINTS], levels: lv.levels, mapping: cfg.mapping, how: cfg.sizing, tol: cfg.sizingTol }, () =>
            sizeForLevels({ circuit: p, levels: lv.levels, mapping: cfg.mapping, how: cfg.sizing, tol: cfg.sizingTol, model: qs!, sigmas: cfg.sigmas, queue: queue!, store }),
          ),
        );
        row.cMem = sz.value.cMem;
        row.cMemSource = sz.value.source;
        row.spikeTimes = sz.value.tSpike;
        row.latency = sz.value.latency ?? NaN;
        row.energy = capEnergy(sz.value.cMem, p.vth);
        if (!sz.value.checkOk) notes.push(`k = ${k}: the SPICE check at the quasi-static C_mem found colliding levels; quasi-static sizing is optimistic there.`);
      }
      prog.step(`k=${k}`, 1, `levels ${lv.lo}..${lv.hi}${row.cMem ? `, C_mem ${(row.cMem * 1e12).toFixed(2)} pF` : ''}`);
      if (bnnOk) {
        row.accNoVar = (await time('accuracy', () => acc.evaluate('acc-clip', { clip: [lv.lo, lv.hi] }, null))).accuracy;
        prog.step(`k=${k} accuracy (clipping)`, 1, `${(100 * row.accNoVar).toFixed(2)}%`);
      }
      if (spiceOk && qs && row.cMem !== undefined) {
        const cMem = row.cMem;
        const quiet = process.env.CAPMIN_QUIET === '1';
        const pm = await time('montecarlo', () =>
          cache.run('pmap', { circuit: circuitKey, cardSha: modelCardSha, cMem, levels: lv.levels, currents, sigmas: cfg.sigmas, seed: cfg.seed, samples: cfg.mcSamples, engine: cfg.mcEngine, cPar: qs!.cPar, check: cfg.crosscheckSamples, buckets: 'clock-cycles' }, async () => {
            const v = await validatedMonteCarlo({ circuit: { ...p, cMem }, sigmas: cfg.sigmas, seed: cfg.seed, levels: currents, queue: queue!, store, samples: cfg.mcSamples, engine: cfg.mcEngine, cPar: qs!.cPar, spotCheck: cfg.crosscheckSamples, progress: quiet ? false : `  mc k=${k}` });
            return { ...keptPmapFromMc(lv.levels, currents, v.mc, p.fClk), engine: v.mc.engine, spot: v.spot };
          }),
        );
        row.mcEngine = pm.value.engine;
        row.crosscheck = pm.value.spot;
        kept.set(k, pm.value);
        row.pmapDiag = pm.value.matrix.map((r, i) => r[i]!);
        if (pm.value.failed > 0) notes.push(`k = ${k}: ${pm.value.failed} Monte-Carlo samples failed and were excluded (counted in the MC run's manifest).`);
        if (k === a + 1 || k === cfg.phiFrom || k === cfg.pmapFigureK || k === Math.min(...cfg.ks)) pmaps.push({ label: `k = ${k}, C_mem = ${(cMem * 1e12).toFixed(2)} pF`, levels: lv.levels, matrix: pm.value.matrix });
        prog.step(`k=${k} Monte-Carlo P_map`, 1, `min p_ii ${Math.min(...row.pmapDiag).toFixed(3)}`);
        if (bnnOk) row.accVar = await accOverRuns('acc-var', expandKept(lv.levels, pm.value.matrix, a, cfg.pad), cfg.runs, null, `k=${k} accuracy under variation`);
      }
      perK.push(row);
    }
    if (!spiceOk) missing.push('capacitor sizing, Monte-Carlo P_map and accuracy under variation (ngspice unavailable)');

    // ---- CapMin-V φ sweep on k₀'s P_map
    let capV: RunResults['capminV'];
    const k0 = cfg.phiFrom;
    const base0 = kept.get(k0);
    const row0 = perK.find((r) => r.k === k0);
    if (fMac && !cfg.ks.includes(k0)) missing.push(`CapMin-V: k₀ = ${k0} is not in --ks, so it has no P_map; add it to --ks`);
    if (base0 && row0) {
      const phis: PhiResult[] = await capminVSweep(
        { base: base0, lo: row0.lo, hi: row0.hi, a, phis: cfg.phis, mergeToward: cfg.mergeToward, compareToward: cfg.compareToward, pad: cfg.pad, fMacTotal: fMac!.total, fClk: p.fClk, runs: cfg.runs, alg1Runs: cfg.alg1Runs },
        bnnOk ? (pMap, runs, phi, variant, label) => accOverRuns('acc-capminv', pMap, runs, { phi, variant }, `CapMin-V φ=${phi} (${label})`) : undefined,
      );
      capV = { k0, cMem: row0.cMem, lo: row0.lo, hi: row0.hi, phis, uses: 'rebucket', mergeToward: cfg.mergeToward, pad: cfg.pad };
      const last = phis[phis.length - 1];
      if (last) pmaps.push({ label: `CapMin-V k₀=${k0}, φ=${last.phi}, toward ${cfg.mergeToward}, re-bucketed`, levels: base0.levels, matrix: rebucketedOverKept(base0, last.phi, cfg.mergeToward, p.fClk) });
    } else if (fMac && spiceOk) missing.push(`CapMin-V: no Monte-Carlo P_map at k₀ = ${k0}`);

    // ---- selections
    const sel = selectCapacitors({ perK, capminV: capV, errorFree: errorFree?.accuracy, tolerance: cfg.tolerance, a, vth: p.vth });
    const selections = sel.selections;
    notes.push(...sel.notes);

    // ---- padding of clipped rows: the other padding once, on the same runs, for k₀ and the selected CapMin-V φ
    let padding: PaddingComparison | undefined;
    if (bnnOk && base0 && row0?.accVar) {
      const s = selections.find((x) => x.method === 'CapMin-V');
      const f = s && capV?.phis.find((x) => x.phi === s.phi);
      padding = await paddingComparison(
        { base: base0, k0, a, pad: cfg.pad, mergeToward: cfg.mergeToward, fClk: p.fClk, accK0: row0.accVar, selected: f?.accRebucket ? { phi: f.phi, kV: f.kV, acc: f.accRebucket } : undefined },
        (which, pMap, phi, label) => (which === 'capmin' ? accOverRuns('acc-var', pMap, cfg.runs, null, label) : accOverRuns('acc-capminv', pMap, cfg.runs, { phi, variant: 'rebucket' }, label)),
      );
    }

    // ---- Fig. 3 and the analytic table
    let charging: ChargingCurves | undefined;
    let analytic: AnalyticRow[] | undefined;
    if (spiceOk && qs) {
      const levels = cfg.chargingLevels;
      const fig = await time('fig3', () => cache.run('fig3', { circuit: circuitKey, cardSha: modelCardSha, levels }, () => chargingCurves(p, levels, qs!, queue!)));
      charging = chargingFigure(p, fig.value);
      prog.step('charging curves (Fig. 3)');
      const val = await time('analytic', () =>
        cache.run('analytic', { circuit: circuitKey, cardSha: modelCardSha, qs: [QS_RULE, QS_POINTS], levels: cfg.analyticLevels }, () => analyticTable(p, cfg.analyticLevels, queue!, { progress: process.env.CAPMIN_QUIET !== '1' })),
      );
      analytic = val.value;
      prog.step('analytic vs SPICE');
    }
    notes.push(...runNotes(cfg, perK));

    // ---- results, report, manifest
    const results: RunResults = {
      id: dir.split(/[\\/]/).pop()!,
      createdAt: new Date().toISOString(),
      quick: cfg.quick,
      circuit: describeCircuit(p, modelCardSha),
      config: {
        ks: cfg.ks.join(','), phiFrom: cfg.phiFrom, phis: cfg.phis.join(','), tolerance: cfg.tolerance, model: cfg.model, dataset: cfg.dataset,
        modelSha256: modelSha?.slice(0, 16) ?? null, modelMetadata: inp.modelMeta, trainImages: cfg.trainLimit ?? 'all', testImages: cfg.testLimit ?? 'all', runs: cfg.runs, alg1Runs: cfg.alg1Runs, mergeToward: cfg.mergeToward, compareToward: cfg.compareToward, pad: cfg.pad, seed: cfg.seed,
        mcSamples: cfg.mcSamples, mcEngine: cfg.mcEngine, sigmas: cfg.sigmas, mapping: cfg.mapping, sizing: cfg.sizing, sizingTol: cfg.sizingTol,
        cPar: qs?.cPar ?? null, vth: p.vth, v0: p.v0, fClk: p.fClk, a, ngspice, workers: cfg.workers,
      },
      errorFree,
      tolerance: cfg.tolerance,
      fMac,
      baseline: perK.find((r) => r.k === a + 1),
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
    const out = writeRunOutputs(dir, results, { base, previousInvocations, cache: cache.stats, t0 }, (path) => prog.step('report', 1, path));
    return { dir, report: out.report, results, wallSeconds: out.wallSeconds };
  } finally {
    await acc.close();
  }
}
