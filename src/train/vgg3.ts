/**
 * VGG3 for binarized training (paper Sec. IV-A, SPICE-Torch's Models.VGG3):
 *   conv1 C→64 3×3 pad 1 (binarized weights, real input) → maxpool 2 → BN → hardtanh → sign
 *   conv2 64→64 3×3 pad 1 → maxpool 2 → BN → hardtanh → sign
 *   flatten (C,H,W) → fc1 → BN1d → hardtanh → sign → fc2 → scale
 * No biases. sign(x) = +1 for x > 0 else −1, for activations and for the latent float weights.
 * Straight-through estimator: the gradient of hardtanh, i.e. gradients pass where |x| ≤ 1 and are 0
 * elsewhere, for activations (x = the BN output) and for the latent weights.
 *
 * Float path: activations live in NHWC layout so every conv is one batch-wide im2col GEMM
 * (rows = output pixels, K ordered (kh, kw, c_in)); conv2's weight is permuted to that order once per step
 * and its gradient permuted back to PyTorch's (c_in, kh, kw). The flatten before fc1 transposes to (C,H,W).
 *
 * Evaluation (`evalLogits`) follows the engine's semantics exactly: BN with running statistics computed in
 * float64 as (x − mean)/sqrt(var + eps)·γ + β, sign, integer dot products for the ±1 layers, logits = s·y.
 */
import type { Gemm } from './gemm.js';
import { getKernels, type TrainKernels } from './kernels.js';
import { loadNative } from './native.js';
import { Rng } from '../util/rng.js';

export const BN_EPS = 1e-5;
export const BN_MOMENTUM = 0.1;

/** Trainable parameters in SPICE-Torch state_dict order (Adam updates exactly these). */
export const VGG3_PARAM_KEYS = [
  'conv1.weight',
  'bn1.weight',
  'bn1.bias',
  'conv2.weight',
  'bn2.weight',
  'bn2.bias',
  'fc1.weight',
  'bn3.weight',
  'bn3.bias',
  'fc2.weight',
  'scale.scale',
] as const;
export type Vgg3ParamKey = (typeof VGG3_PARAM_KEYS)[number];

/** BatchNorm buffers (running statistics for eval). */
export const VGG3_BUFFER_KEYS = [
  'bn1.running_mean',
  'bn1.running_var',
  'bn2.running_mean',
  'bn2.running_var',
  'bn3.running_mean',
  'bn3.running_var',
] as const;
export type Vgg3BufferKey = (typeof VGG3_BUFFER_KEYS)[number];

export interface Vgg3Shape {
  /** Input channels, height, width (height and width divisible by 4). */
  c: number;
  h: number;
  w: number;
  classes: number;
  /** Channels of conv1/conv2 (64) and features of fc1 (2048). */
  ch: number;
  hidden: number;
}

export const VGG3_FASHION: Vgg3Shape = { c: 1, h: 28, w: 28, classes: 10, ch: 64, hidden: 2048 };

/** Latent float parameters + BN buffers of a VGG3 (the full SPICE-Torch state dict). */
export interface Vgg3State {
  shape: Vgg3Shape;
  params: Record<Vgg3ParamKey, Float32Array>;
  buffers: Record<Vgg3BufferKey, Float32Array>;
  /** BN num_batches_tracked (same for the three BN layers). */
  numBatchesTracked: number;
}

/** PyTorch shape of every state-dict tensor. */
export function vgg3TensorShapes(s: Vgg3Shape): Record<Vgg3ParamKey | Vgg3BufferKey, number[]> {
  const flat = s.ch * (s.h / 4) * (s.w / 4);
  return {
    'conv1.weight': [s.ch, s.c, 3, 3],
    'bn1.weight': [s.ch],
    'bn1.bias': [s.ch],
    'conv2.weight': [s.ch, s.ch, 3, 3],
    'bn2.weight': [s.ch],
    'bn2.bias': [s.ch],
    'fc1.weight': [s.hidden, flat],
    'bn3.weight': [s.hidden],
    'bn3.bias': [s.hidden],
    'fc2.weight': [s.classes, s.hidden],
    'scale.scale': [1],
    'bn1.running_mean': [s.ch],
    'bn1.running_var': [s.ch],
    'bn2.running_mean': [s.ch],
    'bn2.running_var': [s.ch],
    'bn3.running_mean': [s.hidden],
    'bn3.running_var': [s.hidden],
  };
}

