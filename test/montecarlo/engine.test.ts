/**
 * Monte-Carlo engines with real ngspice (small sample counts, few levels).
 */
import { describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultCircuit } from '../../src/circuit/params.js';
import { runMonteCarlo } from '../../src/montecarlo/engine.js';
import { clockCheck, compareEngines, fastPathAllowed } from '../../src/montecarlo/crosscheck.js';
import { SpiceQueue } from '../../src/spice/runner.js';
import { BatchStore, MAX_BATCH_TRIES } from '../../src/montecarlo/store.js';
import { defaultSigmas, zeroSigmas } from '../../src/montecarlo/variation.js';
import { pmapFromMonteCarlo } from '../../src/errormodel/frommc.js';
import { pmapCsv, pmapNpy } from '../../src/errormodel/pmapio.js';
import { tranBatchDeck } from '../../src/montecarlo/decks.js';
import { sampleArrayVariation } from '../../src/montecarlo/variation.js';
import { runNgspiceFile } from '../../src/spice/runner.js';
import { assertComplete, parseRaw, vector } from '../../src/spice/rawfile.js';

const p = { ...defaultCircuit(), cMem: 4e-12 };
const levels = [1, 8, 16, 32];

describe('fast-path rule', () => {
  it('rejects the quasi-static engine above 1 % cycle mismatch with at least 3 mismatching samples', () => {
    expect(fastPathAllowed(0, 330)).toBe(true);
    expect(fastPathAllowed(3, 330)).toBe(true); // 0.9 %
    expect(fastPathAllowed(4, 330)).toBe(false); // 1.2 %
    expect(fastPathAllowed(2, 40)).toBe(true); // 5 %, but two flips are noise
    expect(fastPathAllowed(3, 40)).toBe(false);
    expect(fastPathAllowed(0, 0)).toBe(true);
  });
});

