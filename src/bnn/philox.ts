/**
 * Philox4x32-10 (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3", SC'11; Random123), the
 * counter-based generator of every P_map draw of the BNN engine. A draw is a pure function of its address,
 * so the TypeScript kernels, the native kernels (native/bnn_engine.cc) and any thread split give the same reads.
 *
 * Chunk addressing (shared with the native kernels): the chunks of array layer `layer` of one image are
 * numbered c = (p·nC + j)·Op + o (position p, chunk j, neuron o, Op = neurons padded to a multiple of 16).
 * Chunk c takes word ⌊r/16⌋ of the Philox block with counter (16·⌊c/64⌋ + (r mod 16), layer, image, run),
 * r = c mod 64, key (seed mod 2^32, ⌊seed / 2^32⌋): 16 calls fill 64 consecutive chunks, and 16 lanes of one
 * SIMD register hold one output word of 16 calls.
 */

const M0 = 0xd2511f53;
const M1 = 0xcd9e8d57;
const W0 = 0x9e3779b9;
const W1 = 0xbb67ae85;

/** High 32 bits of the 64-bit product of two uint32 (exact in float64 via a 16-bit split). */
function mulhi(a: number, m: number): number {
  return Math.floor(((a >>> 16) * m + Math.floor(((a & 0xffff) * m) / 65536)) / 65536);
}

/** Philox4x32-10 of counter (c0..c3) under key (k0, k1), into out[off..off+4) as uint32. */
export function philox4x32(c0: number, c1: number, c2: number, c3: number, k0: number, k1: number, out: Uint32Array, off = 0): void {
  c0 >>>= 0;
  c1 >>>= 0;
  c2 >>>= 0;
  c3 >>>= 0;
  k0 >>>= 0;
  k1 >>>= 0;
  for (let r = 0; r < 10; r++) {
    if (r > 0) {
      k0 = (k0 + W0) >>> 0;
      k1 = (k1 + W1) >>> 0;
    }
    const hi0 = mulhi(c0, M0);
    const lo0 = Math.imul(c0, M0) >>> 0;
    const hi1 = mulhi(c2, M1);
    const lo1 = Math.imul(c2, M1) >>> 0;
    c0 = (hi1 ^ c1 ^ k0) >>> 0;
    c1 = lo1;
    c2 = (hi0 ^ c3 ^ k1) >>> 0;
    c3 = lo0;
  }
  out[off] = c0;
  out[off + 1] = c1;
  out[off + 2] = c2;
  out[off + 3] = c3;
}

const tmp = new Uint32Array(4);

/** Key words of a seed (any safe integer; negative seeds wrap modulo 2^64 in the low word). */
export function seedKey(seed: number): [number, number] {
  return [seed >>> 0, Math.floor(seed / 4294967296) >>> 0];
}

/** The 64 random words of chunk group g (chunks 64g … 64g+63) of one (seed, run, image, layer): out[r]. */
export function philoxGroup(g: number, layer: number, image: number, run: number, k0: number, k1: number, out: Uint32Array): void {
  const base = g * 16;
  for (let i = 0; i < 16; i++) {
    philox4x32(base + i, layer, image, run, k0, k1, tmp);
    out[i] = tmp[0]!;
    out[16 + i] = tmp[1]!;
    out[32 + i] = tmp[2]!;
    out[48 + i] = tmp[3]!;
  }
}

/** The random word of chunk c alone (slow; for references and tests). */
export function chunkWord(seed: number, run: number, image: number, layer: number, c: number): number {
  const [k0, k1] = seedKey(seed);
  const r = c % 64;
  philox4x32(Math.floor(c / 64) * 16 + (r % 16), layer, image, run, k0, k1, tmp);
  return tmp[r >>> 4]!;
}

/** Neurons padded to the SIMD lane multiple used in the chunk address. */
export function paddedNeurons(O: number): number {
  return Math.ceil(O / 16) * 16;
}
