// The validated Monte-Carlo decision with an injected engine: the quasi-static result stands where the transient spot
// check agrees, and is replaced by a full transient run where the registered cycles disagree above the bound.
import { describe, expect, it } from 'vitest';
import { defaultCircuit } from '../../src/circuit/params.js';
import type { McOptions, McResult } from '../../src/montecarlo/engine.js';
import { QS_MISMATCH_BOUND } from '../../src/montecarlo/crosscheck.js';
import { zeroSigmas } from '../../src/montecarlo/variation.js';
import { spotCheckFigures, validatedMonteCarlo } from '../../src/montecarlo/validated.js';

const F_CLK = 2e9;
const LEVELS = [4, 8, 16, 32];
const SAMPLES = 50;
const WINDOW = 3e-6;

/** Reference spike time of (level, sample): distinct clock cycles per level, a deterministic per-sample jitter. */
const tRef = (level: number, s: number): number => (200 - 4 * level + (s % 3)) / F_CLK + 0.1e-9;

/**
 * A fake engine: transient = the reference; quasi-static = the reference with `shift(level, s)` clock cycles added.
 * It records every call, so the test sees which runs the policy made.
 */
function fakeEngine(shift: (level: number, s: number) => number) {
  const calls: McOptions[] = [];
  const run = async (o: McOptions): Promise<McResult> => {
    calls.push(o);
    const qs = o.engine === 'quasistatic';
    const byLevel = o.levels.map((level) => {
      const tCross = Float64Array.from({ length: o.samples }, (_, s) => tRef(level, s) + (qs ? shift(level, s) / F_CLK : 0));
      const tSpike = tCross.map((t) => Math.ceil(t * F_CLK) / F_CLK);
      return { level, tCross, tSpike, failed: 0 };
    });
    const nominal = o.levels.map((level) => ({ level, tCross: tRef(level, 0), tSpike: Math.ceil(tRef(level, 0) * F_CLK) / F_CLK, clockCycle: Math.ceil(tRef(level, 0) * F_CLK) }));
    return { engine: o.engine, levels: o.levels, samples: o.samples, window: o.window ?? WINDOW, cPar: qs ? (o.cPar ?? 1e-15) : null, nominal, byLevel, stats: {} as McResult['stats'], failures: [] };
  };
  return { run, calls };
}

const base = { circuit: defaultCircuit(), sigmas: zeroSigmas(), seed: 7, samples: SAMPLES, levels: LEVELS, engine: 'quasistatic' as const, cPar: 2e-15, progress: false as const };

describe('validatedMonteCarlo', () => {
  it('keeps the quasi-static result when the spot check agrees (same dies, the quasi-static window, no C_par)', async () => {
    const e = fakeEngine(() => 0);
    const v = await validatedMonteCarlo({ ...base, spotCheck: 10, run: e.run });
    expect(v.fellBack).toBe(false);
    expect(v.mc.engine).toBe('quasistatic');
    expect(v.spot).toMatchObject({ samples: 10 * LEVELS.length, mismatches: 0, allowed: true, bound: QS_MISMATCH_BOUND });
    expect(e.calls.map((c) => [c.engine, c.samples])).toEqual([['quasistatic', SAMPLES], ['transient', 10]]);
    expect(e.calls[1]!.seed).toBe(7);
    expect(e.calls[1]!.levels).toEqual(LEVELS);
    expect(e.calls[1]!.window).toBe(WINDOW);
    expect(e.calls[1]!.cPar).toBeUndefined();
  });

  it('falls back to a full transient run when the registered cycles are shifted', async () => {
    // every quasi-static sample one cycle late: 40 of 40 spot-checked level-samples disagree
    const e = fakeEngine(() => 1);
    const v = await validatedMonteCarlo({ ...base, spotCheck: 10, run: e.run });
    expect(v.fellBack).toBe(true);
    expect(v.spot).toMatchObject({ samples: 40, mismatches: 40, cycleMismatch: 1, allowed: false });
    expect(v.spot!.maxAbsDt).toBeCloseTo(1 / F_CLK, 15);
    expect(v.mc.engine).toBe('transient');
    expect(v.mc.samples).toBe(SAMPLES);
    expect(e.calls.map((c) => [c.engine, c.samples])).toEqual([['quasistatic', SAMPLES], ['transient', 10], ['transient', SAMPLES]]);
    expect(e.calls[2]!.window).toBe(WINDOW);
  });

  it('applies the rule exactly: > 1 % AND at least 3 mismatches', async () => {
    // 100 level-samples (25 per level × 4): 2 mismatches = 2 % but fewer than 3 → allowed; 3 → rejected
    const two = fakeEngine((level, s) => (level === 8 && s < 2 ? 1 : 0));
    const v2 = await validatedMonteCarlo({ ...base, spotCheck: 25, run: two.run });
    expect(v2.spot).toMatchObject({ samples: 100, mismatches: 2, allowed: true });
    expect(v2.fellBack).toBe(false);
    const three = fakeEngine((level, s) => (level === 8 && s < 3 ? 1 : 0));
    const v3 = await validatedMonteCarlo({ ...base, spotCheck: 25, run: three.run });
    expect(v3.spot).toMatchObject({ samples: 100, mismatches: 3, allowed: false });
    expect(v3.fellBack).toBe(true);
    // 3 of 400 (0.75 %) is within the bound
    const few = fakeEngine((level, s) => (level === 8 && s < 3 ? 1 : 0));
    const v4 = await validatedMonteCarlo({ ...base, samples: 100, spotCheck: 100, run: few.run });
    expect(v4.spot).toMatchObject({ samples: 400, mismatches: 3, allowed: true });
  });

  it('caps the spot check at the sample count, skips it with 0 and for the transient engine', async () => {
    const capped = fakeEngine(() => 0);
    await validatedMonteCarlo({ ...base, spotCheck: 1000, run: capped.run });
    expect(capped.calls[1]!.samples).toBe(SAMPLES);
    const none = fakeEngine(() => 1);
    const v0 = await validatedMonteCarlo({ ...base, spotCheck: 0, run: none.run });
    expect(v0.fellBack).toBe(false);
    expect(v0.spot).toBeUndefined();
    expect(v0.mc.engine).toBe('quasistatic');
    expect(none.calls).toHaveLength(1);
    const tr = fakeEngine(() => 1);
    const vt = await validatedMonteCarlo({ ...base, engine: 'transient', spotCheck: 10, run: tr.run });
    expect(vt.spot).toBeUndefined();
    expect(tr.calls.map((c) => c.engine)).toEqual(['transient']);
  });

  it('spotCheckFigures counts a spike / no-spike difference as a mismatch', async () => {
    const e = fakeEngine(() => 0);
    const qs = await e.run({ ...base });
    const tr = await e.run({ ...base, engine: 'transient', samples: 5 });
    qs.byLevel[0]!.tCross[0] = Infinity;
    qs.byLevel[0]!.tSpike[0] = Infinity;
    expect(spotCheckFigures(qs, tr)).toMatchObject({ samples: 20, mismatches: 1 });
  });
});
