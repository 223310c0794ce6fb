/**
 * Dependency-light SVG figure builders (line plot, bar plot, heatmap) for capmin's reports.
 *
 * Every figure is a standalone SVG document built as XML with fast-xml-parser's XMLBuilder
 * (so all text and attribute values are escaped by the builder). The element structure is stable:
 *
 *   <svg class="capmin-figure" data-kind="line|bar|heatmap">
 *     <title/> <rect class="background"/> <text class="title"/>
 *     <g class="axes"> … ticks, grid, axis labels … </g>
 *     <g class="plot-area">
 *       <g class="series" data-name="…" data-count="n"> <path/> | <circle/>… | <rect/>… </g>  (one per series)
 *       <g class="hlines"/> <g class="vlines"/>
 *     </g>
 *     <g class="legend"/> (and <g class="colorbar"/> for heatmaps)
 *   </svg>
 *
 * `parseSvgSeries` reads a figure back (tests, and anyone checking an emitted file).
 */
import { XMLBuilder, XMLParser, XMLValidator } from 'fast-xml-parser';

/** One curve of a line plot. Non-finite points (and non-positive ones on a log axis) break the line. */
export interface LineSeries {
  name: string;
  x: number[];
  y: number[];
  dashed?: boolean;
  /** Draw a circle at every plotted point (default: true when the series has ≤ 60 points). */
  markers?: boolean;
  /** Optional explicit colour (CSS colour of letters, digits and #). */
  color?: string;
}

export interface LinePlotOptions {
  title: string;
  xLabel: string;
  yLabel: string;
  series: LineSeries[];
  xLog?: boolean;
  yLog?: boolean;
  /** Horizontal reference lines (e.g. V_th). */
  hLines?: { y: number; label: string }[];
  /** Vertical reference lines (e.g. clock edges). */
  vLines?: { x: number; label?: string }[];
  /** Force the axis ranges (otherwise taken from the data and reference lines). */
  xRange?: [number, number];
  yRange?: [number, number];
  width?: number;
  height?: number;
}

export interface BarPlotOptions {
  title: string;
  xLabel: string;
  yLabel: string;
  categories: string[];
  series: { name: string; values: number[]; color?: string }[];
  yLog?: boolean;
  /** Print each bar's value above it (default: true when there are ≤ 24 bars). */
  valueLabels?: boolean;
  /** Formats the value labels (default: 4 significant digits). */
  formatValue?: (v: number) => string;
  width?: number;
  height?: number;
}

export interface HeatmapColorScale {
  /** Values at the ends of the colour scale (default: data min / max). */
  min?: number;
  max?: number;
  /** Logarithmic colour scale; values ≤ 0 (or below `min`) take the lowest colour. */
  log?: boolean;
  palette?: 'viridis' | 'blues' | 'gray';
}

export interface HeatmapOptions {
  title: string;
  xLabel: string;
  yLabel: string;
  rowLabels: string[];
  colLabels: string[];
  /** values[row][col]. */
  values: number[][];
  colorScale?: HeatmapColorScale;
  /** Print each cell's value in it (default: when there are ≤ 12 rows and columns). */
  annotate?: boolean;
  width?: number;
  height?: number;
}

// ---------------------------------------------------------------------------------------------
// XML plumbing (preserveOrder form so element order = paint order)

type Attrs = Record<string, string | number | undefined>;
interface XNode {
  [tag: string]: XNode[] | Attrs | string | undefined;
}

function el(tag: string, attrs: Attrs = {}, children: XNode[] = []): XNode {
  const a: Attrs = {};
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined) a[`@_${k}`] = typeof v === 'number' ? fmtCoord(v) : v;
  const node: XNode = { [tag]: children };
  if (Object.keys(a).length) node[':@'] = a;
  return node;
}

function textEl(tag: string, attrs: Attrs, text: string): XNode {
  return el(tag, attrs, [{ '#text': text }]);
}

const builder = new XMLBuilder({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  preserveOrder: true,
  format: true,
  suppressEmptyNode: true,
});

