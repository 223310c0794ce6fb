/**
 * P_map files: pmap.csv (header row; row = true level m, column = read level), pmap.json, pmap.npy
 * (33×33 float64, re-indexed by popcount = a − m for SPICE-Torch) and an SVG heatmap.
 * Number text is JavaScript's shortest round-trip form, so equal matrices give byte-identical files.
 */
import { heatmap } from '../plot/svg.js';
import { expandPmap, toPopcountIndex, type Pmap } from './pmap.js';
import { encodeNpyF64 } from './npy.js';
import { parsePmapText } from './pmapfile.js';

/** CSV text: `level,<m0>,<m1>,…` then one row per true level. */
export function pmapCsv(p: Pmap): string {
  const lines = [['level', ...p.levels.map(String)].join(',')];
  p.levels.forEach((m, i) => lines.push([String(m), ...p.matrix[i]!.map(num)].join(',')));
  return lines.join('\n') + '\n';
}

/** Parse pmap.csv text back (strict: the shared P_map validation of pmapfile.ts; for `capmin eval --pmap` and tests). */
export function parsePmapCsv(text: string, label = 'pmap.csv'): { levels: number[]; matrix: number[][] } {
  return parsePmapText(text, { label });
}

function num(x: number): string {
  return Number.isFinite(x) ? String(x) : x > 0 ? 'Infinity' : String(x);
}

/** JSON-able object of a P_map (Infinity nominal times as null). */
export function pmapJson(p: Pmap, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    ...extra,
    index: 'level m = number of conducting cells (0..a); row = true level, column = read level',
    levels: p.levels,
    nominal: p.nominal.map((t) => (Number.isFinite(t) ? t : null)),
    samples: p.samples,
    emptyRows: p.emptyRows,
    diagonal: p.matrix.map((r, i) => r[i]),
    matrix: p.matrix,
  };
}

/** NPY bytes of the (a+1)×(a+1) popcount-indexed matrix for SPICE-Torch (rows of levels not kept: identity). */
export function pmapNpy(p: Pmap, a: number): Buffer {
  return encodeNpyF64(toPopcountIndex(expandPmap(p, a), a));
}

/**
 * SVG heatmap of P_map (src/plot/svg.ts): rows = true level, columns = read level, colour = probability 0..1. The title
 * wraps to the figure's width; `subtitle` names the circuit (src/circuit/describe.ts `circuitLine`).
 */
export function pmapHeatmapSvg(p: Pmap, title: string, subtitle?: string): string {
  const labels = p.levels.map(String);
  return heatmap({
    title,
    subtitle,
    xLabel: 'read level m (conducting cells)',
    yLabel: 'true level m',
    rowLabels: labels,
    colLabels: labels,
    values: p.matrix,
    colorScale: { min: 0, max: 1, palette: 'blues' },
    width: Math.max(520, Math.min(900, 170 + 22 * labels.length)),
    height: Math.max(480, Math.min(900, 170 + 22 * labels.length)),
  });
}
