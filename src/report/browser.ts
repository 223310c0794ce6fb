/**
 * Open a report in headless Chromium (Debian `chromium`) and check that every figure rendered: each inline <svg>
 * must have a non-zero bounding box. Optionally saves a full-page screenshot.
 * playwright-core is a dev dependency, loaded lazily; it never downloads a browser (executablePath is given).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

export interface FigureBox {
  id: string;
  width: number;
  height: number;
  /** number of drawn elements (path, rect, circle, line, text) inside the svg */
  elements: number;
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

/** Load `htmlPath` in headless Chromium; return the bounding box of every <svg>, and screenshot if asked. */
export async function checkReportInBrowser(
  htmlPath: string,
  opts: { screenshot?: string; executablePath?: string; width?: number; timeoutMs?: number } = {},
): Promise<{ figures: FigureBox[]; title: string; consoleErrors: string[] }> {
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
        return {
          id: fig?.id || `svg-${i}`,
          width: r.width,
          height: r.height,
          elements: s.querySelectorAll('path,rect,circle,line,text').length,
        };
      }),
    );
    const title = await page.title();
    if (opts.screenshot) await page.screenshot({ path: opts.screenshot, fullPage: true });
    return { figures, title, consoleErrors };
  } finally {
    await ctx.close();
    rmSync(userDataDir, { recursive: true, force: true });
  }
}
