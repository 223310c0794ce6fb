import { describe, expect, it } from 'vitest';
import { defaultCircuit } from '../../src/circuit/params.js';
import { capGrid, cycleOf, distinctOutcomes, mapLevels, nominalQsModel, predictCapacitor, qsTime, representable, sizeCapacitor, sweepRow, windowAt, type QsModel } from '../../src/sizing/sizing.js';
import { SpiceQueue } from '../../src/spice/runner.js';
import { BatchStore } from '../../src/montecarlo/store.js';

const p = defaultCircuit();

describe('sizing logic (pure)', () => {
  it('maps kept levels to currents: natural keeps them, shifted moves the lowest to the slowest spike (m = 1)', () => {
    expect(mapLevels([9, 10, 11], 'natural')).toEqual([9, 10, 11]);
    expect(mapLevels([11, 9, 10], 'shifted')).toEqual([1, 2, 3]);
    expect(mapLevels([9, 12], 'shifted')).toEqual([1, 4]);
    expect(mapLevels([0, 1, 2], 'shifted')).toEqual([0, 1, 2]);
  });

  it('representable: distinct registered cycles with a margin; one no-spike outcome allowed', () => {
    expect(representable([3, 4, 5], 1)).toBe(true);
    expect(representable([3, 4, 4], 1)).toBe(false);
    expect(representable([3, 5, 7], 2)).toBe(true);
    expect(representable([3, 5, 6], 2)).toBe(false);
    expect(representable([null, 3, 4], 1)).toBe(true);
    expect(representable([null, null, 4], 1)).toBe(false);
    expect(distinctOutcomes([null, 3, 3, 4])).toBe(3);
  });

  it('registered cycle = next rising 2 GHz edge; sweep row energy ½·C·V_th²', () => {
    expect(cycleOf(0.1e-9, 2e9)).toBe(1);
    expect(cycleOf(0.5e-9, 2e9)).toBe(2); // exactly on an edge: latched one edge later
    expect(cycleOf(Infinity, 2e9)).toBeNull();
    const row = sweepRow(10e-12, [Infinity, 3.2e-9, 1.1e-9, 1.2e-9], p);
    expect(row.energy).toBeCloseTo(0.5 * 10e-12 * 0.225 ** 2, 24);
    expect(row.tSpike).toEqual([null, 3.5e-9, 1.5e-9, 1.5e-9]);
    expect(row.distinct).toBe(3);
    expect(row.latency).toBe(3.5e-9);
    expect(capGrid(1e-12, 100e-12, 3)).toEqual([1e-12, 10e-12, 100e-12]);
  });

  it('predictCapacitor on an ideal 1/m model matches the closed form', () => {
    // t_m = C·K/m: neighbours m, m+1 differ by C·K/(m(m+1)); levels 1..3 need C·K/6 ≳ one 0.5 ns cycle
    const K = 1e4; // s/F
    const model: QsModel = { j: [Infinity, K, K / 2, K / 3], cPar: 0 };
    const c = predictCapacitor(model, [1, 2, 3], 1, { ...p, a: 3 })!;
    // above c, every point must separate the levels; just below, some grid point fails
    expect(c * K / 6).toBeGreaterThan(0.25e-9);
    expect(c * K / 6).toBeLessThan(1.0e-9);
    for (const f of [1, 1.1, 1.5, 3]) expect(representable([1, 2, 3].map((m) => cycleOf(qsTime(model, m, c * f, windowAt(model, c * f, { ...p, a: 3 })), 2e9)), 1)).toBe(true);
  });
});

describe('sizeCapacitor (real ngspice)', () => {
  it('levels 4..6 with 2 cycles margin: SPICE bisection agrees with the quasi-static prediction', async () => {
    const queue = new SpiceQueue(2);
    const store = new BatchStore(null);
    const model = await nominalQsModel(p, { queue, store });
    // the quasi-static model itself: J_m falls ~ 1/m (I_init ≈ 2.25 µA + 49 µA·m)
    expect(model.j[1]! / model.j[2]!).toBeGreaterThan(1.9);
    expect(model.j[1]! / model.j[2]!).toBeLessThan(2.1);
    const r = await sizeCapacitor({ circuit: p, levels: [4, 5, 6], mapping: 'natural', marginCycles: 2, queue, store, model });
    expect(r.predicted).not.toBeNull();
    expect(Math.abs(r.cMem - r.predicted!) / r.predicted!).toBeLessThan(0.02);
    const last = r.steps.filter((s) => s.engine === 'transient');
    expect(last.length).toBeGreaterThanOrEqual(2); // every step simulated
    const okStep = r.steps.find((s) => s.cMem === r.cMem)!;
    expect(okStep.ok).toBe(true);
    expect(representable(okStep.cycles, 2)).toBe(true);
    expect(r.cFail).not.toBeNull();
    expect(r.steps.find((s) => s.cMem === r.cFail)!.ok).toBe(false);
    expect((r.cMem - r.cFail!) / r.cMem).toBeLessThan(0.01);
    // closed-form sanity: neighbours 5/6 need ≳ 1.5 cycles → C·(J5 − J6) ≈ 0.75 .. 1.5 ns
    const dt = (r.cMem + model.cPar) * (model.j[5]! - model.j[6]!);
    expect(dt).toBeGreaterThan(0.5e-9);
    expect(dt).toBeLessThan(1.5e-9);
    // shifted mapping of the same three levels (currents 1..3) needs a smaller capacitor
    const s = await sizeCapacitor({ circuit: p, levels: [4, 5, 6], mapping: 'shifted', marginCycles: 2, queue, store, model, verify: 'quasistatic' });
    expect(s.currents).toEqual([1, 2, 3]);
    expect(s.cMem).toBeLessThan(r.cMem);
  });
});
