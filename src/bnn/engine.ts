/**
 * The bit-packed BNN engine: a compiled `BnnModel` through the native SIMD kernels (native/bnn_engine.cc, the whole
 * forward pass over many images on native threads) or the TypeScript kernels (kernels.ts, one image at a time).
 *
 * Semantics (these decide every number capmin reports; see docs/bnn.md):
 * - The first conv/linear layer takes the real-valued image with ±1 weights, in float64, without errors
 *   (each kernel row summed left to right, rows added in (c, kh) order).
 * - Every other conv/linear layer runs on the analog array: its dot product's reduction axis, in im2col order
 *   (C_in, kh, kw) for convs and flatten order (C, H, W) for linears, is cut into chunks of `a` cells
 *   (the paper's sub-MACs, Fig. 7). Cells fed by zero padding are inactive (never conduct); the last chunk may
 *   be short. Level m = # active cells with weight ≠ input (0..a); a read level m' contributes n_active − 2·m'.
 * - Clipping (Eq. 4) maps m outside [lo, hi] to the nearest bound; then, with a P_map, the read level is drawn
 *   from the P_map row of the clipped level — one draw per chunk from Philox4x32-10 addressed by
 *   (seed, run, image index, layer, chunk) (src/bnn/philox.ts), so results do not depend on how images are split
 *   over threads, nor on the kernel path: the native SIMD kernels (native/bnn_engine.cc) and the TypeScript
 *   kernels (kernels.ts) give identical results.
 * - maxpool (floor) → BN (y = (x − mean)/sqrt(var + eps)·gamma + beta, float64) → sign (+1 for y > 0, else −1).
 * - The prediction is the first index of the largest logit.
 */
import type { BnnModel, ConvOp, LinearOp, Op } from './arch.js';
import { kernelExact, kernelHist, kernelLut, kernelSample, type KernelArgs, type SampleCtx } from './kernels.js';
import type { PMap } from './pmap.js';
import { seedKey } from './philox.js';
import { READ_MODE_CODE, readTables, type ReadTables } from './sampling.js';
import { nativeBnn, pathCode, resolvePath, type KernelPath, type NativeModelHandle, type NativeTablesArg } from './native.js';

/** Error setting of the analog array. */
export interface ArrayConfig {
  /** Cells per array (chunk size), 1..32; default 32. */
  a?: number;
  /** Kernel path: 'auto' (default: CAPMIN_BNN_KERNEL, else the best native path, else 'ts'), or a forced one. */
  kernel?: KernelPath | 'auto';
  /** CapMin clipping bounds [lo, hi] on the level m (Eq. 4). */
  clip?: readonly [number, number];
  /** P_map indexed by level m ((a+1)×(a+1)); applied after clipping. */
  pMap?: PMap;
}

interface ArrayStage {
  op: ConvOp | LinearOp;
  layer: number;
  P: number;
  O: number;
  nC: number;
  /** conv: source index of every (position, chunk, bit) cell, −1 = inactive; null for linear */
  gidx: Int32Array | null;
  /** linear: number of cells in each chunk */
  chunkLen: Int32Array;
  M: Int32Array;
  nAct: Int32Array;
  W: Int32Array;
  X: Int32Array;
  args: KernelArgs;
  /** fast im2col packing for 3×3 convs at a = 32: padded 0/1 plane and 3-bit row codes */
  plane: Uint8Array | null;
  codes: Int32Array | null;
}

/** Sub-MACs (chunks) per image for a model at array size a: Σ over array layers of α·δ·⌈β/a⌉. */
export function subMacsPerImage(model: BnnModel, a = 32): number {
  return model.arrayLayers.reduce((s, l) => s + l.alpha * l.positions * Math.ceil(l.beta / a), 0);
}

/** Single-threaded engine for one model and one array configuration. */
export class Engine {
  readonly a: number;
  readonly tables: ReadTables;
  /** the kernel path this engine's `forward` and `runBatch` use */
  readonly path: KernelPath;
  private readonly slots: Float64Array[];
  private readonly stages: Map<number, ArrayStage> = new Map();
  /** mode: 0 exact, 1 lut (clipping / deterministic), 2 sample */
  private readonly mode: 0 | 1 | 2;
  private readonly ctx: SampleCtx;
  private nativeModel: NativeModelHandle | null = null;

