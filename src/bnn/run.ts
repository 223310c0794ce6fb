/**
 * Library entry points of the BNN engine, parallel over worker_threads:
 * - `evaluate(model, dataset, opts)`: test accuracy with clipping (Eq. 4) and/or a P_map (Eq. 6), several runs;
 *   with `{}` it is THE definition of error-free evaluation used everywhere in capmin.
 * - `computeFmac(model, dataset, opts)`: F_MAC, the per-layer and summed histograms of sub-MAC levels (Fig. 1).
 * Workers are started from the module next to this one (worker.js from dist/, worker.ts + the tsx loader from
 * source); `threads: 1` runs in-process. Results do not depend on the number of threads.
 */
import { availableParallelism } from 'node:os';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { Progress } from '../util/progress.js';
import type { Dataset } from '../data/datasets.js';
import { limitDataset } from '../data/datasets.js';
import { CapminError } from '../util/errors.js';
import type { BnnModel } from './arch.js';
import { Engine, subMacsPerImage, type ArrayConfig } from './engine.js';
import { runBlock, type BlockResult, type BlockTask } from './block.js';
import { levelTables } from './pmap.js';
import { resolvePath } from './native.js';

export interface RunOptions extends ArrayConfig {
  /**
   * Threads over images: native threads with the native kernels (default: all cores from 200 image passes on),
   * worker threads on the TypeScript path (default: all cores from 1500 image passes on, else 1 = in-process).
   */
  threads?: number;
  /** Only the first `limit` images. */
  limit?: number;
  /** Images per task (default 100). */
  blockSize?: number;
  /** Progress label on stderr (default 'eval' / 'fmac'); `quiet` silences it. */
  label?: string;
  quiet?: boolean;
}

export interface EvalOptions extends RunOptions {
  /** Runs with independent P_map draws (paper: 3). Error-free / clip-only settings are deterministic: computed once. */
  runs?: number;
  /** Seed of the P_map draws (stream per seed, run, image). */
  seed?: number;
}

export interface EvalResult {
  n: number;
  runs: number;
  /** Accuracy per run (fraction 0..1). */
  accuracies: number[];
  mean: number;
  min: number;
  max: number;
  correct: number[];
  /** Predicted class per run and image. */
  predictions: Uint8Array[];
  seconds: number;
  imagesPerSecond: number;
  subMacsPerImage: number;
  subMacsPerSecond: number;
  threads: number;
  a: number;
  clip: [number, number] | null;
  sampled: boolean;
  seed: number;
}

export interface FmacLayer {
  name: string;
  /** reduction length β, neurons α, output positions δ, chunks per dot product ⌈β/a⌉ */
  beta: number;
  alpha: number;
  positions: number;
  chunks: number;
  /** counts[m] = number of chunks with level m (m = 0..a) */
  counts: number[];
}

export interface FmacResult {
  a: number;
  images: number;
  layers: FmacLayer[];
  /** counts summed over layers (Fig. 1) */
  total: number[];
  subMacs: number;
  /** error-free accuracy of the same forward passes */
  accuracy: number;
  seconds: number;
  threads: number;
}

/** Error-free / clipped / P_map accuracy of `model` on `dataset` (see module doc). */
export async function evaluate(model: BnnModel, dataset: Dataset, opts: EvalOptions = {}): Promise<EvalResult> {
  const ds = prepare(model, dataset, opts.limit);
  const a = opts.a ?? 32;
  const sampled = levelTables(a, opts.clip, opts.pMap).sampled;
  const runs = opts.runs ?? 1;
  if (!Number.isInteger(runs) || runs < 1) throw new CapminError(`--runs: ${runs} must be an integer >= 1`);
  const seed = opts.seed ?? 1;
  const effRuns = sampled ? runs : 1;
  const t0 = performance.now();
  const { preds, threads } = await runAll(model, opts, ds, { runs: effRuns, seed, fmac: false }, opts.label ?? 'eval');
  const seconds = (performance.now() - t0) / 1000;
  const correct: number[] = [];
  const predictions: Uint8Array[] = [];
  for (let r = 0; r < runs; r++) {
    const p = preds[Math.min(r, effRuns - 1)]!;
    predictions.push(p);
    let c = 0;
    for (let i = 0; i < ds.n; i++) if (p[i] === ds.labels[i]) c++;
    correct.push(c);
  }
  const accuracies = correct.map((c) => c / ds.n);
  const spi = subMacsPerImage(model, a);
  return {
    n: ds.n, runs, accuracies, correct, predictions,
    mean: accuracies.reduce((s, v) => s + v, 0) / runs,
    min: Math.min(...accuracies), max: Math.max(...accuracies),
    seconds, imagesPerSecond: (ds.n * effRuns) / seconds, subMacsPerImage: spi,
    subMacsPerSecond: (spi * ds.n * effRuns) / seconds, threads, a,
    clip: opts.clip ? [opts.clip[0], opts.clip[1]] : null, sampled, seed,
  };
}

