/**
 * Trainer checkpoints (resumable): per epoch, in the state folder,
 *   epoch-NNN.safetensors        the full SPICE-Torch state dict (latent float32 weights, BN params and
 *                                running statistics, num_batches_tracked, scale.scale) — loadable by the engine
 *                                and by PyTorch (`model.load_state_dict(safetensors.torch.load_file(…))`);
 *   epoch-NNN.optim.safetensors  the Adam state (`<key>.exp_avg`, `<key>.exp_avg_sq`, step) in a sidecar;
 *   state.json                   pointer to the last complete epoch + history, written last (atomically).
 * A training killed at any moment resumes from the epoch named in state.json: both files of that epoch were
 * fsynced and renamed before state.json changed. Files of older epochs are removed (the last two are kept).
 */
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { readSafetensors, writeSafetensors, type TensorInput } from '../bnn/safetensors.js';
import { buildModel, type BnnModel, type ParamSpec } from '../bnn/arch.js';
import { CapminError } from '../util/errors.js';
import { writeJsonAtomic } from '../util/atomic.js';
import { sha256 } from '../util/hash.js';
import type { Adam } from './adam.js';
import { VGG3_BUFFER_KEYS, VGG3_PARAM_KEYS, vgg3TensorShapes, type Vgg3Shape, type Vgg3State } from './vgg3.js';

/** One finished epoch in the history. */
export interface EpochRecord {
  epoch: number;
  lr: number;
  loss: number;
  trainAccuracy: number;
  testAccuracy: number;
  seconds: number;
  imagesPerSecond: number;
}

/** state.json */
export interface TrainPointer {
  format: 'capmin-train-state-1';
  arch: 'vgg3';
  dataset: string;
  seed: number;
  batch: number;
  lr: number;
  /** Epochs finished (the files below hold the state after this many epochs). */
  epoch: number;
  model: string;
  optim: string;
  modelSha256: string;
  optimSha256: string;
  history: EpochRecord[];
  best: { epoch: number; testAccuracy: number } | null;
}

/** The full state dict of a VGG3 (SPICE-Torch key names, PyTorch shapes, float32 + int64 counters). */
export function stateDictTensors(st: Vgg3State): Map<string, TensorInput> {
  const shapes = vgg3TensorShapes(st.shape);
  const out = new Map<string, TensorInput>();
  const nbt = new BigInt64Array([BigInt(st.numBatchesTracked)]);
  const push = (k: keyof typeof shapes, data: Float32Array) => out.set(k, { shape: shapes[k], data });
  push('conv1.weight', st.params['conv1.weight']);
  for (const bn of ['bn1', 'bn2', 'bn3'] as const) {
    if (bn === 'bn2') push('conv2.weight', st.params['conv2.weight']);
    if (bn === 'bn3') push('fc1.weight', st.params['fc1.weight']);
    push(`${bn}.weight`, st.params[`${bn}.weight`]);
    push(`${bn}.bias`, st.params[`${bn}.bias`]);
    push(`${bn}.running_mean`, st.buffers[`${bn}.running_mean`]);
    push(`${bn}.running_var`, st.buffers[`${bn}.running_var`]);
    out.set(`${bn}.num_batches_tracked`, { shape: [], data: nbt });
  }
  push('fc2.weight', st.params['fc2.weight']);
  push('scale.scale', st.params['scale.scale']);
  return out;
}

/** Read a full-float VGG3 state dict back (shapes checked; one-line error naming the tensor). */
export function readStateDict(path: string, shape: Vgg3Shape): Vgg3State {
  const { tensors } = readSafetensors(path);
  const shapes = vgg3TensorShapes(shape);
  const get = (k: keyof typeof shapes): Float32Array => {
    const t = tensors.get(k);
    if (!t) throw new CapminError(`${path}: missing tensor ${k}`, 'EDATA');
    if (t.dtype !== 'F32' || t.shape.join(',') !== shapes[k].join(',')) {
      throw new CapminError(`${path}: ${k} is ${t.dtype} [${t.shape.join(',')}], expected F32 [${shapes[k].join(',')}]`, 'EDATA');
    }
    return t.data as Float32Array;
  };
  const params = Object.fromEntries(VGG3_PARAM_KEYS.map((k) => [k, get(k)])) as Vgg3State['params'];
  const buffers = Object.fromEntries(VGG3_BUFFER_KEYS.map((k) => [k, get(k)])) as Vgg3State['buffers'];
  const nbt = tensors.get('bn1.num_batches_tracked');
  const numBatchesTracked = nbt ? Number((nbt.data as BigInt64Array)[0] ?? 0) : 0;
  return { shape, params, buffers, numBatchesTracked };
}