  constructor(
    readonly model: BnnModel,
    cfg: ArrayConfig = {},
  ) {
    const a = cfg.a ?? 32;
    if (!Number.isInteger(a) || a < 1 || a > 32) throw new RangeError(`array size a = ${a} must be an integer 1..32 for the bit-packed engine`);
    this.a = a;
    this.tables = readTables(a, cfg.clip, cfg.pMap);
    const t = this.tables;
    this.mode = t.mode === 'sample' ? 2 : t.mode === 'exact' ? 0 : 1;
    this.ctx = { t, layer: 0, image: 0, run: 0, k0: 0, k1: 0, buf: new Uint32Array(0) };
    this.path = resolvePath(cfg.kernel);
    const sizes = new Array<number>(model.nSlots).fill(0);
    sizes[0] = model.input.c * model.input.h * model.input.w;
    for (const op of model.ops) sizes[op.dst] = outSize(op);
    this.slots = sizes.map((n) => new Float64Array(n));
    // a first-layer 3×3 conv followed by a 2×2 maxpool that alone reads it is computed pooled
    model.ops.forEach((op, i) => {
      const next = model.ops[i + 1];
      if (op.op !== 'conv' || !op.first || op.k !== 3 || next?.op !== 'maxpool' || next.k !== 2 || next.src !== op.dst) return;
      const readers = model.ops.filter((o) => ('src' in o && o.src === op.dst) || (o.op === 'add' && (o.a === op.dst || o.b === op.dst)));
      if (readers.length === 1) this.fusedPool.add(i + 1);
    });
    model.arrayLayers.forEach((l, i) => {
      const op = model.ops[l.opIndex] as ConvOp | LinearOp;
      const st = compileStage(op, i, a);
      st.args.out = this.slots[op.dst]!;
      this.stages.set(l.opIndex, st);
    });
  }

  /** Level-histogram bins per array layer for `forward(..., hist)`. */
  newHist(): Float64Array[] {
    return this.model.arrayLayers.map(() => new Float64Array(this.a + 1));
  }

  /**
   * Forward one image (C·H·W values). `imageIndex`, `run` and `seed` address the random stream when a
   * P_map is sampled; `hist` (one array of a+1 bins per array layer) collects F_MAC (error-free levels m).
   * Returns the logits (a view that the next call overwrites).
   */
  forward(image: ArrayLike<number>, imageIndex = 0, run = 0, seed = 0, hist?: Float64Array[]): Float64Array {
    if (this.path !== 'ts') return this.forwardNative(image, imageIndex, run, seed, hist);
    const s0 = this.slots[0]!;
    for (let i = 0; i < s0.length; i++) s0[i] = image[i]!;
    this.seedImage(imageIndex, run, seed);
    const ops = this.model.ops;
    for (let i = 0; i < ops.length; i++) this.run(ops[i]!, i, hist);
    return this.slots[this.model.outSlot]!;
  }

  /** Forward and return the predicted class (first index of the largest logit). */
  predict(image: ArrayLike<number>, imageIndex = 0, run = 0, seed = 0, hist?: Float64Array[]): number {
    return argmax(this.forward(image, imageIndex, run, seed, hist));
  }

  /** Value of a slot after the last forward (for tests and calibration). */
  slot(i: number): Float64Array {
    return this.slots[i]!;
  }

  /** Run ops[0..upto) only (calibration of random models, per-layer tests); same seeding as `forward`. */
  forwardPartial(image: ArrayLike<number>, upto: number, imageIndex = 0, run = 0, seed = 0): void {
    const s0 = this.slots[0]!;
    for (let i = 0; i < s0.length; i++) s0[i] = image[i]!;
    this.seedImage(imageIndex, run, seed);
    for (let i = 0; i < upto; i++) this.run(this.model.ops[i]!, i, undefined);
  }

  private seedImage(imageIndex: number, run: number, seed: number): void {
    const [k0, k1] = seedKey(seed);
    this.ctx.image = imageIndex >>> 0;
    this.ctx.run = run >>> 0;
    this.ctx.k0 = k0;
    this.ctx.k1 = k1;
  }

  /** The compiled model inside the addon (built on first use). */
  private native(): NativeModelHandle {
    if (!this.nativeModel) {
      let byA = nativeCache.get(this.model);
      if (!byA) nativeCache.set(this.model, (byA = new Map()));
      let h = byA.get(this.a);
      if (!h) byA.set(this.a, (h = nativeBnn()!.bnnModel(nativeSpec(this.model, this.a, this.stages, this.slots))));
      this.nativeModel = h;
    }
    return this.nativeModel;
  }

