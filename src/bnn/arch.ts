/**
 * Architectures of the paper's Table II with SPICE-Torch's layer order and state_dict key names,
 * compiled into a flat list of ops the engine interprets.
 *
 * - VGG3:  conv1 1→64 (first) → MP2 → BN → sign → conv2 64→64 → MP2 → BN → sign → fc1 → BN → sign → fc2 → scale
 * - VGG7:  conv1 3→128 (first) → BN → sign → conv2 → MP2 → BN → sign → conv3 256 → BN → sign → conv4 → MP2 → BN → sign
 *          → conv5 512 → BN → sign → conv6 → MP2 → BN → sign → fc1 8192→1024 → BN → sign → fc2 → scale
 * - ResNet18 (SPICE-Torch code/python/resnet18.py): conv1 3→64 (first) → BN → sign → layer1..4 (2 basic blocks each,
 *   strides 1,2,2,2; 1×1 conv + BN shortcut where the shape changes) with MP2 before layer4 and MP4 after it → linear.
 *   Basic block: t = sign(BN(conv1(x))); y = sign(BN(conv2(t)) + shortcut(x)).
 * Convs are 3×3, padding 1, no biases; maxpool comes before BN; sign(x) = +1 for x > 0 else −1 (Hardtanh before the
 * sign never changes it). Every conv/linear except the first takes ±1 inputs and runs on the analog array.
 */
import { CapminError, inputError } from '../util/errors.js';

export type ArchName = 'vgg3' | 'vgg7' | 'resnet18';
export const ARCH_NAMES: readonly ArchName[] = ['vgg3', 'vgg7', 'resnet18'];

export interface InputShape {
  c: number;
  h: number;
  w: number;
}

/** Default input shape per architecture (Fashion-MNIST, CIFAR-10, Imagenette 64×64 as in the paper's Table I). */
export const DEFAULT_INPUT: Record<ArchName, InputShape> = {
  vgg3: { c: 1, h: 28, w: 28 },
  vgg7: { c: 3, h: 32, w: 32 },
  resnet18: { c: 3, h: 64, w: 64 },
};

/** BatchNorm epsilon (PyTorch default). */
export const BN_EPS = 1e-5;

/** Conv2d (no bias), weight [cout, cin, k, k] binarized to ±1 in im2col order (cin, kh, kw). */
export interface ConvOp {
  op: 'conv';
  name: string;
  src: number;
  dst: number;
  cin: number;
  cout: number;
  k: number;
  stride: number;
  pad: number;
  inH: number;
  inW: number;
  outH: number;
  outW: number;
  /** True for the first layer: real-valued input, runs without errors. */
  first: boolean;
  weight: Int8Array;
}

/** Linear (no bias), weight [out, in] binarized to ±1; the input is flattened in (C, H, W) order. */
export interface LinearOp {
  op: 'linear';
  name: string;
  src: number;
  dst: number;
  inF: number;
  outF: number;
  first: boolean;
  weight: Int8Array;
}

export interface PoolOp {
  op: 'maxpool';
  src: number;
  dst: number;
  k: number;
  c: number;
  inH: number;
  inW: number;
  outH: number;
  outW: number;
}

/** BatchNorm in eval mode: y = (x − mean)/sqrt(var + eps)·gamma + beta, per channel over `hw` positions. */
export interface BnOp {
  op: 'bn';
  name: string;
  src: number;
  dst: number;
  c: number;
  hw: number;
  mean: Float64Array;
  /** running_var as stored. */
  runVar: Float64Array;
  /** sqrt(running_var + eps) */
  sd: Float64Array;
  gamma: Float64Array;
  beta: Float64Array;
}

export interface SignOp {
  op: 'sign';
  src: number;
  dst: number;
  size: number;
}

export interface AddOp {
  op: 'add';
  a: number;
  b: number;
  dst: number;
  size: number;
}

export interface ScaleOp {
  op: 'scale';
  name: string;
  src: number;
  dst: number;
  size: number;
  s: number;
}

export type Op = ConvOp | LinearOp | PoolOp | BnOp | SignOp | AddOp | ScaleOp;

