/**
 * P_map files: pmap.csv (header row; row = true level m, column = read level), pmap.json, pmap.npy
 * (33×33 float64, re-indexed by popcount = a − m for SPICE-Torch) and an SVG heatmap.
 * Number text is JavaScript's shortest round-trip form, so equal matrices give byte-identical files.
 */
import { XMLBuilder } from 'fast-xml-parser';
import { expandPmap, toPopcountIndex, type Pmap } from './pmap.js';
import { encodeNpyF64 } from './npy.js';

/** CSV text: `level,<m0>,<m1>,…` then one row per true level. */
export function pmapCsv(p: Pmap): string {
  const lines = [['level', ...p.levels.map(String)].join(',')];
  p.levels.forEach((m, i) => lines.push([String(m), ...p.matrix[i]!.map(num)].join(',')));
  return lines.join('\n') + '\n';
}

/** Parse pmap.csv back (for `capmin eval --pmap` and tests). */
export function parsePmapCsv(text: string): { levels: number[]; matrix: number[][] } {
  const rows = text.trim().split(/\r?\n/).map((l) => l.split(','));
  const levels = rows[0]!.slice(1).map(Number);
  const matrix = rows.slice(1).map((r) => r.slice(1).map(Number));
  return { levels, matrix };
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

/** SVG heatmap of P_map: rows = true level (top = lowest), columns = read level; log-ish colour scale. */
export function pmapHeatmapSvg(p: Pmap, title: string): string {
  const k = p.levels.length;
  const cell = Math.max(8, Math.min(24, Math.floor(560 / k)));
  const left = 60;
  const top = 50;
  const w = left + k * cell + 90;
  const h = top + k * cell + 50;
  const rects: Record<string, unknown>[] = [];
  const texts: Record<string, unknown>[] = [];
  p.matrix.forEach((row, i) =>
    row.forEach((v, j) => {
      rects.push({
        '@_x': left + j * cell,
        '@_y': top + i * cell,
        '@_width': cell,
        '@_height': cell,
        '@_fill': colour(v),
        title: { '#text': `true ${p.levels[i]} → read ${p.levels[j]}: ${v.toFixed(4)}` },
      });
    }),
  );
  const step = Math.max(1, Math.ceil(k / 16));
  p.levels.forEach((m, i) => {
    if (i % step) return;
    texts.push({ '@_x': left - 6, '@_y': top + i * cell + cell * 0.7, '@_text-anchor': 'end', '@_font-size': 10, '#text': String(m) });
    texts.push({ '@_x': left + i * cell + cell / 2, '@_y': top + k * cell + 14, '@_text-anchor': 'middle', '@_font-size': 10, '#text': String(m) });
  });
  texts.push({ '@_x': left, '@_y': 20, '@_font-size': 13, '#text': title });
  texts.push({ '@_x': left + (k * cell) / 2, '@_y': top + k * cell + 32, '@_text-anchor': 'middle', '@_font-size': 11, '#text': 'read level m' });
  texts.push({ '@_x': 14, '@_y': top + (k * cell) / 2, '@_font-size': 11, '@_transform': `rotate(-90 14 ${top + (k * cell) / 2})`, '@_text-anchor': 'middle', '#text': 'true level m' });
  // colour bar
  const bar: Record<string, unknown>[] = [];
  for (let q = 0; q <= 10; q++) {
    bar.push({ '@_x': left + k * cell + 20, '@_y': top + (10 - q) * ((k * cell) / 11), '@_width': 14, '@_height': (k * cell) / 11, '@_fill': colour(q / 10) });
    if (q % 5 === 0) texts.push({ '@_x': left + k * cell + 40, '@_y': top + (10 - q) * ((k * cell) / 11) + 10, '@_font-size': 10, '#text': (q / 10).toFixed(1) });
  }
  const svg = {
    svg: {
      '@_xmlns': 'http://www.w3.org/2000/svg',
      '@_width': w,
      '@_height': h,
      '@_viewBox': `0 0 ${w} ${h}`,
      '@_font-family': 'sans-serif',
      rect: [{ '@_x': 0, '@_y': 0, '@_width': w, '@_height': h, '@_fill': 'white' }, ...rects, ...bar],
      text: texts,
    },
  };
  return new XMLBuilder({ ignoreAttributes: false, attributeNamePrefix: '@_', format: true }).build(svg) as string;
}

/** White → dark blue by sqrt(p) so small error probabilities stay visible. */
function colour(v: number): string {
  const s = Math.sqrt(Math.max(0, Math.min(1, v)));
  const r = Math.round(255 * (1 - s) + 8 * s);
  const g = Math.round(255 * (1 - s) + 48 * s);
  const b = Math.round(255 * (1 - s) + 107 * s);
  return `rgb(${r},${g},${b})`;
}
