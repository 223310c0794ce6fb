import { describe, expect, it } from 'vitest';
import { defaultCircuit } from '../../src/circuit/params.js';
import { describeCircuit } from '../../src/circuit/describe.js';
import { capGrid, sweepRow } from '../../src/sizing/sizing.js';
import { gridScale, sweepCsv, sweepDistinctSvg, sweepSvg } from '../../src/sizing/sweep.js';
import { parseSvgSeries } from '../../src/plot/svg.js';

const p = defaultCircuit();
/** Crossing times of a linear cell current: t = C·V_th/(m·I₁); none at m = 0. */
const rows = (caps: number[]) => caps.map((c) => sweepRow(c, Array.from({ length: p.a + 1 }, (_, m) => (m === 0 ? Infinity : (c * p.vth) / (m * 2e-6))), p));
const xTicks = (svg: string) => [...svg.matchAll(/data-axis="x"[^>]*>([^<]+)</g)].map((m) => m[1]!);

describe('sweep-cap figures and CSV', () => {
  it('gridScale reads the grid: equal steps are linear, equal ratios logarithmic', () => {
    expect(gridScale(capGrid(1e-12, 150e-12, 30, 'lin'))).toBe('lin');
    expect(gridScale(capGrid(1e-12, 150e-12, 30, 'log'))).toBe('log');
    expect(gridScale([1e-12, 100e-12])).toBe('log');
    expect(gridScale([10e-12, 20e-12])).toBe('lin');
    expect(gridScale([5e-12])).toBe('log');
  });

  it('--scale lin draws a linear x axis with evenly spaced ticks; log draws decades', () => {
    const lin = sweepSvg(rows(capGrid(1e-12, 150e-12, 30, 'lin')), 't');
    const lt = xTicks(lin).map(Number);
    expect(lt.length).toBeGreaterThanOrEqual(3);
    const steps = lt.slice(1).map((t, i) => t - lt[i]!);
    expect(new Set(steps).size).toBe(1);
    expect(xTicks(sweepSvg(rows(capGrid(1e-12, 150e-12, 30, 'log')), 't'))).toEqual(['1', '10', '100']);
    // two figures on one page never share a clip-path id
    const clipId = (svg: string) => /<clipPath id="([^"]+)"/.exec(svg)![1];
    expect(clipId(lin)).not.toBe(clipId(sweepSvg(rows(capGrid(1e-12, 150e-12, 30, 'log')), 't')));
    // an explicit scale wins over the grid
    expect(xTicks(sweepSvg(rows(capGrid(1e-12, 150e-12, 30, 'lin')), 't', { scale: 'log' }))).toEqual(['1', '10', '100']);
  });

  it('spike-time curves: one series per shown level, every point, each with its own dash', () => {
    const r = rows(capGrid(1e-12, 150e-12, 12, 'log'));
    const svg = sweepSvg(r, 't', { circuit: describeCircuit(p, 'ffee0011') });
    const s = parseSvgSeries(svg).series;
    expect(s.map((x) => x.name)).toEqual([1, 2, 4, 8, 12, 16, 20, 24, 28, 32].map((m) => `m = ${m}`));
    expect(s.every((x) => x.pathPoints === 12 && x.circles === 12)).toBe(true);
    expect(s[9]!.ys[0]).toBeCloseTo(r[0]!.tSpike[32]! * 1e9, 9);
    const dashes = [...svg.matchAll(/<g class="series"[^>]*>\s*(<path[^>]*>)/g)].map((m) => /stroke-dasharray="([^"]+)"/.exec(m[1]!)?.[1] ?? '');
    expect(dashes.length).toBe(10);
    // m = 28 and m = 32 (neighbours that can register on the same clock edge) are drawn differently
    expect(dashes[8]).not.toBe(dashes[9]);
    expect(svg).toContain('ptm16hp-nmos.pm #ffee0011 · nominal (tt)');
  });

  it('distinct levels and latency sit on two panels with their own axes', () => {
    const r = rows(capGrid(1e-12, 150e-12, 8, 'log'));
    const svg = sweepDistinctSvg(r, 't');
    const s = parseSvgSeries(svg).series;
    expect(s.map((x) => x.name)).toEqual(['distinct registered levels', 'latency (last spike)']);
    expect(s[0]!.ys).toEqual(r.map((x) => x.distinct));
    expect(s[1]!.ys[7]).toBeCloseTo(r[7]!.latency! * 1e9, 9);
    expect(svg).toMatch(/data-axis="y2"/);
    expect(svg).toMatch(/width="900"/);
  });

  it('sweepCsv: one row per C with every level, empty cells for no spike', () => {
    const r = rows([1e-12, 2e-12]);
    const lines = sweepCsv(r).trim().split('\n');
    expect(lines.length).toBe(3);
    const head = lines[0]!.split(',');
    expect(head.slice(0, 4)).toEqual(['cMem_F', 'distinct', 'latency_s', 'energy_J']);
    expect(head.length).toBe(4 + 2 * (p.a + 1));
    const row = lines[2]!.split(',');
    expect(Number(row[0])).toBe(2e-12);
    expect(Number(row[1])).toBe(r[1]!.distinct);
    expect(row[head.indexOf('tSpike_m0_s')]).toBe('');
    expect(Number(row[head.indexOf('tSpike_m32_s')])).toBe(r[1]!.tSpike[32]);
    expect(Number(row[head.indexOf('tCross_m5_s')])).toBe(r[1]!.tCross[5]);
  });
});
