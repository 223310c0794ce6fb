// The pure stage functions `capmin run` composes: selections, the CapMin-V φ sweep with an injected evaluator, and
// the padding comparison.
import { describe, expect, it } from 'vitest';
import { capminV } from '../../src/capmin/merge.js';
import { capminVSweep, paddingComparison } from '../../src/capmin/sweep.js';
import { expandKept, keptLevels, type KeptPmap } from '../../src/capmin/kept.js';
import { selectCapacitors } from '../../src/pipeline/select.js';
import type { KResult } from '../../src/report/results.js';

const acc = (mean: number) => ({ mean, min: mean, max: mean, runs: 1, images: 100 });
const row = (k: number, cMem: number, accNoVar: number, accVar?: number): KResult => ({ k, lo: 0, hi: k - 1, contiguous: true, coverage: 1, cMem, latency: cMem * 1e3, energy: 0.5 * cMem * 0.225 ** 2, accNoVar, accVar: accVar === undefined ? undefined : acc(accVar) });

describe('selectCapacitors', () => {
  it('picks the smallest C_mem within the tolerance, without and under variation, and the best CapMin-V φ', () => {
    const perK = [row(5, 40e-12, 0.9), row(4, 20e-12, 0.895, 0.87), row(3, 10e-12, 0.85, 0.84), row(2, 5e-12, 0.5, 0.5)];
    const capminV = { k0: 4, cMem: 20e-12, lo: 0, hi: 3, phis: [{ phi: 1, kV: 3, survivors: [], readLevel: [], accRebucket: acc(0.893), latency: 1e-8 }, { phi: 2, kV: 2, survivors: [], readLevel: [], accRebucket: acc(0.895), latency: 5e-9 }], uses: 'rebucket' as const, mergeToward: 'lower' as const, pad: 'paper' as const };
    const { selections, notes } = selectCapacitors({ perK, capminV, errorFree: 0.9, tolerance: 0.01, a: 4, vth: 0.225 });
    expect(selections.map((s) => [s.method, s.k, s.cMem])).toEqual([['baseline', 5, 40e-12], ['CapMin', 4, 20e-12], ['CapMin-V', 4, 20e-12]]);
    expect(selections.find((s) => s.method === 'CapMin-V')).toMatchObject({ phi: 2, accuracy: 0.895, latency: 5e-9, energy: 0.5 * 20e-12 * 0.225 ** 2 });
    // no k is within 1 pt under variation
    expect(notes).toEqual(['No k keeps the mean accuracy under variation within 1 pt of error-free.']);
  });

  it('without an error-free accuracy there is no selection', () => {
    expect(selectCapacitors({ perK: [row(5, 1e-12, 0.9)], capminV: undefined, tolerance: 0.01, a: 4, vth: 0.225 })).toEqual({ selections: [], notes: [] });
  });
});

/** A kept P_map of 5 levels with well-separated registered samples (clock 1 GHz), level 2 the least reliable. */
function base(): KeptPmap {
  const levels = [1, 2, 3, 4, 5];
  const nominal = [50e-9, 40e-9, 30e-9, 20e-9, 10e-9];
  const matrix: number[][] = levels.map((_, i) => levels.map((_, j): number => (i === j ? (i === 1 ? 0.6 : 0.9) : Math.abs(i - j) === 1 ? (i === 1 ? 0.2 : 0.05) : 0)));
  for (const r of matrix) {
    const s = r.reduce((x, y) => x + y, 0);
    r.forEach((v, j) => (r[j] = v / s));
  }
  return { levels, currents: levels, nominal, matrix, samples: nominal.map((t) => [t, t, t + 1e-9]), failed: 0 };
}

describe('capminVSweep', () => {
  const input = { base: base(), lo: 1, hi: 5, a: 6, phis: [1, 2], mergeToward: 'lower' as const, compareToward: true, pad: 'paper' as const, fMacTotal: [1, 1, 1, 1, 1, 1, 1], fClk: 1e9, runs: 2, alg1Runs: 1 };

  it('merges as Alg. 1 does and asks the evaluator for each φ and variant', async () => {
    const calls: [number, string, number][] = [];
    const rows = await capminVSweep(input, async (pMap, runs, phi, variant) => {
      expect(pMap).toHaveLength(7);
      calls.push([phi, variant, runs]);
      return acc(phi / 10);
    });
    expect(rows.map((r) => [r.phi, r.kV])).toEqual([[1, 4], [2, 3]]);
    const ref = capminV(input.base.levels, input.base.nominal, input.base.matrix, 1, { mergeToward: 'lower' });
    expect(rows[0]!.survivors).toEqual(ref.survivors);
    // levels outside k₀'s range read through the bound (Eq. 4)
    expect(rows[0]!.readLevel[0]).toBe(ref.readLevel[1]);
    expect(rows[0]!.readLevel[6]).toBe(ref.readLevel[5]);
    expect(rows[0]!.other?.mergeToward).toBe('higher');
    expect(calls).toEqual([[1, 'rebucket', 2], [1, 'alg1', 1], [1, 'rebucket-higher', 2], [2, 'rebucket', 2], [2, 'alg1', 1], [2, 'rebucket-higher', 2]]);
    expect(rows[1]!.accRebucket?.mean).toBe(0.2);
  });

  it('without an evaluator computes no accuracies', async () => {
    const rows = await capminVSweep({ ...input, compareToward: false });
    expect(rows.every((r) => r.accRebucket === undefined && r.accAlg1 === undefined && r.other === undefined)).toBe(true);
  });
});

describe('paddingComparison', () => {
  it('evaluates the other padding for k₀ and the selected φ', async () => {
    const b = base();
    const seen: [string, number | undefined][] = [];
    const r = await paddingComparison({ base: b, k0: 5, a: 6, pad: 'paper', mergeToward: 'lower', fClk: 1e9, accK0: acc(0.8), selected: { phi: 1, kV: 4, acc: acc(0.7) } }, async (which, pMap, phi) => {
      seen.push([which, phi]);
      if (which === 'capmin') expect(pMap).toEqual(expandKept(b.levels, b.matrix, 6, 'bound'));
      return acc(0.5);
    });
    expect(r.other).toBe('bound');
    expect(seen).toEqual([['capmin', undefined], ['capmin-v', 1]]);
    expect(r.rows.map((x) => [x.method, x.kV, x.acc.mean, x.accOther.mean])).toEqual([['CapMin', 5, 0.8, 0.5], ['CapMin-V', 4, 0.7, 0.5]]);
  });
});

describe('keptLevels', () => {
  it('maps the kept levels to the slowest currents under shifted mapping', () => {
    const f = [0, 1, 5, 9, 7, 2, 0];
    const k = keptLevels(f, 3, 'shifted');
    expect(k.levels).toEqual([2, 3, 4]);
    expect(k.currents).toEqual([1, 2, 3]);
    expect(keptLevels(f, 3, 'natural').currents).toEqual([2, 3, 4]);
  });
});