  private nativeArgs(threads: number, fmac: boolean): NativeTablesArg {
    const t = this.tables;
    const mode = fmac ? 4 : READ_MODE_CODE[t.mode];
    return { mode, K: t.K, lo: t.lo, hi: t.hi, lut: t.lut, table: t.table, path: pathCode(this.path as Exclude<KernelPath, 'ts'>), threads };
  }

  private forwardNative(image: ArrayLike<number>, imageIndex: number, run: number, seed: number, hist?: Float64Array[]): Float64Array {
    const img = image instanceof Float32Array ? image : Float32Array.from(image);
    const out = this.slots[this.model.outSlot]!;
    const K = this.a + 1;
    const flat = hist ? new Float64Array(this.model.arrayLayers.length * K) : null;
    const [k0, k1] = seedKey(seed);
    nativeBnn()!.bnnRun(this.native(), { ...this.nativeArgs(1, !!hist), runBase: run }, img, 1, imageIndex, 1, k0, k1, new Uint8Array(1), flat, out);
    if (hist && flat) hist.forEach((h, l) => { for (let m = 0; m < K; m++) h[m]! += flat[l * K + m]!; });
    return out;
  }

  /**
   * Forward `count` images (global indices start..start+count−1) for runs 0..runs−1 on this engine's kernel path:
   * preds[r·count + i] = predicted class; `hist` (array layers × (a+1), flat) collects F_MAC of the error-free
   * levels when given. Native paths use `threads` native threads; the result does not depend on it.
   */
  runBatch(images: Float32Array, count: number, start: number, runs: number, seed: number, threads: number, preds: Uint8Array, hist: Float64Array | null): void {
    const [k0, k1] = seedKey(seed);
    if (this.path !== 'ts') {
      nativeBnn()!.bnnRun(this.native(), this.nativeArgs(threads, !!hist), images, count, start, runs, k0, k1, preds, hist, null);
      return;
    }
    const per = this.model.input.c * this.model.input.h * this.model.input.w;
    const K = this.a + 1;
    const h = hist ? this.newHist() : undefined;
    for (let r = 0; r < runs; r++)
      for (let i = 0; i < count; i++) preds[r * count + i] = this.predict(images.subarray(i * per, (i + 1) * per), start + i, r, seed, h);
    if (h && hist) h.forEach((v, l) => { for (let m = 0; m < K; m++) hist[l * K + m]! += v[m]!; });
  }

  /**
   * One array layer on the given packed input words X (P·nC) through kernel path `path` (for the tests):
   * writes out[o·P + p] = nAct[p] − 2·Σ read levels with the Philox address (layer, imageIndex, run, seed);
   * `hist` gets the F_MAC levels instead (error-free), `levels` every chunk's read level (native paths, and the
   * TypeScript sampling kernel) at its address (p·nC + j)·Op + o.
   */
  layerKernel(
    arrayLayer: number, X: Int32Array, out: Float64Array, path: KernelPath = this.path, imageIndex = 0, run = 0, seed = 0,
    hist?: Float64Array, levels?: Int32Array,
  ): void {
    const opIndex = this.model.arrayLayers[arrayLayer]!.opIndex;
    const st = this.stages.get(opIndex)!;
    if (path === 'ts') {
      this.seedImage(imageIndex, run, seed);
      this.ctx.layer = st.layer;
      const args: KernelArgs = { ...st.args, X, out, levels };
      if (hist) kernelHist(args, hist);
      else if (this.mode === 0) kernelExact(args);
      else if (this.mode === 1) kernelLut(args, this.tables.lut);
      else kernelSample(args, this.ctx);
      return;
    }
    const [k0, k1] = seedKey(seed);
    const cfg = { ...this.nativeArgs(1, !!hist), path: pathCode(path) };
    nativeBnn()!.bnnLayer(this.native(), cfg, opIndex, new Uint32Array(X.buffer, X.byteOffset, X.length), imageIndex, run, k0, k1, out, hist ?? null, levels ?? null);
  }

  /** ops fused into the preceding first-layer conv (2×2 maxpool), skipped by `run` */
  private readonly fusedPool = new Set<number>();

