import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { capEnergy, eq5SpikeTime } from '../../src/analytic/equations.js';
import { capEnergy as costCapEnergy } from '../../src/capmin/cost.js';
import { fitParasitic, inverseCurrentIntegral, noSpikeWindow, QS_POINTS, qsCrossTime, quasiStaticTime } from '../../src/analytic/quasistatic.js';

const VTH = 0.225;
const grid = (n: number, vmax: number): Float64Array => Float64Array.from({ length: n }, (_, i) => (vmax * i) / (n - 1));

/**
 * Independent slow implementation of the same rule: for each interval, the degree-5 interpolant of 1/I through the
 * same 6 points, built as a monomial polynomial by solving the Vandermonde system (Gaussian elimination, shifted to
 * the interval's left end for conditioning) and integrated with its exact antiderivative.
 */
function slowRule(v: ArrayLike<number>, i: ArrayLike<number>, vth: number): number {
  let last = 0;
  while (last + 1 < v.length && v[last]! < vth) last++;
  const used = v.length; // test currents are all > 0
  const q = Math.min(6, used);
  let acc = 0;
  for (let k = 0; k < last; k++) {
    const a = v[k]!;
    const b = Math.min(v[k + 1]!, vth);
    const lo = Math.max(0, Math.min(k - Math.floor((q - 2) / 2), used - q));
    const rows = Array.from({ length: q }, (_, r) => {
      const x = v[lo + r]! - a;
      return [...Array.from({ length: q }, (_, e) => x ** e), 1 / i[lo + r]!];
    });
    for (let c = 0; c < q; c++) {
      let piv = c;
      for (let r = c + 1; r < q; r++) if (Math.abs(rows[r]![c]!) > Math.abs(rows[piv]![c]!)) piv = r;
      [rows[c], rows[piv]] = [rows[piv]!, rows[c]!];
      for (let r = 0; r < q; r++) {
        if (r === c) continue;
        const f = rows[r]![c]! / rows[c]![c]!;
        for (let e = c; e <= q; e++) rows[r]![e]! -= f * rows[c]![e]!;
      }
    }
    const coef = rows.map((row, c) => row[q]! / row[c]!);
    const h = b - a;
    acc += coef.reduce((s, cf, e) => s + (cf * h ** (e + 1)) / (e + 1), 0);
  }
  return acc;
}

