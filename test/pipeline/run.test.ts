/**
 * End-to-end pipeline on a tiny configuration: a random-weight VGG3 checkpoint written by the test, 3 k values,
 * 12 Monte-Carlo samples, 100 images, real ngspice and the real engine. Checks the outputs, that every emitted SVG
 * parses back, and that a second invocation reuses every cached stage.
 */
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { randomModel } from '../../src/bnn/random.js';
import { saveCheckpoint } from '../../src/bnn/checkpoint.js';
import { loadDataset } from '../../src/data/datasets.js';
import { defaultConfig, expandKept, runPipeline } from '../../src/pipeline/run.js';
import { decodeJson } from '../../src/pipeline/cache.js';
import { parseSvgSeries } from '../../src/plot/svg.js';
import type { RunResults } from '../../src/report/results.js';

const haveData = existsSync('/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz');

describe('expandKept', () => {
  it("pad 'bound': rows outside the kept range take the nearest bound's row", () => {
    const f = expandKept([1, 2], [[0.75, 0.25], [0.5, 0.5]], 3, 'bound');
    expect(f).toEqual([[0, 0.75, 0.25, 0], [0, 0.75, 0.25, 0], [0, 0.5, 0.5, 0], [0, 0.5, 0.5, 0]]);
  });
  it("pad 'paper': rows outside the kept range are one-hot on the nearest bound (Alg. 1 line 15)", () => {
    const f = expandKept([1, 2], [[0.75, 0.25], [0.5, 0.5]], 3, 'paper');
    expect(f).toEqual([[0, 1, 0, 0], [0, 0.75, 0.25, 0], [0, 0.5, 0.5, 0], [0, 0, 1, 0]]);
  });
});

describe.skipIf(!haveData)('capmin run (tiny)', () => {
  it('runs every stage, writes the report, and resumes from the cache', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'capmin-run-'));
    try {
      const ds = loadDataset('fashion', 'train', { limit: 8 });
      const ckpt = join(dir, 'random.safetensors');
      saveCheckpoint(ckpt, randomModel('vgg3', { seed: 5, calibration: { images: ds.images, n: 8 }, calibrate: 8 }), { metadata: { arch: 'vgg3' } });
      const cfg = defaultConfig(true);
      Object.assign(cfg, {
        ks: [33, 16, 8], phiFrom: 16, phis: [1, 2], model: ckpt, trainLimit: 60, testLimit: 60, runs: 2, alg1Runs: 1, compareToward: true, mcSamples: 12, crosscheckSamples: 2,
        chargingLevels: [16, 32], analyticLevels: [8, 32],
      });
      const out = join(dir, 'run');
      const r1 = await runPipeline(structuredClone(cfg), out);
      for (const f of ['report.html', 'results.json', 'manifest.json']) expect(existsSync(join(out, f)), f).toBe(true);
      const res = decodeJson(JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'))) as RunResults;
      expect(res.missing).toEqual([]);
      expect(res.perK.map((k) => k.k)).toEqual([33, 16, 8]);
      expect(res.fMac!.total.length).toBe(33);
      for (const k of res.perK) {
        expect(k.hi - k.lo + 1).toBe(k.k);
        expect(k.cMem).toBeGreaterThan(0);
        expect(k.accNoVar).toBeGreaterThanOrEqual(0);
        expect(k.accVar!.runs).toBe(2);
        k.pmapDiag!.forEach((d) => expect(d).toBeLessThanOrEqual(1));
        // the quasi-static P_map was spot-checked against transients of the same samples
        expect(k.crosscheck!.samples).toBe(2 * k.k);
        expect(k.crosscheck!.allowed).toBe(true);
        expect(k.mcEngine).toBe('quasistatic');
      }
      // fewer levels never need a larger capacitor
      expect(res.perK[0]!.cMem!).toBeGreaterThan(res.perK[2]!.cMem!);
      expect(res.capminV!.phis.map((p) => p.kV)).toEqual([15, 14]);
      // Alg. 1 as printed (toward the lower diagonal) is the default; the other direction is evaluated alongside
      expect(res.capminV!.mergeToward).toBe('lower');
      expect(res.capminV!.pad).toBe('paper');
      for (const p of res.capminV!.phis) {
        expect(p.other!.mergeToward).toBe('higher');
        expect(p.other!.survivors.length).toBe(p.kV);
        expect(p.other!.accRebucket!.runs).toBe(2);
      }
      // the other padding of clipped rows, once for k₀ and the selected φ, on the same runs
      expect(res.padding!.pad).toBe('paper');
      expect(res.padding!.other).toBe('bound');
      expect(res.padding!.rows.map((x) => x.method)).toEqual(['CapMin', 'CapMin-V']);
      expect(res.padding!.rows[0]!.acc).toEqual(res.perK.find((k) => k.k === 16)!.accVar);
      for (const x of res.padding!.rows) expect(x.accOther.runs).toBe(2);
      expect(res.selections.map((s) => s.method)).toContain('baseline');
      // every figure parses back
      const figs = readdirSync(join(out, 'figures'));
      expect(figs.length).toBeGreaterThanOrEqual(7);
      for (const f of figs) {
        const p = parseSvgSeries(readFileSync(join(out, 'figures', f), 'utf8'));
        expect(p.series.length, f).toBeGreaterThan(0);
      }
      const acc = parseSvgSeries(readFileSync(join(out, 'figures', 'fig8-accuracy.svg'), 'utf8'));
      expect(acc.series.map((s) => s.pathPoints)).toEqual([3, 3, 2, 2, 2]);
      const m = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8'));
      expect(m.status).toBe('complete');
      expect(m.cache.misses).toBeGreaterThan(0);
      // second invocation: everything cached, same numbers
      const r2 = await runPipeline(structuredClone(cfg), out);
      const m2 = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8'));
      expect(m2.cache.misses).toBe(0);
      expect(r2.results.perK).toEqual(r1.results.perK);
      expect(r2.wallSeconds).toBeLessThan(r1.wallSeconds);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 170_000);
});
