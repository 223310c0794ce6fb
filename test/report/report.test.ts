import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildFigures, comparePaper, esc, reportHtml, toCsv, writeReport } from '../../src/report/report.js';
import { parseSvgSeries } from '../../src/report/svg.js';
import { syntheticResults } from './fixture.js';

describe('report figures', () => {
  it('every figure parses back with the expected series and points', () => {
    const r = syntheticResults();
    const f = buildFigures(r);
    const fm = parseSvgSeries(f.fmac!.svg);
    expect(fm.series.length).toBe(1);
    expect(fm.series[0]!.rects).toBe(33);
    const ch = parseSvgSeries(f.charging!.svg);
    expect(ch.series.length).toBe(3);
    expect(ch.series.every((s) => s.pathPoints === 200)).toBe(true);
    const acc = parseSvgSeries(f.accuracy!.svg);
    expect(acc.series.map((s) => s.name)).toEqual(['CapMin, no variation', 'CapMin, under variation', 'CapMin-V from k=16 (re-bucketed)', 'CapMin-V from k=16 (Alg. 1 P_map)']);
    expect(acc.series.map((s) => s.pathPoints)).toEqual([7, 7, 11, 11]);
    expect(acc.series[0]!.xs).toEqual([33, 24, 16, 14, 12, 8, 5]);
    expect(f.cost.length).toBe(2);
    for (const c of f.cost) {
      const p = parseSvgSeries(c.svg);
      expect(p.series.map((s) => s.rects)).toEqual([3, 3]);
    }
    const pm = parseSvgSeries(f.pmaps[0]!.svg);
    expect(pm.series.length).toBe(3);
    expect(pm.series.every((s) => s.rects === 3)).toBe(true);
    expect(parseSvgSeries(f.cmem!.svg).series[0]!.pathPoints).toBe(7);
    // CSV rows: header + one per level
    expect(f.fmac!.csv.trim().split('\n').length).toBe(34);
    expect(f.fmac!.csv.split('\n')[0]).toBe('level,conv2,fc1,total');
  });

  it('missing sections say so instead of drawing', () => {
    const r = syntheticResults();
    const empty = { ...r, fMac: undefined, charging: undefined, perK: [], capminV: undefined, selections: [], pmaps: [], analytic: undefined, errorFree: undefined, baseline: undefined };
    const f = buildFigures(empty);
    expect(f.fmac).toBeNull();
    expect(f.accuracy).toBeNull();
    expect(f.cost).toEqual([]);
    const html = reportHtml(empty);
    expect(html).toContain('F_MAC — not available in this run');
    expect(comparePaper(empty).every((c) => c.verdict === 'not measured')).toBe(true);
  });

  it('escapes text and writes CSV safely', () => {
    expect(esc('a <b> & "c"')).toBe('a &lt;b&gt; &amp; &quot;c&quot;');
    expect(esc('')).toBe('');
    expect(toCsv(['a', 'b'], [['x,y', 'q"'], [Infinity, null]])).toBe('a,b\n"x,y","q"""\ninf,\n');
  });

  it('comparison rows compute the ratios', () => {
    const rows = comparePaper(syntheticResults());
    const r14 = rows[0]!;
    // baseline C(33) / C(14) = 33² / 14²
    expect(r14.ours).toContain(`(${((33 * 33) / (14 * 14)).toFixed(1)}×)`);
    expect(rows[1]!.ours).toContain(`+${(100 * ((16 * 16) / (8 * 8) - 1)).toFixed(0)}%`);
    expect(rows[2]!.ours).toContain('down to k = 8');
    expect(rows[2]!.verdict).toBe('confirmed');
  });

  it('writes report.html with figures and CSV files', () => {
    const dir = mkdtempSync(join(tmpdir(), 'capmin-report-'));
    const { path, figures } = writeReport(syntheticResults(), dir);
    const html = readFileSync(path, 'utf8');
    expect(html.match(/<svg /g)!.length).toBe(figures.length);
    for (const f of figures) {
      expect(existsSync(join(dir, 'figures', `${f.id}.svg`))).toBe(true);
      expect(existsSync(join(dir, 'data', `${f.id}.csv`))).toBe(true);
    }
    expect(html).toContain('a &lt;b&gt;synthetic&lt;/b&gt;');
    expect(html).not.toContain('<note>');
  });
});