describe('quasi-static integral J = ∫₀^Vth dV / I(V) (one rule for validate, Monte-Carlo and sizing)', () => {
  it('constant current gives V_th / I exactly, on uniform, non-uniform and overshooting grids', () => {
    expect(inverseCurrentIntegral(grid(QS_POINTS, VTH), new Float64Array(QS_POINTS).fill(2e-6), VTH)).toBeCloseTo(VTH / 2e-6, 7);
    const vv = Float64Array.from([0, 0.013, 0.05, 0.12, 0.2, 0.21, 0.25, 0.3]);
    expect(Math.abs(inverseCurrentIntegral(vv, new Float64Array(vv.length).fill(1e-4), VTH) / (VTH / 1e-4) - 1)).toBeLessThan(1e-14);
    expect(quasiStaticTime(10e-12, grid(7, 0.3), new Float64Array(7).fill(1e-4), VTH, 1e-12)).toBeCloseTo((11e-12 * VTH) / 1e-4, 22);
  });

  it('is exact for 1/I(V) a polynomial of degree ≤ 5 (any grid of ≥ 6 points, V_th anywhere)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: -1, max: 1, noNaN: true }), { minLength: 6, maxLength: 6 }),
        fc.array(fc.double({ min: 0.05, max: 1, noNaN: true }), { minLength: 5, maxLength: 30 }),
        fc.double({ min: 0.05, max: 1, noNaN: true }),
        (c, steps, frac) => {
          const v = [0];
          for (const s of steps) v.push(v[v.length - 1]! + s);
          const vth = v[v.length - 1]! * frac;
          // 1/I = 10 + Σ c_e (V/vmax)^e stays ≥ 4 > 0
          const vmax = v[v.length - 1]!;
          const g = (x: number): number => 10 + c.reduce((s, ce, e) => s + ce * (x / vmax) ** e, 0);
          const exact = 10 * vth + c.reduce((s, ce, e) => s + (ce * vmax * (vth / vmax) ** (e + 1)) / (e + 1), 0);
          const got = inverseCurrentIntegral(
            v,
            v.map((x) => 1 / g(x)),
            vth,
          );
          return Math.abs(got / exact - 1) < 1e-11;
        },
      ),
      { numRuns: 300 },
    );
  });

  it('agrees with an independent slow implementation (Vandermonde interpolant, exact antiderivative)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: 0.02, max: 1, noNaN: true }), { minLength: 1, maxLength: 25 }),
        fc.array(fc.double({ min: 1e-6, max: 2e-3, noNaN: true }), { minLength: 26, maxLength: 26 }),
        fc.double({ min: 0.01, max: 1, noNaN: true }),
        (steps, cur, frac) => {
          const v = [0];
          for (const s of steps) v.push(v[v.length - 1]! + s);
          const i = cur.slice(0, v.length);
          const vth = v[v.length - 1]! * frac;
          const a = inverseCurrentIntegral(v, i, vth);
          const b = slowRule(v, i, vth);
          return Math.abs(a - b) <= 1e-8 * Math.max(Math.abs(b), vth / Math.min(...i));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('a resistor (linear I, paper Eq. 5) converges to −(C·V0/I0)·ln(1 − V_th/V0) at order h⁶', () => {
    const v0 = 0.8;
    const r = 6000;
    const c = 10e-12;
    const eq5 = eq5SpikeTime(c, v0, VTH, v0 / r)!;
    const err = (n: number): number => {
      const v = grid(n, VTH);
      return Math.abs(
        quasiStaticTime(
          c,
          v,
          v.map((x) => (v0 - x) / r),
          VTH,
        )! /
          eq5 -
          1,
      );
    };
    expect(err(QS_POINTS)).toBeLessThan(1e-8);
    // halving h divides the error by ≈ 2⁶ = 64
    const ratio = err(10) / err(19);
    expect(ratio).toBeGreaterThan(40);
    expect(ratio).toBeLessThan(100);
  });

  it('a source-follower-like I(V) = I0·e^{−V/a} (falls 3.8× by V_th) is within 1e-6 on the QS_POINTS grid', () => {
    // ∫₀^Vth e^{V/a}/I0 dV = a·(e^{Vth/a} − 1)/I0
    const i0 = 5e-5;
    const a = 0.168;
    const v = grid(QS_POINTS, VTH);
    const exact = (a * (Math.exp(VTH / a) - 1)) / i0;
    expect(
      Math.abs(
        inverseCurrentIntegral(
          v,
          v.map((x) => i0 * Math.exp(-x / a)),
          VTH,
        ) /
          exact -
          1,
      ),
    ).toBeLessThan(1e-6);
    // the piecewise-linear log form on the same 19 points would be ~1e-3 off: the rule is what allows so few points
    let logForm = 0;
    for (let k = 0; k + 1 < v.length; k++) {
      const ia = i0 * Math.exp(-v[k]! / a);
      const ib = i0 * Math.exp(-v[k + 1]! / a);
      logForm += ((v[k + 1]! - v[k]!) * Math.log(ib / ia)) / (ib - ia);
    }
    expect(Math.abs(logForm / exact - 1)).toBeGreaterThan(1e-4);
  });

  it('stops at V_th inside the grid and ignores currents beyond it', () => {
    const v = grid(31, 0.3);
    const i = v.map((x) => 1e-4 * (1 - x));
    const j = inverseCurrentIntegral(v, i, VTH);
    expect(Math.abs(j / (-Math.log(1 - VTH) / 1e-4) - 1)).toBeLessThan(1e-9);
    // beyond V_th the current may even vanish: the stencils stop before a non-positive point
    const i2 = Float64Array.from(i, (x, k) => (v[k]! > 0.25 ? -1 : x));
    expect(Math.abs(inverseCurrentIntegral(v, i2, 0.2) / inverseCurrentIntegral(v, i, 0.2) - 1)).toBeLessThan(1e-9);
  });

  it('no spike when the current is ≤ 0 before V_th; bad grids are refused', () => {
    const v = grid(5, 0.3);
    expect(inverseCurrentIntegral(v, Float64Array.from([1, 1, 0, 1, 1]), VTH)).toBe(Infinity);
    expect(quasiStaticTime(1, v, Float64Array.from([1, 1, -1, 1, 1]), VTH)).toBeNull();
    expect(() => inverseCurrentIntegral(grid(5, 0.2), new Float64Array(5).fill(1), VTH)).toThrow(/below V_th/);
    expect(() => inverseCurrentIntegral(Float64Array.from([0.01, 0.3]), Float64Array.from([1, 1]), VTH)).toThrow(/start at 0/);
    expect(() => inverseCurrentIntegral(Float64Array.from([0, 0.2, 0.1, 0.3]), new Float64Array(4).fill(1), VTH)).toThrow(/ascending/);
    expect(() => inverseCurrentIntegral(v, new Float64Array(4).fill(1), VTH)).toThrow(/matching/);
  });

  it('crossing time (C + C_par)·J, Infinity beyond the window', () => {
    expect(qsCrossTime(1000, 10e-12, 1e-14, 1)).toBeCloseTo(1.001e-8, 22);
    expect(qsCrossTime(1e4, 10e-12, 0, 50e-9)).toBe(Infinity);
    expect(qsCrossTime(Infinity, 10e-12, 0)).toBe(Infinity);
  });

  it('C_par fit: recovers a synthetic parasitic, skips non-finite pairs', () => {
    const j = [8000, 1000, 300, Infinity];
    const cPar = 6e-15;
    const t = j.map((x) => (10e-12 + cPar) * x);
    expect(fitParasitic(10e-12, j, t)).toBeCloseTo(cPar, 22);
    expect(fitParasitic(10e-12, [8000, 1000], [(10e-12 + cPar) * 8000, Infinity])).toBeCloseTo(cPar, 22);
    expect(fitParasitic(10e-12, [Infinity], [1])).toBe(0);
    expect(() => fitParasitic(10e-12, [1, 2], [1])).toThrow(/2 integrals but 1/);
    // least squares: noise of zero mean around the model leaves the fit close
    const noisy = j.slice(0, 3).map((x, k) => (10e-12 + cPar) * x * (1 + [1e-4, -1e-4, 0][k]!));
    expect(Math.abs(fitParasitic(10e-12, j.slice(0, 3), noisy) - cPar)).toBeLessThan(2e-15);
  });

  it('no-spike window max(tStop, 3·C·J_1)', () => {
    expect(noSpikeWindow(200e-9, 1e-12, 8300)).toBe(200e-9);
    expect(noSpikeWindow(200e-9, 12.27e-12, 8300)).toBeCloseTo(3 * 12.27e-12 * 8300, 20);
    expect(noSpikeWindow(200e-9, 12.27e-12, Infinity)).toBe(200e-9);
  });

  it('capacitor energy ½·C·V_th² (one definition, re-exported by the cost model)', () => {
    expect(capEnergy(9.6e-12, 0.225)).toBeCloseTo(0.5 * 9.6e-12 * 0.050625, 25);
    expect(costCapEnergy).toBe(capEnergy);
    expect(() => capEnergy(-1, 0.2)).toThrow();
  });
});