function buildDocument(root: XNode): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n${String(builder.build([root])).trim()}\n`;
}

/** Coordinates with at most 2 decimals (stable text, small files). */
function fmtCoord(v: number): string {
  if (!Number.isFinite(v)) return '0';
  const r = Math.round(v * 100) / 100;
  return Object.is(r, -0) ? '0' : String(r);
}

// ---------------------------------------------------------------------------------------------
// Scales and ticks

/** Colour cycle (Tableau 10). */
export const PALETTE = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];

function safeColor(c: string | undefined, i: number): string {
  return c && /^[#a-zA-Z0-9]{1,30}$/.test(c) ? c : PALETTE[i % PALETTE.length]!;
}

/** A "nice" step (1, 2, 2.5 or 5 × 10^n) giving about `count` ticks over `span`. */
export function niceStep(span: number, count = 6): number {
  if (!(span > 0) || !Number.isFinite(span)) return 1;
  const raw = span / Math.max(1, count);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const f = raw / mag;
  const nf = f <= 1 ? 1 : f <= 2 ? 2 : f <= 2.5 ? 2.5 : f <= 5 ? 5 : 10;
  return nf * mag;
}

/** Linear axis: the domain widened to nice tick multiples, and the ticks. */
export function niceTicks(lo: number, hi: number, count = 6): { lo: number; hi: number; ticks: number[] } {
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) return { lo: 0, hi: 1, ticks: [0, 0.5, 1] };
  if (lo > hi) [lo, hi] = [hi, lo];
  if (lo === hi) {
    const d = lo === 0 ? 1 : Math.abs(lo) * 0.1;
    lo -= d;
    hi += d;
  }
  const step = niceStep(hi - lo, count);
  const nlo = Math.floor(lo / step + 1e-9) * step;
  const nhi = Math.ceil(hi / step - 1e-9) * step;
  const ticks: number[] = [];
  for (let i = 0; ; i++) {
    const t = nlo + i * step;
    if (t > nhi + step * 1e-6) break;
    ticks.push(Number(t.toPrecision(12)));
    if (i > 1000) break;
  }
  return { lo: nlo, hi: nhi, ticks };
}

/** Log axis: the domain widened to whole decades (or 1-2-5 steps when it spans < 1 decade), and ticks. */
export function logTicks(lo: number, hi: number): { lo: number; hi: number; ticks: number[] } {
  if (!(lo > 0) || !(hi > 0) || !Number.isFinite(lo) || !Number.isFinite(hi)) return { lo: 1, hi: 10, ticks: [1, 10] };
  if (lo > hi) [lo, hi] = [hi, lo];
  let e0 = Math.floor(Math.log10(lo) + 1e-9);
  let e1 = Math.ceil(Math.log10(hi) - 1e-9);
  if (e1 === e0) e1 = e0 + 1;
  if (e1 - e0 <= 1) {
    // Narrow: 1-2-5 ticks inside the decade(s).
    const ticks: number[] = [];
    for (let e = e0; e <= e1; e++) for (const m of [1, 2, 5]) {
      const t = Number((m * 10 ** e).toPrecision(12));
      if (t >= 10 ** e0 * 0.999 && t <= 10 ** e1 * 1.001) ticks.push(t);
    }
    return { lo: 10 ** e0, hi: 10 ** e1, ticks };
  }
  // Thin out so that at most ~8 decades are labelled.
  const every = Math.ceil((e1 - e0) / 8);
  e0 = Math.floor(e0 / every) * every;
  e1 = Math.ceil(e1 / every) * every;
  const ticks: number[] = [];
  for (let e = e0; e <= e1; e += every) ticks.push(Number((10 ** e).toPrecision(12)));
  return { lo: 10 ** e0, hi: 10 ** e1, ticks };
}

/** Short tick text: `0.25`, `1200`, `1e-12`, `3.5e+4`. */
export function formatTick(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e5 || a < 1e-3) {
    const [m, e] = v.toExponential(3).split('e') as [string, string];
    const mm = String(Number(m));
    return `${mm}e${e.startsWith('+') ? e.slice(1) : e}`;
  }
  return String(Number(v.toPrecision(4)));
}

/** Tick text on an axis: on a log axis spanning ≥ 3 decades every decade is written `1eN`. */
function axisTick(t: number, a: { log: boolean; lo: number; hi: number }): string {
  if (a.log && a.hi / a.lo >= 999) {
    const e = Math.round(Math.log10(t));
    if (Math.abs(10 ** e - t) <= 1e-9 * t) return `1e${e}`;
  }
  return formatTick(t);
}

interface Axis {
  lo: number;
  hi: number;
  ticks: number[];
  log: boolean;
  /** Data value → pixel. */
  map(v: number): number;
}

function makeAxis(lo: number, hi: number, log: boolean, p0: number, p1: number, forced?: [number, number]): Axis {
  const t = forced
    ? log
      ? { lo: forced[0], hi: forced[1], ticks: logTicks(forced[0], forced[1]).ticks.filter((x) => x >= forced[0] * 0.999 && x <= forced[1] * 1.001) }
      : { lo: forced[0], hi: forced[1], ticks: niceTicks(forced[0], forced[1]).ticks.filter((x) => x >= forced[0] - 1e-12 * Math.abs(forced[1] - forced[0]) && x <= forced[1] + 1e-12 * Math.abs(forced[1] - forced[0])) }
    : log
      ? logTicks(lo, hi)
      : niceTicks(lo, hi);
  const a = log ? Math.log10(t.lo) : t.lo;
  const b = log ? Math.log10(t.hi) : t.hi;
  const span = b - a || 1;
  return {
    ...t,
    log,
    map: (v: number) => p0 + ((log ? Math.log10(v) : v) - a) / span * (p1 - p0),
  };
}

function extent(values: number[], log: boolean): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    if (!Number.isFinite(v) || (log && v <= 0)) continue;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return lo <= hi ? [lo, hi] : log ? [1, 10] : [0, 1];
}

/** Rough text width in px for the default 12px sans-serif font. */
function textWidth(s: string, size = 12): number {
  return s.length * size * 0.58;
}

// ---------------------------------------------------------------------------------------------
// Shared frame pieces

interface Frame {
  width: number;
  height: number;
  left: number;
  right: number;
  top: number;
  bottom: number;
}

function frameFor(width: number, height: number, legendNames: string[], extraRight = 0): Frame {
  const legendW = legendNames.length ? Math.min(280, 34 + Math.max(...legendNames.map((n) => textWidth(n)))) : 0;
  return { width, height, left: 72, right: width - 16 - legendW - extraRight, top: 40, bottom: height - 52 };
}

function svgRoot(kind: string, f: Frame, title: string, children: XNode[]): XNode {
  return el(
    'svg',
    {
      xmlns: 'http://www.w3.org/2000/svg',
      class: 'capmin-figure',
      'data-kind': kind,
      width: f.width,
      height: f.height,
      viewBox: `0 0 ${fmtCoord(f.width)} ${fmtCoord(f.height)}`,
      'font-family': 'sans-serif',
      'font-size': 12,
    },
    [
      textEl('title', {}, title),
      el('rect', { class: 'background', x: 0, y: 0, width: f.width, height: f.height, fill: '#ffffff' }),
      textEl('text', { class: 'title', x: f.width / 2, y: 22, 'text-anchor': 'middle', 'font-size': 15, 'font-weight': 'bold' }, title),
      ...children,
    ],
  );
}

function axisLabels(f: Frame, xLabel: string, yLabel: string): XNode[] {
  const cy = (f.top + f.bottom) / 2;
  return [
    textEl('text', { class: 'x-label', x: (f.left + f.right) / 2, y: f.height - 12, 'text-anchor': 'middle' }, xLabel),
    textEl('text', { class: 'y-label', x: 16, y: cy, 'text-anchor': 'middle', transform: `rotate(-90 16 ${fmtCoord(cy)})` }, yLabel),
  ];
}

function yAxisNodes(f: Frame, ya: Axis): XNode[] {
  const out: XNode[] = [];
  for (const t of ya.ticks) {
    const y = ya.map(t);
    if (y < f.top - 0.5 || y > f.bottom + 0.5) continue;
    out.push(el('line', { class: 'grid', x1: f.left, x2: f.right, y1: y, y2: y, stroke: '#e4e4e4' }));
    out.push(el('line', { class: 'tick', x1: f.left - 5, x2: f.left, y1: y, y2: y, stroke: '#333' }));
    out.push(textEl('text', { class: 'tick-label', x: f.left - 8, y: y + 4, 'text-anchor': 'end' }, axisTick(t, ya)));
  }
  return out;
}

function legendNodes(f: Frame, items: { name: string; color: string; dashed?: boolean; kind: 'line' | 'box' }[]): XNode {
  const x0 = f.right + 14;
  const children: XNode[] = [];
  items.forEach((it, i) => {
    const y = f.top + 8 + i * 18;
    children.push(
      it.kind === 'line'
        ? el('line', { x1: x0, x2: x0 + 20, y1: y, y2: y, stroke: it.color, 'stroke-width': 2, 'stroke-dasharray': it.dashed ? '6 4' : undefined })
        : el('rect', { x: x0 + 4, y: y - 6, width: 12, height: 12, fill: it.color }),
    );
    const maxChars = Math.floor((f.width - x0 - 30) / 7);
    const name = it.name.length > maxChars && maxChars > 4 ? `${it.name.slice(0, maxChars - 1)}…` : it.name;
    children.push(textEl('text', { x: x0 + 26, y: y + 4 }, name));
  });
  return el('g', { class: 'legend' }, children);
}

// ---------------------------------------------------------------------------------------------
// Line plot

/** A line plot (optionally log x / log y) with reference lines and a legend (Figs. 1, 3, 8 style). */
export function linePlot(opts: LinePlotOptions): string {
  const { title, xLabel, yLabel, series, xLog = false, yLog = false, hLines = [], vLines = [] } = opts;
  const width = opts.width ?? 640;
  const height = opts.height ?? 400;
  series.forEach((s, i) => {
    if (s.x.length !== s.y.length) throw new Error(`linePlot: series ${i} '${s.name}' has ${s.x.length} x and ${s.y.length} y values`);
  });
  const f = frameFor(width, height, series.map((s) => s.name));
  const xs = series.flatMap((s) => s.x).concat(vLines.map((v) => v.x));
  const ys = series.flatMap((s) => s.y).concat(hLines.map((h) => h.y));
  const [x0, x1] = extent(xs, xLog);
  const [y0, y1] = extent(ys, yLog);
  const xa = makeAxis(x0, x1, xLog, f.left, f.right, opts.xRange);
  const ya = makeAxis(y0, y1, yLog, f.bottom, f.top, opts.yRange);

  const axes: XNode[] = [...yAxisNodes(f, ya)];
  for (const t of xa.ticks) {
    const x = xa.map(t);
    if (x < f.left - 0.5 || x > f.right + 0.5) continue;
    axes.push(el('line', { class: 'tick', x1: x, x2: x, y1: f.bottom, y2: f.bottom + 5, stroke: '#333' }));
    axes.push(textEl('text', { class: 'tick-label', x, y: f.bottom + 18, 'text-anchor': 'middle' }, axisTick(t, xa)));
  }
  axes.push(el('rect', { class: 'frame', x: f.left, y: f.top, width: f.right - f.left, height: f.bottom - f.top, fill: 'none', stroke: '#333' }));
  axes.push(...axisLabels(f, xLabel, yLabel));

  const inRange = (x: number, y: number) =>
    Number.isFinite(x) && Number.isFinite(y) && (!xLog || x > 0) && (!yLog || y > 0);
  const seriesNodes: XNode[] = series.map((s, i) => {
    const color = safeColor(s.color, i);
    const markers = s.markers ?? s.x.length <= 60;
    let d = '';
    let pen = false;
    let count = 0;
    const circles: XNode[] = [];
    for (let j = 0; j < s.x.length; j++) {
      const x = s.x[j]!;
      const y = s.y[j]!;
      if (!inRange(x, y)) {
        pen = false;
        continue;
      }
      const px = xa.map(x);
      const py = ya.map(y);
      d += `${pen ? 'L' : 'M'}${fmtCoord(px)} ${fmtCoord(py)} `;
      pen = true;
      count++;
      if (markers) circles.push(el('circle', { cx: px, cy: py, r: 3, fill: color, 'data-x': String(x), 'data-y': String(y) }));
    }
    const children: XNode[] = [];
    if (d) {
      children.push(
        el('path', {
          d: d.trim(),
          fill: 'none',
          stroke: color,
          'stroke-width': 2,
          'stroke-dasharray': s.dashed ? '6 4' : undefined,
          'stroke-linejoin': 'round',
        }),
      );
    }
    children.push(...circles);
    return el('g', { class: 'series', 'data-name': s.name, 'data-count': String(count) }, children);
  });

  const hNodes: XNode[] = [];
  for (const h of hLines) {
    if (!inRange(xa.lo, h.y)) continue;
    const y = ya.map(h.y);
    hNodes.push(el('line', { x1: f.left, x2: f.right, y1: y, y2: y, stroke: '#555', 'stroke-dasharray': '3 3' }));
    hNodes.push(textEl('text', { x: f.right - 4, y: y - 4, 'text-anchor': 'end', fill: '#555' }, h.label));
  }
  const vNodes: XNode[] = [];
  for (const v of vLines) {
    if (!Number.isFinite(v.x) || (xLog && v.x <= 0)) continue;
    const x = xa.map(v.x);
    vNodes.push(el('line', { x1: x, x2: x, y1: f.top, y2: f.bottom, stroke: '#999', 'stroke-dasharray': '2 3' }));
    if (v.label) vNodes.push(textEl('text', { x: x + 2, y: f.top + 12, fill: '#777', 'font-size': 10 }, v.label));
  }

  const plotArea = el('g', { class: 'plot-area' }, [
    el('g', { class: 'vlines' }, vNodes),
    el('g', { class: 'hlines' }, hNodes),
    ...seriesNodes,
  ]);
  const legend = legendNodes(f, series.map((s, i) => ({ name: s.name, color: safeColor(s.color, i), dashed: s.dashed, kind: 'line' as const })));
  return buildDocument(svgRoot('line', f, title, [el('g', { class: 'axes' }, axes), plotArea, legend]));
}

// ---------------------------------------------------------------------------------------------
// Bar plot

/** A grouped bar plot, one group per category, one bar per series (Fig. 1 histogram, Fig. 9 bars). */
export function barPlot(opts: BarPlotOptions): string {
  const { title, xLabel, yLabel, categories, series, yLog = false } = opts;
  const width = opts.width ?? 640;
  const height = opts.height ?? 400;
  series.forEach((s, i) => {
    if (s.values.length !== categories.length) {
      throw new Error(`barPlot: series ${i} '${s.name}' has ${s.values.length} values for ${categories.length} categories`);
    }
  });
  const f = frameFor(width, height, series.length > 1 || series[0]?.name ? series.map((s) => s.name) : []);
  const all = series.flatMap((s) => s.values);
  let [y0, y1] = extent(all, yLog);
  if (!yLog) {
    y0 = Math.min(0, y0);
    y1 = Math.max(0, y1);
  }
  const ya = makeAxis(y0, y1, yLog, f.bottom, f.top);
  const axes: XNode[] = [...yAxisNodes(f, ya)];
  const n = Math.max(1, categories.length);
  const groupW = (f.right - f.left) / n;
  const barW = (groupW * 0.8) / Math.max(1, series.length);
  const labelEvery = Math.ceil(categories.length / Math.max(1, Math.floor((f.right - f.left) / Math.max(18, 7 * Math.max(1, ...categories.map((c) => c.length))))));
  categories.forEach((c, i) => {
    const x = f.left + groupW * (i + 0.5);
    axes.push(el('line', { class: 'tick', x1: x, x2: x, y1: f.bottom, y2: f.bottom + 4, stroke: '#333' }));
    if (i % labelEvery === 0) axes.push(textEl('text', { class: 'tick-label', x, y: f.bottom + 18, 'text-anchor': 'middle' }, c));
  });
  axes.push(el('rect', { class: 'frame', x: f.left, y: f.top, width: f.right - f.left, height: f.bottom - f.top, fill: 'none', stroke: '#333' }));
  axes.push(...axisLabels(f, xLabel, yLabel));

  const base = yLog ? f.bottom : ya.map(0);
  const showValues = opts.valueLabels ?? categories.length * series.length <= 24;
  const fmt = opts.formatValue ?? ((v: number) => String(Number(v.toPrecision(4))));
  const seriesNodes: XNode[] = series.map((s, si) => {
    const color = safeColor(s.color, si);
    const rects: XNode[] = [];
    const labels: XNode[] = [];
    s.values.forEach((v, i) => {
      const x = f.left + groupW * i + groupW * 0.1 + barW * si;
      let top = base;
      if (Number.isFinite(v) && (!yLog || v > 0)) top = Math.max(f.top, Math.min(f.bottom, ya.map(v)));
      const y = Math.min(top, base);
      const h = Math.abs(base - top);
      rects.push(
        el('rect', { x, y, width: Math.max(0.5, barW - 1), height: h, fill: color, 'data-category': categories[i]!, 'data-value': String(v) }, [
          textEl('title', {}, `${s.name} · ${categories[i]}: ${Number.isFinite(v) ? fmt(v) : String(v)}`),
        ]),
      );
      if (showValues && Number.isFinite(v)) {
        labels.push(textEl('text', { class: 'value-label', x: x + barW / 2, y: y - 3, 'text-anchor': 'middle', 'font-size': 10 }, fmt(v)));
      }
    });
    return el('g', { class: 'series', 'data-name': s.name, 'data-count': String(s.values.length) }, [...rects, ...labels]);
  });
  const legend = legendNodes(f, f.right < width - 16 ? series.map((s, i) => ({ name: s.name, color: safeColor(s.color, i), kind: 'box' as const })) : []);
  return buildDocument(svgRoot('bar', f, title, [el('g', { class: 'axes' }, axes), el('g', { class: 'plot-area' }, seriesNodes), legend]));
}

// ---------------------------------------------------------------------------------------------
// Heatmap

const VIRIDIS: Array<[number, number, number]> = [
  [68, 1, 84], [72, 40, 120], [62, 74, 137], [49, 104, 142], [38, 130, 142], [31, 158, 137], [53, 183, 121], [110, 206, 88], [181, 222, 43], [253, 231, 37],
];
const BLUES: Array<[number, number, number]> = [
  [247, 251, 255], [198, 219, 239], [107, 174, 214], [33, 113, 181], [8, 48, 107],
];
const GRAY: Array<[number, number, number]> = [
  [255, 255, 255], [0, 0, 0],
];

/** Colour of t ∈ [0, 1] on a palette, as #rrggbb. */
export function paletteColor(t: number, palette: 'viridis' | 'blues' | 'gray' = 'viridis'): string {
  const stops = palette === 'blues' ? BLUES : palette === 'gray' ? GRAY : VIRIDIS;
  const u = Math.max(0, Math.min(1, Number.isFinite(t) ? t : 0)) * (stops.length - 1);
  const i = Math.min(stops.length - 2, Math.floor(u));
  const f = u - i;
  const a = stops[i]!;
  const b = stops[i + 1]!;
  const c = [0, 1, 2].map((k) => Math.round(a[k]! + (b[k]! - a[k]!) * f));
  return `#${c.map((v) => v.toString(16).padStart(2, '0')).join('')}`;
}

