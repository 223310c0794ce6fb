/**
 * Reproducer with real ngspice: `capmin pmap --cap 12.27p --samples 200 --seed 1 --engine quasistatic
 * --levels 12,13,15,16`. Levels 12, 13, 15, 16 register on cycles 18, 16, 14, 13 at 2 GHz, so samples on cycles 17
 * and 15 lie exactly on a decision boundary. With floating-point midpoints they went to one side (p(15,15) = 0.88,
 * p(13,13) = 0.7075); split half/half as documented they give 0.7475 and 0.755. The test checks the written pmap.csv
 * against an independent recomputation from the written samples.csv. (The command's `main` is called in-process:
 * vitest cannot load cli.ts, whose shebang line its transform rejects.)
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { main as pmapMain } from '../../src/commands/pmap.js';

const F_CLK = 2e9;

/** Slow P_map from samples.csv: nearest nominal cycle by integer distance, equidistant distinct cycles split equally. */
function slowPmap(samplesCsv: string, nominalCycles: Map<number, number>): Map<number, Map<number, number>> {
  const levels = [...nominalCycles.keys()];
  const rows = new Map(levels.map((m) => [m, new Map(levels.map((n) => [n, 0]))]));
  const count = new Map(levels.map((m) => [m, 0]));
  const slowest = levels.reduce((x, y) => (nominalCycles.get(y)! > nominalCycles.get(x)! ? y : x));
  for (const line of samplesCsv.trim().split('\n').slice(1)) {
    const [lv, , , ts] = line.split(',');
    const m = Number(lv);
    if (!rows.has(m) || ts === 'failed') continue;
    count.set(m, count.get(m)! + 1);
    const row = rows.get(m)!;
    if (ts === 'inf') {
      row.set(slowest, row.get(slowest)! + 1);
      continue;
    }
    const x = Number(ts) * F_CLK;
    const c = Math.round(x);
    expect(Math.abs(x - c)).toBeLessThan(1e-6); // registered times lie on the clock grid
    const d = levels.map((n) => Math.abs(2 * c - 2 * nominalCycles.get(n)!));
    const best = Math.min(...d);
    const near = levels.filter((_, i) => d[i] === best);
    for (const n of near) row.set(n, row.get(n)! + 1 / near.length);
  }
  for (const m of levels) for (const n of levels) rows.get(m)!.set(n, rows.get(m)!.get(n)! / count.get(m)!);
  return rows;
}

describe('capmin pmap: samples on a clock edge that is a decision boundary are split half/half (real ngspice)', () => {
  it('the 12.27 pF reproducer', async () => {
    const out = mkdtempSync(join(tmpdir(), 'capmin-pmap-edge-'));
    const quiet = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    let code: number;
    try {
      code = await pmapMain(['--cap', '12.27p', '--samples', '200', '--seed', '1', '--engine', 'quasistatic', '--levels', '12,13,15,16', '--out', join(out, 'D')]);
    } finally {
      quiet.mockRestore();
    }
    try {
      expect(code).toBe(0);
      const dir = join(out, 'D');
      const json = JSON.parse(readFileSync(join(dir, 'pmap.json'), 'utf8')) as { levels: number[]; nominal: (number | null)[]; matrix: number[][] };
      expect(json.levels).toEqual([12, 13, 15, 16]);
      const cycles = json.nominal.map((t) => Math.round(t! * F_CLK));
      expect(cycles).toEqual([18, 16, 14, 13]);
      const csv = readFileSync(join(dir, 'pmap.csv'), 'utf8').trim().split('\n');
      expect(csv[0]).toBe('level,12,13,15,16');
      const written = new Map(csv.slice(1).map((l) => { const [m, ...v] = l.split(','); return [Number(m), v.map(Number)] as const; }));
      // the corrected entries (before: p(15,15) = 0.88, p(13,13) = 0.7075)
      expect(written.get(15)![2]).toBeCloseTo(0.7475, 12);
      expect(written.get(13)![1]).toBeCloseTo(0.755, 12);
      expect(written.get(15)![1]).toBeCloseTo(0.1525, 12);
      // every entry equals the slow recomputation from the written samples
      const slow = slowPmap(readFileSync(join(dir, 'samples.csv'), 'utf8'), new Map(json.levels.map((m, i) => [m, cycles[i]!])));
      json.levels.forEach((m, i) => json.levels.forEach((n, j) => {
        expect(written.get(m)![j], `p(${m},${n})`).toBeCloseTo(slow.get(m)!.get(n)!, 12);
        expect(json.matrix[i]![j]).toBeCloseTo(slow.get(m)!.get(n)!, 12);
      }));
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  }, 180_000);
});
