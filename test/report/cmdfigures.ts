/** Figures of the single-purpose commands (sweep-cap, pmap, validate) on synthetic data, for the browser checks. */
import { writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { defaultCircuit } from '../../src/circuit/params.js';
import { describeCircuit } from '../../src/circuit/describe.js';
import { capGrid, sweepRow } from '../../src/sizing/sizing.js';
import { sweepDistinctSvg, sweepSvg } from '../../src/sizing/sweep.js';
import { pmapHeatmapSvg } from '../../src/errormodel/pmapio.js';
import { fig3Svg } from '../../src/spikes/fig3.js';
import { circuitLine } from '../../src/circuit/describe.js';
import type { Pmap } from '../../src/errormodel/pmap.js';

/** Synthetic crossing times: t = (C + 0.5 pF)·J(m) with J ∝ 1/m (a linear cell current), no spike at m = 0. */
function rowsFor(caps: number[]) {
  const p = defaultCircuit();
  return caps.map((c) => sweepRow(c, Array.from({ length: p.a + 1 }, (_, m) => (m === 0 ? Infinity : ((c + 0.5e-12) * 0.225) / (m * 2.2e-6))), p));
}

/** A 33-level P_map with a tridiagonal spread. */
function pmap33(): Pmap {
  const levels = Array.from({ length: 33 }, (_, m) => m);
  const matrix = levels.map((i) => levels.map((j) => (i === j ? 0.8 : Math.abs(i - j) === 1 ? (i === 0 || i === 32 ? 0.2 : 0.1) : 0)));
  return { levels, matrix, nominal: levels.map((m) => (m === 0 ? Infinity : 1e-9 / m)), samples: levels.map(() => 100), emptyRows: [] } as unknown as Pmap;
}

/** The command figures as (id, svg) pairs. */
export function commandFigures(): { id: string; svg: string }[] {
  const p = defaultCircuit();
  const info = describeCircuit(p, 'ab12cd34ef56');
  const log = rowsFor(capGrid(1e-12, 150e-12, 30, 'log'));
  const lin = rowsFor(capGrid(1e-12, 150e-12, 30, 'lin'));
  const fig3 = {
    window: 10e-9,
    series: [32, 16, 4].map((m) => {
      const t = Float64Array.from({ length: 300 }, (_, i) => (i * 10e-9) / 299);
      return { level: m, t, v: t.map((x) => 0.8 * (1 - Math.exp((-x * m) / 1.6e-7))), tCross: null };
    }),
  };
  return [
    { id: 'sweep-log', svg: sweepSvg(log, 'capmin sweep-cap (quasistatic): spike time per level', { circuit: info }) },
    { id: 'sweep-lin', svg: sweepSvg(lin, 'capmin sweep-cap (quasistatic): spike time per level', { circuit: info }) },
    { id: 'sweep-distinct-log', svg: sweepDistinctSvg(log, 'capmin sweep-cap (quasistatic): distinct levels and latency', { circuit: info }) },
    { id: 'sweep-distinct-lin', svg: sweepDistinctSvg(lin, 'capmin sweep-cap (quasistatic): distinct levels and latency', { circuit: info }) },
    { id: 'pmap', svg: pmapHeatmapSvg(pmap33(), 'P_map (quasistatic, C_mem 12.27 pF, 1000 samples/level, time base spike)', circuitLine(info, null)) },
    { id: 'fig3', svg: fig3Svg(p, fig3, info) },
  ];
}

/** Write the command figures into one HTML page (each at its own size) and return its path. */
export function writeCommandFigurePage(dir: string): string {
  mkdirSync(dir, { recursive: true });
  const figs = commandFigures();
  const html = `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>capmin command figures</title></head><body style="margin:8px">${figs
    .map((f) => `<figure id="${f.id}">${f.svg.replace(/^<\?xml[^>]*\?>\s*/, '')}</figure>`)
    .join('\n')}</body></html>`;
  const path = join(dir, 'figures.html');
  writeFileSync(path, html);
  return path;
}
