/**
 * worker_threads entry of the BNN engine: holds one model (workerData) and an Engine per array configuration,
 * and answers image blocks. Started by run.ts (from dist/ as .js, or from source as .ts through tsx).
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { BnnModel } from './arch.js';
import { Engine, type ArrayConfig } from './engine.js';
import { runBlock, type BlockTask } from './block.js';

const { model } = workerData as { model: BnnModel };
const engines = new Map<string, Engine>();

parentPort!.on('message', (msg: { task: BlockTask; cfg: ArrayConfig; cfgKey: string }) => {
  let engine = engines.get(msg.cfgKey);
  if (!engine) {
    if (engines.size >= 4) engines.delete(engines.keys().next().value!);
    engine = new Engine(model, msg.cfg);
    engines.set(msg.cfgKey, engine);
  }
  const res = runBlock(engine, msg.task);
  const transfer: ArrayBuffer[] = [res.preds.buffer as ArrayBuffer];
  if (res.hist) for (const h of res.hist) transfer.push(h.buffer as ArrayBuffer);
  parentPort!.postMessage(res, transfer);
});
