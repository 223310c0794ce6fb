/** The VGG3 trainer (binarized weights, straight-through estimator) that exports SPICE-Torch checkpoints. */
export {
  type TrainOptions,
  type TrainResult,
  /** Train (or continue) and export the best epoch; per-epoch state in `stateDir`, resumed with `resume`. */
  train,
} from './trainer.js';
