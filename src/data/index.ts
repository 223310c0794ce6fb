/** Datasets (Fashion-MNIST IDX, CIFAR-10 binary, .npy) and the IDX / NPY array formats. */
export {
  type Dataset,
  type DatasetName,
  type Split,
  type LoadOptions,
  DATASET_NAMES,
  /** Load a dataset split into memory (scaled like the training transforms); reads files, no cache. */
  loadDataset,
  /** The first `limit` images of a dataset (a view); no cache. */
  limitDataset,
  /** Check a dataset name (one-line error listing the allowed names); no cache. */
  parseDatasetName,
} from './datasets.js';
export {
  type NpyArray,
  type NpyData,
  /** Parse a NumPy .npy buffer; pure, no cache. */
  parseNpy,
  /** Read a .npy file (optionally gzip); no cache. */
  readNpy,
  /** Encode a typed array as .npy bytes; pure, no cache. */
  encodeNpy,
} from './npy.js';
export {
  type IdxArray,
  /** Parse an IDX buffer (MNIST format); pure, no cache. */
  parseIdx,
  /** Read an IDX file (optionally gzip); no cache. */
  readIdx,
} from './idx.js';