/** One analog-array layer: its dot products have `beta` cells, cut into `ceil(beta / a)` chunks. */
export interface ArrayLayerInfo {
  name: string;
  /** Index into `ops`. */
  opIndex: number;
  /** Reduction length β (cells per dot product). */
  beta: number;
  /** Output neurons α (channels or features). */
  alpha: number;
  /** Output positions δ per image (1 for linear). */
  positions: number;
}

/** A binarized network ready for the engine. */
export interface BnnModel {
  arch: ArchName;
  input: InputShape;
  classes: number;
  ops: Op[];
  /** Number of value slots (slot 0 = input image). */
  nSlots: number;
  /** Slot of the logits. */
  outSlot: number;
  /** Analog-array layers in forward order. */
  arrayLayers: ArrayLayerInfo[];
  metadata: Record<string, string>;
}

/** A tensor the checkpoint must provide. */
export interface ParamSpec {
  key: string;
  shape: number[];
  kind: 'weight' | 'bn.weight' | 'bn.bias' | 'bn.running_mean' | 'bn.running_var' | 'bn.num_batches_tracked' | 'scale';
  /** Optional in a checkpoint (num_batches_tracked). */
  optional?: boolean;
}

/** Parameter source while building: returns the (float) values of a key. */
export type ParamGetter = (spec: ParamSpec) => ArrayLike<number>;

interface TRef {
  slot: number;
  c: number;
  h: number;
  w: number;
}

/** Builds the op list and parameter specs of one architecture. */
class Builder {
  ops: Op[] = [];
  specs: ParamSpec[] = [];
  nSlots = 1;
  arrayLayers: ArrayLayerInfo[] = [];
  constructor(private readonly get: ParamGetter | null) {}

  private slot(): number {
    return this.nSlots++;
  }

  private param(spec: ParamSpec): ArrayLike<number> | null {
    this.specs.push(spec);
    return this.get ? this.get(spec) : null;
  }

  conv(x: TRef, name: string, cout: number, k: number, stride: number, pad: number, first = false): TRef {
    const outH = Math.floor((x.h + 2 * pad - k) / stride) + 1;
    const outW = Math.floor((x.w + 2 * pad - k) / stride) + 1;
    if (outH < 1 || outW < 1) throw new CapminError(`${name}: input ${x.c}×${x.h}×${x.w} too small for a ${k}×${k} stride-${stride} conv`, 'EARCH');
    const w = this.param({ key: `${name}.weight`, shape: [cout, x.c, k, k], kind: 'weight' });
    const dst = this.slot();
    const op: ConvOp = {
      op: 'conv', name, src: x.slot, dst, cin: x.c, cout, k, stride, pad, inH: x.h, inW: x.w, outH, outW, first,
      weight: binarize(w, cout * x.c * k * k),
    };
    if (!first) this.arrayLayers.push({ name, opIndex: this.ops.length, beta: x.c * k * k, alpha: cout, positions: outH * outW });
    this.ops.push(op);
    return { slot: dst, c: cout, h: outH, w: outW };
  }

  linear(x: TRef, name: string, outF: number, first = false): TRef {
    const inF = x.c * x.h * x.w;
    const w = this.param({ key: `${name}.weight`, shape: [outF, inF], kind: 'weight' });
    const dst = this.slot();
    if (!first) this.arrayLayers.push({ name, opIndex: this.ops.length, beta: inF, alpha: outF, positions: 1 });
    this.ops.push({ op: 'linear', name, src: x.slot, dst, inF, outF, first, weight: binarize(w, outF * inF) });
    return { slot: dst, c: outF, h: 1, w: 1 };
  }

  maxpool(x: TRef, k: number): TRef {
    const outH = Math.floor(x.h / k);
    const outW = Math.floor(x.w / k);
    if (outH < 1 || outW < 1) throw new CapminError(`maxpool ${k}: input ${x.c}×${x.h}×${x.w} too small`, 'EARCH');
    const dst = this.slot();
    this.ops.push({ op: 'maxpool', src: x.slot, dst, k, c: x.c, inH: x.h, inW: x.w, outH, outW });
    return { slot: dst, c: x.c, h: outH, w: outW };
  }

