import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkReportInBrowser } from '../../src/report/browser.js';
import { writeReport } from '../../src/report/report.js';
import { syntheticResults } from './fixture.js';

const hasChromium = existsSync('/usr/bin/chromium');

describe.skipIf(!hasChromium)('report in headless Chromium', () => {
  it('renders every figure with a non-zero bounding box', async () => {
    const dir = join(process.cwd(), 'runs', 'test-report');
    const { path, figures } = writeReport(syntheticResults(), dir);
    const shot = join(dir, 'screenshot.png');
    const r = await checkReportInBrowser(path, { screenshot: shot });
    expect(r.title).toBe('capmin report synthetic');
    expect(r.figures.length).toBe(figures.length);
    for (const f of r.figures) {
      expect(f.width, f.id).toBeGreaterThan(100);
      expect(f.height, f.id).toBeGreaterThan(100);
      expect(f.elements, f.id).toBeGreaterThan(10);
    }
    expect(r.figures.map((f) => f.id).sort()).toEqual(figures.map((f) => f.id).sort());
    expect(r.consoleErrors).toEqual([]);
    expect(statSync(shot).size).toBeGreaterThan(10_000);
  }, 90_000);
});