/** F_MAC of `model` over `dataset`: error-free levels of every sub-MAC, per array layer and summed (a+1 bins). */
export async function computeFmac(model: BnnModel, dataset: Dataset, opts: RunOptions = {}): Promise<FmacResult> {
  const ds = prepare(model, dataset, opts.limit);
  const a = opts.a ?? 32;
  const cfg: RunOptions = { ...opts, clip: undefined, pMap: undefined };
  const t0 = performance.now();
  const { preds, hist, threads } = await runAll(model, cfg, ds, { runs: 1, seed: 0, fmac: true }, opts.label ?? 'fmac');
  const seconds = (performance.now() - t0) / 1000;
  let c = 0;
  for (let i = 0; i < ds.n; i++) if (preds[0]![i] === ds.labels[i]) c++;
  const layers: FmacLayer[] = model.arrayLayers.map((l, i) => ({
    name: l.name, beta: l.beta, alpha: l.alpha, positions: l.positions, chunks: Math.ceil(l.beta / a),
    counts: Array.from(hist![i]!),
  }));
  const total = Array.from({ length: a + 1 }, (_, m) => layers.reduce((s, l) => s + l.counts[m]!, 0));
  return {
    a, images: ds.n, layers, total, subMacs: total.reduce((s, v) => s + v, 0), accuracy: c / ds.n, seconds, threads,
  };
}

function prepare(model: BnnModel, dataset: Dataset, limit?: number): Dataset {
  const { c, h, w } = model.input;
  if (dataset.c !== c || dataset.h !== h || dataset.w !== w) {
    throw new CapminError(
      `dataset images are ${dataset.c}×${dataset.h}×${dataset.w} but the ${model.arch} model expects ${c}×${h}×${w} (wrong --dataset or --arch?)`,
      'EINPUT',
    );
  }
  if (dataset.n === 0) throw new CapminError('dataset has no images', 'EINPUT');
  return limit !== undefined ? limitDataset(dataset, limit) : dataset;
}

/**
 * How to start the worker next to this module: dist/ → worker.js directly; from source → a tiny eval'd script
 * that registers tsx's ESM loader (tsx/esm/api) and imports worker.ts (Node 20 does not run a worker's entry
 * file through --import hooks).
 */
export function workerEntry(): { code: string; eval: boolean } {
  const here = fileURLToPath(import.meta.url);
  const isTs = here.endsWith('.ts');
  const file = join(dirname(here), isTs ? 'worker.ts' : 'worker.js');
  if (!isTs) return { code: file, eval: false };
  const api = createRequire(import.meta.url).resolve('tsx/esm/api').replace(/index\.cjs$/, 'index.mjs');
  const code =
    `import(${JSON.stringify(pathToFileURL(api).href)})` +
    `.then((m) => { m.register(); return import(${JSON.stringify(pathToFileURL(file).href)}); });`;
  return { code, eval: true };
}

/** Idle workers kept for the next run on the same model (unref'd: they never keep the process alive). */
let pool: { model: BnnModel; workers: Worker[]; busy: boolean } | null = null;

function spawn(model: BnnModel): Worker {
  const entry = workerEntry();
  const w = new Worker(entry.code, { eval: entry.eval, workerData: { model }, stdout: false, stderr: false });
  w.unref();
  return w;
}

function acquirePool(model: BnnModel, threads: number): { workers: Worker[]; cached: boolean } {
  if (pool && !pool.busy && pool.model === model && pool.workers.length === threads) {
    pool.busy = true;
    return { workers: pool.workers, cached: true };
  }
  if (pool?.busy) {
    // a concurrent run holds the pool: use private workers
    return { workers: Array.from({ length: threads }, () => spawn(model)), cached: false };
  }
  if (pool) void Promise.all(pool.workers.map((w) => w.terminate()));
  pool = { model, workers: Array.from({ length: threads }, () => spawn(model)), busy: true };
  return { workers: pool.workers, cached: true };
}

function releasePool(workers: Worker[], keep: boolean): void {
  if (keep && pool && pool.workers === workers) {
    pool.busy = false;
    for (const w of workers) w.unref();
    return;
  }
  if (pool && pool.workers === workers) pool = null;
  void Promise.all(workers.map((w) => w.terminate()));
}

/** Stop the idle engine workers (optional: they are unref'd and end with the process). */
export async function closeEnginePool(): Promise<void> {
  const p = pool;
  pool = null;
  if (p) await Promise.all(p.workers.map((w) => w.terminate()));
}

