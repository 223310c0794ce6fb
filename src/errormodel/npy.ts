import { encodeNpy } from '../data/npy.js';

/** Encode a dense row-major matrix as an NPY v1.0 '<f8' array of shape (rows, cols) — what SPICE-Torch's `np.load` reads. */
export function encodeNpyF64(matrix: readonly (readonly number[])[]): Buffer {
  const rows = matrix.length;
  const cols = rows ? matrix[0]!.length : 0;
  if (matrix.some((r) => r.length !== cols)) throw new Error('encodeNpyF64: ragged matrix');
  return encodeNpy(Float64Array.from(matrix.flat()), [rows, cols]);
}