  bn(x: TRef, name: string): TRef {
    const c = x.c;
    const gamma = this.param({ key: `${name}.weight`, shape: [c], kind: 'bn.weight' });
    const beta = this.param({ key: `${name}.bias`, shape: [c], kind: 'bn.bias' });
    const mean = this.param({ key: `${name}.running_mean`, shape: [c], kind: 'bn.running_mean' });
    const vr = this.param({ key: `${name}.running_var`, shape: [c], kind: 'bn.running_var' });
    this.param({ key: `${name}.num_batches_tracked`, shape: [], kind: 'bn.num_batches_tracked', optional: true });
    const dst = this.slot();
    const sd = new Float64Array(c);
    if (vr) {
      for (let i = 0; i < c; i++) {
        const v = Number(vr[i]);
        if (!(v >= 0)) throw new CapminError(`${name}.running_var[${i}] = ${v} is not a variance (must be >= 0)`, 'EDATA');
        sd[i] = Math.sqrt(v + BN_EPS);
      }
    }
    this.ops.push({
      op: 'bn', name, src: x.slot, dst, c, hw: x.h * x.w, sd,
      mean: toF64(mean, c), runVar: toF64(vr, c), gamma: toF64(gamma, c), beta: toF64(beta, c),
    });
    return { ...x, slot: dst };
  }

  sign(x: TRef): TRef {
    const dst = this.slot();
    this.ops.push({ op: 'sign', src: x.slot, dst, size: x.c * x.h * x.w });
    return { ...x, slot: dst };
  }

  add(a: TRef, b: TRef): TRef {
    if (a.c !== b.c || a.h !== b.h || a.w !== b.w) throw new Error(`add: shape mismatch ${a.c}×${a.h}×${a.w} vs ${b.c}×${b.h}×${b.w}`);
    const dst = this.slot();
    this.ops.push({ op: 'add', a: a.slot, b: b.slot, dst, size: a.c * a.h * a.w });
    return { ...a, slot: dst };
  }

  scale(x: TRef, name: string): TRef {
    const s = this.param({ key: `${name}.scale`, shape: [1], kind: 'scale' });
    const dst = this.slot();
    this.ops.push({ op: 'scale', name, src: x.slot, dst, size: x.c * x.h * x.w, s: s ? Number(s[0]) : 1 });
    return { ...x, slot: dst };
  }
}

function toF64(v: ArrayLike<number> | null, n: number): Float64Array {
  const out = new Float64Array(n);
  if (v) for (let i = 0; i < n; i++) out[i] = Number(v[i]);
  return out;
}

/** sign(w): +1 for w > 0, else −1 (the weight binarization of every checkpoint; 0/1 bits map to −1/+1 as well). */
export function binarize(w: ArrayLike<number> | null, n: number): Int8Array {
  const out = new Int8Array(n);
  if (!w) return out.fill(1);
  for (let i = 0; i < n; i++) out[i] = Number(w[i]) > 0 ? 1 : -1;
  return out;
}

function basicBlock(b: Builder, x: TRef, prefix: string, planes: number, stride: number): TRef {
  let t = b.conv(x, `${prefix}.conv1`, planes, 3, stride, 1);
  t = b.sign(b.bn(t, `${prefix}.bn1`));
  let u = b.conv(t, `${prefix}.conv2`, planes, 3, 1, 1);
  u = b.bn(u, `${prefix}.bn2`);
  let s = x;
  if (stride !== 1 || x.c !== planes) {
    s = b.conv(x, `${prefix}.shortcut.0`, planes, 1, stride, 0);
    s = b.bn(s, `${prefix}.shortcut.1`);
  }
  return b.sign(b.add(u, s));
}

