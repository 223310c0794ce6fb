// The validated P_map stage of `capmin pmap` with real ngspice: the quasi-static P_map is spot-checked against
// transients on the same dies, the figures land in the manifest, and the quasi-static matrix equals the one of an
// unchecked run (the check only decides, it does not change a kept result).
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultCircuit } from '../../src/circuit/params.js';
import { pmapRun, pmapRunInputs } from '../../src/errormodel/validated.js';
import { defaultSigmas } from '../../src/montecarlo/variation.js';
import { SpiceQueue } from '../../src/spice/runner.js';

const work = mkdtempSync(join(tmpdir(), 'capmin-validated-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const opts = {
  resume: false,
  circuit: { ...defaultCircuit(), cMem: 2e-12 },
  sigmas: defaultSigmas(),
  seed: 3,
  samples: 4,
  levels: [8, 16],
  engine: 'quasistatic' as const,
  correlation: 'die' as const,
  batchSize: 25,
  timeBase: 'spike' as const,
  makeQueue: () => new SpiceQueue(2),
  progress: false as const,
};

describe('pmapRun (validated P_map)', () => {
  it('records the spot check in the manifest and keeps an agreeing quasi-static P_map', async () => {
    const checked = await pmapRun({ ...opts, out: join(work, 'checked'), spotCheck: 2 });
    expect(checked.spot).toBeDefined();
    // 2 samples × 2 levels compared on the same dies
    expect(checked.spot!.samples).toBe(4);
    expect(checked.spot!.allowed).toBe(checked.spot!.mismatches < 3);
    expect(checked.mc.engine).toBe(checked.fellBack ? 'transient' : 'quasistatic');
    const m = JSON.parse(readFileSync(join(checked.dir, 'manifest.json'), 'utf8')) as Record<string, unknown>;
    expect(m.spotCheck).toMatchObject({ samplesPerLevel: 2, samples: 4, mismatches: checked.spot!.mismatches, fellBack: checked.fellBack });
    expect(m.engineUsed).toBe(checked.mc.engine);
    expect((m.notes as string[]).some((n) => n.startsWith('spot check: first 2 samples per level'))).toBe(true);
    expect(m.status).toBe('complete');

    const unchecked = await pmapRun({ ...opts, out: join(work, 'unchecked'), spotCheck: 0 });
    expect(unchecked.spot).toBeUndefined();
    expect(unchecked.mc.engine).toBe('quasistatic');
    const mu = JSON.parse(readFileSync(join(unchecked.dir, 'manifest.json'), 'utf8')) as Record<string, unknown>;
    expect(mu.spotCheck).toBeUndefined();
    expect((mu.notes as string[]).some((n) => n.includes('--spot-check 0'))).toBe(true);
    if (!checked.fellBack) expect(checked.pmap.matrix).toEqual(unchecked.pmap.matrix);
  }, 120_000);

  it('hashes the spot-check size into a quasi-static run (a resume must match), not into a transient one', () => {
    const base = { ...opts, spotCheck: 2 };
    expect(pmapRunInputs(base).spotCheck).toBe(2);
    expect('spotCheck' in pmapRunInputs({ ...base, engine: 'transient' })).toBe(false);
  });
});
