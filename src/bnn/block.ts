/**
 * One unit of engine work: a contiguous block of images, all runs. Shared by the in-process path and workers.
 */
import type { Engine } from './engine.js';

export interface BlockTask {
  id: number;
  /** global index of the first image (addresses the random streams) */
  start: number;
  count: number;
  /** count·C·H·W pixels */
  images: Float32Array;
  runs: number;
  seed: number;
  /** collect F_MAC level histograms (error-free forward) */
  fmac: boolean;
}

export interface BlockResult {
  id: number;
  start: number;
  count: number;
  /** predicted class per (run, image): preds[r·count + i] */
  preds: Uint8Array;
  /** per array layer, a+1 bins (fmac only) */
  hist: Float64Array[] | null;
}

/** Forward every image of the block for every run. */
export function runBlock(engine: Engine, task: BlockTask): BlockResult {
  const per = engine.model.input.c * engine.model.input.h * engine.model.input.w;
  const preds = new Uint8Array(task.count * task.runs);
  const hist = task.fmac ? engine.newHist() : null;
  for (let r = 0; r < task.runs; r++) {
    for (let i = 0; i < task.count; i++) {
      const img = task.images.subarray(i * per, (i + 1) * per);
      preds[r * task.count + i] = engine.predict(img, task.start + i, r, task.seed, hist ?? undefined);
    }
  }
  return { id: task.id, start: task.start, count: task.count, preds, hist };
}
