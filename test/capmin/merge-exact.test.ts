/**
 * CapMin-V exactness: Alg. 1 as printed is the default (checked against a literal slow re-implementation), the
 * re-bucketing after a merge decides membership in integer clock cycles like the P_map itself, and the two paddings
 * of clipped rows (Alg. 1 line 15).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { capminV, padCapminV, padRebucket, padRows, rebucket, type MergeToward } from '../../src/capmin/merge.js';
import { makeBuckets, bucketOf } from '../../src/errormodel/pmap.js';

const F = 2e9;
const at = (c: number) => c / F;

/** Alg. 1 lines 1–14 written out literally on a copy of P (spike-time order, shortest first). */
function slowAlg1(P0: number[][], phi: number, toward: MergeToward): { removed: number[]; P: number[][]; alive: number[] } {
  let P = P0.map((r) => r.slice());
  let alive = P.map((_, i) => i);
  const removed: number[] = [];
  for (let step = 1; step <= phi; step++) {
    const n = P.length;
    let j = 0;
    for (let i = 0; i < n; i++) if (P[i]![i]! < P[j]![j]!) j = i; // argmin, first index
    let t: number;
    if (j === 0) t = 1;
    else if (j === n - 1) t = n - 2;
    else if (toward === 'lower') t = P[j - 1]![j - 1]! < P[j + 1]![j + 1]! ? j - 1 : j + 1; // line 6
    else t = P[j - 1]![j - 1]! > P[j + 1]![j + 1]! ? j - 1 : j + 1;
    for (let i = 0; i < n; i++) P[i]![t] = P[i]![t]! + P[i]![j]!; // lines 8 / 11
    removed.push(alive[j]!);
    P = P.filter((_, r) => r !== j).map((row) => row.filter((_, c) => c !== j)); // line 12
    alive = alive.filter((_, r) => r !== j);
  }
  return { removed, P, alive };
}

describe('CapMin-V default = Alg. 1 lines 6–11 as printed', () => {
  it('agrees with the literal re-implementation for random integer P_maps (fuzz), both directions', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 9 }).chain((k) =>
          fc.record({
            counts: fc.array(fc.array(fc.integer({ min: 0, max: 20 }), { minLength: k, maxLength: k }), { minLength: k, maxLength: k }),
            phi: fc.integer({ min: 0, max: k - 1 }),
          }),
        ),
        ({ counts, phi }) => {
          const k = counts.length;
          const levels = Array.from({ length: k }, (_, i) => 40 - i); // spike-time order: level 40 is the fastest
          const times = levels.map((_, i) => at(10 + 2 * i));
          for (const toward of ['lower', 'higher'] as const) {
            const want = slowAlg1(counts, phi, toward);
            const got = toward === 'lower' ? capminV(levels, times, counts, phi) : capminV(levels, times, counts, phi, { mergeToward: 'higher' });
            expect(got.steps.map((s) => s.removed)).toEqual(want.removed.map((i) => levels[i]!));
            expect(got.survivors).toEqual(want.alive.map((i) => levels[i]!));
            expect(got.merged).toEqual(want.P);
          }
        },
      ),
      { numRuns: 400, seed: 11 },
    );
  });

  it('a removed level goes to the neighbour with the smaller diagonal entry', () => {
    // diagonals 0.9, 0.5, 0.6, 0.95 in spike-time order: j = 1; p_00 = 0.9 > p_22 = 0.6 → right (into the smaller)
    const P = [
      [0.9, 0.1, 0, 0],
      [0.25, 0.5, 0.25, 0],
      [0, 0.2, 0.6, 0.2],
      [0, 0, 0.05, 0.95],
    ];
    const r = capminV([4, 3, 2, 1], [1, 2, 3, 4], P, 1);
    expect(r.steps[0]).toMatchObject({ removed: 3, into: 2, direction: 'right', reason: 'neighbour-diagonal' });
    expect(capminV([4, 3, 2, 1], [1, 2, 3, 4], P, 1, { mergeToward: 'higher' }).steps[0]).toMatchObject({ removed: 3, into: 4, direction: 'left' });
    expect(() => capminV([4, 3, 2, 1], [1, 2, 3, 4], P, 1, { mergeToward: 'up' as never })).toThrow(/mergeToward/);
  });
});

