/**
 * Checkpoint import/export: safetensors with SPICE-Torch's state_dict key names.
 *
 * Accepted weight forms (per file, metadata `weight_format`):
 * - absent / `float`: latent float weights (F32/F64/F16/BF16) as `safetensors.torch.save_file(model.state_dict())`
 *   writes them; binarized at load with sign(w) = +1 for w > 0 else −1.
 * - `int8`: I8 tensors of ±1 (any integer dtype works the same way: > 0 → +1, else −1).
 * - `packbits-le`: U8 tensors of shape [out, ceil(inner/8)], bit i of a row at byte i>>3, bit i&7 (numpy
 *   `packbits(bitorder='little')`), bit 1 = +1, in PyTorch's flatten order of [in, kh, kw].
 * BatchNorm tensors are float; `num_batches_tracked` is optional; `scale.scale` has shape [1], float, non-zero.
 * Every value is finite. A tensor of the wrong dtype (I8 bytes declared BOOL, BN tensors declared I32) is refused.
 * Metadata: `arch` (vgg3 | vgg7 | resnet18, case-insensitive), optional `input_shape` ("1,28,28").
 */
import { CapminError, inputError } from '../util/errors.js';
import { readSafetensors, writeSafetensors, type Tensor, type TensorInput } from './safetensors.js';
import {
  buildModel,
  classifierKey,
  DEFAULT_INPUT,
  guessArch,
  paramSpecs,
  parseArch,
  type ArchName,
  type BnnModel,
  type InputShape,
  type ParamSpec,
} from './arch.js';

export type WeightFormat = 'float' | 'int8' | 'packbits-le';

/**
 * Load a binarized network from a safetensors checkpoint. The architecture comes from metadata `arch`,
 * else from `arch` (the `--arch` option); missing or mis-shaped tensors are all named in one error.
 */
export function loadCheckpoint(path: string | Uint8Array, arch?: ArchName | string, opts: { input?: InputShape } = {}): BnnModel {
  const label = typeof path === 'string' ? path : 'checkpoint';
  const { tensors: raw, metadata } = readSafetensors(path);
  // DataParallel checkpoints prefix every key with 'module.'
  let tensors = raw;
  const keys = [...raw.keys()];
  if (keys.length > 0 && keys.every((k) => k.startsWith('module.'))) {
    tensors = new Map(keys.map((k) => [k.slice(7), raw.get(k)!]));
  }
  const given = arch !== undefined ? parseArch(String(arch)) : undefined;
  const fromMeta = metadata.arch !== undefined ? parseArch(metadata.arch, `${label} metadata 'arch'`) : undefined;
  if (given && fromMeta && given !== fromMeta) {
    throw inputError('--arch', `${given} contradicts the checkpoint's metadata arch=${fromMeta} (${label})`);
  }
  const name = fromMeta ?? given;
  if (!name) {
    const guess = guessArch(tensors.keys());
    throw inputError('--arch', `${label} has no 'arch' metadata; pass --arch vgg3|vgg7|resnet18${guess ? ` (the key names look like ${guess})` : ''}`);
  }
  const format = (metadata.weight_format ?? 'float') as WeightFormat;
  if (!['float', 'int8', 'packbits-le'].includes(format)) {
    throw new CapminError(`${label}: metadata weight_format '${format}' unknown (float, int8, packbits-le)`, 'EDATA');
  }
  let input: InputShape = opts.input ?? { ...DEFAULT_INPUT[name] };
  if (!opts.input && metadata.input_shape !== undefined) {
    input = parseInputShape(metadata.input_shape, label);
  } else if (!opts.input) {
    const c1 = tensors.get('conv1.weight');
    if (c1 && c1.shape.length === 4) input.c = c1.shape[1]!;
  }
  checkInputShape(input, label);
  const cls = tensors.get(classifierKey(name));
  const classes = cls && cls.shape.length === 2 ? cls.shape[0]! : 10;
  if (classes < 1 || classes > MAX_CLASSES) {
    throw new CapminError(`${label}: ${classifierKey(name)} has ${classes} classes; allowed 1..${MAX_CLASSES}`, 'EDATA');
  }

  // Check every tensor against what the architecture needs (presence, shape, dtype, values) before building, so a
  // checkpoint that does not fit is one error listing its problems and never a half-built model.
  const problems: string[] = [];
  const values = new Map<string, ArrayLike<number>>();
  for (const spec of paramSpecs(name, input, classes)) {
    const v = checkTensor(spec, tensors.get(spec.key), format, problems);
    if (v) values.set(spec.key, v);
  }
  if (problems.length) {
    const shown = problems.slice(0, 8).join('; ');
    throw new CapminError(`${label} does not fit ${name} (input ${input.c}×${input.h}×${input.w}): ${shown}${problems.length > 8 ? `; … ${problems.length - 8} more` : ''}`, 'EDATA');
  }
  return buildModel(name, (spec) => values.get(spec.key) ?? new Float64Array(0), { input, classes, metadata });
}

