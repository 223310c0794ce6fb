import { describe, expect, it } from 'vitest';
import { defaultSigmas, levelKey, sampleArrayVariation, SHARED_LEVEL_KEY, validateSigmas, zeroSigmas } from '../../src/montecarlo/variation.js';
import { levelStates, stateIndex } from '../../src/montecarlo/decks.js';

describe('variation sampling', () => {
  it('is fully determined by (seed, level key, sample)', () => {
    const s = defaultSigmas();
    const a = sampleArrayVariation(1, SHARED_LEVEL_KEY, 5, 32, s);
    expect(sampleArrayVariation(1, SHARED_LEVEL_KEY, 5, 32, s)).toEqual(a);
    expect(sampleArrayVariation(1, SHARED_LEVEL_KEY, 6, 32, s)).not.toEqual(a);
    expect(sampleArrayVariation(2, SHARED_LEVEL_KEY, 5, 32, s)).not.toEqual(a);
    expect(sampleArrayVariation(1, 7, 5, 32, s)).not.toEqual(a);
    expect(a).toHaveLength(32);
    expect(a[0]).toHaveLength(4);
  });

  it('zero sigmas give the nominal device; one sigma never reshuffles the others', () => {
    for (const cell of sampleArrayVariation(3, 0, 0, 8, zeroSigmas())) for (const d of cell) expect(d).toEqual({ delvto: 0, mulu0: 1, dW: 0, dL: 0 });
    const base = sampleArrayVariation(3, 0, 0, 8, defaultSigmas());
    const noMu = sampleArrayVariation(3, 0, 0, 8, { ...defaultSigmas(), mulu0: 0 });
    expect(noMu.map((c) => c.map((d) => d.delvto))).toEqual(base.map((c) => c.map((d) => d.delvto)));
    expect(noMu.every((c) => c.every((d) => d.mulu0 === 1))).toBe(true);
  });

  it('has the configured standard deviations and a shared global shift', () => {
    const s = { ...zeroSigmas(), delvto: 0.03, dL: 0.4e-9 };
    const vth: number[] = [];
    const dl: number[] = [];
    for (let k = 0; k < 100; k++) for (const c of sampleArrayVariation(9, 0, k, 32, s)) for (const d of c) {
      vth.push(d.delvto);
      dl.push(d.dL);
    }
    const sd = (x: number[]): number => Math.sqrt(x.reduce((a, b) => a + b * b, 0) / x.length);
    expect(sd(vth)).toBeGreaterThan(0.03 * 0.95);
    expect(sd(vth)).toBeLessThan(0.03 * 1.05);
    expect(sd(dl)).toBeCloseTo(0.4e-9, 10);
    const g = sampleArrayVariation(9, 0, 1, 32, { ...zeroSigmas(), globalDelvto: 0.02 });
    const shift = g[0]![0]!.delvto;
    expect(shift).not.toBe(0);
    expect(g.every((c) => c.every((d) => d.delvto === shift))).toBe(true);
  });

  it('level keys: die mode shares one die across levels, level mode separates them', () => {
    expect(levelKey(3, 'die')).toBe(levelKey(17, 'die'));
    expect(levelKey(3, 'level')).not.toBe(levelKey(17, 'level'));
  });

  it('rejects bad sigmas with the field named', () => {
    expect(() => validateSigmas({ ...defaultSigmas(), delvto: -1 })).toThrow(/sigma\.delvto/);
    expect(() => validateSigmas({ ...defaultSigmas(), dL: 1 })).toThrow(/sigma\.dL: .*allowed range/);
  });
});

describe('quasi-static deck convention', () => {
  it('level m uses the SPICE core convention: first m cells conduct (w=1,x=0), the rest w=1,x=1', () => {
    expect(levelStates(4, 2)).toEqual([stateIndex(true, false), stateIndex(true, false), stateIndex(true, true), stateIndex(true, true)]);
  });
});
