import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { barPlot, DASHES, formatEng, formatTick, heatmap, linePlot, logTicks, MIN_FONT, niceTicks, paletteColor, parseSvgSeries, stackedLinePlot } from '../../src/plot/svg.js';

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
  it('formatEng writes plain engineering notation', () => {
    expect([1, 10, 100, 1000].map((v) => formatEng(v))).toEqual(['1', '10', '100', '1000']);
    expect(formatEng(0.25)).toBe('0.25');
    expect(formatEng(0.1 + 0.2)).toBe('0.3');
    expect(formatEng(1200)).toBe('1200');
    expect(formatEng(1e4)).toBe('10k');
    expect(formatEng(1e8)).toBe('100M');
    expect(formatEng(1e6)).toBe('1M');
    expect(formatEng(1e-4)).toBe('0.0001');
    expect(formatEng(1e-5)).toBe('10µ');
    expect(formatEng(1e-12)).toBe('1p');
    expect(formatEng(2.5e-10)).toBe('250p');
    expect(formatEng(-3.3e-9)).toBe('-3.3n');
    expect(formatEng(999_999)).toBe('1M');
    expect(formatEng(0)).toBe('0');
    expect(formatEng(1e30)).toBe('1e30');
    expect(formatTick(1e-12)).toBe('1p');
  });
  it('formatEng round-trips to 4 significant digits (fuzz)', () => {
    fc.assert(
      fc.property(fc.double({ min: 1e-14, max: 1e16, noNaN: true }), (v) => {
        const s = formatEng(v);
        const m = /^(-?[\d.]+)([fpnµmkMGTP]?)$/.exec(s);
        expect(m, s).not.toBeNull();
        const scale: Record<string, number> = { f: 1e-15, p: 1e-12, n: 1e-9, µ: 1e-6, m: 1e-3, '': 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15 };
        const back = Number(m![1]) * scale[m![2]!]!;
        expect(Math.abs(back - v) / v).toBeLessThan(6e-4);
        expect(m![1]!.replace(/^-|\./g, '').replace(/^0+/, '').length).toBeLessThanOrEqual(4);
      }),
    );
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
    const cx = [...svg.matchAll(/<circle cx="([\d.]+)" cy="([\d.]+)"[^>]*data-x=/g)].map((m) => [Number(m[1]), Number(m[2])]);
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

/** Text content of every element with `class` in an SVG (tspans joined). */
function textsOf(svg: string, cls: string): string[] {
  return [...svg.matchAll(new RegExp(`<text class="${cls}"[^>]*>([\\s\\S]*?)</text>`, 'g'))].map((m) => m[1]!.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ').trim());
}

describe('figure text', () => {
  it('log axes read 1, 10, 100 (not 1e0 …) and a forced narrow log range still has three ticks', () => {
    const svg = linePlot({ title: 't', xLabel: 'C (pF)', yLabel: 't (ns)', xLog: true, yLog: true, series: [{ name: 'a', x: [1, 10, 1000], y: [1, 10, 1000] }] });
    const labels = textsOf(svg, 'tick-label');
    expect(labels).toContain('100');
    expect(labels).toContain('1000');
    expect(labels.some((l) => /e/.test(l))).toBe(false);
    const narrow = linePlot({ title: 't', xLabel: 'C (pF)', yLabel: 'y', xLog: true, xRange: [1, 150], series: [{ name: 'a', x: [1, 150], y: [0, 1] }] });
    const xs = [...narrow.matchAll(/data-axis="x"[^>]*>([^<]+)</g)].map((m) => m[1]);
    expect(xs).toEqual(['1', '10', '100']);
    const tiny = linePlot({ title: 't', xLabel: 'C (pF)', yLabel: 'y', xLog: true, xRange: [3, 8], series: [{ name: 'a', x: [3, 8], y: [0, 1] }] });
    expect([...tiny.matchAll(/data-axis="x"[^>]*>([^<]+)</g)].length).toBeGreaterThanOrEqual(3);
  });

  it(`no font-size below ${MIN_FONT} px in any kind of figure`, () => {
    const svgs = [
      linePlot({ title: 't', xLabel: 'x', yLabel: 'y', series: [{ name: 'a', x: [1, 2], y: [1, 2] }], vLines: [{ x: 1.5, label: 'clock' }], hLines: [{ y: 1.2, label: 'V_th' }] }),
      barPlot({ title: 't', xLabel: 'x', yLabel: 'y', categories: ['a', 'b'], series: [{ name: 's', values: [1, 2] }] }),
      heatmap({ title: 't', xLabel: 'x', yLabel: 'y', rowLabels: ['1', '2'], colLabels: ['1', '2'], values: [[0.9, 0.1], [0.2, 0.8]] }),
      stackedLinePlot({ title: 't', xLabel: 'x', panels: [{ yLabel: 'a', series: [{ name: 'a', x: [1, 2], y: [1, 2] }] }, { yLabel: 'b', series: [{ name: 'b', x: [1, 2], y: [3, 4] }] }] }),
    ];
    for (const svg of svgs) {
      const sizes = [...svg.matchAll(/font-size="([\d.]+)"/g)].map((m) => Number(m[1]));
      expect(sizes.length).toBeGreaterThan(0);
      expect(Math.min(...sizes)).toBeGreaterThanOrEqual(MIN_FONT);
    }
  });

  it('a long title wraps instead of running off a narrow figure, and the subtitle is written', () => {
    const title = 'P_map (quasistatic, C_mem 12.27 pF, 1000 samples/level, time base spike) of a rather long run name';
    const svg = heatmap({ title, subtitle: 'a = 32 · card.pm #ab12 · nominal (tt) · 27 °C', xLabel: 'x', yLabel: 'y', rowLabels: ['1', '2'], colLabels: ['1', '2'], values: [[1, 0], [0, 1]], width: 420, height: 380 });
    const tspans = [...svg.matchAll(/<text class="title"[\s\S]*?<\/text>/g)][0]![0].match(/<tspan/g) ?? [];
    expect(tspans.length).toBeGreaterThanOrEqual(2);
    expect(textsOf(svg, 'title')[0]).toBe(title);
    expect(textsOf(svg, 'subtitle')[0]).toBe('a = 32 · card.pm #ab12 · nominal (tt) · 27 °C');
    expect(parseSvgSeries(svg).title).toBe(title);
  });

  it('reference-line labels one point apart are placed apart', () => {
    const svg = linePlot({ title: 't', xLabel: 'k', yLabel: '%', yRange: [0, 100], series: [{ name: 'a', x: [1, 2], y: [50, 90] }], hLines: [{ y: 90.2, label: 'error-free 90.20 %' }, { y: 89.2, label: '−1.0 pt' }] });
    const ys = [...svg.matchAll(/<text class="ref-label" x="([\d.]+)" y="([\d.]+)"/g)].map((m) => [Number(m[1]), Number(m[2])]);
    expect(ys.length).toBe(2);
    // either a line of text apart vertically or side by side
    expect(Math.abs(ys[0]![1]! - ys[1]![1]!) >= 12 || Math.abs(ys[0]![0]! - ys[1]![0]!) > 100).toBe(true);
  });

  it('bar value labels of equal neighbours are lifted apart', () => {
    const svg = barPlot({ title: 't', xLabel: 'x', yLabel: 'y', categories: ['a', 'b', 'c'], series: [{ name: 'ours', values: [0.071428, 0.09, 1] }, { name: 'paper', values: [0.071428, 0.09, 1] }], yLog: true, width: 360 });
    const labels = [...svg.matchAll(/<text class="value-label" x="([\d.]+)" y="([\d.]+)"[^>]*>([^<]+)</g)].map((m) => ({ x: Number(m[1]), y: Number(m[2]), t: m[3]! }));
    expect(labels.length).toBe(6);
    expect(labels[0]!.t).toBe('0.0714');
    for (let i = 0; i < labels.length; i++) {
      for (let j = i + 1; j < labels.length; j++) {
        const a = labels[i]!;
        const b = labels[j]!;
        const apartX = Math.abs(a.x - b.x) > (a.t.length + b.t.length) * 0.62 * MIN_FONT * 0.5;
        expect(apartX || Math.abs(a.y - b.y) >= MIN_FONT, `${a.t} / ${b.t}`).toBe(true);
      }
    }
  });
});

describe('series that coincide stay distinguishable', () => {
  it('styleCycle gives each series its own dash pattern and marker shape; the parser reads every marker', () => {
    const x = [1, 2, 3];
    const series = [0, 1, 2, 3].map((i) => ({ name: `m = ${28 + i}`, x, y: [5, 5, 5] }));
    const svg = linePlot({ title: 't', xLabel: 'x', yLabel: 'y', series, styleCycle: true });
    const p = parseSvgSeries(svg);
    expect(p.series.map((s) => s.circles)).toEqual([3, 3, 3, 3]);
    expect(p.series.every((s) => s.ys.every((y) => y === 5))).toBe(true);
    const groups = [...svg.matchAll(/<g class="series"[\s\S]*?<\/g>/g)].map((m) => m[0]);
    const dashes = groups.map((g) => /stroke-dasharray="([^"]+)"/.exec(g)?.[1] ?? '');
    expect(new Set(dashes).size).toBe(4);
    expect(dashes).toEqual(DASHES.slice(0, 4));
    // a polygon's shape: its vertices relative to the first one
    const shapeOf = (pts: string) => {
      const v = pts.split(' ').map((q) => q.split(',').map(Number) as [number, number]);
      return v.map(([x, y]) => `${Math.round(x - v[0]![0])},${Math.round(y - v[0]![1])}`).join(' ');
    };
    const shapes = groups.map((g) => (g.includes('<circle') ? 'circle' : shapeOf(/<polygon points="([^"]+)"/.exec(g)![1]!)));
    expect(new Set(shapes).size).toBe(4);
    // hollow markers alternate, so a filled marker under a hollow one shows
    expect(groups.map((g) => /fill="#ffffff"/.test(g))).toEqual([false, true, false, true]);
  });
});

describe('overview panel and stacked panels', () => {
  it('Fig. 8 style: a zoomed main panel plus a full-range panel; the parser reads the main series only', () => {
    const svg = linePlot({
      title: 'acc', xLabel: 'k', yLabel: '%', yRange: [80, 92], overview: { title: 'full range', yRange: [0, 100] },
      series: [{ name: 'a', x: [5, 8, 16, 33], y: [60, 89, 89.5, 90] }, { name: 'b', x: [5, 8, 16], y: [82, 84, 86] }],
    });
    const p = parseSvgSeries(svg);
    expect(p.series.map((s) => s.name)).toEqual(['a', 'b']);
    expect(p.series[0]!.ys).toEqual([60, 89, 89.5, 90]);
    expect((svg.match(/class="overview-series"/g) ?? []).length).toBe(2);
    expect(svg).toContain('class="zoom-window"');
    const y2 = [...svg.matchAll(/data-axis="y2"[^>]*>([^<]+)</g)].map((m) => m[1]);
    expect(y2).toEqual(['0', '20', '40', '60', '80', '100']);
    const y = [...svg.matchAll(/data-axis="y"[^>]*>([^<]+)</g)].map((m) => Number(m[1]));
    expect(Math.min(...y)).toBeGreaterThanOrEqual(80);
    // the main panel's curves are clipped to its frame
    expect(svg).toMatch(/<g class="plot-area" clip-path="url\(#clip-[a-z0-9]+\)"/);
  });

  it('stackedLinePlot: one shared x axis, one y axis per panel, every series parsed', () => {
    const x = [1, 2, 3, 4];
    const svg = stackedLinePlot({
      title: 'sweep', xLabel: 'C (pF)', panels: [
        { yLabel: 'distinct', series: [{ name: 'distinct', x, y: [10, 20, 30, 33] }] },
        { yLabel: 'latency (ns)', yLog: true, series: [{ name: 'latency', x, y: [1, 10, 100, 1000] }] },
      ],
    });
    const p = parseSvgSeries(svg);
    expect(p.series.map((s) => [s.name, s.pathPoints])).toEqual([['distinct', 4], ['latency', 4]]);
    expect(svg).toMatch(/data-axis="y"/);
    expect(svg).toMatch(/data-axis="y2"/);
    expect((svg.match(/data-axis="x"/g) ?? []).length).toBeGreaterThanOrEqual(3);
    expect(() => stackedLinePlot({ title: 't', xLabel: 'x', panels: [{ yLabel: 'y', series: [{ name: 'a', x: [1], y: [] }] }] })).toThrow(/1 x and 0 y/);
  });
});
