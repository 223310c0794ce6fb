/**
 * Parallel BNN evaluation for the pipeline: a pool of worker threads, each holding the model and the dataset, running
 * the bit-packed engine (src/bnn/engine.ts, exactly its semantics) on slices of the images. Results are counts of
 * correct predictions and level histograms, so they do not depend on how images are split over workers (the engine's
 * random stream is addressed by (seed, run, image index)).
 *
 * The pipeline uses this pool because the BNN area exposes a single-threaded `Engine`; if it ships its own parallel
 * evaluator, this module is the one place to swap it in.
 */
import { statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { PMap } from '../bnn/pmap.js';
import { CapminError } from '../util/errors.js';

/** URL of tsx's ESM register API (for workers started from TypeScript sources). */
function tsxApiUrl(): string {
  const meta = import.meta as ImportMeta & { resolve?: (s: string) => string };
  if (typeof meta.resolve === 'function') {
    try {
      return meta.resolve('tsx/esm/api');
    } catch {
      /* fall through */
    }
  }
  const pkg = createRequire(import.meta.url).resolve('tsx/package.json');
  return pathToFileURL(join(dirname(pkg), 'dist', 'esm', 'api', 'index.mjs')).href;
}

/** Where a worker gets its model and images. */
export interface EvalSource {
  /** safetensors checkpoint path, or a random model (tests) */
  model: { checkpoint: string; arch?: string } | { random: { arch: 'vgg3'; seed: number } };
  dataset: { name: 'fashion' | 'cifar10' | 'npy'; dir?: string; split: 'train' | 'test'; limit?: number };
  a?: number;
}

export interface EvalTask {
  clip?: [number, number];
  pMap?: PMap;
  run?: number;
  seed?: number;
  /** collect F_MAC (error-free levels) */
  hist?: boolean;
}

export interface EvalOutcome {
  correct: number;
  images: number;
  accuracy: number;
  /** per array layer, a+1 bins (only with `hist`) */
  hist?: number[][];
  layerNames?: string[];
  ms: number;
}

interface Job {
  id: number;
  task: EvalTask;
  start: number;
  end: number;
}

interface WorkerState {
  w: Worker;
  busy: boolean;
  ready: Promise<{ n: number; layerNames: string[] }>;
}

/** A worker's failure as the one-line CapminError the user sees (its message already names the file or field). */
function workerError(m: { error?: string; code?: string; exitCode?: number }, what: string): CapminError {
  return new CapminError(`${what}: ${m.error ?? 'failed'}`.replace(/\s*\n\s*/g, ' ').slice(0, 600), m.code ?? 'EEVAL', m.exitCode ?? 2);
}

/**
 * Check what the workers will load before any is started: the checkpoint is a regular file and the dataset folder
 * exists (the workers' own errors — a missing or malformed file inside the folder — come back as CapminErrors too).
 */
export function checkEvalSource(source: EvalSource): void {
  const kind = (p: string): 'file' | 'dir' | 'other' | 'missing' => {
    try {
      const st = statSync(p);
      return st.isFile() ? 'file' : st.isDirectory() ? 'dir' : 'other';
    } catch {
      return 'missing';
    }
  };
  if ('checkpoint' in source.model) {
    const k = kind(source.model.checkpoint);
    if (k !== 'file') throw new CapminError(`--model: ${source.model.checkpoint} ${k === 'missing' ? 'not found' : 'is not a regular file'}; pass a safetensors checkpoint`, 'EINPUT', 2);
  }
  const dir = source.dataset.dir;
  if (dir !== undefined && kind(dir) !== 'dir') {
    throw new CapminError(`--data-dir: ${dir} ${kind(dir) === 'missing' ? 'not found' : 'is not a folder'}; pass the folder holding the ${source.dataset.name} files`, 'EINPUT', 2);
  }
}

/** Pool of engine workers for one (model, dataset). */
export class EvalPool {
  private workers: WorkerState[] = [];
  private pending = new Map<number, { resolve: (r: { correct: number; hist?: number[][] }) => void; reject: (e: Error) => void }>();
  private queue: Job[] = [];
  private nextId = 1;
  private info: Promise<{ n: number; layerNames: string[] }>;
  private closed = false;
  /** the first failure of a worker: every later request fails with it */
  private broken: CapminError | null = null;

  constructor(
    readonly source: EvalSource,
    readonly size = Math.max(1, Math.min(availableParallelism(), 2)),
  ) {
    checkEvalSource(source);
    const what = `BNN evaluation (${source.dataset.name} ${source.dataset.split})`;
    const here = fileURLToPath(import.meta.url);
    const isTs = here.endsWith('.ts');
    const file = here.replace(/evalpool\.(ts|js)$/, `evalworker.${isTs ? 'ts' : 'js'}`);
    // Under tsx (sources run directly) the worker registers tsx's loader itself before importing the .ts worker.
    const boot = isTs
      ? `import(${JSON.stringify(tsxApiUrl())}).then((m) => { m.register(); return import(${JSON.stringify(pathToFileURL(file).href)}); });`
      : null;
    for (let i = 0; i < size; i++) {
      const w = boot ? new Worker(boot, { eval: true, workerData: source }) : new Worker(file, { workerData: source });
      const st: WorkerState = {
        w,
        busy: false,
        ready: new Promise((resolve, reject) => {
          const onMsg = (m: { type: string; n?: number; layerNames?: string[]; error?: string; code?: string; exitCode?: number }) => {
            if (m.type === 'ready') {
              w.off('message', onMsg);
              resolve({ n: m.n!, layerNames: m.layerNames! });
            } else if (m.type === 'error') {
              w.off('message', onMsg);
              reject(this.fail(workerError(m, what)));
            }
          };
          w.on('message', onMsg);
          w.once('error', (e) => reject(this.fail(workerError({ error: e.message }, what))));
          w.once('exit', (code) => reject(this.fail(workerError({ error: `worker exited (code ${code}) before it was ready` }, what))));
        }),
      };
      st.ready.catch(() => undefined); // observed through describe()/submit(); never an unhandled rejection
      w.on('message', (m: { type: string; id?: number; correct?: number; hist?: number[][]; error?: string }) => {
        if (m.type === 'done' || m.type === 'failed') {
          const p = this.pending.get(m.id!);
          this.pending.delete(m.id!);
          st.busy = false;
          if (m.type === 'done') p?.resolve({ correct: m.correct!, hist: m.hist });
          else p?.reject(workerError(m as { error?: string; code?: string; exitCode?: number }, what));
          this.pump();
        }
      });
      w.on('error', (e) => {
        const err = this.fail(workerError({ error: e.message }, what));
        for (const [, p] of this.pending) p.reject(err);
        this.pending.clear();
      });
      w.on('exit', (code) => {
        if (this.closed) return;
        const err = this.fail(workerError({ error: `worker exited (code ${code})` }, what));
        for (const [, p] of this.pending) p.reject(err);
        this.pending.clear();
      });
      this.workers.push(st);
    }
    this.info = this.workers[0]!.ready;
  }

  /** Number of images and the array layer names. */
  async describe(): Promise<{ n: number; layerNames: string[] }> {
    return this.info;
  }

  private pump(): void {
    for (const st of this.workers) {
      if (st.busy || this.queue.length === 0) continue;
      const job = this.queue.shift()!;
      st.busy = true;
      st.w.postMessage({ type: 'eval', ...job });
    }
  }

  /** Remember the first failure and stop every worker (one broken worker makes the pool's results incomplete). */
  private fail(err: CapminError): CapminError {
    if (!this.broken) {
      this.broken = err;
      this.closed = true;
      for (const st of this.workers) void st.w.terminate();
    }
    return this.broken;
  }

  private submit(task: EvalTask, start: number, end: number): Promise<{ correct: number; hist?: number[][] }> {
    if (this.broken) return Promise.reject(this.broken);
    if (this.closed) return Promise.reject(new CapminError('BNN evaluation: the worker pool is closed', 'EEVAL', 1));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.queue.push({ id, task, start, end });
      void Promise.all(this.workers.map((w) => w.ready)).then(() => this.pump(), reject);
    });
  }

  /** Evaluate the whole dataset with one setting (split into chunks over the workers). */
  async evaluate(task: EvalTask): Promise<EvalOutcome> {
    const t0 = performance.now();
    const { n, layerNames } = await this.describe();
    const chunks = Math.max(this.size * 4, 1);
    const step = Math.ceil(n / chunks);
    const parts: Promise<{ correct: number; hist?: number[][] }>[] = [];
    for (let s = 0; s < n; s += step) parts.push(this.submit(task, s, Math.min(n, s + step)));
    const res = await Promise.all(parts);
    const correct = res.reduce((s, r) => s + r.correct, 0);
    const out: EvalOutcome = { correct, images: n, accuracy: n > 0 ? correct / n : NaN, ms: performance.now() - t0 };
    if (task.hist) {
      const h = res[0]!.hist!.map((l) => l.map(() => 0));
      for (const r of res) r.hist!.forEach((l, i) => l.forEach((v, j) => (h[i]![j]! += v)));
      out.hist = h;
      out.layerNames = layerNames;
    }
    return out;
  }

  /** Stop the workers. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.workers.map((w) => w.w.terminate()));
  }
}

/** F_MAC (Fig. 1): the histogram of sub-MAC levels 0..a over a split, total and per array layer. */
export interface FMacCounts {
  /** counts per level 0..a over every array layer */
  total: number[];
  perLayer: { name: string; counts: number[] }[];
  images: number;
  split: 'train';
  /** error-free accuracy on those images (a by-product of the pass) */
  trainAccuracy: number;
}

