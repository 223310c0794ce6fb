/**
 * Worker thread of EvalPool: loads the model and dataset once, then evaluates slices of images on request.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { loadCheckpoint } from '../bnn/checkpoint.js';
import { Engine } from '../bnn/engine.js';
import { randomModel } from '../bnn/random.js';
import type { BnnModel } from '../bnn/arch.js';
import { checkLabelsFitModel, loadDataset } from '../data/datasets.js';
import type { EvalSource, EvalTask } from './evalpool.js';

const src = workerData as EvalSource;
const port = parentPort!;

try {
  const model: BnnModel =
    'checkpoint' in src.model ? loadCheckpoint(src.model.checkpoint, src.model.arch) : randomModel(src.model.random.arch, { seed: src.model.random.seed });
  const ds = loadDataset(src.dataset.name, src.dataset.split, { dir: src.dataset.dir, limit: src.dataset.limit });
  checkLabelsFitModel(ds, model.classes);
  const per = ds.c * ds.h * ds.w;
  const a = src.a ?? 32;
  const engines = new Map<string, Engine>();
  port.postMessage({ type: 'ready', n: ds.n, layerNames: model.arrayLayers.map((l) => l.name) });
  port.on('message', (m: { type: string; id: number; task: EvalTask; start: number; end: number }) => {
    if (m.type !== 'eval') return;
    try {
      const key = JSON.stringify([m.task.clip ?? null, m.task.pMap ?? null]);
      let e = engines.get(key);
      if (!e) {
        if (engines.size > 4) engines.clear();
        e = new Engine(model, { a, clip: m.task.clip, pMap: m.task.pMap });
        engines.set(key, e);
      }
      const hist = m.task.hist ? e.newHist() : undefined;
      let correct = 0;
      for (let i = m.start; i < m.end; i++) {
        const p = e.predict(ds.images.subarray(i * per, (i + 1) * per), i, m.task.run ?? 0, m.task.seed ?? 0, hist);
        if (p === ds.labels[i]) correct++;
      }
      port.postMessage({ type: 'done', id: m.id, correct, hist: hist?.map((h) => Array.from(h)) });
    } catch (err) {
      const ce = err as { code?: unknown; exitCode?: unknown };
      port.postMessage({
        type: 'failed',
        id: m.id,
        error: err instanceof Error ? err.message : String(err),
        ...(typeof ce.code === 'string' ? { code: ce.code } : {}),
        ...(typeof ce.exitCode === 'number' ? { exitCode: ce.exitCode } : {}),
      });
    }
  });
} catch (err) {
  // a CapminError's message is already the one line the user should see; keep its code and exit status
  const ce = err as { message?: string; code?: unknown; exitCode?: unknown; name?: string };
  port.postMessage({
    type: 'error',
    error: err instanceof Error ? err.message : String(err),
    ...(typeof ce.code === 'string' ? { code: ce.code } : {}),
    ...(typeof ce.exitCode === 'number' ? { exitCode: ce.exitCode } : {}),
  });
}