const size = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

/**
 * PyTorch's default initialisation, seeded: conv/linear weights U(−1/√fan_in, 1/√fan_in)
 * (kaiming_uniform with a = √5), BN γ = 1, β = 0, running mean 0 / var 1, scale 1e-3.
 * Each tensor draws from its own stream Rng(seed, 0, tensor index).
 */
export function initVgg3(shape: Vgg3Shape, seed: number): Vgg3State {
  const shapes = vgg3TensorShapes(shape);
  const params = {} as Record<Vgg3ParamKey, Float32Array>;
  VGG3_PARAM_KEYS.forEach((k, idx) => {
    const sh = shapes[k];
    const a = new Float32Array(size(sh));
    if (k.endsWith('.weight') && !k.startsWith('bn')) {
      const bound = 1 / Math.sqrt(size(sh) / sh[0]!);
      const r = new Rng(seed, 0, idx);
      for (let i = 0; i < a.length; i++) a[i] = (r.uniform() * 2 - 1) * bound;
    } else if (k.startsWith('bn') && k.endsWith('.weight')) a.fill(1);
    else if (k === 'scale.scale') a[0] = 1e-3;
    params[k] = a;
  });
  const buffers = {} as Record<Vgg3BufferKey, Float32Array>;
  for (const k of VGG3_BUFFER_KEYS) buffers[k] = new Float32Array(size(shapes[k])).fill(k.endsWith('running_var') ? 1 : 0);
  return { shape, params, buffers, numBatchesTracked: 0 };
}

/** hardtanh (the surrogate of sign used by the gradient check). */
function hardtanhInto(w: Float32Array, out: Float32Array): void {
  for (let i = 0; i < w.length; i++) out[i] = Math.max(-1, Math.min(1, w[i]!));
}

/** Activation: sign(z) (+1 for z > 0 else −1), or hardtanh(z) in surrogate mode. */
function activate(z: Float32Array, out: Float32Array, n: number, surrogate: boolean): void {
  if (surrogate) for (let i = 0; i < n; i++) out[i] = Math.max(-1, Math.min(1, z[i]!));
  else for (let i = 0; i < n; i++) out[i] = z[i]! > 0 ? 1 : -1;
}

/** Result of one training step. */
export interface StepResult {
  /** Mean modified hinge loss over batch and classes. */
  loss: number;
  /** Correct predictions in the batch (training-mode forward). */
  correct: number;
}

/**
 * Forward/backward workspace of a VGG3 for batches of up to `maxBatch` images.
 * Gradients of the latent parameters land in `grads` (same keys as `state.params`).
 */
export class Vgg3Net {
  readonly grads: Record<Vgg3ParamKey, Float32Array>;
  private readonly s: Vgg3Shape;
  private readonly h1: number; // conv1 output height (= input)
  private readonly w1: number;
  private readonly h2: number; // after pool 1
  private readonly w2: number;
  private readonly h3: number; // after pool 2
  private readonly w3: number;
  private readonly flat: number;
  // binarized weights (±1 floats); conv2 permuted to (kh, kw, c_in)
  private readonly w1b: Float32Array;
  private readonly w2p: Float32Array;
  private readonly w3b: Float32Array;
  private readonly w4b: Float32Array;
  // activations
  private readonly p1: Float32Array;
  private readonly y1: Float32Array;
  private readonly arg1: Uint8Array;
  private readonly xh1: Float32Array; // normalised BN1 input (x̂)
  private readonly z1: Float32Array; // BN1 output (for the STE mask)
  private readonly a1: Float32Array; // ±1 (NHWC)
  private readonly p2: Float32Array;
  private readonly y2: Float32Array;
  private readonly arg2: Uint8Array;
  private readonly xh2: Float32Array;
  private readonly z2: Float32Array;
  private readonly a2f: Float32Array; // ±1, flattened (C,H,W) per image
  private readonly y3: Float32Array;
  private readonly xh3: Float32Array;
  private readonly z3: Float32Array;
  private readonly a3: Float32Array;
  private readonly y4: Float32Array;
  // per-channel BN scratch
  private readonly invStd1: Float64Array;
  private readonly invStd2: Float64Array;
  private readonly invStd3: Float64Array;
  // gradients
  private readonly g4: Float32Array;
  private readonly ga3: Float32Array;
  private readonly ga2f: Float32Array;
  private readonly gm2: Float32Array; // grad wrt pooled conv2 output (NHWC)
  private readonly gy2: Float32Array;
  private readonly gp2: Float32Array;
  private readonly ga1: Float32Array;
  private readonly gw2p: Float32Array;