  private run(op: Op, index: number, hist: Float64Array[] | undefined): void {
    const S = this.slots;
    if (this.fusedPool.has(index)) return;
    switch (op.op) {
      case 'conv':
      case 'linear': {
        const st = this.stages.get(index);
        if (!st) {
          if (op.op === 'conv') {
            if (this.fusedPool.has(index + 1)) convFloat(op, S[op.src]!, S[this.model.ops[index + 1]!.dst]!, this.padBuf(op), 2);
            else convFloat(op, S[op.src]!, S[op.dst]!, this.padBuf(op));
          }
          else linearFloat(op, S[op.src]!, S[op.dst]!);
          return;
        }
        this.pack(st, S[op.src]!);
        if (hist) kernelHist(st.args, hist[st.layer]!);
        else if (this.mode === 0) kernelExact(st.args);
        else if (this.mode === 1) kernelLut(st.args, this.tables.lut);
        else {
          this.ctx.layer = st.layer;
          kernelSample(st.args, this.ctx);
        }
        return;
      }
      case 'maxpool': {
        const src = S[op.src]!;
        const dst = S[op.dst]!;
        const { k, c, inH, inW, outH, outW } = op;
        if (k === 2) {
          for (let ch = 0; ch < c; ch++) {
            for (let oy = 0; oy < outH; oy++) {
              const r0 = (ch * inH + 2 * oy) * inW;
              const r1 = r0 + inW;
              const d = (ch * outH + oy) * outW;
              for (let ox = 0; ox < outW; ox++) {
                const x0 = src[r0 + 2 * ox]!;
                const x1 = src[r0 + 2 * ox + 1]!;
                const x2 = src[r1 + 2 * ox]!;
                const x3 = src[r1 + 2 * ox + 1]!;
                const m01 = x0 > x1 ? x0 : x1;
                const m23 = x2 > x3 ? x2 : x3;
                dst[d + ox] = m01 > m23 ? m01 : m23;
              }
            }
          }
          return;
        }
        for (let ch = 0; ch < c; ch++) {
          for (let oy = 0; oy < outH; oy++) {
            for (let ox = 0; ox < outW; ox++) {
              let mx = -Infinity;
              for (let dy = 0; dy < k; dy++) {
                const row = (ch * inH + oy * k + dy) * inW + ox * k;
                for (let dx = 0; dx < k; dx++) {
                  const v = src[row + dx]!;
                  if (v > mx) mx = v;
                }
              }
              dst[(ch * outH + oy) * outW + ox] = mx;
            }
          }
        }
        return;
      }
      case 'bn': {
        const src = S[op.src]!;
        const dst = S[op.dst]!;
        const { c, hw, mean, sd, gamma, beta } = op;
        for (let ch = 0; ch < c; ch++) {
          const mu = mean[ch]!;
          const s = sd[ch]!;
          const g = gamma[ch]!;
          const b = beta[ch]!;
          for (let i = ch * hw, e = i + hw; i < e; i++) dst[i] = ((src[i]! - mu) / s) * g + b;
        }
        return;
      }
      case 'sign': {
        const src = S[op.src]!;
        const dst = S[op.dst]!;
        for (let i = 0; i < op.size; i++) dst[i] = src[i]! > 0 ? 1 : -1;
        return;
      }
      case 'add': {
        const x = S[op.a]!;
        const y = S[op.b]!;
        const dst = S[op.dst]!;
        for (let i = 0; i < op.size; i++) dst[i] = x[i]! + y[i]!;
        return;
      }
      case 'scale': {
        const src = S[op.src]!;
        const dst = S[op.dst]!;
        for (let i = 0; i < op.size; i++) dst[i] = src[i]! * op.s;
        return;
      }
    }
  }

  /** Pack the ±1 input of an array layer into chunk words (im2col order for convs). */
  private scratches = new Map<ConvOp, FirstScratch>();
  private padBuf(op: ConvOp): FirstScratch {
    let b = this.scratches.get(op);
    if (!b) {
      b = firstScratch(op);
      this.scratches.set(op, b);
    }
    return b;
  }

  /** The packed input words of array layer `arrayLayer` after the last `forwardPartial`/TS forward (for tests). */
  packedInput(arrayLayer: number): Int32Array {
    const st = this.stages.get(this.model.arrayLayers[arrayLayer]!.opIndex)!;
    this.pack(st, this.slots[st.op.src]!);
    return Int32Array.from(st.X);
  }

  private pack(st: ArrayStage, src: Float64Array): void {
    const a = this.a;
    const X = st.X;
    if (st.plane) {
      packConv3(st, src);
      return;
    }
    if (st.gidx) {
      const g = st.gidx;
      const n = st.P * st.nC;
      for (let w = 0, base = 0; w < n; w++, base += a) {
        let word = 0;
        for (let b = 0; b < a; b++) {
          const idx = g[base + b]!;
          if (idx >= 0 && src[idx]! > 0) word |= 1 << b;
        }
        X[w] = word;
      }
    } else {
      const len = st.chunkLen;
      for (let j = 0, base = 0; j < st.nC; j++, base += a) {
        let word = 0;
        const L = len[j]!;
        for (let b = 0; b < L; b++) if (src[base + b]! > 0) word |= 1 << b;
        X[j] = word;
      }
    }
  }
}

