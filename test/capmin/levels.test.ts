import { describe, expect, it } from 'vitest';
import { capminLevels, clipLevel, clipTable, meanLevel, topKLevels } from '../../src/capmin/levels.js';
import { capEnergy, guaranteedResponseTime } from '../../src/capmin/cost.js';

describe('CapMin levels (Eq. 4)', () => {
  it('contiguous top-k: the window is the top-k set', () => {
    const f = [0, 1, 5, 9, 7, 2, 0];
    const r = capminLevels(f, 3);
    expect(r.topK).toEqual([2, 3, 4]);
    expect(r.contiguous).toBe(true);
    expect([r.lo, r.hi]).toEqual([2, 4]);
    expect(r.levels).toEqual([2, 3, 4]);
    expect(r.coverage).toBeCloseTo(21 / 24, 12);
    expect(r.topKCoverage).toBeCloseTo(21 / 24, 12);
    expect(r.a).toBe(6);
  });

  it('non-contiguous top-k: best-total window of k levels, not the span', () => {
    // top-3 = {0 (10), 3 (9), 4 (9)}: span 0..4 would need 5 spike times.
    const f = [10, 1, 1, 9, 9, 1];
    const r = capminLevels(f, 3);
    expect(r.topK).toEqual([0, 3, 4]);
    expect(r.contiguous).toBe(false);
    expect(r.topKSpan).toEqual([0, 4]);
    // windows: [0..2]=12, [1..3]=11, [2..4]=19, [3..5]=19; tie → both hold 2 top levels → centre nearest mean 71/31
    expect(meanLevel(f)).toBeCloseTo(71 / 31, 12);
    expect([r.lo, r.hi]).toEqual([2, 4]);
    expect(r.coverage).toBeCloseTo(19 / 31, 12);
    expect(r.topKCoverage).toBeCloseTo(28 / 31, 12);
  });

  it('ties are deterministic', () => {
    const f = [0, 3, 3, 3, 0]; // mean 2
    expect(topKLevels(f, 1)).toEqual([2]);
    expect(topKLevels(f, 2)).toEqual([1, 2]); // 1 and 3 tie on count and distance → lower level
    const r = capminLevels(f, 2);
    expect([r.lo, r.hi]).toEqual([1, 2]); // [1,2] and [2,3] both sum 6; [1,2] holds both top levels
    expect(capminLevels([1, 1, 1, 1], 2)).toMatchObject({ lo: 1, hi: 2 }); // all tie: centre nearest mean 1.5
  });

  it('k = a+1 keeps everything; k = 1 the mode', () => {
    const f = [1, 2, 3, 40, 5];
    expect(capminLevels(f, 5)).toMatchObject({ lo: 0, hi: 4, coverage: 1 });
    expect(capminLevels(f, 1)).toMatchObject({ lo: 3, hi: 3, levels: [3] });
  });

  it('rejects bad input', () => {
    expect(() => capminLevels([1, 2, 3], 0)).toThrow(/1\.\.3/);
    expect(() => capminLevels([1, 2, 3], 4)).toThrow(/1\.\.3/);
    expect(() => capminLevels([1, -2, 3], 2)).toThrow(/≥ 0/);
    expect(() => capminLevels([0, 0, 0], 2)).toThrow(/zeros/);
    expect(() => capminLevels([1, NaN, 3], 2)).toThrow(/finite/);
  });

  it('clipping maps outside levels to the nearest bound', () => {
    expect(clipLevel(1, 3, 5)).toBe(3);
    expect(clipLevel(4, 3, 5)).toBe(4);
    expect(clipLevel(9, 3, 5)).toBe(5);
    expect(clipTable(6, 2, 4)).toEqual([2, 2, 2, 3, 4, 4, 4]);
  });
});

describe('cost', () => {
  it('energy ½·C·V_th²', () => {
    expect(capEnergy(9.6e-12, 0.225)).toBeCloseTo(0.5 * 9.6e-12 * 0.050625, 25);
    expect(() => capEnergy(-1, 0.2)).toThrow();
  });
  it('latency = last finite spike time', () => {
    expect(guaranteedResponseTime([Infinity, 3e-9, 1e-9])).toBe(3e-9);
    expect(guaranteedResponseTime([Infinity])).toBeNaN();
  });
});