/** A heatmap of values[row][col] with a colour bar (P_map). Each row is one `g.series` of rects. */
export function heatmap(opts: HeatmapOptions): string {
  const { title, xLabel, yLabel, rowLabels, colLabels, values } = opts;
  const width = opts.width ?? 560;
  const height = opts.height ?? 520;
  if (values.length !== rowLabels.length) throw new Error(`heatmap: ${values.length} rows for ${rowLabels.length} row labels`);
  values.forEach((r, i) => {
    if (r.length !== colLabels.length) throw new Error(`heatmap: row ${i} has ${r.length} values for ${colLabels.length} column labels`);
  });
  const cs = opts.colorScale ?? {};
  const palette = cs.palette ?? 'viridis';
  const flat = values.flat();
  const [dmin, dmax] = extent(flat, cs.log ?? false);
  const vmin = cs.min ?? dmin;
  const vmax = cs.max ?? dmax;
  const log = Boolean(cs.log) && vmin > 0 && vmax > 0;
  const norm = (v: number): number => {
    if (!Number.isFinite(v)) return 0;
    if (log) {
      if (v <= 0) return 0;
      const a = Math.log10(vmin);
      const b = Math.log10(vmax);
      return b > a ? (Math.log10(Math.max(v, vmin)) - a) / (b - a) : 1;
    }
    return vmax > vmin ? (v - vmin) / (vmax - vmin) : 1;
  };
  const f: Frame = { width, height, left: 64, right: width - 90, top: 40, bottom: height - 52 };
  const side = Math.min(f.right - f.left, f.bottom - f.top);
  f.right = f.left + side;
  f.bottom = f.top + side;
  const nr = Math.max(1, rowLabels.length);
  const nc = Math.max(1, colLabels.length);
  const cw = (f.right - f.left) / nc;
  const ch = (f.bottom - f.top) / nr;
  const annotate = opts.annotate ?? (nr <= 12 && nc <= 12);

  const axes: XNode[] = [];
  const labelEveryC = Math.ceil(nc / Math.max(1, Math.floor((f.right - f.left) / 18)));
  const labelEveryR = Math.ceil(nr / Math.max(1, Math.floor((f.bottom - f.top) / 14)));
  colLabels.forEach((c, j) => {
    if (j % labelEveryC !== 0) return;
    axes.push(textEl('text', { class: 'tick-label', x: f.left + cw * (j + 0.5), y: f.bottom + 16, 'text-anchor': 'middle', 'font-size': 10 }, c));
  });
  rowLabels.forEach((r, i) => {
    if (i % labelEveryR !== 0) return;
    axes.push(textEl('text', { class: 'tick-label', x: f.left - 6, y: f.top + ch * (i + 0.5) + 4, 'text-anchor': 'end', 'font-size': 10 }, r));
  });
  axes.push(el('rect', { class: 'frame', x: f.left, y: f.top, width: f.right - f.left, height: f.bottom - f.top, fill: 'none', stroke: '#333' }));
  axes.push(...axisLabels({ ...f, left: f.left, right: f.right }, xLabel, yLabel));

  const rows: XNode[] = values.map((row, i) => {
    const cells: XNode[] = row.map((v, j) => {
      const t = norm(v);
      return el('rect', { x: f.left + cw * j, y: f.top + ch * i, width: cw + 0.3, height: ch + 0.3, fill: paletteColor(t, palette), 'data-value': String(v) }, [
        textEl('title', {}, `${rowLabels[i]} → ${colLabels[j]}: ${Number.isFinite(v) ? Number(v.toPrecision(4)) : String(v)}`),
      ]);
    });
    const texts: XNode[] = [];
    if (annotate) {
      row.forEach((v, j) => {
        if (!Number.isFinite(v)) return;
        const t = norm(v);
        texts.push(
          textEl('text', {
            class: 'cell-label', x: f.left + cw * (j + 0.5), y: f.top + ch * (i + 0.5) + 4, 'text-anchor': 'middle', 'font-size': 10,
            fill: palette === 'viridis' ? (t > 0.6 ? '#000' : '#fff') : t > 0.5 ? '#fff' : '#000',
          }, formatTick(Number(v.toPrecision(3)))),
        );
      });
    }
    return el('g', { class: 'series', 'data-name': rowLabels[i]!, 'data-count': String(row.length) }, [...cells, ...texts]);
  });

  // Colour bar.
  const cbX = f.right + 24;
  const steps = 32;
  const cb: XNode[] = [];
  for (let s = 0; s < steps; s++) {
    const t = s / (steps - 1);
    const y = f.bottom - ((s + 1) / steps) * (f.bottom - f.top);
    cb.push(el('rect', { x: cbX, y, width: 14, height: (f.bottom - f.top) / steps + 0.3, fill: paletteColor(t, palette) }));
  }
  const cbTicks = log ? logTicks(vmin, vmax).ticks.filter((t) => t >= vmin * 0.999 && t <= vmax * 1.001) : niceTicks(vmin, vmax, 5).ticks.filter((t) => t >= vmin - 1e-12 && t <= vmax + 1e-12);
  for (const t of cbTicks) {
    const y = f.bottom - norm(t) * (f.bottom - f.top);
    cb.push(el('line', { x1: cbX + 14, x2: cbX + 18, y1: y, y2: y, stroke: '#333' }));
    cb.push(textEl('text', { x: cbX + 20, y: y + 4, 'font-size': 10 }, formatTick(t)));
  }
  return buildDocument(
    svgRoot('heatmap', f, title, [el('g', { class: 'axes' }, axes), el('g', { class: 'plot-area' }, rows), el('g', { class: 'colorbar' }, cb)]),
  );
}