/** The compiled model as the addon's `bnnModel` reads it (op codes of native/bnn_engine.cc). */
function nativeSpec(model: BnnModel, a: number, stages: Map<number, ArrayStage>, slots: Float64Array[]): object {
  const intRange = new Map<number, number>();
  model.ops.forEach((op, i) => {
    const st = stages.get(i);
    if (st) intRange.set(op.dst, st.op.op === 'conv' ? st.op.cin * st.op.k * st.op.k : st.op.inF);
    else if (op.op === 'maxpool' && intRange.has(op.src)) intRange.set(op.dst, intRange.get(op.src)!);
  });
  const ops = model.ops.map((op, i) => {
    switch (op.op) {
      case 'conv': {
        const st = stages.get(i);
        const geo = { src: op.src, dst: op.dst, cin: op.cin, cout: op.cout, k: op.k, stride: op.stride, pad: op.pad, inH: op.inH, inW: op.inW, outH: op.outH, outW: op.outW };
        if (!st) return { type: 0, ...geo, weight: op.weight };
        return { type: 2, ...geo, layer: st.layer, P: st.P, O: st.O, nC: st.nC, srcSize: op.cin * op.inH * op.inW, gidx: st.gidx, M: st.M, nAct: st.nAct, W: st.W };
      }
      case 'linear': {
        const st = stages.get(i);
        if (!st) return { type: 1, src: op.src, dst: op.dst, cin: op.inF, cout: op.outF, weight: op.weight };
        return { type: 3, src: op.src, dst: op.dst, layer: st.layer, P: 1, O: st.O, nC: st.nC, inF: op.inF, M: st.M, nAct: st.nAct, W: st.W };
      }
      case 'maxpool': return { type: 4, src: op.src, dst: op.dst, k: op.k, c: op.c, inH: op.inH, inW: op.inW, outH: op.outH, outW: op.outW };
      case 'bn': {
        // integer-valued input (array-layer sums, maxpooled): sign(BN(x)) becomes a per-channel integer threshold
        const range = intRange.get(op.src) ?? 0;
        // BN followed by a sign that alone reads it: fused, the BN output itself is never stored
        const next = model.ops[i + 1];
        const fuse = next?.op === 'sign' && next.src === op.dst && readers(model, op.dst) === 1 ? next.dst : -1;
        return { type: 5, src: op.src, dst: op.dst, c: op.c, hw: op.hw, mean: op.mean, sd: op.sd, gamma: op.gamma, beta: op.beta, range, fuse };
      }
      case 'sign': return { type: 6, src: op.src, dst: op.dst, size: op.size };
      case 'add': return { type: 7, src: op.a, b: op.b, dst: op.dst, size: op.size };
      case 'scale': return { type: 8, src: op.src, dst: op.dst, size: op.size, s: op.s };
    }
  });
  return { ops, a, outSlot: model.outSlot, slotSize: Int32Array.from(slots, (s) => s.length) };
}

/** Number of ops reading slot `slot`. */
function readers(model: BnnModel, slot: number): number {
  return model.ops.filter((o) => (o.op === 'add' ? o.a === slot || o.b === slot : o.src === slot)).length + (model.outSlot === slot ? 1 : 0);
}

/** First index of the largest value. */
export function argmax(v: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < v.length; i++) if (v[i]! > v[best]!) best = i;
  return best;
}

function outSize(op: Op): number {
  switch (op.op) {
    case 'conv': return op.cout * op.outH * op.outW;
    case 'linear': return op.outF;
    case 'maxpool': return op.c * op.outH * op.outW;
    case 'bn': return op.c * op.hw;
    case 'sign': case 'add': case 'scale': return op.size;
  }
}

/** Read-only tables of a compiled stage, shared by every engine of the same op and array size. */
const stageCache = new WeakMap<ConvOp | LinearOp, Map<number, ArrayStage>>();

