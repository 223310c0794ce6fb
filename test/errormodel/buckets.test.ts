/**
 * P_map bucket membership on the registered time base: decided in integer clock cycles (2·c against c_a + c_b), so a
 * sample on a clock edge that is itself the midpoint of two nominal spike times is split half/half exactly, as
 * docs/montecarlo.md says. Checked against an independent slow nearest-spike-time implementation.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildPmap, bucketOf, clockCycleOf, makeBuckets } from '../../src/errormodel/pmap.js';
import { clockOfResult, pmapFromMonteCarlo } from '../../src/errormodel/frommc.js';
import type { McResult } from '../../src/montecarlo/engine.js';

const F = 2e9; // the default 2 GHz flip-flop clock
const at = (c: number) => c / F; // a registered spike time, exactly as registerSpike computes it

/**
 * Slow reference: a sample on cycle c goes to the nearest distinct nominal cycle (distance |2c − 2d|, integers); when
 * two distinct nominal cycles are equally near it is split half/half between them, and tied levels share their
 * cycle's weight equally. Infinity (no spike) goes to the no-spike level(s), else to the slowest level(s).
 */
function slowRow(nomCycles: number[], sampleCycles: number[]): number[] {
  const row = new Array<number>(nomCycles.length).fill(0);
  const distinct = [...new Set(nomCycles)];
  const give = (d: number, w: number) => {
    const lv = nomCycles.map((c, j) => (c === d ? j : -1)).filter((j) => j >= 0);
    for (const j of lv) row[j]! += w / lv.length;
  };
  for (const c of sampleCycles) {
    if (c === Infinity) {
      give(distinct.includes(Infinity) ? Infinity : Math.max(...distinct), 1);
      continue;
    }
    const finite = distinct.filter((d) => d !== Infinity);
    if (finite.length === 0) {
      give(Infinity, 1);
      continue;
    }
    const dist = finite.map((d) => Math.abs(2 * c - 2 * d));
    const best = Math.min(...dist);
    const near = finite.filter((_, i) => dist[i] === best);
    for (const d of near) give(d, 1 / near.length);
  }
  return row.map((x) => x / sampleCycles.length);
}