interface RunSpec {
  runs: number;
  seed: number;
  fmac: boolean;
}

async function runAll(
  model: BnnModel, cfg: RunOptions, ds: Dataset, spec: RunSpec, label: string,
): Promise<{ preds: Uint8Array[]; hist: Float64Array[] | null; threads: number }> {
  const per = ds.c * ds.h * ds.w;
  const block = cfg.blockSize ?? 100;
  const nTasks = Math.ceil(ds.n / block);
  // worker start-up costs ~0.5 s (more from source under tsx): small jobs run in-process by default
  const auto = ds.n * spec.runs >= 1500 ? availableParallelism() : 1;
  const threads = Math.max(1, Math.min(cfg.threads ?? auto, nTasks));
  const preds = Array.from({ length: spec.runs }, () => new Uint8Array(ds.n));
  const a = cfg.a ?? 32;
  const hist = spec.fmac ? model.arrayLayers.map(() => new Float64Array(a + 1)) : null;
  const progress = new Progress(label, ds.n * spec.runs, 'img', { quiet: cfg.quiet });
  const engineCfg = { a: cfg.a, clip: cfg.clip, pMap: cfg.pMap, kernel: cfg.kernel };
  const task = (id: number): BlockTask => {
    const start = id * block;
    const count = Math.min(block, ds.n - start);
    return { id, start, count, images: ds.images.slice(start * per, (start + count) * per), runs: spec.runs, seed: spec.seed, fmac: spec.fmac };
  };
  const collect = (r: BlockResult) => {
    for (let k = 0; k < spec.runs; k++) preds[k]!.set(r.preds.subarray(k * r.count, (k + 1) * r.count), r.start);
    if (hist && r.hist) r.hist.forEach((h, i) => h.forEach((v, m) => (hist[i]![m]! += v)));
    progress.tick(r.count * spec.runs);
  };
  const path = resolvePath(cfg.kernel);
  if (path !== 'ts') {
    // native kernels: in-process, native threads over the images of each block (no JS per chunk or per image)
    const engine = new Engine(model, engineCfg);
    const nThreads = Math.max(1, Math.min(cfg.threads ?? (ds.n * spec.runs >= 200 ? availableParallelism() : 1), ds.n));
    const K = a + 1;
    const flat = hist ? new Float64Array(hist.length * K) : null;
    const nb = Math.max(block, 250 * nThreads);
    for (let start = 0; start < ds.n; start += nb) {
      const count = Math.min(nb, ds.n - start);
      const p = new Uint8Array(count * spec.runs);
      engine.runBatch(ds.images.subarray(start * per, (start + count) * per), count, start, spec.runs, spec.seed, nThreads, p, flat);
      for (let k = 0; k < spec.runs; k++) preds[k]!.set(p.subarray(k * count, (k + 1) * count), start);
      progress.tick(count * spec.runs);
      await new Promise((res) => setImmediate(res));
    }
    if (hist && flat) hist.forEach((h, l) => { for (let m = 0; m < K; m++) h[m] = flat[l * K + m]!; });
    progress.finish();
    return { preds, hist, threads: nThreads };
  }
  if (threads === 1) {
    const engine = new Engine(model, engineCfg);
    for (let id = 0; id < nTasks; id++) {
      collect(runBlock(engine, task(id)));
      if (id % 4 === 3) await new Promise((res) => setImmediate(res));
    }
    progress.finish();
    return { preds, hist, threads };
  }
  const { workers, cached } = acquirePool(model, threads);
  const cfgKey = JSON.stringify(engineCfg);
  const listeners: Array<() => void> = [];
  let failed = false;
  try {
    await new Promise<void>((resolve, reject) => {
      let next = 0;
      let done = 0;
      const feed = (w: Worker) => {
        if (next < nTasks) w.postMessage({ task: task(next++), cfg: engineCfg, cfgKey });
      };
      for (const w of workers) {
        const onMessage = (r: BlockResult) => {
          collect(r);
          if (++done === nTasks) resolve();
          else feed(w);
        };
        const onError = (e: Error) => reject(e);
        const onExit = (code: number) => reject(new CapminError(`engine worker exited with code ${code} before finishing`, 'EWORKER', 1));
        w.on('message', onMessage);
        w.on('error', onError);
        w.on('exit', onExit);
        listeners.push(() => {
          w.off('message', onMessage);
          w.off('error', onError);
          w.off('exit', onExit);
        });
        w.ref();
        feed(w);
      }
    });
  } catch (e) {
    failed = true;
    throw e;
  } finally {
    listeners.forEach((off) => off());
    releasePool(workers, cached && !failed);
  }
  progress.finish();
  return { preds, hist, threads };
}
