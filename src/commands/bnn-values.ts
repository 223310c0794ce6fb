/**
 * The network/data options of `capmin fmac` and `capmin eval` in the form src/bnn/options.ts reads
 * (`loadModelAndData`); `--cells` and `--workers` are range-checked here so that errors name the command-line option.
 */
import { parseWorkers } from '../montecarlo/cliopts.js';
import { parseSpiceValue } from '../util/units.js';

/** The options both commands share, as parsed. */
export interface BnnOptionValues {
  model?: string;
  arch?: string;
  dataset?: string;
  'data-dir'?: string;
  split?: string;
  limit?: string;
  cells?: string;
  workers?: string;
}

/** Values for loadModelAndData: the BNN array size a is `--cells` (1..32), its thread count `--workers`. */
export function bnnValues(v: BnnOptionValues): Record<string, string | undefined> {
  const cells = v.cells !== undefined ? String(parseSpiceValue('--cells', v.cells, { min: 1, max: 32, integer: true })) : undefined;
  const workers = v.workers !== undefined ? String(parseWorkers(v.workers)) : undefined;
  return { model: v.model, arch: v.arch, dataset: v.dataset, 'data-dir': v['data-dir'], split: v.split, limit: v.limit, 'array-size': cells, threads: workers };
}
