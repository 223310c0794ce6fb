/**
 * Option handling shared by `capmin fmac` and `capmin eval`: model + dataset loading with one-line errors.
 */
import { existsSync } from 'node:fs';
import { checkLabelsFitModel, loadDataset, parseDatasetName, type Dataset, type DatasetName, type Split } from '../data/datasets.js';
import { inputError } from '../util/errors.js';
import { parseSpiceValue } from '../util/units.js';
import { loadCheckpoint } from './checkpoint.js';
import { parseArch, type BnnModel } from './arch.js';

export const MODEL_OPTIONS = {
  model: { type: 'string' },
  arch: { type: 'string' },
  dataset: { type: 'string' },
  'data-dir': { type: 'string' },
  split: { type: 'string' },
  'array-size': { type: 'string' },
  limit: { type: 'string' },
  threads: { type: 'string' },
  json: { type: 'boolean' },
} as const;

export const MODEL_HELP = `  --model FILE        safetensors checkpoint (SPICE-Torch key names; metadata 'arch' or --arch)
  --arch NAME         vgg3 | vgg7 | resnet18 (when the checkpoint has no 'arch' metadata)
  --dataset NAME      fashion (default) | cifar10 | npy
  --data-dir DIR      dataset folder (default: /usr/share/datasets/fashion-mnist, data/cifar-10-batches-bin, data/npy)
  --array-size A      cells per array / chunk size, 1..32 (default 32)
  --limit N           only the first N images
  --threads N         threads over images (default: all cores; native kernels from 200 image passes on,
                      the TypeScript fallback from 1500 on, else 1); results do not depend on it
  --json              print only JSON on stdout`;

type Values = Record<string, string | boolean | (string | boolean)[] | undefined>;

export interface ModelAndData {
  model: BnnModel;
  modelPath: string;
  dataset: Dataset;
  datasetName: DatasetName;
  split: Split;
  a: number;
  limit?: number;
  threads?: number;
}

function str(v: Values, k: string): string | undefined {
  const x = v[k];
  return typeof x === 'string' ? x : undefined;
}

/** Reject stray positional arguments (every input is a named option). */
export function noPositionals(positionals: string[]): void {
  if (positionals.length) throw inputError(positionals[0]!.slice(0, 40), 'unexpected argument; options are named (e.g. --model FILE), see --help');
}

/** Parse the common options, load the checkpoint and the dataset split. */
export function loadModelAndData(values: Values, defaultSplit: Split): ModelAndData {
  const modelPath = str(values, 'model');
  if (!modelPath) throw inputError('--model', 'required: a safetensors checkpoint (e.g. models/vgg3-fashion.safetensors)');
  if (!existsSync(modelPath)) throw inputError('--model', `${modelPath.slice(0, 200)} not found`);
  const arch = str(values, 'arch');
  const model = loadCheckpoint(modelPath, arch !== undefined ? parseArch(arch) : undefined);
  const datasetName = parseDatasetName(str(values, 'dataset') ?? 'fashion');
  const splitText = str(values, 'split') ?? defaultSplit;
  if (splitText !== 'train' && splitText !== 'test') throw inputError('--split', `'${splitText.slice(0, 20)}' is not a split; allowed: train, test`);
  const a = parseSpiceValue('--array-size', str(values, 'array-size') ?? '32', { min: 1, max: 32, integer: true });
  const limitText = str(values, 'limit');
  const limit = limitText !== undefined ? parseSpiceValue('--limit', limitText, { min: 1, max: 1e9, integer: true }) : undefined;
  const threadsText = str(values, 'threads');
  const threads = threadsText !== undefined ? parseSpiceValue('--threads', threadsText, { min: 1, max: 256, integer: true }) : undefined;
  const dataset = loadDataset(datasetName, splitText, { dir: str(values, 'data-dir'), limit });
  checkLabelsFitModel(dataset, model.classes, `the model ${modelPath.slice(0, 200)}`);
  return { model, modelPath, dataset, datasetName, split: splitText, a, limit, threads };
}
