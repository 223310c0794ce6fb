/**
 * Datasets for the BNN engine and the trainer, scaled the way SPICE-Torch's transforms scale them:
 * - `fashion`: IDX files (gzip or plain), `ToTensor()` → pixel/255 in [0, 1]. Any MNIST-style IDX
 *   set (MNIST, Kuzushiji-MNIST) loads the same way with `dir`.
 * - `cifar10`: the binary batches (`data_batch_1..5.bin`, `test_batch.bin`),
 *   `ToTensor()` + `Normalize(0.5, 0.5)` → (pixel/255 − 0.5)/0.5 in [−1, 1].
 * - `npy`: `<split>_images.npy` + `<split>_labels.npy` (or `x_<split>.npy` + `y_<split>.npy`);
 *   images (N,H,W) or (N,C,H,W); uint8 images are divided by 255, float images are taken as they are.
 */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { CapminError, inputError } from '../util/errors.js';
import { readUserFile } from '../util/readfile.js';
import { readIdx } from './idx.js';
import { readNpy } from './npy.js';

export type DatasetName = 'fashion' | 'cifar10' | 'npy';
export type Split = 'train' | 'test';

/** A labelled image set in NCHW float layout. */
export interface Dataset {
  /** N*C*H*W pixels, scaled like SPICE-Torch (Fashion-MNIST in [0,1], CIFAR-10 in [−1,1]). */
  images: Float32Array;
  labels: Uint8Array;
  n: number;
  c: number;
  h: number;
  w: number;
  classes: number;
  /** Where it came from (for manifests). */
  source?: string;
  /** The file holding the labels (for errors). */
  labelSource?: string;
}

export interface LoadOptions {
  /** Folder holding the files (defaults: see `defaultDir`). */
  dir?: string;
  /** Keep only the first `limit` images. */
  limit?: number;
}

export const DATASET_NAMES: readonly DatasetName[] = ['fashion', 'cifar10', 'npy'];

/** Default folder per dataset; environment variables CAPMIN_FASHION_DIR / CAPMIN_CIFAR10_DIR / CAPMIN_NPY_DIR override. */
export function defaultDir(name: DatasetName): string {
  switch (name) {
    case 'fashion':
      return process.env.CAPMIN_FASHION_DIR ?? '/usr/share/datasets/fashion-mnist';
    case 'cifar10':
      return process.env.CAPMIN_CIFAR10_DIR ?? 'data/cifar-10-batches-bin';
    case 'npy':
      return process.env.CAPMIN_NPY_DIR ?? 'data/npy';
  }
}

/** Check a user-supplied dataset name. */
export function parseDatasetName(text: string): DatasetName {
  if ((DATASET_NAMES as readonly string[]).includes(text)) return text as DatasetName;
  throw inputError('--dataset', `'${text.slice(0, 40)}' is not a dataset; allowed: ${DATASET_NAMES.join(', ')}`);
}

/** Load a dataset split (see the module comment for the scaling of each kind). */
export function loadDataset(name: DatasetName, split: Split, opts: LoadOptions = {}): Dataset {
  if (split !== 'train' && split !== 'test') throw inputError('--split', `'${String(split)}' is not a split; allowed: train, test`);
  if (opts.limit !== undefined && !(Number.isInteger(opts.limit) && opts.limit >= 1)) {
    throw inputError('--limit', `${opts.limit} must be an integer >= 1`);
  }
  const dir = opts.dir ?? defaultDir(name);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new CapminError(`dataset ${name}: folder ${dir} not found (pass --data-dir or set CAPMIN_${name.toUpperCase()}_DIR)`, 'ENOENT');
  }
  let ds: Dataset;
  switch (name) {
    case 'fashion':
      ds = loadIdxSet(dir, split);
      break;
    case 'cifar10':
      ds = loadCifar10(dir, split);
      break;
    case 'npy':
      ds = loadNpySet(dir, split);
      break;
    default:
      throw inputError('--dataset', `'${String(name)}' is not a dataset; allowed: ${DATASET_NAMES.join(', ')}`);
  }
  return opts.limit !== undefined ? limitDataset(ds, opts.limit) : ds;
}

/** The first `limit` images of a dataset (views, no copy). */
export function limitDataset(ds: Dataset, limit: number): Dataset {
  if (limit >= ds.n) return ds;
  const per = ds.c * ds.h * ds.w;
  return { ...ds, n: limit, images: ds.images.subarray(0, limit * per), labels: ds.labels.subarray(0, limit) };
}

function findFile(dir: string, names: string[], what: string): string {
  for (const n of names) {
    const p = join(dir, n);
    if (existsSync(p)) return p;
  }
  throw new CapminError(`${what}: none of ${names.join(', ')} found in ${dir}`, 'ENOENT');
}

function loadIdxSet(dir: string, split: Split): Dataset {
  const stem = split === 'train' ? 'train' : 't10k';
  const imgPath = findFile(dir, [`${stem}-images-idx3-ubyte.gz`, `${stem}-images-idx3-ubyte`, `${stem}-images.idx3-ubyte`], `${split} images`);
  const lblPath = findFile(dir, [`${stem}-labels-idx1-ubyte.gz`, `${stem}-labels-idx1-ubyte`, `${stem}-labels.idx1-ubyte`], `${split} labels`);
  const img = readIdx(imgPath, `${split} images`);
  const lbl = readIdx(lblPath, `${split} labels`);
  if (img.shape.length !== 3) throw new CapminError(`${imgPath}: expected an image IDX of rank 3 (N,H,W), got shape [${img.shape.join(',')}]`, 'EDATA');
  if (lbl.shape.length !== 1) throw new CapminError(`${lblPath}: expected a label IDX of rank 1, got shape [${lbl.shape.join(',')}]`, 'EDATA');
  const [n, h, w] = img.shape as [number, number, number];
  if (lbl.shape[0] !== n) throw new CapminError(`${lblPath}: ${lbl.shape[0]} labels but ${imgPath} has ${n} images`, 'EDATA');
  const labels = new Uint8Array(lbl.data);
  const classes = checkLabels(labels, lblPath, 10);
  const images = new Float32Array(n * h * w);
  const src = img.data;
  for (let i = 0; i < images.length; i++) images[i] = src[i]! / 255;
  return { images, labels, n, c: 1, h, w, classes, source: imgPath, labelSource: lblPath };
}