// ---------------------------------------------------------------------------------------------
// Reading figures back

/** What `parseSvgSeries` finds for one `g.series`. */
export interface ParsedSeries {
  name: string;
  /** `data-count` as written by the builder. */
  count: number;
  /** Vertices over all `<path>` elements (M and L commands). */
  pathPoints: number;
  circles: number;
  rects: number;
  /** The data values of markers (`data-x`/`data-y`) or bars/cells (`data-value`). */
  xs: number[];
  ys: number[];
  values: number[];
}

const ARRAY_TAGS = new Set(['g', 'path', 'circle', 'rect', 'text', 'line', 'title']);
const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  isArray: (name) => ARRAY_TAGS.has(name),
  parseAttributeValue: false,
  processEntities: true,
});

/**
 * Parse an SVG produced by this module and return its series with element counts.
 * Throws if the text is not well-formed XML (XMLValidator) or has no `<svg>` root.
 */
export function parseSvgSeries(svg: string): { kind: string; title: string; series: ParsedSeries[] } {
  const body = svg.replace(/^<\?xml[^>]*\?>\s*/, '');
  const v = XMLValidatorValidate(body);
  if (v !== true) throw new Error(`SVG is not well-formed: ${v}`);
  const doc = parser.parse(body) as Record<string, unknown>;
  const root = doc.svg as Record<string, unknown> | undefined;
  if (!root || typeof root !== 'object') throw new Error('SVG has no <svg> root element');
  const out: ParsedSeries[] = [];
  const visit = (node: Record<string, unknown>): void => {
    for (const g of (node.g as Record<string, unknown>[] | undefined) ?? []) {
      if (g['@_class'] === 'series') {
        const paths = (g.path as Record<string, unknown>[] | undefined) ?? [];
        const circles = (g.circle as Record<string, unknown>[] | undefined) ?? [];
        const rects = (g.rect as Record<string, unknown>[] | undefined) ?? [];
        out.push({
          name: String(g['@_data-name'] ?? ''),
          count: Number(g['@_data-count'] ?? NaN),
          pathPoints: paths.reduce((n, p) => n + (String(p['@_d'] ?? '').match(/[ML]/g)?.length ?? 0), 0),
          circles: circles.length,
          rects: rects.length,
          xs: circles.map((c) => Number(c['@_data-x'])),
          ys: circles.map((c) => Number(c['@_data-y'])),
          values: rects.map((r) => Number(r['@_data-value'])),
        });
      } else {
        visit(g);
      }
    }
  };
  visit(root);
  const titles = (root.title as unknown[] | undefined) ?? [];
  const t0 = titles[0];
  const title = typeof t0 === 'string' ? t0 : t0 && typeof t0 === 'object' ? String((t0 as Record<string, unknown>)['#text'] ?? '') : '';
  return { kind: String(root['@_data-kind'] ?? ''), title, series: out };
}

function XMLValidatorValidate(xml: string): true | string {
  const r = XMLValidator.validate(xml);
  return r === true ? true : `${r.err.code} at line ${r.err.line}: ${r.err.msg}`;
}