  private readonly surrogate: boolean;
  private readonly k: TrainKernels;
  private y1f64: Float64Array | null = null;
  private p1f64: Float64Array | null = null;

  /**
   * `opts.surrogate` (tests only): replace sign by hardtanh for activations and weights in the training forward.
   * The backward pass is then the exact gradient of that smooth network, which finite differences can check;
   * with sign (the default) the same backward pass is the straight-through estimator.
   */
  constructor(
    readonly state: Vgg3State,
    readonly maxBatch: number,
    private readonly gemm: Gemm,
    opts: { surrogate?: boolean; kernels?: TrainKernels } = {},
  ) {
    this.surrogate = opts.surrogate ?? false;
    this.k = opts.kernels ?? getKernels();
    const s = (this.s = state.shape);
    if (s.h % 4 !== 0 || s.w % 4 !== 0) throw new Error(`VGG3 needs height and width divisible by 4, got ${s.h}×${s.w}`);
    this.h1 = s.h;
    this.w1 = s.w;
    this.h2 = s.h / 2;
    this.w2 = s.w / 2;
    this.h3 = s.h / 4;
    this.w3 = s.w / 4;
    this.flat = s.ch * this.h3 * this.w3;
    const B = maxBatch;
    const n1 = B * this.h1 * this.w1;
    const n2 = B * this.h2 * this.w2;
    const n3 = B * this.h3 * this.w3;
    this.w1b = new Float32Array(s.ch * s.c * 9);
    this.w2p = new Float32Array(s.ch * s.ch * 9);
    this.w3b = new Float32Array(s.hidden * this.flat);
    this.w4b = new Float32Array(s.classes * s.hidden);
    this.p1 = new Float32Array(n1 * s.c * 9);
    this.y1 = new Float32Array(n1 * s.ch);
    this.arg1 = new Uint8Array(n2 * s.ch);
    this.xh1 = new Float32Array(n2 * s.ch);
    this.z1 = new Float32Array(n2 * s.ch);
    this.a1 = new Float32Array(n2 * s.ch);
    this.p2 = new Float32Array(n2 * s.ch * 9);
    this.y2 = new Float32Array(n2 * s.ch);
    this.arg2 = new Uint8Array(n3 * s.ch);
    this.xh2 = new Float32Array(n3 * s.ch);
    this.z2 = new Float32Array(n3 * s.ch);
    this.a2f = new Float32Array(B * this.flat);
    this.y3 = new Float32Array(B * s.hidden);
    this.xh3 = new Float32Array(B * s.hidden);
    this.z3 = new Float32Array(B * s.hidden);
    this.a3 = new Float32Array(B * s.hidden);
    this.y4 = new Float32Array(B * s.classes);
    this.invStd1 = new Float64Array(s.ch);
    this.invStd2 = new Float64Array(s.ch);
    this.invStd3 = new Float64Array(s.hidden);
    this.g4 = new Float32Array(B * s.classes);
    this.ga3 = new Float32Array(B * s.hidden);
    this.ga2f = new Float32Array(B * this.flat);
    this.gm2 = new Float32Array(n3 * s.ch);
    this.gy2 = this.y2; // reused: y2 is not needed after pooling
    this.gp2 = this.p2; // reused: p2 is last read by the dW2 GEMM, which runs before dP2 is written
    this.ga1 = new Float32Array(n2 * s.ch);
    this.gw2p = new Float32Array(this.w2p.length);
    const shapes = vgg3TensorShapes(s);
    this.grads = {} as Record<Vgg3ParamKey, Float32Array>;
    for (const k of VGG3_PARAM_KEYS) this.grads[k] = new Float32Array(size(shapes[k]));
  }

