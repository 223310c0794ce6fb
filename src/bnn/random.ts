/**
 * Random-weight models for tests and benchmarks: ±1 weights from util/rng.ts, BatchNorm statistics
 * calibrated on a few images so every sign layer is balanced (about half +1), gamma = 1, beta = 0.
 * All BN values are float32-exact, so a saved checkpoint reloads bit-identically.
 */
import { Rng } from '../util/rng.js';
import { buildModel, DEFAULT_INPUT, type ArchName, type BnnModel, type InputShape, type ParamSpec } from './arch.js';
import { Engine } from './engine.js';

export interface RandomModelOptions {
  seed?: number;
  input?: InputShape;
  classes?: number;
  /** Calibration images (N·C·H·W); default: 4 uniform-random images in [0, 1]. */
  calibration?: { images: ArrayLike<number>; n: number };
  /** Number of calibration images to use (default min(n, 4)). */
  calibrate?: number;
  /** Channel/feature multiplier (tests: small networks of the same structure). */
  width?: number;
}

/** A random ±1 network of the given architecture with balanced BN thresholds. */
export function randomModel(arch: ArchName, opts: RandomModelOptions = {}): BnnModel {
  const seed = opts.seed ?? 1;
  const input = opts.input ?? DEFAULT_INPUT[arch];
  const classes = opts.classes ?? 10;
  let keyIndex = 0;
  const get = (spec: ParamSpec): ArrayLike<number> => {
    const n = spec.shape.reduce((x, d) => x * d, 1);
    const g = new Rng(seed, 7, keyIndex++);
    switch (spec.kind) {
      case 'weight': return Float32Array.from({ length: n }, () => (g.nextU32() & 1 ? 1 : -1));
      case 'bn.weight': case 'bn.running_var': return new Float32Array(n).fill(1);
      case 'scale': return Float32Array.of(0.001);
      default: return new Float32Array(n);
    }
  };
  const model = buildModel(arch, get, { input, classes, width: opts.width, metadata: { source: `randomModel seed ${seed}` } });
  const per = input.c * input.h * input.w;
  let cal = opts.calibration;
  if (!cal) {
    const g = new Rng(seed, 8);
    cal = { images: Float32Array.from({ length: 4 * per }, () => g.uniform()), n: 4 };
  }
  const nCal = Math.min(cal.n, opts.calibrate ?? 4);
  const engine = new Engine(model);
  model.ops.forEach((op, i) => {
    if (op.op !== 'bn') return;
    const values: number[][] = Array.from({ length: op.c }, () => []);
    for (let k = 0; k < nCal; k++) {
      engine.forwardPartial(Array.prototype.slice.call(cal!.images, k * per, (k + 1) * per) as number[], i);
      const x = engine.slot(op.src);
      for (let ch = 0; ch < op.c; ch++) for (let j = 0; j < op.hw; j++) values[ch]!.push(x[ch * op.hw + j]!);
    }
    for (let ch = 0; ch < op.c; ch++) {
      const v = values[ch]!.sort((p, q) => p - q);
      const med = v[Math.floor(v.length / 2)]!;
      const mean = v.reduce((s, t) => s + t, 0) / v.length;
      const variance = v.reduce((s, t) => s + (t - mean) ** 2, 0) / v.length;
      // threshold half a step below the median of integer sums: about half the outputs become +1
      op.mean[ch] = Math.fround(Number.isInteger(med) ? med - 0.5 : med);
      op.runVar[ch] = Math.fround(Math.max(variance, 1));
      op.sd[ch] = Math.sqrt(op.runVar[ch]! + 1e-5);
    }
  });
  return model;
}