function build(arch: ArchName, input: InputShape, classes: number, get: ParamGetter | null, width = 1): Builder {
  const b = new Builder(get);
  const W = (ch: number) => Math.max(1, Math.round(ch * width));
  let x: TRef = { slot: 0, c: input.c, h: input.h, w: input.w };
  switch (arch) {
    case 'vgg3':
      x = b.conv(x, 'conv1', W(64), 3, 1, 1, true);
      x = b.sign(b.bn(b.maxpool(x, 2), 'bn1'));
      x = b.conv(x, 'conv2', W(64), 3, 1, 1);
      x = b.sign(b.bn(b.maxpool(x, 2), 'bn2'));
      x = b.sign(b.bn(b.linear(x, 'fc1', W(2048)), 'bn3'));
      x = b.scale(b.linear(x, 'fc2', classes), 'scale');
      break;
    case 'vgg7': {
      const cfg: Array<[number, boolean]> = [[128, false], [128, true], [256, false], [256, true], [512, false], [512, true]];
      cfg.forEach(([ch, pool], i) => {
        x = b.conv(x, `conv${i + 1}`, W(ch), 3, 1, 1, i === 0);
        if (pool) x = b.maxpool(x, 2);
        x = b.sign(b.bn(x, `bn${i + 1}`));
      });
      x = b.sign(b.bn(b.linear(x, 'fc1', W(1024)), 'bn7'));
      x = b.scale(b.linear(x, 'fc2', classes), 'scale');
      break;
    }
    case 'resnet18': {
      x = b.conv(x, 'conv1', W(64), 3, 1, 1, true);
      x = b.sign(b.bn(x, 'bn1'));
      const planes = [64, 128, 256, 512].map(W);
      const strides = [1, 2, 2, 2];
      for (let l = 0; l < 4; l++) {
        if (l === 3) x = b.maxpool(x, 2);
        for (let i = 0; i < 2; i++) x = basicBlock(b, x, `layer${l + 1}.${i}`, planes[l]!, i === 0 ? strides[l]! : 1);
      }
      x = b.maxpool(x, 4);
      x = b.linear(x, 'linear', classes);
      break;
    }
  }
  (b as Builder & { out: number }).out = x.slot;
  return b;
}

/** Parse an architecture name (case-insensitive: 'VGG3', 'ResNet18', ...). */
export function parseArch(text: string, field = '--arch'): ArchName {
  const t = text.trim().toLowerCase().replace(/[-_]/g, '');
  if ((ARCH_NAMES as readonly string[]).includes(t)) return t as ArchName;
  throw inputError(field, `'${text.slice(0, 40)}' is not an architecture; allowed: ${ARCH_NAMES.join(', ')}`);
}

/** The state_dict tensors (SPICE-Torch key names, PyTorch shapes) an architecture needs. */
export function paramSpecs(arch: ArchName, input: InputShape = DEFAULT_INPUT[arch], classes = 10): ParamSpec[] {
  return build(arch, input, classes, null).specs;
}

/**
 * Build a model from a parameter getter (float values; weights are binarized with sign(w > 0)).
 * `width` scales every channel/feature count (tests and benchmarks only; checkpoints always use width 1).
 */
export function buildModel(
  arch: ArchName,
  get: ParamGetter,
  opts: { input?: InputShape; classes?: number; metadata?: Record<string, string>; width?: number } = {},
): BnnModel {
  const input = opts.input ?? DEFAULT_INPUT[arch];
  const classes = opts.classes ?? 10;
  const b = build(arch, input, classes, get, opts.width) as Builder & { out: number };
  return {
    arch, input, classes, ops: b.ops, nSlots: b.nSlots, outSlot: b.out, arrayLayers: b.arrayLayers,
    metadata: { ...(opts.metadata ?? {}), arch },
  };
}

/** Name of the final classifier layer per architecture. */
export function classifierKey(arch: ArchName): string {
  return arch === 'resnet18' ? 'linear.weight' : 'fc2.weight';
}

/** Guess an architecture from state_dict key names (for error hints only). */
export function guessArch(keys: Iterable<string>): ArchName | null {
  const s = new Set(keys);
  if (s.has('layer1.0.conv1.weight')) return 'resnet18';
  if (s.has('conv6.weight') && s.has('fc1.weight')) return 'vgg7';
  if (s.has('conv2.weight') && s.has('fc1.weight') && !s.has('conv3.weight')) return 'vgg3';
  return null;
}