describe('re-bucketing after a merge in integer clock cycles', () => {
  it('a removed level whose neighbours are one cycle away on each side is split half/half on its own cycle', () => {
    let floatMisses = 0;
    for (let c = 2; c <= 150; c++) {
      // three kept levels on cycles c−1, c, c+1 (levels 3, 2, 1); the middle one has the smallest diagonal
      const P = [
        [0.9, 0.1, 0],
        [0.3, 0.4, 0.3],
        [0, 0.1, 0.9],
      ];
      const r = capminV([3, 2, 1], [at(c - 1), at(c), at(c + 1)], P, 1);
      expect(r.steps[0]!.removed).toBe(2);
      const samples = new Map([
        [3, [at(c - 1)]],
        [2, [at(c), at(c), at(c - 1), at(c + 1)]],
        [1, [at(c + 1)]],
      ]);
      const rb = rebucket(r, samples, { fClk: F });
      // rows levels 1, 2, 3 ascending; columns survivors 1, 3
      expect(rb.matrix[1]).toEqual([0.5, 0.5]);
      expect(rb.matrix[0]).toEqual([1, 0]);
      expect(rb.matrix[2]).toEqual([0, 1]);
      if (rebucket(r, samples).matrix[1]![0] !== 0.5) floatMisses++;
    }
    expect(floatMisses).toBeGreaterThan(10); // seconds put some of these edges on one side
  });

  it('agrees with a slow nearest-survivor-cycle implementation (fuzz)', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 2, max: 60 }), { minLength: 2, maxLength: 8 }).chain((cyc) =>
          fc.record({
            cyc: fc.constant([...cyc].sort((x, y) => x - y)),
            phi: fc.integer({ min: 0, max: cyc.length - 1 }),
            diag: fc.array(fc.integer({ min: 1, max: 9 }), { minLength: cyc.length, maxLength: cyc.length }),
            samples: fc.array(fc.array(fc.integer({ min: 1, max: 70 }), { minLength: 1, maxLength: 12 }), { minLength: cyc.length, maxLength: cyc.length }),
          }),
        ),
        ({ cyc, phi, diag, samples }) => {
          const k = cyc.length;
          const levels = cyc.map((_, i) => 30 - i); // spike-time order
          const P = diag.map((d, i) => levels.map((_, j) => (i === j ? d : (10 - d) / (k - 1))));
          const r = capminV(levels, cyc.map(at), P, phi);
          const sm = new Map(levels.map((m, i) => [m, samples[i]!.map(at)]));
          const rb = rebucket(r, sm, { fClk: F });
          const survCyc = new Map(r.survivors.map((m, i) => [m, Math.round(r.survivorTimes[i]! * F)]));
          rb.levels.forEach((m, i) => {
            const want = new Array<number>(rb.survivors.length).fill(0);
            const own = samples[levels.indexOf(m)]!;
            for (const c of own) {
              const d = rb.survivors.map((s) => Math.abs(2 * c - 2 * survCyc.get(s)!));
              const best = Math.min(...d);
              const near = d.map((x, j) => (x === best ? j : -1)).filter((j) => j >= 0);
              for (const j of near) want[j]! += 1 / near.length / own.length;
            }
            rb.matrix[i]!.forEach((v, j) => expect(v).toBeCloseTo(want[j]!, 12));
          });
        },
      ),
      { numRuns: 300, seed: 12 },
    );
  });

  it('uses the P_map\'s own membership rule (same buckets as makeBuckets/bucketOf)', () => {
    const r = capminV([3, 2, 1], [at(10), at(11), at(12)], [[0.9, 0.1, 0], [0.3, 0.4, 0.3], [0, 0.1, 0.9]], 1);
    const rb = rebucket(r, new Map([[2, [at(11)]]]), { fClk: F });
    const b = makeBuckets([at(12), at(10)], { fClk: F });
    expect(bucketOf(b, at(11))).toEqual([[0, 0.5], [1, 0.5]]);
    expect(rb.boundaries).toEqual(b.boundaries);
  });
});

describe('padding of clipped rows (Alg. 1 line 15)', () => {
  // kept range 2..5 of a = 7; level 5 (the fastest, a bound) is merged into 4
  const levels = [5, 4, 3, 2];
  const P = [
    [0.5, 0.5, 0, 0],
    [0.1, 0.8, 0.1, 0],
    [0, 0.1, 0.8, 0.1],
    [0, 0, 0.1, 0.9],
  ];
  const r = capminV(levels, [1, 2, 3, 4].map(at), P, 1);

  it("'paper': one-hot on the bound's read level, also when the bound itself was merged away", () => {
    expect(r.readLevel[5]).toBe(4);
    const full = padCapminV(r, 7, { pad: 'paper' });
    expect(full[6]).toEqual([0, 0, 0, 0, 1, 0, 0, 0]);
    expect(full[7]).toEqual(full[6]);
    expect(full[0]).toEqual([0, 0, 1, 0, 0, 0, 0, 0]);
    expect(full[1]).toEqual(full[0]);
  });

  it("'bound': the bound's row; in-range rows are the same for both paddings; rows sum to 1", () => {
    const paper = padCapminV(r, 7, { pad: 'paper' });
    const bound = padCapminV(r, 7, { pad: 'bound' });
    for (let m = 2; m <= 5; m++) expect(bound[m]).toEqual(paper[m]);
    expect(bound[7]).toEqual(paper[5]); // level 5 reads through survivor 4's merged row
    expect(bound[0]).toEqual(paper[2]);
    for (const M of [paper, bound]) for (const row of M) expect(row.reduce((s, x) => s + x, 0)).toBeCloseTo(1, 12);
  });

  it('re-bucketed P_maps pad the same way', () => {
    const rb = rebucket(r, new Map([[5, [at(1), at(2)]], [4, [at(2)]], [3, [at(3)]], [2, [at(4), at(3)]]]), { fClk: F });
    const paper = padRebucket(rb, 7);
    const bound = padRebucket(rb, 7, { pad: 'bound' });
    expect(paper[7]).toEqual([0, 0, 0, 0, 1, 0, 0, 0]);
    expect(bound[7]).toEqual(paper[5]);
    expect(bound[0]).toEqual(paper[2]);
    expect(paper[0]).toEqual([0, 0, 1, 0, 0, 0, 0, 0]);
    expect(bound[0]).toEqual([0, 0, 0.5, 0.5, 0, 0, 0, 0]);
  });

  it('padRows refuses an unknown padding', () => {
    expect(() => padRows(2, 1, 1, () => [0, 1, 0], () => 1, 'zeros' as never)).toThrow(/pad/);
  });
});