function compileStage(op: ConvOp | LinearOp, layer: number, a: number): ArrayStage {
  let byA = stageCache.get(op);
  if (!byA) stageCache.set(op, (byA = new Map()));
  let st = byA.get(a);
  if (!st) byA.set(a, (st = buildStage(op, layer, a)));
  // per-engine buffers (packed input, output slot, packing scratch); the tables are shared
  return withArgs({ op, layer, P: st.P, O: st.O, nC: st.nC, gidx: st.gidx, chunkLen: st.chunkLen, M: st.M, nAct: st.nAct, W: st.W, X: new Int32Array(st.X.length) });
}

/** The compiled model inside the addon, shared per (model, a): it holds no per-run state. */
const nativeCache = new WeakMap<BnnModel, Map<number, NativeModelHandle>>();

function buildStage(op: ConvOp | LinearOp, layer: number, a: number): ArrayStage {
  const fullMask = a === 32 ? -1 : (1 << a) - 1;
  const maskOf = (len: number) => (len >= 32 ? -1 : (1 << len) - 1);
  if (op.op === 'linear') {
    const beta = op.inF;
    const nC = Math.ceil(beta / a);
    const chunkLen = new Int32Array(nC);
    const M = new Int32Array(nC);
    for (let j = 0; j < nC; j++) {
      chunkLen[j] = Math.min(a, beta - j * a);
      M[j] = chunkLen[j] === a ? fullMask : maskOf(chunkLen[j]!);
    }
    return withArgs({
      op, layer, P: 1, O: op.outF, nC, gidx: null, chunkLen, M, nAct: Int32Array.of(beta),
      W: packWeights(op.weight, op.outF, beta, a), X: new Int32Array(nC),
    });
  }
  const { cin, k, stride, pad, inH, inW, outH, outW, cout } = op;
  const beta = cin * k * k;
  const nC = Math.ceil(beta / a);
  const P = outH * outW;
  const gidx = new Int32Array(P * nC * a).fill(-1);
  const M = new Int32Array(P * nC);
  const nAct = new Int32Array(P);
  for (let oy = 0; oy < outH; oy++) {
    for (let ox = 0; ox < outW; ox++) {
      const p = oy * outW + ox;
      let act = 0;
      for (let c = 0; c < cin; c++) {
        for (let ky = 0; ky < k; ky++) {
          const iy = oy * stride + ky - pad;
          for (let kx = 0; kx < k; kx++) {
            const ix = ox * stride + kx - pad;
            const cell = (c * k + ky) * k + kx;
            const j = Math.floor(cell / a);
            const b = cell - j * a;
            if (iy >= 0 && iy < inH && ix >= 0 && ix < inW) {
              gidx[(p * nC + j) * a + b] = (c * inH + iy) * inW + ix;
              M[p * nC + j]! |= 1 << b;
              act++;
            }
          }
        }
      }
      nAct[p] = act;
    }
  }
  return withArgs({ op, layer, P, O: cout, nC, gidx, chunkLen: new Int32Array(0), M, nAct, W: packWeights(op.weight, cout, beta, a), X: new Int32Array(P * nC) });
}

function withArgs(st: Omit<ArrayStage, 'args' | 'plane' | 'codes'>): ArrayStage {
  let plane: Uint8Array | null = null;
  let codes: Int32Array | null = null;
  const op = st.op;
  if (op.op === 'conv' && op.k === 3 && isA32(st)) {
    const Hp = op.inH + 2 * op.pad;
    plane = new Uint8Array(op.cin * Hp * (op.inW + 2 * op.pad));
    codes = new Int32Array(op.cin * Hp * op.outW);
  }
  return { ...st, plane, codes, args: { X: st.X, M: st.M, nAct: st.nAct, P: st.P, W: st.W, O: st.O, nC: st.nC, out: new Float64Array(0) } };
}

function isA32(st: Omit<ArrayStage, 'args' | 'plane' | 'codes'>): boolean {
  return st.gidx !== null && st.gidx.length === st.P * st.nC * 32;
}

/**
 * im2col packing of a 3×3 conv at a = 32 without per-cell gathers: the ±1 input becomes a zero-padded 0/1 plane,
 * each (channel, padded row, output column) gets its 3-bit row code, and the 9-bit code of channel c
 * (bit ky·3 + kx) is placed at bit offset 9c of the position's cell stream — exactly the (C_in, kh, kw) order.
 */