/** The engine's compiled model of a trainer state (weights binarized with sign, BN/scale as float32 values). */
export function engineModel(st: Vgg3State, metadata: Record<string, string> = {}): BnnModel {
  const tensors = stateDictTensors(st);
  const get = (spec: ParamSpec): ArrayLike<number> => {
    const t = tensors.get(spec.key);
    if (!t) throw new Error(`trainer state has no ${spec.key}`);
    if (spec.kind === 'bn.num_batches_tracked') return new Float64Array(0);
    return t.data as Float32Array;
  };
  return buildModel('vgg3', get, { input: { c: st.shape.c, h: st.shape.h, w: st.shape.w }, classes: st.shape.classes, metadata });
}

function optimTensors(opt: Adam): Map<string, TensorInput> {
  const out = new Map<string, TensorInput>();
  VGG3_PARAM_KEYS.forEach((k, i) => {
    out.set(`${k}.exp_avg`, { shape: [opt.m[i]!.length], data: opt.m[i]! });
    out.set(`${k}.exp_avg_sq`, { shape: [opt.v[i]!.length], data: opt.v[i]! });
  });
  return out;
}

/** Save the state after `pointer.epoch` epochs (model, optimizer sidecar, then state.json). */
export function saveTrainState(dir: string, st: Vgg3State, opt: Adam, pointer: Omit<TrainPointer, 'model' | 'optim' | 'modelSha256' | 'optimSha256' | 'format'>, meta: Record<string, string>): void {
  const tag = `epoch-${String(pointer.epoch).padStart(3, '0')}`;
  const model = `${tag}.safetensors`;
  const optim = `${tag}.optim.safetensors`;
  writeSafetensors(join(dir, model), stateDictTensors(st), {
    ...meta,
    arch: 'vgg3',
    input_shape: `${st.shape.c},${st.shape.h},${st.shape.w}`,
    weight_format: 'float',
    epoch: String(pointer.epoch),
  });
  writeSafetensors(join(dir, optim), optimTensors(opt), { optimizer: 'adam', step: String(opt.step), epoch: String(pointer.epoch), betas: `${opt.beta1},${opt.beta2}`, eps: String(opt.eps) });
  const full: TrainPointer = {
    format: 'capmin-train-state-1',
    ...pointer,
    model,
    optim,
    modelSha256: sha256(readFileSync(join(dir, model))),
    optimSha256: sha256(readFileSync(join(dir, optim))),
  };
  writeJsonAtomic(join(dir, 'state.json'), full);
  // keep the last two epochs' files
  for (const f of readdirSync(dir)) {
    const m = /^epoch-(\d+)\.(optim\.)?safetensors$/.exec(f);
    if (m && Number(m[1]) < pointer.epoch - 1) rmSync(join(dir, f), { force: true });
  }
}

/**
 * Load state.json and its two files into `into` (in place: the optimizer keeps pointing at the same arrays)
 * and `opt`; returns null when the folder has no state. Verifies the recorded hashes.
 */
export function loadTrainState(dir: string, into: Vgg3State, opt: Adam): TrainPointer | null {
  const pj = join(dir, 'state.json');
  if (!existsSync(pj)) return null;
  let pointer: TrainPointer;
  try {
    pointer = JSON.parse(readFileSync(pj, 'utf8')) as TrainPointer;
  } catch (e) {
    throw new CapminError(`${pj}: unreadable training state (${(e as Error).message})`, 'EDATA');
  }
  if (pointer.format !== 'capmin-train-state-1') throw new CapminError(`${pj}: unknown format ${String(pointer.format)}`, 'EDATA');
  const mp = join(dir, pointer.model);
  const op = join(dir, pointer.optim);
  for (const [p, h] of [[mp, pointer.modelSha256], [op, pointer.optimSha256]] as const) {
    if (!existsSync(p)) throw new CapminError(`${pj} names ${p}, which is missing`, 'EDATA');
    if (sha256(readFileSync(p)) !== h) throw new CapminError(`${p} does not match the hash in ${pj} (corrupt checkpoint)`, 'EDATA');
  }
  const loaded = readStateDict(mp, into.shape);
  for (const k of VGG3_PARAM_KEYS) into.params[k].set(loaded.params[k]);
  for (const k of VGG3_BUFFER_KEYS) into.buffers[k].set(loaded.buffers[k]);
  into.numBatchesTracked = loaded.numBatchesTracked;
  const { tensors, metadata } = readSafetensors(op);
  VGG3_PARAM_KEYS.forEach((k, i) => {
    for (const [suffix, dst] of [['exp_avg', opt.m[i]!], ['exp_avg_sq', opt.v[i]!]] as const) {
      const t = tensors.get(`${k}.${suffix}`);
      if (t?.dtype !== 'F32' || t.data.length !== dst.length) throw new CapminError(`${op}: ${k}.${suffix} missing or mis-shaped`, 'EDATA');
      dst.set(t.data as Float32Array);
    }
  });
  opt.step = Number(metadata.step ?? 0);
  return pointer;
}