describe('bucket membership in integer clock cycles', () => {
  it('a sample on the midpoint edge of two nominal cycles is split half/half, for every such pair (the float midpoint misses some)', () => {
    let floatMisses = 0;
    let pairs = 0;
    for (let ca = 1; ca <= 120; ca++) {
      for (let cb = ca + 2; cb <= 120; cb += 2) {
        pairs++;
        const mid = (ca + cb) / 2;
        const b = makeBuckets([at(cb), at(ca)], { fClk: F });
        expect(bucketOf(b, at(mid))).toEqual([[0, 0.5], [1, 0.5]]);
        expect(bucketOf(b, at(mid - 1))).toEqual([[0, 1]]);
        expect(bucketOf(b, at(mid + 1))).toEqual([[1, 1]]);
        expect(b.keys).toEqual([ca + cb]);
        const s = makeBuckets([at(cb), at(ca)]); // seconds: what interpolated crossing times use
        if (bucketOf(s, at(mid)).length !== 2) floatMisses++;
      }
    }
    // the reason for deciding in cycles: in seconds a sizeable share of these edges lands on one side only
    expect(floatMisses).toBeGreaterThan(pairs / 10);
  });

  it('the reproducer\'s edges (cycles 18|16|14|13 at 2 GHz): samples on cycles 17 and 15 split, 13.5 is no edge', () => {
    const b = makeBuckets([at(18), at(16), at(14), at(13)], { fClk: F }); // levels 12, 13, 15, 16
    expect(b.keys).toEqual([27, 30, 34]);
    expect(bucketOf(b, at(15))).toEqual([[1, 0.5], [2, 0.5]]);
    expect(bucketOf(b, at(17))).toEqual([[2, 0.5], [3, 0.5]]);
    expect(bucketOf(b, at(13))).toEqual([[0, 1]]);
    expect(bucketOf(b, at(14))).toEqual([[1, 1]]);
    expect(b.boundaries).toEqual([27 / (2 * F), 30 / (2 * F), 34 / (2 * F)]);
  });

  it('hand-made samples exactly on boundaries give the documented half counts in P_map', () => {
    // levels 1, 2, 3 on cycles 20, 16, 12: edges at 18 and 14
    const nominal = [Infinity, at(20), at(16), at(12)];
    const samples = new Map([
      [1, [at(20), at(18), at(19), at(17)]], // 1 + ½ + 1 → level 1, ½ + 1 → level 2
      [2, [at(14), at(18), at(16), at(16)]],
      [3, [at(14), at(14), at(12), at(11)]],
    ]);
    const p = buildPmap(nominal, samples, [1, 2, 3], { fClk: F });
    expect(p.counts).toEqual([
      [2.5, 1.5, 0],
      [0.5, 3, 0.5],
      [0, 1, 3],
    ]);
    expect(p.matrix[1]).toEqual([0.125, 0.75, 0.125]);
  });

  it('ties, open ends and no-spike samples on the registered base', () => {
    const b = makeBuckets([at(10), at(10), at(6), Infinity], { fClk: F });
    expect(b.groups).toEqual([[2], [0, 1], [3]]);
    expect(b.keys).toEqual([16, Infinity]);
    expect(bucketOf(b, at(8))).toEqual([[0, 0.5], [1, 0.5]]);
    expect(bucketOf(b, at(1))).toEqual([[0, 1]]);
    expect(bucketOf(b, at(1e6))).toEqual([[1, 1]]); // finite samples never read as "no spike"
    expect(bucketOf(b, Infinity)).toEqual([[2, 1]]);
    const p = buildPmap([at(10), at(10), at(6)], new Map([[0, [at(8)]], [1, [at(8)]], [2, [at(8)]]]), [0, 1, 2], { fClk: F });
    expect(p.matrix[0]).toEqual([0.25, 0.25, 0.5]);
  });

  it('refuses times off the clock grid on the registered base (crossing times are bucketed in seconds)', () => {
    expect(() => makeBuckets([at(10), 3.1e-9], { fClk: F })).toThrow(/not on the .* clock grid/);
    const b = makeBuckets([at(10), at(6)], { fClk: F });
    expect(() => bucketOf(b, 4.123e-9)).toThrow(/sample time .* not on the/);
    expect(() => makeBuckets([at(1)], { fClk: 0 })).toThrow(/fClk/);
    expect(clockCycleOf(at(123456), F)).toBe(123456);
    expect(clockCycleOf(Infinity, F)).toBe(Infinity);
    // seconds base is unchanged: a crossing time between the nominal ones is simply compared
    expect(bucketOf(makeBuckets([at(10), at(6)]), 4.123e-9)).toEqual([[1, 1]]); // nominal 5 ns and 3 ns
    expect(bucketOf(makeBuckets([at(10), at(6)]), 3.987e-9)).toEqual([[0, 1]]);
  });

  it('agrees with the slow nearest-spike-time implementation (fuzz)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof({ weight: 9, arbitrary: fc.integer({ min: 1, max: 80 }) }, { weight: 1, arbitrary: fc.constant(Infinity) }), { minLength: 1, maxLength: 7 }),
        fc.array(fc.oneof({ weight: 12, arbitrary: fc.integer({ min: 1, max: 90 }) }, { weight: 1, arbitrary: fc.constant(Infinity) }), { minLength: 1, maxLength: 40 }),
        (nomCycles, sampleCycles) => {
          const levels = nomCycles.map((_, i) => i);
          const nominal = nomCycles.map((c) => (c === Infinity ? Infinity : at(c)));
          const ts = sampleCycles.map((c) => (c === Infinity ? Infinity : at(c)));
          const p = buildPmap(nominal, new Map(levels.map((m) => [m, ts])), levels, { fClk: F });
          for (const i of levels) {
            const want = slowRow(nomCycles, sampleCycles);
            p.matrix[i]!.forEach((v, j) => expect(v).toBeCloseTo(want[j]!, 12));
          }
        },
      ),
      { numRuns: 300, seed: 10 },
    );
  });
});

describe('pmapFromMonteCarlo picks the membership rule from the time base', () => {
  // two levels on cycles 16 and 14 (edge at 15), samples on 15 and crossings just before it
  const mc = {
    engine: 'quasistatic',
    levels: [1, 2],
    samples: 2,
    window: 1e-7,
    cPar: null,
    nominal: [
      { level: 1, tCross: 7.9e-9, tSpike: at(16), clockCycle: 16 },
      { level: 2, tCross: 6.9e-9, tSpike: at(14), clockCycle: 14 },
    ],
    byLevel: [
      { level: 1, tCross: Float64Array.from([7.45e-9, 7.3e-9]), tSpike: Float64Array.from([at(15), at(15)]), failed: 0 },
      { level: 2, tCross: Float64Array.from([7.1e-9, 6.8e-9]), tSpike: Float64Array.from([at(15), at(14)]), failed: 0 },
    ],
  } as unknown as McResult;

  it('registered spike times: integer cycles, f_clk derived from the nominal spikes (or given)', () => {
    expect(clockOfResult(mc)).toBeCloseTo(F, 0);
    const p = pmapFromMonteCarlo(mc);
    expect(p.counts).toEqual([
      [1, 1],
      [0.5, 1.5],
    ]);
    expect(pmapFromMonteCarlo(mc, { fClk: F }).counts).toEqual(p.counts);
  });

  it('crossing times stay in seconds', () => {
    const p = pmapFromMonteCarlo(mc, { timeBase: 'cross' });
    // midpoint of 7.9 and 6.9 ns = 7.4 ns: 7.45 → level 1, 7.3 / 7.1 / 6.8 → level 2
    expect(p.counts).toEqual([
      [1, 1],
      [0, 2],
    ]);
  });
});