function packConv3(st: ArrayStage, src: Float64Array): void {
  const op = st.op as ConvOp;
  const { cin, stride, pad, inH, inW, outH, outW } = op;
  const Hp = inH + 2 * pad;
  const Wp = inW + 2 * pad;
  const plane = st.plane!;
  const codes = st.codes!;
  const X = st.X;
  const nC = st.nC;
  for (let c = 0; c < cin; c++)
    for (let y = 0; y < inH; y++) {
      const s0 = (c * inH + y) * inW;
      const d0 = (c * Hp + y + pad) * Wp + pad;
      for (let x = 0; x < inW; x++) plane[d0 + x] = src[s0 + x]! > 0 ? 1 : 0;
    }
  for (let r = 0; r < cin * Hp; r++) {
    const pr = r * Wp;
    const cr = r * outW;
    for (let ox = 0; ox < outW; ox++) {
      const i = pr + ox * stride;
      codes[cr + ox] = plane[i]! | (plane[i + 1]! << 1) | (plane[i + 2]! << 2);
    }
  }
  X.fill(0);
  const rowStep = Hp * outW;
  for (let oy = 0; oy < outH; oy++) {
    for (let ox = 0; ox < outW; ox++) {
      const base = (oy * outW + ox) * nC;
      let ci = oy * stride * outW + ox;
      for (let c = 0, off = 0; c < cin; c++, off += 9, ci += rowStep) {
        const code = codes[ci]! | (codes[ci + outW]! << 3) | (codes[ci + 2 * outW]! << 6);
        const j = off >>> 5;
        const sh = off & 31;
        X[base + j]! |= code << sh;
        if (sh > 23) X[base + j + 1]! |= code >>> (32 - sh);
      }
    }
  }
}

/** Pack ±1 weight rows [rows, beta] into chunk words (bit 1 = +1). */
export function packWeights(w: Int8Array, rows: number, beta: number, a: number): Int32Array {
  const nC = Math.ceil(beta / a);
  const W = new Int32Array(rows * nC);
  for (let r = 0; r < rows; r++) {
    for (let i = 0; i < beta; i++) {
      if (w[r * beta + i]! > 0) {
        const j = Math.floor(i / a);
        W[r * nC + j]! |= 1 << (i - j * a);
      }
    }
  }
  return W;
}

/** Scratch of the first-layer conv: padded input and, for k = 3, signed row sums of every 3-tap pattern. */
interface FirstScratch {
  padded: Float64Array;
  rows: Float64Array;
  /** per (o, c, ky): weight pattern (w0 > 0)·4 + (w1 > 0)·2 + (w2 > 0) of the kernel row (k = 3) */
  pat: Int32Array;
  /** per (c, ky) of the current output channel: offset into the row sums */
  offs: Int32Array;
}

/**
 * First-layer conv on real values (float64, ±1 weights, zero padding). Accumulation order (it fixes the last bit):
 * each kernel row (c, ky) is summed left to right, r = (w0·x0 + w1·x1) + w2·x2, and the rows are added in
 * (c, ky) order starting from 0. For 3-wide kernels all 8 signed row sums are computed once per input row and
 * output column and shared by every output channel (negation is exact, so this is the same arithmetic).
 */