/**
 * F_MAC over the images of `source` (error-free pass with level histograms), on a pool of `workers` threads that is
 * closed before returning. Cache: none here (`capmin run` caches it as its 'fmac' stage).
 */
export async function computeFMac(source: EvalSource, workers: number): Promise<FMacCounts> {
  const a = source.a ?? 32;
  const pool = new EvalPool(source, workers);
  try {
    const o = await pool.evaluate({ hist: true });
    const total = new Array<number>(a + 1).fill(0);
    for (const h of o.hist!) h.forEach((v, m) => (total[m]! += v));
    return { total, perLayer: o.hist!.map((h, i) => ({ name: o.layerNames![i]!, counts: h })), images: o.images, split: 'train', trainAccuracy: o.accuracy };
  } finally {
    await pool.close();
  }
}

/** Mean, min and max of per-run accuracies (fractions). */
export interface RunAccuracy {
  mean: number;
  min: number;
  max: number;
  runs: number;
  images: number;
}

/** Mean / min / max of per-run accuracies over `images` test images. Pure. */
export function accuracyStats(accs: number[], images: number): RunAccuracy {
  return { mean: accs.reduce((s, x) => s + x, 0) / accs.length, min: Math.min(...accs), max: Math.max(...accs), runs: accs.length, images };
}

