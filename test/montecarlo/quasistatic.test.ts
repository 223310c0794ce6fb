import { describe, expect, it } from 'vitest';
import { inverseCurrentIntegral, QS_POINTS, QS_RULE } from '../../src/analytic/quasistatic.js';
import { validateCircuit } from '../../src/circuit/params.js';
import { zeroVariation } from '../../src/circuit/variation.js';
import { levelStates, qsDeck, QS_POINTS as DECK_POINTS } from '../../src/montecarlo/decks.js';
import { dieCurrentsFromPlot, levelIntegrals, patternCurrent, type DieCurrents } from '../../src/montecarlo/quasistatic.js';
import { defaultSigmas, levelKey, sampleArrayVariation } from '../../src/montecarlo/variation.js';
import { assertComplete, parseRaw } from '../../src/spice/rawfile.js';
import { SpiceQueue } from '../../src/spice/runner.js';
import { spiceNumber } from '../../src/util/units.js';

/** Independent reference rule: piecewise-linear I(V), integrated exactly per segment (h·ln(I_b/I_a)/(I_b − I_a)). */
function logForm(v: ArrayLike<number>, i: ArrayLike<number>, vth: number): number {
  let acc = 0;
  for (let k = 0; k + 1 < v.length && v[k]! < vth; k++) {
    const h = Math.min(v[k + 1]!, vth) - v[k]!;
    const ib = v[k + 1]! > vth ? i[k]! + ((i[k + 1]! - i[k]!) * (vth - v[k]!)) / (v[k + 1]! - v[k]!) : i[k + 1]!;
    acc += Math.abs(ib - i[k]!) < 1e-12 * i[k]! ? (2 * h) / (i[k]! + ib) : (h * Math.log(ib / i[k]!)) / (ib - i[k]!);
  }
  return acc;
}

describe('Monte-Carlo quasi-static integrals use the analytic rule', () => {
  it('levelIntegrals = the analytic integral of the summed pattern current, for every level', () => {
    const a = 4;
    const v = Float64Array.from({ length: QS_POINTS }, (_, k) => (0.225 * k) / (QS_POINTS - 1));
    // cell c in state s: a made-up smooth I(V) per (c, s)
    const cur = Array.from({ length: a }, (_, c) =>
      Array.from({ length: 4 }, (_, s) => v.map((x) => (1 + c + 3 * s) * 1e-6 * Math.exp(-x / (0.1 + 0.01 * s)))),
    );
    const dc: DieCurrents = { v, cur };
    const j = levelIntegrals(dc, a, 0.225);
    expect(j).toHaveLength(a + 1);
    for (let m = 0; m <= a; m++) {
      const states = levelStates(a, m);
      const sum = v.map((_, k) => states.reduce((acc, s, c) => acc + cur[c]![s]![k]!, 0));
      expect(j[m]).toBe(inverseCurrentIntegral(v, sum, 0.225));
      expect(patternCurrent(dc, states)).toEqual(sum);
    }
  });

  it('the deck sweeps QS_POINTS points and names the rule (cached integrals are keyed by the deck text)', () => {
    const p = validateCircuit({});
    const deck = qsDeck(p, [zeroVariation(p.a)]);
    expect(DECK_POINTS).toBe(QS_POINTS);
    expect(deck.split('\n')[0]).toContain(`J rule ${QS_RULE}`);
    expect(deck.split('\n')).toContain(`.dc vml 0 ${spiceNumber(p.vth)} ${spiceNumber(p.vth / (QS_POINTS - 1))}`);
  });

  it(`real ngspice: J on the ${QS_POINTS}-point sweep is within 1e-5 of 181-point references for levels 1..32 of a varied die`, async () => {
    const p = validateCircuit({});
    const q = new SpiceQueue(2);
    const die = sampleArrayVariation(1, levelKey(0, 'die'), 3, p.a, defaultSigmas());
    const sweep = async (points: number): Promise<DieCurrents> => {
      const r = await q.runFile(qsDeck(p, [die], { points, rawPath: 'qs.raw' }), 'qs.raw');
      return dieCurrentsFromPlot(assertComplete(parseRaw(r.data), 'qs')[0]!, p.a, 1)[0]!;
    };
    const [coarse, fine] = await Promise.all([sweep(QS_POINTS), sweep(181)]);
    expect(coarse.v).toHaveLength(QS_POINTS);
    expect(coarse.v[QS_POINTS - 1]).toBeGreaterThanOrEqual(p.vth * (1 - 1e-9));
    const j = levelIntegrals(coarse, p.a, p.vth);
    const jFine = levelIntegrals(fine, p.a, p.vth);
    for (let m = 1; m <= p.a; m++) {
      const ref = logForm(fine.v, patternCurrent(fine, levelStates(p.a, m)), p.vth);
      // the 181-point log form itself is within ~5e-6 (h² error); the rule on QS_POINTS points within ~2e-6
      expect(Math.abs(j[m]! / ref - 1)).toBeLessThan(1e-5);
      expect(Math.abs(j[m]! / jFine[m]! - 1)).toBeLessThan(5e-6);
    }
    // level 0 is leakage only: I falls ~4000× by V_th (subthreshold), the hardest integrand; the log form's own error
    // on 181 points is ~2e-4 there, the rule's on 181 points far below
    expect(Math.abs(j[0]! / jFine[0]! - 1)).toBeLessThan(2e-4);
    expect(Math.abs(j[0]! / logForm(fine.v, patternCurrent(fine, levelStates(p.a, 0)), p.vth) - 1)).toBeLessThan(5e-4);
  }, 60_000);
});