/** Input sizes a checkpoint may declare (metadata `input_shape` "C,H,W"). */
export const INPUT_LIMITS = { c: 16, h: 128, w: 128 } as const;
/** Most classifier outputs a checkpoint may have. */
export const MAX_CLASSES = 4096;

const FLOAT_DTYPES = new Set(['F32', 'F64', 'F16', 'BF16']);
const SIGNED_INT_DTYPES = new Set(['I8', 'I16', 'I32', 'I64']);

function parseInputShape(text: string, label: string): InputShape {
  const m = /^\s*(\d{1,6})\s*[,x× ]\s*(\d{1,6})\s*[,x× ]\s*(\d{1,6})\s*$/.exec(text);
  if (!m) throw new CapminError(`${label}: metadata input_shape '${text.slice(0, 40)}' is not C,H,W (e.g. 1,28,28)`, 'EDATA');
  return { c: Number(m[1]), h: Number(m[2]), w: Number(m[3]) };
}

function checkInputShape(input: InputShape, label: string): void {
  const { c, h, w } = INPUT_LIMITS;
  const ok = (v: number, max: number) => Number.isInteger(v) && v >= 1 && v <= max;
  if (!ok(input.c, c) || !ok(input.h, h) || !ok(input.w, w)) {
    throw new CapminError(`${label}: input shape ${input.c},${input.h},${input.w} is out of range; allowed C 1..${c}, H 1..${h}, W 1..${w}`, 'EDATA');
  }
}

/**
 * One tensor against its spec: the dtype it must have (BN and scale: float; weights: float for `float`, signed
 * integers of −1/0/+1 for `int8`, U8 bits for `packbits-le`), its shape, finite values, a non-negative running
 * variance and a non-zero scale. Appends problems and returns the values (±1 weights or floats) when usable.
 */
function checkTensor(spec: ParamSpec, t: Tensor | undefined, format: WeightFormat, problems: string[]): ArrayLike<number> | undefined {
  const n = spec.shape.reduce((a, d) => a * d, 1);
  if (!t) {
    if (!spec.optional) problems.push(`missing ${spec.key} [${spec.shape.join(',')}]`);
    return undefined;
  }
  if (spec.kind === 'bn.num_batches_tracked') return undefined;
  if (spec.kind === 'weight' && format === 'packbits-le') {
    const inner = n / spec.shape[0]!;
    const want = [spec.shape[0]!, Math.ceil(inner / 8)];
    if (t.dtype !== 'U8' || !sameShape(t.shape, want)) {
      problems.push(`${spec.key} is ${t.dtype} [${t.shape.join(',')}], packbits-le needs U8 [${want.join(',')}] for [${spec.shape.join(',')}]`);
      return undefined;
    }
    return unpackBits(t.data as Uint8Array, spec.shape[0]!, inner);
  }
  const okShape = sameShape(t.shape, spec.shape) || (spec.kind === 'scale' && t.shape.length === 0 && t.data.length === 1);
  if (!okShape) {
    problems.push(`${spec.key} has shape [${t.shape.join(',')}], expected [${spec.shape.join(',')}]`);
    return undefined;
  }
  const int8 = spec.kind === 'weight' && format === 'int8';
  const allowed = int8 ? SIGNED_INT_DTYPES : FLOAT_DTYPES;
  if (!allowed.has(t.dtype)) {
    const what = spec.kind === 'weight' ? `weights of weight_format ${format}` : spec.kind === 'scale' ? 'the scale' : 'BatchNorm tensors';
    const hint = spec.kind === 'weight' && format === 'float' && SIGNED_INT_DTYPES.has(t.dtype) ? " (integer ±1 weights need metadata weight_format 'int8')" : '';
    problems.push(`${spec.key} is ${t.dtype}; ${what} must be ${[...allowed].join('/')}${hint}`);
    return undefined;
  }
  const v = toNumbers(t);
  for (let i = 0; i < v.length; i++) {
    const x = v[i]!;
    const why = !Number.isFinite(x)
      ? 'is not finite'
      : int8 && x !== 1 && x !== -1 && x !== 0
        ? 'is not a binary weight (−1, 0 or +1)'
        : spec.kind === 'bn.running_var' && x < 0
          ? 'is a negative variance'
          : spec.kind === 'scale' && x === 0
            ? 'is 0 (the scale must be non-zero)'
            : '';
    if (why) {
      problems.push(`${spec.key}[${i}] = ${x} ${why}`);
      return undefined;
    }
  }
  return v;
}