/** A stage cache as the evaluator needs it (src/pipeline/cache.ts StageCache). */
export interface AccuracyCache {
  run<T>(stage: string, inputs: unknown, fn: () => Promise<T> | T): Promise<{ value: T; cached: boolean }>;
}

/**
 * Test accuracy under clipping (Eq. 4) and/or a padded P_map (Alg. 1 line 15), each evaluation cached in `cache`
 * under its stage name, keyed by the network/data identity, the test limit, the clip, the run, the seed, the P_map's
 * hash and a caller key. The test pool starts on the first uncached evaluation; `close()` ends it.
 */
export class AccuracyEvaluator {
  private pool: EvalPool | null = null;
  constructor(
    private readonly cache: AccuracyCache,
    private readonly source: EvalSource,
    private readonly workers: number,
    /** identity of network and data (part of every key) */
    private readonly bnnKey: unknown,
    private readonly seed: number,
    private readonly hashPmap: (pMap: number[][]) => string,
  ) {}

  /** One evaluation: `clip` = [lo, hi] of Eq. 4, `pMap` = a padded (a+1)×(a+1) P_map, `run` = the error-draw run. */
  async evaluate(stage: string, task: { clip?: [number, number]; pMap?: number[][]; run?: number }, extraKey: unknown): Promise<{ accuracy: number; images: number }> {
    const key = { bnnKey: this.bnnKey, test: this.source.dataset.limit ?? 'all', clip: task.clip ?? null, run: task.run ?? 0, seed: this.seed, pMapSha: task.pMap ? this.hashPmap(task.pMap) : null, extraKey };
    const r = await this.cache.run(stage, key, async () => {
      const o = await (this.pool ??= new EvalPool(this.source, this.workers)).evaluate({ clip: task.clip, pMap: task.pMap, run: task.run ?? 0, seed: this.seed });
      return { accuracy: o.accuracy, images: o.images };
    });
    return r.value;
  }

  /**
   * Accuracy of a padded P_map over runs 0..runs−1. The padding carries the clipping (its clipped rows are one-hot on
   * the bound or the bound's row), so the engine gets no separate clip. `onRun` sees each run's result (progress).
   */
  async overRuns(stage: string, pMap: number[][], runs: number, extraKey: unknown, onRun?: (run: number, r: { accuracy: number; images: number }) => void): Promise<RunAccuracy> {
    const accs: number[] = [];
    let images = 0;
    for (let run = 0; run < runs; run++) {
      const r = await this.evaluate(stage, { pMap, run }, extraKey);
      accs.push(r.accuracy);
      images = r.images;
      onRun?.(run, r);
    }
    return accuracyStats(accs, images);
  }

  async close(): Promise<void> {
    await this.pool?.close();
    this.pool = null;
  }
}
