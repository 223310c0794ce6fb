/**
 * Open a report in headless Chromium (Debian `chromium`) and measure what a reader sees, in one page load: every
 * inline <svg> and its bounding box; per figure the rendered size of its smallest text, the pairs of text boxes that
 * overlap and the tick labels per axis; then, with the print stylesheet at A4 width, the tables and figures that
 * would be cut off. Optionally saves a full-page screenshot and one PNG per figure (its SVG).
 * playwright-core is a dev dependency, loaded lazily; it never downloads a browser (executablePath is given).
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

export interface FigureBox {
  id: string;
  width: number;
  height: number;
  /** number of drawn elements (path, rect, circle, polygon, line, text) inside the svg */
  elements: number;
  /** smallest rendered font size of the figure's text [CSS px]: font-size × displayed width / viewBox width */
  minFontPx: number;
  /** text elements of the figure */
  texts: number;
  /** pairs of text boxes that overlap by more than half a pixel each way (their text, shortened) */
  overlaps: [string, string][];
  /** tick labels per axis (`data-axis` of the tick labels: x, y, x2, y2, cb …) */
  ticks: Record<string, number>;
}

/** What the print layout (print stylesheet, A4 content width) cuts off. */
export interface PrintCheck {
  /** layout width used [px] */
  width: number;
  /** the document's scroll width (> width: something sticks out) */
  scrollWidth: number;
  /** tables (by position and first header) wider than the page or scrolling inside */
  cutTables: string[];
  /** figures wider than the page */
  cutFigures: string[];
  tables: number;
}

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** A4 at 96 dpi is 794 px wide; the print stylesheet's 12 mm margins leave about 703 px. */
export const A4_CONTENT_PX = 703;

/** Load `htmlPath` once in headless Chromium; measure every figure, then the print layout; screenshot if asked. */
export async function checkReportInBrowser(
  htmlPath: string,
  opts: { screenshot?: string; figureDir?: string; executablePath?: string; width?: number; timeoutMs?: number } = {},
): Promise<{ figures: FigureBox[]; title: string; consoleErrors: string[]; print: PrintCheck }> {
  const { chromium } = await import('playwright-core');
  const userDataDir = mkdtempSync(join(tmpdir(), 'capmin-chromium-'));
  const ctx = await chromium.launchPersistentContext(userDataDir, {
    executablePath: opts.executablePath ?? '/usr/bin/chromium',
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: opts.width ?? 1200, height: 900 },
    timeout: opts.timeoutMs ?? 60_000,
  });
  try {
    const page = await ctx.newPage();
    const consoleErrors: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') consoleErrors.push(m.text());
    });
    page.on('pageerror', (e) => consoleErrors.push(String(e)));
    await page.goto(pathToFileURL(resolve(htmlPath)).href, { waitUntil: 'load', timeout: opts.timeoutMs ?? 60_000 });
    const figures = await page.$$eval('svg', (svgs) =>
      svgs.map((s, i) => {
        const r = s.getBoundingClientRect();
        const fig = s.closest('figure');
        const vb = (s as SVGSVGElement).viewBox.baseVal;
        const scale = vb && vb.width > 0 ? r.width / vb.width : 1;
        const texts = [...s.querySelectorAll('text')].filter((t) => (t.textContent ?? '').trim() !== '');
        let minFontPx = Infinity;
        const boxes = texts.map((t) => {
          const fs = parseFloat(getComputedStyle(t).fontSize);
          if (fs * scale < minFontPx) minFontPx = fs * scale;
          return { b: t.getBoundingClientRect(), s: (t.textContent ?? '').trim().slice(0, 40) };
        });
        const overlaps: [string, string][] = [];
        for (let a = 0; a < boxes.length; a++) {
          for (let b = a + 1; b < boxes.length; b++) {
            const p = boxes[a]!.b;
            const q = boxes[b]!.b;
            const dx = Math.min(p.right, q.right) - Math.max(p.left, q.left);
            const dy = Math.min(p.bottom, q.bottom) - Math.max(p.top, q.top);
            if (dx > 0.5 && dy > 0.5) overlaps.push([boxes[a]!.s, boxes[b]!.s]);
          }
        }
        const ticks: Record<string, number> = {};
        for (const t of s.querySelectorAll('text.tick-label')) {
          const ax = t.getAttribute('data-axis') ?? '?';
          ticks[ax] = (ticks[ax] ?? 0) + 1;
        }
        return {
          id: fig?.id || `svg-${i}`,
          width: r.width,
          height: r.height,
          elements: s.querySelectorAll('path,rect,circle,polygon,line,text').length,
          minFontPx: Number.isFinite(minFontPx) ? minFontPx : 0,
          texts: texts.length,
          overlaps,
          ticks,
        };
      }),
    );
    const title = await page.title();
    if (opts.screenshot) await page.screenshot({ path: opts.screenshot, fullPage: true });
    if (opts.figureDir) {
      mkdirSync(opts.figureDir, { recursive: true });
      for (const f of await page.$$('figure[id]')) {
        const id = await f.getAttribute('id');
        const svg = await f.$('svg');
        await (svg ?? f).screenshot({ path: join(opts.figureDir, `${id}.png`) });
      }
    }
    // the print layout, same page: print stylesheet at the A4 content width
    await page.emulateMedia({ media: 'print' });
    await page.setViewportSize({ width: A4_CONTENT_PX, height: 1000 });
    const print = await page.evaluate((width) => {
      const cutTables: string[] = [];
      const tables = [...document.querySelectorAll('table')];
      tables.forEach((t, i) => {
        const r = t.getBoundingClientRect();
        if (r.right > width + 1 || r.left < -1 || t.scrollWidth > t.clientWidth + 1) cutTables.push(`table ${i + 1} (${(t.querySelector('th')?.textContent ?? '').slice(0, 30)})`);
      });
      const cutFigures = [...document.querySelectorAll('figure svg')]
        .filter((s) => s.getBoundingClientRect().right > width + 1)
        .map((s) => s.closest('figure')?.id ?? '?');
      return { width, scrollWidth: document.documentElement.scrollWidth, cutTables, cutFigures, tables: tables.length };
    }, A4_CONTENT_PX);
    return { figures, title, consoleErrors, print };
  } finally {
    await ctx.close();
    rmSync(userDataDir, { recursive: true, force: true });
  }
}
