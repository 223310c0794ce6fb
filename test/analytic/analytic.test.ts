import { describe, expect, it } from 'vitest';
import { effectiveV0, eq2Voltage, eq3Voltage, eq5SpikeTime, fitReqV0 } from '../../src/analytic/equations.js';
import { quasiStaticTime } from '../../src/analytic/quasistatic.js';
import { extractIinit, sweepIV } from '../../src/spikes/extract.js';
import { validateLevels } from '../../src/analytic/validate.js';
import { validateCircuit } from '../../src/circuit/params.js';
import { SpiceQueue } from '../../src/spice/runner.js';

describe('paper Eq. 2 / 3 / 5', () => {
  it('Eq. 5 closed form (hand-computed) and consistency with Eq. 3', () => {
    // C = 10 pF, V0 = 0.8 V, Vth = 0.225 V, I = 100 µA: t = 80 ns · (−ln 0.71875) = 26.4195 ns
    const t = eq5SpikeTime(10e-12, 0.8, 0.225, 100e-6)!;
    expect(t).toBeCloseTo(8e-8 * -Math.log(0.71875), 20);
    expect(t * 1e9).toBeCloseTo(26.4195, 3);
    expect(eq3Voltage(t, 10e-12, 0.8, 100e-6)).toBeCloseTo(0.225, 12);
    expect(eq2Voltage(t, 0.8, (10e-12 * 0.8) / 100e-6)).toBeCloseTo(0.225, 12);
    expect(eq2Voltage(1e-9, 1, 1e-9)).toBeCloseTo(1 - Math.exp(-1), 14);
    // spike time ∝ 1 / I
    expect(eq5SpikeTime(10e-12, 0.8, 0.225, 200e-6)! * 2).toBeCloseTo(t, 20);
    expect(eq5SpikeTime(10e-12, 0.8, 0.9, 1e-4)).toBeNull();
    expect(eq5SpikeTime(10e-12, 0.8, 0.2, 0)).toBeNull();
  });

  it('quasi-static integral: constant current and resistor reproduce the closed forms', () => {
    const n = 226;
    const v = Float64Array.from({ length: n }, (_, i) => (i * 0.225) / (n - 1));
    expect(quasiStaticTime(10e-12, v, new Float64Array(n).fill(1e-4), 0.225)).toBeCloseTo((10e-12 * 0.225) / 1e-4, 20);
    const R = 5e3;
    const iR = v.map((x) => (0.8 - x) / R);
    const tq = quasiStaticTime(10e-12, v, iR, 0.225)!;
    const t5 = eq5SpikeTime(10e-12, 0.8, 0.225, 0.8 / R)!;
    expect(Math.abs(tq / t5 - 1)).toBeLessThan(1e-9);
    // V_th between grid points, non-uniform grid, parasitic capacitance
    const vv = Float64Array.from([0, 0.05, 0.12, 0.2, 0.25]);
    const tq2 = quasiStaticTime(10e-12, vv, vv.map((x) => (0.8 - x) / R), 0.225, 1e-12)!;
    expect(Math.abs(tq2 / (eq5SpikeTime(11e-12, 0.8, 0.225, 0.8 / R)!) - 1)).toBeLessThan(5e-3); // coarse grid
    expect(tq2 / quasiStaticTime(10e-12, vv, vv.map((x) => (0.8 - x) / R), 0.225)!).toBeCloseTo(1.1, 12);
    expect(quasiStaticTime(1, v, v.map((x) => 1e-4 - x * 1e-3), 0.225)).toBeNull();
  });

  it('effective V0 and the Eq. 2 fit recover a synthetic RC', () => {
    const t5 = eq5SpikeTime(10e-12, 0.3, 0.225, 50e-6)!;
    expect(effectiveV0(t5, 10e-12, 0.225, 50e-6)).toBeCloseTo(0.3, 10);
    expect(effectiveV0((10e-12 * 0.225) / 50e-6, 10e-12, 0.225, 50e-6)).toBeNull();
    const t = Float64Array.from({ length: 200 }, (_, i) => i * 1e-10);
    const v = t.map((x) => eq2Voltage(x, 0.31, 6e3 * 10e-12));
    const fit = fitReqV0(t, v, 10e-12);
    expect(fit.req).toBeCloseTo(6e3, 3);
    expect(fit.v0).toBeCloseTo(0.31, 8);
    expect(fit.rms).toBeLessThan(1e-9);
  });
});

describe('analytic check against ngspice', () => {
  const p = validateCircuit({ tStop: '30n' });
  it('op I_init equals the DC sweep at 0 V; quasi-static matches the transient; Eq. 5 is 35-38% short', async () => {
    const q = new SpiceQueue();
    const [i0, iv] = await Promise.all([extractIinit(p, 16, q), sweepIV(p, 16, q)]);
    expect(iv.v[0]).toBe(0);
    expect(iv.v[iv.v.length - 1]).toBeCloseTo(0.225, 9);
    expect(Math.abs(iv.i[0]! / i0 - 1)).toBeLessThan(1e-6);
    // the source-follower branches: the current falls several-fold by V_th
    expect(iv.i[0]! / iv.i[iv.i.length - 1]!).toBeGreaterThan(2.5);
    const res = await validateLevels(p, [8, 16, 32], q, { progress: false });
    for (const r of res.rows) {
      expect(Math.abs(r.qsRelErr!)).toBeLessThan(0.003);
      expect(Math.abs(r.qsParRelErr!)).toBeLessThan(0.001);
      expect(r.relErr!).toBeLessThan(-0.34);
      expect(r.relErr!).toBeGreaterThan(-0.39);
      expect(r.vEff!).toBeGreaterThan(0.28);
      expect(r.vEff!).toBeLessThan(0.32);
      expect(r.rEq! * r.iInit).toBeCloseTo(r.vEff!, 12);
    }
    expect(res.cPar).toBeGreaterThan(0);
    expect(res.cPar).toBeLessThan(20e-15);
  });
});