  /** Binarize the latent weights (call after every optimizer step, before the next forward). */
  private prepareWeights(surrogate = false): void {
    const s = this.s;
    const p = this.state.params;
    const q = surrogate ? hardtanhInto : this.k.signInto;
    q(p['conv1.weight'], this.w1b);
    const w2 = p['conv2.weight'];
    const C = s.ch;
    for (let co = 0; co < C; co++) {
      for (let ci = 0; ci < C; ci++) {
        for (let k = 0; k < 9; k++) {
          const w = w2[(co * C + ci) * 9 + k]!;
          this.w2p[co * 9 * C + k * C + ci] = surrogate ? Math.max(-1, Math.min(1, w)) : w > 0 ? 1 : -1;
        }
      }
    }
    q(p['fc1.weight'], this.w3b);
    q(p['fc2.weight'], this.w4b);
  }

  /** im2col of the NCHW input images (conv1): p1[(b·H·W + pixel)·(C·9) + c·9 + kh·3 + kw]. */
  private im2colInput(images: Float32Array, idx: ArrayLike<number>, B: number): void {
    const { c: C, h: H, w: W } = this.s;
    const per = C * H * W;
    const K = C * 9;
    const p1 = this.p1;
    for (let b = 0; b < B; b++) {
      const base = idx[b]! * per;
      for (let y = 0; y < H; y++) {
        for (let x = 0; x < W; x++) {
          let o = ((b * H + y) * W + x) * K;
          for (let c = 0; c < C; c++) {
            const cb = base + c * H * W;
            for (let kh = -1; kh <= 1; kh++) {
              const yy = y + kh;
              for (let kw = -1; kw <= 1; kw++) {
                const xx = x + kw;
                p1[o++] = yy >= 0 && yy < H && xx >= 0 && xx < W ? images[cb + yy * W + xx]! : 0;
              }
            }
          }
        }
      }
    }
  }