describe('Monte-Carlo engines (real ngspice)', () => {
  it('zero variation: both engines give the identity P_map', async () => {
    for (const engine of ['quasistatic', 'transient'] as const) {
      const r = await runMonteCarlo({ circuit: p, sigmas: zeroSigmas(), seed: 1, samples: 2, levels, engine, workers: 2, progress: false });
      const pm = pmapFromMonteCarlo(r);
      expect(pm.matrix).toEqual(levels.map((_, i) => levels.map((_, j) => (i === j ? 1 : 0))));
      // every sample equals the nominal spike exactly
      r.byLevel.forEach((l, i) => expect([...l.tCross]).toEqual([r.nominal[i]!.tCross, r.nominal[i]!.tCross]));
    }
  });

  it('same seed, 1 vs 2 workers: identical P_map bytes; rows sum to 1; engines agree on the same samples', async () => {
    const base = { circuit: p, sigmas: defaultSigmas(), seed: 11, samples: 6, levels, progress: false as const };
    const q1 = await runMonteCarlo({ ...base, engine: 'quasistatic', workers: 1 });
    const q2 = await runMonteCarlo({ ...base, engine: 'quasistatic', workers: 2, cPar: q1.cPar! });
    const p1 = pmapFromMonteCarlo(q1, { timeBase: 'cross' });
    const p2 = pmapFromMonteCarlo(q2, { timeBase: 'cross' });
    expect(pmapCsv(p2)).toBe(pmapCsv(p1));
    expect(pmapNpy(p2, 32).equals(pmapNpy(p1, 32))).toBe(true);
    for (const row of p1.matrix) expect(row.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    // variation really moves the samples
    expect(new Set(q1.byLevel[0]!.tCross).size).toBe(6);
    // transient on the same samples: same spike times within 1 % (quasi-static is exact up to the parasitic)
    const t = await runMonteCarlo({ ...base, engine: 'transient', workers: 2, batchSize: 3, window: q1.window });
    const cmp = compareEngines(q1, t);
    for (const l of cmp.perLevel) expect(l.maxRel).toBeLessThan(0.01);
    expect(q1.cPar!).toBeGreaterThan(0);
    expect(q1.cPar!).toBeLessThan(50e-15);
  });

  it('the non-firing level (m = 0) with the relaxed step cap: same waveform within 5 µV, fewer steps; retry stays tight', async () => {
    const vars = [sampleArrayVariation(3, 0, 0, p.a, defaultSigmas())];
    const window = 100e-9;
    const run = async (tMax?: number) => {
      const deck = tranBatchDeck(p, 0, vars, defaultSigmas(), { window, tMax, rawPath: 'tran.raw' });
      const r = await runNgspiceFile(deck, 'tran.raw');
      const [pl] = assertComplete(parseRaw(r.data));
      return { deck, t: vector(pl!, 'time'), v: vector(pl!, 'v(ml)') };
    };
    const fine = await run();
    const relaxed = await run(5 * p.tStep);
    expect(relaxed.deck).toContain(`tran 1e-10 1e-7 0 5e-10`);
    expect(tranBatchDeck(p, 0, vars, defaultSigmas(), { window, tMax: 5e-10, tight: true })).not.toContain(' 0 5e-10');
    expect(relaxed.t.length).toBeLessThan(fine.t.length / 3);
    expect(relaxed.t[relaxed.t.length - 1]).toBeCloseTo(window, 15);
    const vEnd = fine.v[fine.v.length - 1]!;
    expect(vEnd).toBeGreaterThan(1e-3); // leakage really charges the line
    expect(vEnd).toBeLessThan(p.vth); // and does not fire
    expect(Math.abs(relaxed.v[relaxed.v.length - 1]! - vEnd)).toBeLessThan(5e-6);
  });

  it('batch cache keys follow the model card content, not its path', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'capmin-mc-key-'));
    try {
      const store = new BatchStore(join(dir, 'batches'));
      const base = { sigmas: defaultSigmas(), seed: 2, samples: 2, levels: [8], engine: 'transient' as const, workers: 1, progress: false as const, window: 100e-9, store };
      const r1 = await runMonteCarlo({ ...base, circuit: p });
      expect(r1.stats.cached).toBe(0);
      // the same card at another path: everything cached, same numbers
      const moved = join(dir, 'card copy.pm');
      writeFileSync(moved, readFileSync(p.modelCard));
      const r2 = await runMonteCarlo({ ...base, circuit: { ...p, modelCard: moved } });
      expect(r2.stats.simulated).toBe(0);
      expect([...r2.byLevel[0]!.tCross]).toEqual([...r1.byLevel[0]!.tCross]);
      // an edited card is simulated again
      writeFileSync(moved, readFileSync(p.modelCard, 'utf8') + '\n* edited\n');
      const r3 = await runMonteCarlo({ ...base, circuit: { ...p, modelCard: moved } });
      expect(r3.stats.simulated).toBeGreaterThan(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('post-processed clock registers the same cycle as the simulated XSPICE flip-flop', async () => {
    const cc = await clockCheck(p, [16, 32], new SpiceQueue(2));
    for (const c of cc) {
      expect(c.flipFlop).not.toBeNull();
      expect(c.postProcessed).toBe(c.flipFlop);
    }
  });

  it('a failing batch is retried, recorded with its log and its samples counted', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'capmin-mc-fail-'));
    try {
      const store = new BatchStore(dir);
      // 1 ms per batch cannot finish: first attempt and the tighter retry both time out
      const r = await runMonteCarlo({ circuit: p, sigmas: defaultSigmas(), seed: 1, samples: 4, levels: [8], engine: 'transient', batchSize: 2, workers: 2, window: 50e-9, timeoutMs: 1, store, progress: false }).catch((e: Error) => e);
      // the nominal batch failing is fatal and named; per-sample batches are not reached
      expect(r).toBeInstanceOf(Error);
      expect((r as Error).message).toMatch(/nominal .* failed/);
      const failedLogs = readdirSync(join(dir, 'failed'));
      expect(failedLogs.length).toBeGreaterThan(0);
      const log = readFileSync(join(dir, 'failed', failedLogs[0]!), 'utf8');
      expect(log).toMatch(/try 1 \(.*, default options\): timeout: /);
      expect(log).toMatch(/try 2 \(.*, tight options\): timeout: /);
      expect(log).toMatch(/last error: ngspice timeout/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('failed sample batches do not stop the run: counted per level, NaN samples, excluded from P_map', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'capmin-mc-fail2-'));
    try {
      const store = new BatchStore(dir);
      const base = { circuit: p, sigmas: defaultSigmas(), seed: 1, levels: [8], engine: 'transient' as const, window: 50e-9, store, progress: false as const };
      // nominal batches finish with the normal timeout and are cached ...
      await runMonteCarlo({ ...base, samples: 1 });
      // ... then sample batches of 2 with an impossible 1 ms limit fail twice each
      const r = await runMonteCarlo({ ...base, samples: 4, batchSize: 2, timeoutMs: 1 });
      expect(r.stats.failed).toBe(2);
      expect(r.stats.retried).toBe(2);
      expect(r.stats.failedSamples).toEqual({ 8: 4 });
      expect(r.byLevel[0]!.failed).toBe(4);
      expect([...r.byLevel[0]!.tCross].every(Number.isNaN)).toBe(true);
      expect(r.failures.map((f) => f.kind)).toEqual(['timeout', 'timeout']);
      for (const f of r.failures) expect(existsSync(join(dir, f.log!))).toBe(true);
      const pm = pmapFromMonteCarlo(r);
      expect(pm.emptyRows).toEqual([8]);
      for (const f of r.failures) {
        expect(f.tries).toBe(2);
        expect(f.failures.map((t) => [t.kind, t.options])).toEqual([['timeout', 'default'], ['timeout', 'tight']]);
        expect(f.final).toBe(false);
      }
      // a failure is not a result: a resumed run tries the batches again, a bounded number of times in all
      for (let inv = 2; inv * 2 <= MAX_BATCH_TRIES; inv++) {
        const again = await runMonteCarlo({ ...base, samples: 4, batchSize: 2, timeoutMs: 1 });
        expect(again.stats.retriedFailures).toBe(2);
        expect(again.stats.simulated).toBe(2);
        expect(again.stats.cached).toBe(again.stats.batches - 2); // the nominal batches
        expect(again.failures.map((f) => f.tries)).toEqual([2 * inv, 2 * inv]);
        expect(again.failures.every((f) => f.final === (2 * inv >= MAX_BATCH_TRIES))).toBe(true);
      }
      const exhausted = await runMonteCarlo({ ...base, samples: 4, batchSize: 2, timeoutMs: 1 });
      expect(exhausted.stats.simulated).toBe(0);
      expect(exhausted.stats.retriedFailures).toBe(0);
      expect(exhausted.stats.failed).toBe(2);
      expect(exhausted.failures.every((f) => f.final && f.tries === MAX_BATCH_TRIES)).toBe(true);
      // an exhausted record is retried only once it is removed (as the error message says); then the normal limit works
      for (const f of exhausted.failures) rmSync(join(dir, 'batches', `${f.hash}.json`));
      const fixed = await runMonteCarlo({ ...base, samples: 4, batchSize: 2 });
      expect(fixed.failures).toEqual([]);
      expect(fixed.byLevel[0]!.failed).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