function sameShape(a: number[], b: number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

function toNumbers(t: Tensor): Float64Array {
  const d = t.data;
  const out = new Float64Array(d.length);
  if (d instanceof BigInt64Array || d instanceof BigUint64Array) for (let i = 0; i < d.length; i++) out[i] = Number(d[i]!);
  else for (let i = 0; i < d.length; i++) out[i] = d[i] as number;
  return out;
}

/** Unpack LSB-first bit rows into ±1 values. */
export function unpackBits(bytes: Uint8Array, rows: number, inner: number): Int8Array {
  const stride = Math.ceil(inner / 8);
  const out = new Int8Array(rows * inner);
  for (let r = 0; r < rows; r++) {
    for (let i = 0; i < inner; i++) out[r * inner + i] = (bytes[r * stride + (i >> 3)]! >> (i & 7)) & 1 ? 1 : -1;
  }
  return out;
}

/** Pack ±1 rows into LSB-first bytes (inverse of unpackBits). */
export function packBits(values: Int8Array, rows: number, inner: number): Uint8Array {
  const stride = Math.ceil(inner / 8);
  const out = new Uint8Array(rows * stride);
  for (let r = 0; r < rows; r++) {
    for (let i = 0; i < inner; i++) if (values[r * inner + i]! > 0) out[r * stride + (i >> 3)]! |= 1 << (i & 7);
  }
  return out;
}

/**
 * The state_dict of a model as safetensors tensors (SPICE-Torch key names): weights as ±1 float32, int8 or
 * packed bits; BN and scale as float32.
 */
export function modelTensors(model: BnnModel, format: WeightFormat = 'int8'): Map<string, TensorInput> {
  const out = new Map<string, TensorInput>();
  for (const op of model.ops) {
    if (op.op === 'conv' || op.op === 'linear') {
      const shape = op.op === 'conv' ? [op.cout, op.cin, op.k, op.k] : [op.outF, op.inF];
      const rows = shape[0]!;
      const inner = op.weight.length / rows;
      if (format === 'int8') out.set(`${op.name}.weight`, { shape, data: Int8Array.from(op.weight) });
      else if (format === 'float') out.set(`${op.name}.weight`, { shape, data: Float32Array.from(op.weight) });
      else out.set(`${op.name}.weight`, { shape: [rows, Math.ceil(inner / 8)], data: packBits(op.weight, rows, inner) });
    } else if (op.op === 'bn') {
      out.set(`${op.name}.weight`, { shape: [op.c], data: Float32Array.from(op.gamma) });
      out.set(`${op.name}.bias`, { shape: [op.c], data: Float32Array.from(op.beta) });
      out.set(`${op.name}.running_mean`, { shape: [op.c], data: Float32Array.from(op.mean) });
      out.set(`${op.name}.running_var`, { shape: [op.c], data: Float32Array.from(op.runVar) });
      out.set(`${op.name}.num_batches_tracked`, { shape: [], data: new BigInt64Array([0n]) });
    } else if (op.op === 'scale') {
      out.set(`${op.name}.scale`, { shape: [1], data: new Float32Array([op.s]) });
    }
  }
  return out;
}

/**
 * Save a model as safetensors (atomic) with metadata arch / input_shape / weight_format.
 * BN values are stored as float32: models whose BN values are float32 numbers (all loaded ones) round-trip exactly.
 */
export function saveCheckpoint(path: string, model: BnnModel, opts: { format?: WeightFormat; metadata?: Record<string, string> } = {}): void {
  const format = opts.format ?? 'int8';
  const meta: Record<string, string> = {
    ...(opts.metadata ?? {}),
    arch: model.arch,
    input_shape: `${model.input.c},${model.input.h},${model.input.w}`,
    weight_format: format,
  };
  writeSafetensors(path, modelTensors(model, format), meta);
}