  /**
   * One training step's forward and backward on the images `idx` (indices into `images`, NCHW float)
   * with labels; fills `grads` and returns the loss (mean modified hinge loss, margin b) and training accuracy.
   */
  trainStep(images: Float32Array, labels: Uint8Array, idx: ArrayLike<number>, B: number, b = 128): StepResult {
    if (B > this.maxBatch || B < 2) throw new Error(`batch ${B} outside 2..${this.maxBatch}`);
    const s = this.s;
    const C = s.ch;
    const P = this.state.params;
    const Bf = this.state.buffers;
    const gemm = this.gemm;
    const sur = this.surrogate;
    this.prepareWeights(sur);
    const n1 = B * this.h1 * this.w1;
    const n2 = B * this.h2 * this.w2;
    const n3 = B * this.h3 * this.w3;
    const K1 = s.c * 9;
    const K2 = C * 9;
    // conv1: y1[n1, C] = p1[n1, K1] · w1bᵀ
    this.im2colInput(images, idx, B);
    gemm.sgemm(false, true, n1, C, K1, 1, this.p1, 0, K1, this.w1b, 0, K1, 0, this.y1, 0, C);
    const m1 = this.xh1; // pooled values, normalised in place by bnTrain (x̂ written over x is safe: read before write per element)
    this.k.maxpool2(this.y1, m1, this.arg1, B, this.h1, this.w1, C);
    this.k.bnTrain(m1, n2, C, P['bn1.weight'], P['bn1.bias'], Bf['bn1.running_mean'], Bf['bn1.running_var'], this.invStd1, this.xh1, this.z1, BN_MOMENTUM, BN_EPS);
    activate(this.z1, this.a1, n2 * C, sur);
    // conv2
    this.k.im2colNhwc(this.a1, B, this.h2, this.w2, C, this.p2);
    gemm.sgemm(false, true, n2, C, K2, 1, this.p2, 0, K2, this.w2p, 0, K2, 0, this.y2, 0, C);
    const m2 = this.xh2;
    this.k.maxpool2(this.y2, m2, this.arg2, B, this.h2, this.w2, C);
    this.k.bnTrain(m2, n3, C, P['bn2.weight'], P['bn2.bias'], Bf['bn2.running_mean'], Bf['bn2.running_var'], this.invStd2, this.xh2, this.z2, BN_MOMENTUM, BN_EPS);
    // flatten to (C,H,W) and binarize
    const HW3 = this.h3 * this.w3;
    const F = this.flat;
    for (let bb = 0; bb < B; bb++) {
      for (let p = 0; p < HW3; p++) {
        const src = (bb * HW3 + p) * C;
        const dst = bb * F + p;
        for (let c = 0; c < C; c++) {
          const z = this.z2[src + c]!;
          this.a2f[dst + c * HW3] = sur ? Math.max(-1, Math.min(1, z)) : z > 0 ? 1 : -1;
        }
      }
    }
    // fc1
    const Hd = s.hidden;
    gemm.sgemm(false, true, B, Hd, F, 1, this.a2f, 0, F, this.w3b, 0, F, 0, this.y3, 0, Hd);
    this.k.bnTrain(this.y3, B, Hd, P['bn3.weight'], P['bn3.bias'], Bf['bn3.running_mean'], Bf['bn3.running_var'], this.invStd3, this.xh3, this.z3, BN_MOMENTUM, BN_EPS);
    activate(this.z3, this.a3, B * Hd, sur);
    // fc2 + scale
    const NC = s.classes;
    gemm.sgemm(false, true, B, NC, Hd, 1, this.a3, 0, Hd, this.w4b, 0, Hd, 0, this.y4, 0, NC);
    const sc = P['scale.scale'][0]!;
    this.state.numBatchesTracked++;

    // loss: mean over batch and classes of max(0, b − t·ŷ)/b; dL/dŷ = −t/(b·B·NC) where the hinge is active
    let loss = 0;
    let correct = 0;
    let gScale = 0;
    const inv = 1 / (b * B * NC);
    for (let bb = 0; bb < B; bb++) {
      const lab = labels[idx[bb]!]!;
      let best = 0;
      let bestV = -Infinity;
      for (let j = 0; j < NC; j++) {
        const y = this.y4[bb * NC + j]!;
        const logit = sc * y;
        if (logit > bestV) {
          bestV = logit;
          best = j;
        }
        const t = j === lab ? 1 : -1;
        const m = b - t * logit;
        let g = 0;
        if (m > 0) {
          loss += m;
          g = -t * inv;
        }
        gScale += g * y;
        this.g4[bb * NC + j] = g * sc;
      }
      if (best === lab) correct++;
    }
    loss /= b * B * NC;
    this.grads['scale.scale'][0] = gScale;

    // fc2 backward
    const G = this.grads;
    gemm.sgemm(true, false, NC, Hd, B, 1, this.g4, 0, NC, this.a3, 0, Hd, 0, G['fc2.weight'], 0, Hd);
    gemm.sgemm(false, false, B, Hd, NC, 1, this.g4, 0, NC, this.w4b, 0, Hd, 0, this.ga3, 0, Hd);
    // bn3 (+ STE) backward: ga3 becomes dy3
    this.k.bnBackward(this.ga3, this.z3, this.xh3, B, Hd, P['bn3.weight'], this.invStd3, G['bn3.weight'], G['bn3.bias'], this.ga3);
    // fc1 backward
    gemm.sgemm(true, false, Hd, F, B, 1, this.ga3, 0, Hd, this.a2f, 0, F, 0, G['fc1.weight'], 0, F);
    gemm.sgemm(false, false, B, F, Hd, 1, this.ga3, 0, Hd, this.w3b, 0, F, 0, this.ga2f, 0, F);
    // unflatten to NHWC
    const gm2 = this.gm2;
    for (let bb = 0; bb < B; bb++) {
      for (let p = 0; p < HW3; p++) {
        const dst = (bb * HW3 + p) * C;
        const src = bb * F + p;
        for (let c = 0; c < C; c++) gm2[dst + c] = this.ga2f[src + c * HW3]!;
      }
    }
    this.k.bnBackward(gm2, this.z2, this.xh2, n3, C, P['bn2.weight'], this.invStd2, G['bn2.weight'], G['bn2.bias'], gm2);
    this.k.maxpool2Backward(gm2, this.arg2, this.gy2, B, this.h2, this.w2, C);
    // conv2 backward: dW2p = gy2ᵀ · p2, dP2 = gy2 · w2p
    gemm.sgemm(true, false, C, K2, n2, 1, this.gy2, 0, C, this.p2, 0, K2, 0, this.gw2p, 0, K2);
    const gw2 = G['conv2.weight'];
    for (let co = 0; co < C; co++) {
      for (let ci = 0; ci < C; ci++) {
        for (let k = 0; k < 9; k++) gw2[(co * C + ci) * 9 + k] = this.gw2p[co * 9 * C + k * C + ci]!;
      }
    }
    gemm.sgemm(false, false, n2, K2, C, 1, this.gy2, 0, C, this.w2p, 0, K2, 0, this.gp2, 0, K2);
    this.k.col2imNhwc(this.gp2, B, this.h2, this.w2, C, this.ga1);
    this.k.bnBackward(this.ga1, this.z1, this.xh1, n2, C, P['bn1.weight'], this.invStd1, G['bn1.weight'], G['bn1.bias'], this.ga1);
    // conv1 backward: dW1 = gy1ᵀ · p1 with gy1 = the pooled gradient routed to the maxpool winners (no input gradient needed)
    this.k.pooledWeightGrad(this.ga1, this.arg1, this.p1, B, this.h1, this.w1, C, K1, G['conv1.weight']);
    // weight STE: gradient of hardtanh on the latent weights
    for (const k of ['conv1.weight', 'conv2.weight', 'fc1.weight', 'fc2.weight'] as const) this.k.steMask(P[k], G[k]);
    return { loss, correct };
  }

