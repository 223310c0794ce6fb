/**
 * worker_threads entry of the BNN engine: builds one Engine from workerData and answers image blocks.
 * Started by run.ts (from dist/ as .js, or from source as .ts with the tsx loader).
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { BnnModel } from './arch.js';
import { Engine, type ArrayConfig } from './engine.js';
import { runBlock, type BlockTask } from './block.js';

const { model, cfg } = workerData as { model: BnnModel; cfg: ArrayConfig };
const engine = new Engine(model, cfg);

parentPort!.on('message', (task: BlockTask) => {
  const res = runBlock(engine, task);
  const transfer: ArrayBuffer[] = [res.preds.buffer as ArrayBuffer];
  if (res.hist) for (const h of res.hist) transfer.push(h.buffer as ArrayBuffer);
  parentPort!.postMessage(res, transfer);
});
