/**
 * Adam (Kingma & Ba), exactly torch.optim.Adam's default update (β1 0.9, β2 0.999, ε 1e-8, no weight decay):
 *   m ← β1·m + (1−β1)·g;  v ← β2·v + (1−β2)·g²;
 *   p ← p − lr/(1−β1^t) · m / (√v/√(1−β2^t) + ε)
 * and StepLR: lr(epoch) = lr0 · γ^⌊epoch/step⌋ (paper Sec. IV-A: halve every 10 epochs).
 */
import { getKernels, type TrainKernels } from './kernels.js';

export class Adam {
  readonly m: Float32Array[];
  readonly v: Float32Array[];
  /** Steps taken (t). */
  step = 0;

  constructor(
    readonly params: Float32Array[],
    readonly beta1 = 0.9,
    readonly beta2 = 0.999,
    readonly eps = 1e-8,
    private readonly kernels: TrainKernels = getKernels(),
  ) {
    this.m = params.map((p) => new Float32Array(p.length));
    this.v = params.map((p) => new Float32Array(p.length));
  }

  /** One update of every parameter with its gradient at learning rate `lr`. */
  update(grads: Float32Array[], lr: number): void {
    this.step++;
    const b1 = this.beta1;
    const b2 = this.beta2;
    const bc1 = 1 - b1 ** this.step;
    const bc2 = Math.sqrt(1 - b2 ** this.step);
    const stepSize = lr / bc1;
    for (let t = 0; t < this.params.length; t++) {
      this.kernels.adam(this.params[t]!, grads[t]!, this.m[t]!, this.v[t]!, b1, b2, stepSize, bc2, this.eps);
    }
  }
}

/** StepLR: lr0 · gamma^⌊epoch/stepSize⌋ with `epoch` counted from 0. */
export function stepLr(lr0: number, epoch: number, stepSize = 10, gamma = 0.5): number {
  return lr0 * gamma ** Math.floor(epoch / stepSize);
}