  /**
   * Eval-mode logits of `B` images (indices `idx`) with the engine's semantics: conv1 in float64 over
   * (c_in, kh, kw) in ascending order, maxpool, BN with running statistics in float64, sign; the ±1 layers
   * as exact integer dot products (float32 GEMM of ±1 values is exact below 2^24); logits = scale·y.
   * Writes B×classes values into `out`.
   */
  evalLogits(images: Float32Array, idx: ArrayLike<number>, B: number, out: Float64Array): void {
    if (B > this.maxBatch) throw new Error(`batch ${B} > ${this.maxBatch}`);
    const s = this.s;
    const C = s.ch;
    const P = this.state.params;
    const Bf = this.state.buffers;
    this.prepareWeights();
    const n1 = B * this.h1 * this.w1;
    const n2 = B * this.h2 * this.w2;
    const K1 = s.c * 9;
    const K2 = C * 9;
    // conv1 in float64 (each output: Σ over (c, kh, kw) of x·w, zero padding contributes nothing)
    this.im2colInput(images, idx, B);
    const p1 = this.p1;
    const w1b = this.w1b;
    const y1 = this.y1f64 && this.y1f64.length >= n1 * C ? this.y1f64 : (this.y1f64 = new Float64Array(n1 * C));
    const dgemm = loadNative()?.dgemm;
    if (dgemm && exactFirstLayer(images)) {
      // With inputs that are multiples of 2^-32 in [−1, 1] (bytes/255 as float32 are) and ±1 weights, every partial
      // sum of ≤ 2^20 terms is exact in float64, so any summation order (BLAS) equals the engine's sequential sum.
      const pd = this.p1f64 && this.p1f64.length >= n1 * K1 ? this.p1f64 : (this.p1f64 = new Float64Array(n1 * K1));
      for (let i = 0; i < n1 * K1; i++) pd[i] = p1[i]!;
      const wd = Float64Array.from(w1b);
      dgemm(false, true, n1, C, K1, 1, pd, 0, K1, wd, 0, K1, 0, y1, 0, C);
    } else {
      for (let r = 0; r < n1; r++) {
        const po = r * K1;
        for (let co = 0; co < C; co++) {
          const wo = co * K1;
          let acc = 0;
          for (let k = 0; k < K1; k++) acc += p1[po + k]! * w1b[wo + k]!;
          y1[r * C + co] = acc;
        }
      }
    }
    const a1 = this.a1;
    this.poolBnSignEval(y1, B, this.h1, this.w1, C, 'bn1', a1);
    this.k.im2colNhwc(a1, B, this.h2, this.w2, C, this.p2);
    this.gemm.sgemm(false, true, n2, C, K2, 1, this.p2, 0, K2, this.w2p, 0, K2, 0, this.y2, 0, C);
    const a2 = this.gm2; // scratch, NHWC
    this.poolBnSignEval(this.y2, B, this.h2, this.w2, C, 'bn2', a2);
    const HW3 = this.h3 * this.w3;
    const F = this.flat;
    for (let bb = 0; bb < B; bb++) {
      for (let p = 0; p < HW3; p++) {
        for (let c = 0; c < C; c++) this.a2f[bb * F + c * HW3 + p] = a2[(bb * HW3 + p) * C + c]!;
      }
    }
    const Hd = s.hidden;
    this.gemm.sgemm(false, true, B, Hd, F, 1, this.a2f, 0, F, this.w3b, 0, F, 0, this.y3, 0, Hd);
    const mean = Bf['bn3.running_mean'];
    const vr = Bf['bn3.running_var'];
    const g = P['bn3.weight'];
    const bt = P['bn3.bias'];
    const sd = new Float64Array(Hd);
    for (let c = 0; c < Hd; c++) sd[c] = Math.sqrt(vr[c]! + BN_EPS);
    for (let bb = 0; bb < B; bb++) {
      for (let c = 0; c < Hd; c++) {
        const v = ((this.y3[bb * Hd + c]! - mean[c]!) / sd[c]!) * g[c]! + bt[c]!;
        this.a3[bb * Hd + c] = v > 0 ? 1 : -1;
      }
    }
    const NC = s.classes;
    this.gemm.sgemm(false, true, B, NC, Hd, 1, this.a3, 0, Hd, this.w4b, 0, Hd, 0, this.y4, 0, NC);
    const sc = P['scale.scale'][0]!;
    for (let i = 0; i < B * NC; i++) out[i] = this.y4[i]! * sc;
  }

