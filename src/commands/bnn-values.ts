/**
 * The network/data options of `capmin fmac` and `capmin eval` in the form src/bnn/options.ts reads
 * (`loadModelAndData`); `--cells` and `--workers` are range-checked here so that errors name the command-line option.
 */
import { parseWorkers } from '../montecarlo/cliopts.js';
import { parseSpiceValue } from '../util/units.js';
import { shippedFile } from '../util/paths.js';

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

/**
 * Values for loadModelAndData: the BNN array size a is `--cells` (1..32), its thread count `--workers`; `--model`
 * defaults to the bundled VGG3 Fashion-MNIST checkpoint.
 */
export function bnnValues(v: BnnOptionValues): Record<string, string | undefined> {
  const cells = v.cells !== undefined ? String(parseSpiceValue('--cells', v.cells, { min: 1, max: 32, integer: true })) : undefined;
  const workers = v.workers !== undefined ? String(parseWorkers(v.workers)) : undefined;
  // the bundled checkpoint by default, found relative to the package (works for any install)
  return { model: v.model ?? shippedFile('models', 'vgg3-fashion.safetensors'), arch: v.arch, dataset: v.dataset, 'data-dir': v['data-dir'], split: v.split, limit: v.limit, 'array-size': cells, threads: workers };
}
