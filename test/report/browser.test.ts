import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkReportInBrowser, type FigureBox, type PrintCheck } from '../../src/report/browser.js';
import { writeReport, type Figure } from '../../src/report/report.js';
import { MIN_FONT } from '../../src/plot/svg.js';
import { syntheticResults } from './fixture.js';
import { writeCommandFigurePage } from './cmdfigures.js';

const hasChromium = existsSync('/usr/bin/chromium');

// One page load of the fixture report serves every check below.
describe.skipIf(!hasChromium)('report in headless Chromium (fixture, one page load)', () => {
  let dir = '';
  let written: Figure[] = [];
  let r: { figures: FigureBox[]; title: string; consoleErrors: string[]; print: PrintCheck };
  const shot = () => join(dir, 'screenshot.png');

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'capmin-browser-'));
    const w = writeReport(syntheticResults(), dir);
    written = w.figures;
    r = await checkReportInBrowser(w.path, { screenshot: shot(), width: 1200 });
  }, 90_000);
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('renders every figure with a non-zero bounding box and no console errors', () => {
    expect(r.title).toBe('capmin report synthetic');
    expect(r.figures.map((f) => f.id).sort()).toEqual(written.map((f) => f.id).sort());
    for (const f of r.figures) {
      expect(f.width, f.id).toBeGreaterThan(100);
      expect(f.height, f.id).toBeGreaterThan(100);
      expect(f.elements, f.id).toBeGreaterThan(10);
    }
    expect(r.consoleErrors).toEqual([]);
    expect(statSync(shot()).size).toBeGreaterThan(10_000);
  });

  it(`no figure text is rendered below ${MIN_FONT} px at the report's layout width`, () => {
    for (const f of r.figures) {
      expect(f.texts, f.id).toBeGreaterThan(5);
      expect(f.minFontPx, f.id).toBeGreaterThanOrEqual(MIN_FONT - 0.01);
    }
  });

  it('no two text boxes of a figure overlap', () => {
    for (const f of r.figures) expect(f.overlaps, f.id).toEqual([]);
  });

  it('every axis has at least three tick labels', () => {
    for (const f of r.figures) {
      const axes = Object.entries(f.ticks);
      expect(axes.length, f.id).toBeGreaterThanOrEqual(2);
      for (const [axis, n] of axes) expect(n, `${f.id} axis ${axis}`).toBeGreaterThanOrEqual(3);
    }
    // Fig. 8 has its overview panel (the collapse at k = 5 lies below the zoomed range), the Eq. 5 figure two y axes
    const fig8 = r.figures.find((f) => f.id === 'fig8-accuracy')!;
    expect(Object.keys(fig8.ticks).sort()).toEqual(['x', 'x2', 'y', 'y2']);
    expect(Object.keys(r.figures.find((f) => f.id === 'analytic-eq5')!.ticks).sort()).toEqual(['x', 'y', 'y2']);
  });

  it('prints at A4 width without cutting off a table or a figure', () => {
    expect(r.print.tables).toBeGreaterThan(5);
    expect(r.print.cutTables).toEqual([]);
    expect(r.print.cutFigures).toEqual([]);
    expect(r.print.scrollWidth).toBeLessThanOrEqual(r.print.width + 1);
  });
});

// The command figures (sweep-cap, pmap, validate's Fig. 3) on one page of their own, same checks.
describe.skipIf(!hasChromium)('command figures in headless Chromium (one page load)', () => {
  let dir = '';
  let figs: FigureBox[] = [];
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'capmin-cmdfig-'));
    figs = (await checkReportInBrowser(writeCommandFigurePage(dir), { width: 1200 })).figures;
  }, 90_000);
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('text ≥ 11 px, no overlapping text, ≥ 3 tick labels per axis', () => {
    expect(figs.map((f) => f.id)).toEqual(['sweep-log', 'sweep-lin', 'sweep-distinct-log', 'sweep-distinct-lin', 'pmap', 'fig3']);
    for (const f of figs) {
      expect(f.minFontPx, f.id).toBeGreaterThanOrEqual(MIN_FONT - 0.01);
      expect(f.overlaps, f.id).toEqual([]);
      for (const [axis, n] of Object.entries(f.ticks)) expect(n, `${f.id} axis ${axis}`).toBeGreaterThanOrEqual(3);
    }
    // the distinct-levels figure has two y axes (counts, nanoseconds) and the full width of the spike-time figure
    const d = figs.find((f) => f.id === 'sweep-distinct-lin')!;
    expect(Object.keys(d.ticks).sort()).toEqual(['x', 'y', 'y2']);
    expect(d.width).toBe(figs.find((f) => f.id === 'sweep-lin')!.width);
  });
});