  private poolBnSignEval(y: Float32Array | Float64Array, B: number, H: number, W: number, C: number, bn: 'bn1' | 'bn2', out: Float32Array): void {
    const P = this.state.params;
    const Bf = this.state.buffers;
    const mean = Bf[`${bn}.running_mean`];
    const vr = Bf[`${bn}.running_var`];
    const g = P[`${bn}.weight`];
    const bt = P[`${bn}.bias`];
    const sd = new Float64Array(C);
    for (let c = 0; c < C; c++) sd[c] = Math.sqrt(vr[c]! + BN_EPS);
    const Ho = H >> 1;
    const Wo = W >> 1;
    for (let b = 0; b < B; b++) {
      for (let oy = 0; oy < Ho; oy++) {
        for (let ox = 0; ox < Wo; ox++) {
          const r0 = ((b * H + 2 * oy) * W + 2 * ox) * C;
          const r1 = r0 + C;
          const r2 = r0 + W * C;
          const r3 = r2 + C;
          const o = ((b * Ho + oy) * Wo + ox) * C;
          for (let c = 0; c < C; c++) {
            const m = Math.max(y[r0 + c]!, y[r1 + c]!, y[r2 + c]!, y[r3 + c]!);
            const v = ((m - mean[c]!) / sd[c]!) * g[c]! + bt[c]!;
            out[o + c] = v > 0 ? 1 : -1;
          }
        }
      }
    }
  }
}

const exactCache = new WeakMap<Float32Array, boolean>();

/**
 * True when every value is a multiple of 2^-32 in [−1, 1] (checked once per image array): then sums of up to 2^20
 * ±1-weighted values are exact in float64 and the first layer's result does not depend on the summation order.
 */
export function exactFirstLayer(images: Float32Array): boolean {
  let ok = exactCache.get(images);
  if (ok === undefined) {
    ok = true;
    for (let i = 0; i < images.length; i++) {
      const v = images[i]!;
      if (!(v >= -1 && v <= 1) || (v * 4294967296) % 1 !== 0) {
        ok = false;
        break;
      }
    }
    exactCache.set(images, ok);
  }
  return ok;
}

/** Index of the largest logit (first one on ties). */
export function argmax(v: ArrayLike<number>, off: number, n: number): number {
  let best = 0;
  let bv = v[off]!;
  for (let j = 1; j < n; j++) {
    if (v[off + j]! > bv) {
      bv = v[off + j]!;
      best = j;
    }
  }
  return best;
}