/**
 * Check that every label of a dataset names one of a model's `classes` outputs (0..classes−1): a label outside them
 * would silently widen the class count. Throws a one-line error naming the labels file, the label and the range.
 */
export function checkLabelsFitModel(ds: Dataset, classes: number, what = 'the model'): void {
  for (let i = 0; i < ds.n; i++) {
    const l = ds.labels[i]!;
    if (l >= classes) {
      throw new CapminError(`${ds.labelSource ?? ds.source ?? 'dataset'}: label ${l} at index ${i} is outside the classes of ${what}: allowed 0..${classes - 1}`, 'EDATA', 2);
    }
  }
}

function checkLabels(labels: ArrayLike<number>, path: string, atLeast: number): number {
  let max = 0;
  for (let i = 0; i < labels.length; i++) if (labels[i]! > max) max = labels[i]!;
  if (max > 255) throw new CapminError(`${path}: label ${max} out of range 0..255`, 'EDATA');
  return Math.max(atLeast, max + 1);
}

const CIFAR_REC = 1 + 3 * 32 * 32;

function loadCifar10(dir: string, split: Split): Dataset {
  const files = split === 'train' ? [1, 2, 3, 4, 5].map((i) => `data_batch_${i}.bin`) : ['test_batch.bin'];
  const bufs: Buffer[] = [];
  for (const f of files) {
    const p = findFile(dir, [f], `CIFAR-10 ${split} batch`);
    const b = readUserFile(p, { field: `CIFAR-10 ${split} batch`, kind: 'dataset' });
    if (b.length === 0 || b.length % CIFAR_REC !== 0) {
      throw new CapminError(`${p}: ${b.length} bytes is not a whole number of ${CIFAR_REC}-byte CIFAR-10 records (corrupt or wrong file)`, 'EDATA');
    }
    bufs.push(b);
  }
  const n = bufs.reduce((s, b) => s + b.length / CIFAR_REC, 0);
  const per = 3 * 32 * 32;
  const images = new Float32Array(n * per);
  const labels = new Uint8Array(n);
  let k = 0;
  for (let bi = 0; bi < bufs.length; bi++) {
    const b = bufs[bi]!;
    for (let off = 0; off < b.length; off += CIFAR_REC, k++) {
      const l = b[off]!;
      if (l > 9) throw new CapminError(`${join(dir, files[bi]!)}: record ${off / CIFAR_REC} has label ${l}, expected 0..9 (corrupt or CIFAR-100 file)`, 'EDATA');
      labels[k] = l;
      const base = k * per;
      for (let j = 0; j < per; j++) images[base + j] = (b[off + 1 + j]! / 255 - 0.5) / 0.5;
    }
  }
  return { images, labels, n, c: 3, h: 32, w: 32, classes: 10, source: dir, labelSource: dir };
}

function loadNpySet(dir: string, split: Split): Dataset {
  const imgPath = findFile(dir, [`${split}_images.npy`, `x_${split}.npy`], `npy ${split} images`);
  const lblPath = findFile(dir, [`${split}_labels.npy`, `y_${split}.npy`], `npy ${split} labels`);
  const img = readNpy(imgPath, { field: `npy ${split} images` });
  const lbl = readNpy(lblPath, { field: `npy ${split} labels` });
  let n: number, c: number, h: number, w: number;
  if (img.shape.length === 3) {
    [n, h, w] = img.shape as [number, number, number];
    c = 1;
  }
  else if (img.shape.length === 4) [n, c, h, w] = img.shape as [number, number, number, number];
  else throw new CapminError(`${imgPath}: images must have shape (N,H,W) or (N,C,H,W), got (${img.shape.join(',')})`, 'EDATA');
  if (lbl.shape.length !== 1 || lbl.shape[0] !== n) {
    throw new CapminError(`${lblPath}: labels must have shape (${n},) to match ${imgPath}, got (${lbl.shape.join(',')})`, 'EDATA');
  }
  if (lbl.dtype.includes('f')) throw new CapminError(`${lblPath}: labels must be integers, got dtype ${lbl.dtype}`, 'EDATA');
  const labels = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const v = Number(lbl.data[i]);
    if (!(v >= 0 && v <= 255)) throw new CapminError(`${lblPath}: label ${v} at index ${i} out of range 0..255`, 'EDATA');
    labels[i] = v;
  }
  const classes = checkLabels(labels, lblPath, 2);
  const images = new Float32Array(n * c * h * w);
  const scale = img.data instanceof Uint8Array ? 1 / 255 : 1;
  for (let i = 0; i < images.length; i++) {
    const v = Number(img.data[i]) * scale;
    if (!Number.isFinite(v)) throw new CapminError(`${imgPath}: non-finite pixel at index ${i}`, 'EDATA');
    images[i] = v;
  }
  return { images, labels, n, c, h, w, classes, source: imgPath, labelSource: lblPath };
}
