/**
 * Seeded, counter-addressable random numbers.
 *
 * Every stream is derived from a tuple of integers (e.g. seed, level, sample index)
 * by hashing, so a draw never depends on how many workers ran or in which order:
 * the same tuple gives the same numbers on any machine.
 */

/** murmur3's 32-bit finaliser: a bijective avalanche mix. */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Hash a tuple of integers (each taken modulo 2^32, plus its high part) into 128 bits of state. */
function seedState(key: readonly number[]): Uint32Array {
  const s = new Uint32Array(4);
  let h = 0x9e3779b9;
  for (const v of key) {
    if (!Number.isSafeInteger(v)) throw new Error(`rng key part ${v} must be a safe integer`);
    const lo = v >>> 0;
    const hi = Math.floor(v / 4294967296) >>> 0;
    h = fmix32(h ^ lo) + 0x7f4a7c15;
    h = fmix32(h ^ hi) + 0x632be5ab;
  }
  for (let i = 0; i < 4; i++) {
    h = fmix32((h + Math.imul(i + 1, 0x9e3779b9)) >>> 0);
    s[i] = h;
  }
  if ((s[0]! | s[1]! | s[2]! | s[3]!) === 0) s[0] = 1;
  return s;
}

/** xoshiro128** generator on a 128-bit state derived from `key`. */
export class Rng {
  private s: Uint32Array;
  private spare: number | null = null;

  constructor(...key: number[]) {
    this.s = seedState(key);
  }

  /** Uniform 32-bit unsigned integer. */
  nextU32(): number {
    const s = this.s;
    const r = Math.imul(rotl(Math.imul(s[1]!, 5), 7), 9) >>> 0;
    const t = s[1]! << 9;
    s[2]! ^= s[0]!;
    s[3]! ^= s[1]!;
    s[1]! ^= s[2]!;
    s[0]! ^= s[3]!;
    s[2]! ^= t;
    s[3] = rotl(s[3]!, 11);
    return r;
  }

  /** Uniform double in [0, 1) with 53 random bits. */
  uniform(): number {
    const a = this.nextU32() >>> 5; // 27 bits
    const b = this.nextU32() >>> 6; // 26 bits
    return (a * 67108864 + b) / 9007199254740992;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.uniform() * n);
  }

  /** Standard normal draw (Box-Muller, both values used). */
  normal(): number {
    if (this.spare !== null) {
      const v = this.spare;
      this.spare = null;
      return v;
    }
    let u = 0;
    while (u === 0) u = this.uniform();
    const v = this.uniform();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  /** Gaussian draw with mean mu and standard deviation sigma. */
  gauss(mu: number, sigma: number): number {
    return sigma === 0 ? mu : mu + sigma * this.normal();
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}
