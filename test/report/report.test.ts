import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildFigures, comparePaper, esc, reportHtml, toCsv, writeReport } from '../../src/report/report.js';
import { parseSvgSeries } from '../../src/plot/svg.js';
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

describe('report: the circuit, the Eq. 5 figure, the configuration and print', () => {
  it('every figure names the circuit it comes from in its subtitle', () => {
    const f = buildFigures(syntheticResults());
    const all = [f.charging, f.accuracy, ...f.cost, ...f.pmaps, f.cmem, f.analytic].filter((x) => x !== null);
    expect(all.length).toBe(7);
    for (const fig of all) {
      const sub = /<text class="subtitle"[^>]*>([\s\S]*?)<\/text>/.exec(fig!.svg)?.[1]?.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ') ?? '';
      expect(sub, fig!.id).toContain('ptm16hp-nmos.pm #ab12cd34');
      expect(sub, fig!.id).toContain('nominal (tt)');
      expect(sub, fig!.id).toContain('27 °C');
      expect(sub, fig!.id).toContain('V0 = 0.8 V');
    }
    expect(f.charging!.svg).toContain('C_mem = 10 pF');
    // F_MAC is a property of the network: its subtitle says so instead
    expect(f.fmac!.svg).toContain('a = 32 cells');
  });

  it('the Eq. 5 figure: SPICE, Eq. 5 and quasi-static times over level, and their relative errors', () => {
    const r = syntheticResults();
    const f = buildFigures(r).analytic!;
    const s = parseSvgSeries(f.svg).series;
    expect(s.map((x) => x.name)).toEqual(['Eq. 5 (I_init)', 'quasi-static ∫dV/I', 'SPICE transient', 'Eq. 5 vs SPICE', 'quasi-static vs SPICE']);
    expect(s.every((x) => x.pathPoints === 7)).toBe(true);
    const rows = r.analytic!.filter((a) => a.tSpice !== null);
    expect(s[2]!.ys).toEqual(rows.map((a) => a.tSpice! * 1e9));
    expect(s[3]!.ys[0]).toBeCloseTo(100 * rows[0]!.relErr!, 12);
    expect(s[4]!.ys[6]).toBeCloseTo((100 * (rows[6]!.tQuasiStatic! - rows[6]!.tSpice!)) / rows[6]!.tSpice!, 9);
    expect(f.csv.split('\n')[0]).toBe('level,iInit_A,t_spice_s,t_eq5_s,t_quasistatic_s,rel_err_eq5,rel_err_quasistatic');
    expect(f.csv.trim().split('\n').length).toBe(8);
    // without quasi-static values the figure says so and draws two series per panel less one
    const noQs = { ...r, analytic: r.analytic!.map(({ tQuasiStatic: _q, ...a }) => a) };
    const g = buildFigures(noQs).analytic!;
    expect(parseSvgSeries(g.svg).series.map((x) => x.name)).toEqual(['Eq. 5 (I_init)', 'SPICE transient', 'Eq. 5 vs SPICE']);
    expect(g.caption).toContain('no quasi-static value');
    expect(buildFigures({ ...r, analytic: r.analytic!.slice(0, 2) }).analytic).toBeNull();
  });

  it('Fig. 8 zooms on the data and keeps the collapse visible in a full-range panel', () => {
    const f = buildFigures(syntheticResults()).accuracy!;
    const y = [...f.svg.matchAll(/data-axis="y"[^>]*>([^<]+)</g)].map((m) => Number(m[1]));
    expect(Math.min(...y)).toBeGreaterThan(70);
    expect(Math.max(...y)).toBeLessThanOrEqual(100);
    expect([...f.svg.matchAll(/data-axis="y2"[^>]*>([^<]+)</g)].map((m) => m[1])).toEqual(['0', '20', '40', '60', '80', '100']);
    expect(f.caption).toContain('full 0–100 % range');
    // every series has its own dash/marker: no two series share both
    const groups = [...f.svg.matchAll(/<g class="series"[\s\S]*?<\/g>/g)].map((m) => m[0]);
    const styles = groups.map((g) => `${/stroke-dasharray="([^"]+)"/.exec(g)?.[1] ?? ''}|${g.includes('<circle') ? 'c' : /<polygon points="([^"]+)"/.exec(g)![1]!.split(' ').length}|${g.includes('fill="#ffffff"')}`);
    expect(new Set(styles).size).toBe(groups.length);
    // all data within 15 pt of the top: one panel
    const r = syntheticResults();
    const high = { ...r, perK: r.perK.map((k) => ({ ...k, accNoVar: 0.89 })) };
    expect(buildFigures(high).accuracy!.svg).not.toContain('class="overview"');
  });

  it('lists the circuit and the configuration as readable rows (no JSON blob), and has a print stylesheet', () => {
    const raw = reportHtml(syntheticResults());
    // short single-token cells (numbers) are kept whole in print (class "n"); a long hash may wrap
    expect(raw).toContain('<td>ab12cd34ef56ab12cd34ef56ab12cd34ef56ab12cd34ef56ab12cd34ef56ab12</td>');
    expect(raw).toContain('<td>27 °C</td>');
    expect(raw).toMatch(/<td class="n">217\.800<\/td>/);
    const html = raw.replace(/<td class="n">/g, '<td>');
    expect(html).toContain('<td>model card SHA-256</td><td>ab12cd34ef56ab12cd34ef56ab12cd34ef56ab12cd34ef56ab12cd34ef56ab12</td>');
    expect(html).toContain('<td>temperature</td><td>27 °C</td>');
    expect(html).toContain('<td>corner</td><td>nominal (tt)</td>');
    expect(html).toContain('<td>supplies</td><td>V0 = 0.8 V (cell branches), VDD = 0.8 V (gate high)</td>');
    expect(html).toContain('<td>modelMetadata: dataset</td><td>fashion</td>');
    expect(html).toContain('<td>modelMetadata: history</td><td>3 entries; last: epoch = 3, loss = 0.1, test = 88.9</td>');
    expect(html).toContain('<td>sigmas: vth</td><td>0.01</td>');
    expect(html).not.toMatch(/&quot;epoch&quot;|\{&quot;/);
    expect(html).toContain('<td>ks</td><td>33, 24, 16, 14, 12, 8, 5</td>');
    expect(html).toMatch(/@media print\{[\s\S]*table\{display:table/);
    const { circuit: _c, ...noCircuit } = syntheticResults();
    expect(reportHtml(noCircuit)).toContain('The circuit was not recorded in this run.');
  });
});
