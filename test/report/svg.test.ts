import { describe, expect, it } from 'vitest';
import { barPlot, formatTick, heatmap, linePlot, logTicks, niceTicks, paletteColor, parseSvgSeries } from '../../src/report/svg.js';

describe('ticks', () => {
  it('niceTicks widens to multiples of a 1-2-5 step', () => {
    expect(niceTicks(0, 1)).toEqual({ lo: 0, hi: 1, ticks: [0, 0.2, 0.4, 0.6, 0.8, 1] });
    const t = niceTicks(3, 97);
    expect(t.lo).toBe(0);
    expect(t.hi).toBe(100);
    expect(t.ticks[1]! - t.ticks[0]!).toBe(20);
    expect(niceTicks(5, 5).ticks.length).toBeGreaterThan(1);
  });
  it('logTicks gives whole decades', () => {
    expect(logTicks(3, 4.2e5)).toEqual({ lo: 1, hi: 1e6, ticks: [1, 10, 100, 1000, 1e4, 1e5, 1e6] });
    const narrow = logTicks(2, 8);
    expect(narrow.ticks).toEqual([1, 2, 5, 10]);
  });
  it('formatTick is short', () => {
    expect(formatTick(0.25)).toBe('0.25');
    expect(formatTick(1e-12)).toBe('1e-12');
    expect(formatTick(2.5e-10)).toBe('2.5e-10');
    expect(formatTick(1200)).toBe('1200');
    expect(formatTick(1e6)).toBe('1e6');
  });
  it('paletteColor ends', () => {
    expect(paletteColor(0)).toBe('#440154');
    expect(paletteColor(1)).toBe('#fde725');
    expect(paletteColor(0, 'gray')).toBe('#ffffff');
  });
});

describe('linePlot', () => {
  it('round-trips series, points and escaped names', () => {
    const svg = linePlot({
      title: 'V(t) <ML> & "clock"',
      xLabel: 't (s)',
      yLabel: 'V (V)',
      series: [
        { name: 'm=32 <fast>', x: [0, 1e-10, 2e-10, 3e-10], y: [0, 0.1, 0.2, 0.3] },
        { name: "m='5'", x: [0, 1e-10, 2e-10], y: [0, 0.05, 0.1], dashed: true, markers: false },
      ],
      hLines: [{ y: 0.225, label: 'V_th' }],
      vLines: [{ x: 0.5e-10, label: 'clk' }, { x: 1e-10 }],
    });
    const p = parseSvgSeries(svg);
    expect(p.kind).toBe('line');
    expect(p.title).toBe('V(t) <ML> & "clock"');
    expect(p.series.map((s) => s.name)).toEqual(['m=32 <fast>', "m='5'"]);
    expect(p.series[0]!.pathPoints).toBe(4);
    expect(p.series[0]!.circles).toBe(4);
    expect(p.series[0]!.ys).toEqual([0, 0.1, 0.2, 0.3]);
    expect(p.series[1]!.pathPoints).toBe(3);
    expect(p.series[1]!.circles).toBe(0);
    expect(svg).toContain('stroke-dasharray="6 4"');
    expect(svg).not.toContain('<fast>');
  });
  it('log axes drop non-positive points and break the line', () => {
    const svg = linePlot({ title: 'F', xLabel: 'm', yLabel: 'count', yLog: true, series: [{ name: 'f', x: [0, 1, 2, 3, 4], y: [0, 10, 1000, 0, 5] }] });
    const s = parseSvgSeries(svg).series[0]!;
    expect(s.count).toBe(3);
    expect(s.pathPoints).toBe(3);
    expect(s.circles).toBe(3);
    const d = /<path d="([^"]+)"/.exec(svg)![1]!;
    expect(d.match(/M/g)!.length).toBe(2); // broken at the zero at x=3
  });
  it('rejects mismatched x/y', () => {
    expect(() => linePlot({ title: 't', xLabel: 'x', yLabel: 'y', series: [{ name: 'a', x: [1, 2], y: [1] }] })).toThrow(/2 x and 1 y/);
  });
  it('maps points monotonically inside the frame', () => {
    const svg = linePlot({ title: 't', xLabel: 'x', yLabel: 'y', series: [{ name: 'a', x: [1, 2, 3], y: [3, 2, 1] }] });
    const cx = [...svg.matchAll(/<circle cx="([\d.]+)" cy="([\d.]+)"/g)].map((m) => [Number(m[1]), Number(m[2])]);
    expect(cx.length).toBe(3);
    expect(cx[0]![0]).toBeLessThan(cx[1]![0]!);
    expect(cx[0]![1]).toBeLessThan(cx[2]![1]!); // larger y is higher (smaller pixel y)
  });
});

describe('barPlot', () => {
  it('one rect per category per series', () => {
    const svg = barPlot({
      title: 'C at <=1% loss',
      xLabel: 'method',
      yLabel: 'C (pF)',
      categories: ['baseline', 'CapMin', 'CapMin-V'],
      series: [{ name: 'ours', values: [135.2, 9.6, 12.3] }, { name: 'paper', values: [135.2, 9.6, 12.3] }],
    });
    const p = parseSvgSeries(svg);
    expect(p.kind).toBe('bar');
    expect(p.series.length).toBe(2);
    expect(p.series.map((s) => s.rects)).toEqual([3, 3]);
    expect(p.series[0]!.values).toEqual([135.2, 9.6, 12.3]);
  });
  it('log scale keeps zero bars as zero-height rects', () => {
    const svg = barPlot({ title: 'F_MAC', xLabel: 'm', yLabel: 'count', yLog: true, categories: ['0', '1', '2'], series: [{ name: '', values: [0, 10, 1e6] }] });
    const s = parseSvgSeries(svg).series[0]!;
    expect(s.rects).toBe(3);
    expect(svg).toMatch(/height="0" fill="#1f77b4" data-category="0"/);
  });
});

describe('heatmap', () => {
  it('one series per row, one rect per cell, and a colour bar', () => {
    const values = [
      [0.9, 0.1, 0],
      [0.05, 0.9, 0.05],
      [0, 0.2, 0.8],
    ];
    const svg = heatmap({ title: 'P_map', xLabel: 'read', yLabel: 'true', rowLabels: ['9', '10', '11'], colLabels: ['9', '10', '11'], values, colorScale: { log: true, min: 1e-4, max: 1 } });
    const p = parseSvgSeries(svg);
    expect(p.kind).toBe('heatmap');
    expect(p.series.map((s) => s.name)).toEqual(['9', '10', '11']);
    expect(p.series.every((s) => s.rects === 3)).toBe(true);
    expect(p.series[2]!.values).toEqual([0, 0.2, 0.8]);
    expect(svg).toContain('class="colorbar"');
  });
  it('rejects ragged values', () => {
    expect(() => heatmap({ title: 't', xLabel: 'x', yLabel: 'y', rowLabels: ['a'], colLabels: ['a', 'b'], values: [[1]] })).toThrow(/row 0/);
  });
});

describe('parseSvgSeries', () => {
  it('rejects malformed XML', () => {
    expect(() => parseSvgSeries('<svg><g class="series"></svg>')).toThrow(/well-formed/);
  });
});