function convFloat(op: ConvOp, src: Float64Array, dst: Float64Array, sc: FirstScratch, pool = 0): void {
  const { cin, cout, k, stride, pad, inH, inW, outH, outW, weight } = op;
  const Hp = inH + 2 * pad;
  const Wp = inW + 2 * pad;
  const padded = sc.padded;
  for (let c = 0; c < cin; c++)
    for (let y = 0; y < inH; y++) {
      const from = (c * inH + y) * inW;
      padded.set(src.subarray(from, from + inW), (c * Hp + y + pad) * Wp + pad);
    }
  const P = outH * outW;
  if (k === 3) {
    const R = sc.rows;
    // R[((c·Hp + yp)·outW + ox)·8 + pattern], pattern = (w0 > 0)·4 + (w1 > 0)·2 + (w2 > 0)
    for (let c = 0; c < cin; c++)
      for (let yp = 0; yp < Hp; yp++) {
        const prow = (c * Hp + yp) * Wp;
        let rb = (c * Hp + yp) * outW * 8;
        for (let ox = 0; ox < outW; ox++, rb += 8) {
          const i = prow + ox * stride;
          const x0 = padded[i]!;
          const x1 = padded[i + 1]!;
          const x2 = padded[i + 2]!;
          const s01 = x0 + x1;
          const d01 = x0 - x1;
          const u0 = s01 + x2;
          const u1 = s01 - x2;
          const u2 = d01 + x2;
          const u3 = d01 - x2;
          R[rb + 7] = u0;
          R[rb + 6] = u1;
          R[rb + 5] = u2;
          R[rb + 4] = u3;
          R[rb] = -u0;
          R[rb + 1] = -u1;
          R[rb + 2] = -u2;
          R[rb + 3] = -u3;
        }
      }
    const pat = sc.pat;
    const terms = cin * 3;
    const offs = sc.offs;
    if (pool === 2) {
      // fused 2×2 maxpool: dst holds cout × ⌊outH/2⌋ × ⌊outW/2⌋
      const pH = outH >> 1;
      const pW = outW >> 1;
      const rowStep = stride * outW * 8;
      for (let o = 0; o < cout; o++) {
        for (let t = 0; t < terms; t++) {
          const c = (t / 3) | 0;
          offs[t] = ((c * Hp + (t - 3 * c)) * outW) * 8 + pat[o * terms + t]!;
        }
        const ob = o * pH * pW;
        for (let py = 0; py < pH; py++) {
          for (let px = 0; px < pW; px++) {
            const b00 = 2 * py * rowStep + 2 * px * 8;
            let s00 = 0;
            let s01 = 0;
            let s10 = 0;
            let s11 = 0;
            for (let t = 0; t < terms; t++) {
              const q = offs[t]! + b00;
              s00 += R[q]!;
              s01 += R[q + 8]!;
              s10 += R[q + rowStep]!;
              s11 += R[q + rowStep + 8]!;
            }
            const m0 = s00 > s01 ? s00 : s01;
            const m1 = s10 > s11 ? s10 : s11;
            dst[ob + py * pW + px] = m0 > m1 ? m0 : m1;
          }
        }
      }
      return;
    }
    for (let o = 0; o < cout; o++) {
      for (let t = 0; t < terms; t++) {
        const c = (t / 3) | 0;
        offs[t] = ((c * Hp + (t - 3 * c)) * outW) * 8 + pat[o * terms + t]!;
      }
      const ob = o * P;
      for (let oy = 0; oy < outH; oy++) {
        for (let ox = 0; ox < outW; ox++) {
          const b = (oy * stride * outW + ox) * 8;
          let s = 0;
          for (let t = 0; t < terms; t++) s += R[offs[t]! + b]!;
          dst[ob + oy * outW + ox] = s;
        }
      }
    }
    return;
  }
  for (let o = 0; o < cout; o++) {
    for (let oy = 0; oy < outH; oy++) {
      for (let ox = 0; ox < outW; ox++) {
        let s = 0;
        for (let c = 0; c < cin; c++) {
          for (let ky = 0; ky < k; ky++) {
            const prow = (c * Hp + oy * stride + ky) * Wp + ox * stride;
            const wrow = ((o * cin + c) * k + ky) * k;
            let r = weight[wrow]! > 0 ? padded[prow]! : -padded[prow]!;
            for (let kx = 1; kx < k; kx++) r = weight[wrow + kx]! > 0 ? r + padded[prow + kx]! : r - padded[prow + kx]!;
            s += r;
          }
        }
        dst[o * P + oy * outW + ox] = s;
      }
    }
  }
}

/** Scratch buffers of a first-layer conv. */
function firstScratch(op: ConvOp): FirstScratch {
  const Hp = op.inH + 2 * op.pad;
  const Wp = op.inW + 2 * op.pad;
  const padded = new Float64Array(op.cin * Hp * Wp);
  if (op.k !== 3) return { padded, rows: new Float64Array(0), pat: new Int32Array(0), offs: new Int32Array(0) };
  const pat = new Int32Array(op.cout * op.cin * 3);
  for (let o = 0; o < op.cout; o++)
    for (let c = 0; c < op.cin; c++)
      for (let ky = 0; ky < 3; ky++) {
        const w = ((o * op.cin + c) * 3 + ky) * 3;
        pat[(o * op.cin + c) * 3 + ky] = (op.weight[w]! > 0 ? 4 : 0) + (op.weight[w + 1]! > 0 ? 2 : 0) + (op.weight[w + 2]! > 0 ? 1 : 0);
      }
  return { padded, rows: new Float64Array(op.cin * Hp * op.outW * 8), pat, offs: new Int32Array(op.cin * 3) };
}

function linearFloat(op: LinearOp, src: Float64Array, dst: Float64Array): void {
  const { inF, outF, weight } = op;
  for (let o = 0; o < outF; o++) {
    let s = 0;
    for (let i = 0; i < inF; i++) s += weight[o * inF + i]! > 0 ? src[i]! : -src[i]!;
    dst[o] = s;
  }
}
