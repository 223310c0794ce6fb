/**
 * Minimal NPY v1.0 writer for float64 C-order matrices (what SPICE-Torch's `np.load` reads).
 * Header: magic, version 1.0, little-endian uint16 header length, a Python dict literal padded with spaces to a
 * multiple of 64 bytes and ended by '\n'.
 */

/** Encode a dense row-major matrix as an NPY v1.0 '<f8' array of shape (rows, cols). */
export function encodeNpyF64(matrix: readonly (readonly number[])[]): Buffer {
  const rows = matrix.length;
  const cols = rows ? matrix[0]!.length : 0;
  if (matrix.some((r) => r.length !== cols)) throw new Error('encodeNpyF64: ragged matrix');
  const dict = `{'descr': '<f8', 'fortran_order': False, 'shape': (${rows}, ${cols}), }`;
  const pre = 10;
  let hlen = dict.length + 1;
  const pad = (64 - ((pre + hlen) % 64)) % 64;
  hlen += pad;
  const header = Buffer.alloc(pre + hlen, 0x20);
  header.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0], 0);
  header.writeUInt16LE(hlen, 8);
  header.write(dict, pre, 'latin1');
  header[pre + hlen - 1] = 0x0a;
  const data = Buffer.alloc(rows * cols * 8);
  let o = 0;
  for (const r of matrix) for (const v of r) {
    data.writeDoubleLE(v, o);
    o += 8;
  }
  return Buffer.concat([header, data]);
}
