/** The BNN evaluator: architectures, safetensors checkpoints, F_MAC and accuracy under clipping and P_map. */
export {
  type ArchName,
  type BnnModel,
  type InputShape,
  ARCH_NAMES,
  /** Check an architecture name (vgg3, vgg7, resnet18); no cache. */
  parseArch,
  /** Build a model from a parameter getter, weights binarized; pure, no cache. */
  buildModel,
} from './arch.js';
export {
  type WeightFormat,
  /** Load a binarized network from a safetensors checkpoint (SPICE-Torch key names); reads the file, no cache. */
  loadCheckpoint,
  /** Save a model as safetensors (atomic write); no cache. */
  saveCheckpoint,
} from './checkpoint.js';
export {
  type RandomModelOptions,
  /** A seeded random ±1 network of an architecture (tests, benchmarks); pure, no cache. */
  randomModel,
} from './random.js';
export {
  type RunOptions as BnnRunOptions,
  type EvalOptions,
  type EvalResult,
  type FmacLayer,
  type FmacResult,
  /** Test accuracy error-free, clipped (Eq. 4) and/or under a P_map (Eq. 6), several seeded runs; no cache. */
  evaluate,
  /** F_MAC: histogram of error-free sub-MAC levels per array layer and summed; no cache. */
  computeFmac,
  /** Stop the idle evaluator worker threads kept for the next call; no cache. */
  closeEnginePool,
} from './run.js';
export {
  type PMap,
  /** Read a P_map file (CSV, JSON, table, .npy) as a full level-indexed matrix; no cache. */
  readPMap,
  /** Identity P_map (every level read correctly); pure, no cache. */
  identityPMap,
  /** Check and renormalize a full (a+1)×(a+1) P_map; pure, no cache. */
  validatePMap,
  /** Parse a clipping range `lo,hi`; pure, no cache. */
  parseClip,
} from './pmap.js';
