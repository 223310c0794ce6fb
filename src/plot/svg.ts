/**
 * Dependency-light SVG figure builders (line plot, stacked line panels, bar plot, heatmap) for capmin's reports.
 *
 * Every figure is a standalone SVG document built as XML with fast-xml-parser's XMLBuilder
 * (so all text and attribute values are escaped by the builder). The element structure is stable:
 *
 *   <svg class="capmin-figure" data-kind="line|bar|heatmap">
 *     <title/> <rect class="background"/> <text class="title"/> <text class="subtitle"/>?
 *     <g class="axes"> … ticks, grid, axis labels (tick labels carry data-axis="x|y|x2|y2|cb") … </g>
 *     <g class="plot-area">
 *       <g class="series" data-name="…" data-count="n"> <path/> | markers (<circle/>, <polygon/>)… | <rect/>… </g>
 *       <g class="hlines"/> <g class="vlines"/>
 *     </g>
 *     <g class="overview"/> (an optional second panel with the full range: its curves are `g.overview-series`)
 *     <g class="legend"/> (and <g class="colorbar"/> for heatmaps)
 *   </svg>
 *
 * Text is never smaller than MIN_FONT px at the figure's own size, and figures are meant to be shown at their own
 * size (the report lays them out so). Labels that would collide are moved (reference-line labels, bar values).
 * `parseSvgSeries` reads a figure back (tests, and anyone checking an emitted file).
 */
import { XMLBuilder, XMLParser, XMLValidator } from 'fast-xml-parser';

/** Marker shapes of line series. */
export type MarkerShape = 'circle' | 'square' | 'triangle' | 'diamond' | 'down' | 'plus';

/** One curve of a line plot. Non-finite points (and non-positive ones on a log axis) break the line. */
export interface LineSeries {
  name: string;
  x: number[];
  y: number[];
  /** Dashed line ('6 4'); `dash` gives the pattern explicitly. */
  dashed?: boolean;
  /** SVG stroke-dasharray ('' = solid); default: solid, or the series' entry of DASHES when `styleCycle` is set. */
  dash?: string;
  /** Draw a marker at every plotted point (default: true when the series has ≤ 60 points). */
  markers?: boolean;
  /** Marker shape (default: circle, or the series' entry of MARKERS when `styleCycle` is set). */
  marker?: MarkerShape;
  /** Hollow marker (white fill, coloured outline), so a marker under it stays visible. */
  hollow?: boolean;
  /** Optional explicit colour (CSS colour of letters, digits and #). */
  color?: string;
}

export interface LinePlotOptions {
  title: string;
  /** A second, smaller header line (e.g. the circuit a figure comes from); wrapped to the width. */
  subtitle?: string;
  xLabel: string;
  yLabel: string;
  series: LineSeries[];
  xLog?: boolean;
  yLog?: boolean;
  /** Horizontal reference lines (e.g. V_th). */
  hLines?: { y: number; label: string }[];
  /** Vertical reference lines (e.g. clock edges). */
  vLines?: { x: number; label?: string }[];
  /** Force the axis ranges (otherwise taken from the data and reference lines); data outside is clipped. */
  xRange?: [number, number];
  yRange?: [number, number];
  /**
   * Give every series its own dash pattern and marker shape (DASHES, MARKERS) unless it sets them, so series that
   * coincide stay distinguishable.
   */
  styleCycle?: boolean;
  /** A second, narrow panel at the right of the main one showing the same series over `yRange` (default: all data). */
  overview?: { title: string; yRange?: [number, number]; width?: number };
  /** Tick text (default `formatEng`). */
  formatX?: (v: number) => string;
  formatY?: (v: number) => string;
  width?: number;
  height?: number;
}

/** One panel of `stackedLinePlot`: its own y axis, series and reference lines; the x axis is shared. */
export interface LinePanel {
  yLabel: string;
  series: LineSeries[];
  yLog?: boolean;
  yRange?: [number, number];
  hLines?: { y: number; label: string }[];
}

export interface StackedLinePlotOptions {
  title: string;
  subtitle?: string;
  xLabel: string;
  xLog?: boolean;
  xRange?: [number, number];
  panels: LinePanel[];
  styleCycle?: boolean;
  width?: number;
  /** Height of each panel's plot area [px] (default 170). */
  panelHeight?: number;
}

export interface BarPlotOptions {
  title: string;
  subtitle?: string;
  xLabel: string;
  yLabel: string;
  categories: string[];
  series: { name: string; values: number[]; color?: string }[];
  yLog?: boolean;
  /** Print each bar's value above it (default: true when there are ≤ 24 bars). */
  valueLabels?: boolean;
  /** Formats the value labels (default: 3 significant digits). */
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
  subtitle?: string;
  xLabel: string;
  yLabel: string;
  rowLabels: string[];
  colLabels: string[];
  /** values[row][col]. */
  values: number[][];
  colorScale?: HeatmapColorScale;
  /** Print each cell's value in it (default: when there are ≤ 12 rows and columns and the cells are wide enough). */
  annotate?: boolean;
  width?: number;
  height?: number;
}

/** Smallest font size used anywhere in a figure [px, at the figure's own size]. */
export const MIN_FONT = 11;
const FONT = 12;
const TITLE_FONT = 15;

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

/** A text element of several lines (tspans), first line at `y`. */
function linesEl(attrs: Attrs & { x: number; y: number }, lines: string[], lineHeight: number): XNode {
  if (lines.length <= 1) return textEl('text', attrs, lines[0] ?? '');
  return el(
    'text',
    attrs,
    lines.map((l, i) => textEl('tspan', { x: attrs.x, dy: i === 0 ? undefined : lineHeight }, l)),
  );
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

/** What distinguishes series for a clip id: names, lengths and the data's sums (figures on one page rarely share all). */
function seriesKey(series: LineSeries[]): string {
  const sum = (a: number[]) => a.reduce((t, v) => (Number.isFinite(v) ? t + v : t), 0);
  return series.map((s) => `${s.name}:${s.x.length}:${sum(s.x).toPrecision(8)}:${sum(s.y).toPrecision(8)}`).join(',');
}

/** A short stable hash (FNV-1a) for ids that must be unique when several figures share one HTML page. */
function hashId(s: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(36);
}

// ---------------------------------------------------------------------------------------------
// Scales, ticks and tick text

/** Colour cycle (Tableau 10). */
export const PALETTE = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];
/** Dash cycle of `styleCycle` ('' = solid). */
export const DASHES = ['', '7 4', '2 3', '10 3 2 3', '4 2', '12 5', '1 3', '6 2 2 2 2 2'];
/** Marker cycle of `styleCycle`. */
export const MARKERS: MarkerShape[] = ['circle', 'square', 'triangle', 'diamond', 'down', 'plus'];

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

/** 1-2-5 (or 1…9) ticks of every decade that fall in [lo, hi]. */
function subDecadeTicks(lo: number, hi: number, mantissas: number[]): number[] {
  const out: number[] = [];
  for (let e = Math.floor(Math.log10(lo)) - 1; e <= Math.ceil(Math.log10(hi)); e++) {
    for (const m of mantissas) {
      const t = Number((m * 10 ** e).toPrecision(12));
      if (t >= lo * 0.999 && t <= hi * 1.001) out.push(t);
    }
  }
  return out;
}

/** Log axis: the domain widened to whole decades (or 1-2-5 steps when it spans < 1 decade), and ticks. */
export function logTicks(lo: number, hi: number): { lo: number; hi: number; ticks: number[] } {
  if (!(lo > 0) || !(hi > 0) || !Number.isFinite(lo) || !Number.isFinite(hi)) return { lo: 1, hi: 10, ticks: [1, 10] };
  if (lo > hi) [lo, hi] = [hi, lo];
  let e0 = Math.floor(Math.log10(lo) + 1e-9);
  let e1 = Math.ceil(Math.log10(hi) - 1e-9);
  if (e1 === e0) e1 = e0 + 1;
  if (e1 - e0 <= 1) return { lo: 10 ** e0, hi: 10 ** e1, ticks: subDecadeTicks(10 ** e0, 10 ** e1, [1, 2, 5]) };
  // Thin out so that at most ~8 decades are labelled.
  const every = Math.ceil((e1 - e0) / 8);
  e0 = Math.floor(e0 / every) * every;
  e1 = Math.ceil(e1 / every) * every;
  const ticks: number[] = [];
  for (let e = e0; e <= e1; e += every) ticks.push(Number((10 ** e).toPrecision(12)));
  return { lo: 10 ** e0, hi: 10 ** e1, ticks };
}

const SI_PREFIX: Record<number, string> = { [-15]: 'f', [-12]: 'p', [-9]: 'n', [-6]: 'µ', [-3]: 'm', 3: 'k', 6: 'M', 9: 'G', 12: 'T', 15: 'P' };

/**
 * Tick and value text in plain engineering notation, the one formatter of every figure: plain decimals from 0.0001
 * to below 10 000 (`0.25`, `1`, `10`, `100`, `1200`), otherwise an SI prefix (`10k`, `100M`, `100µ`, `1p`); at most
 * 4 significant digits. The unit belongs in the axis label (values are already scaled to pF, ns, fJ …).
 */
export function formatEng(v: number, digits = 4): string {
  if (!Number.isFinite(v)) return String(v);
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e-4 && a < 1e4) return String(Number(v.toPrecision(digits)));
  let e3 = Math.floor(Math.log10(a) / 3) * 3;
  let m = Number((v / 10 ** e3).toPrecision(digits));
  if (Math.abs(m) >= 1000) {
    e3 += 3;
    m = Number((v / 10 ** e3).toPrecision(digits));
  }
  const p = SI_PREFIX[e3];
  if (p === undefined) {
    const [mm, e] = v.toExponential(digits - 1).split('e') as [string, string];
    return `${Number(mm)}e${e.startsWith('+') ? e.slice(1) : e}`;
  }
  return `${m}${p}`;
}

/** Short tick text (alias of `formatEng`, kept for existing callers). */
export function formatTick(v: number): string {
  return formatEng(v);
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
  let t: { lo: number; hi: number; ticks: number[] };
  if (forced && log) {
    const [a, b] = forced;
    let ticks = logTicks(a, b).ticks.filter((x) => x >= a * 0.999 && x <= b * 1.001);
    // a forced log range that holds fewer than three decades gets 1-2-5 (then 1…9) ticks
    if (ticks.length < 3) ticks = subDecadeTicks(a, b, [1, 2, 5]);
    if (ticks.length < 3) ticks = subDecadeTicks(a, b, [1, 2, 3, 4, 5, 6, 7, 8, 9]);
    t = { lo: a, hi: b, ticks };
  } else if (forced) {
    const [a, b] = forced;
    const eps = 1e-9 * Math.abs(b - a);
    t = { lo: a, hi: b, ticks: niceTicks(a, b).ticks.filter((x) => x >= a - eps && x <= b + eps) };
  } else t = log ? logTicks(lo, hi) : niceTicks(lo, hi);
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

/** Estimated text width in px for a sans-serif font (generous, so estimated boxes contain the rendered ones). */
export function textWidth(s: string, size = FONT, bold = false): number {
  return [...s].length * size * (bold ? 0.66 : 0.62);
}

/**
 * Split text into lines of at most `maxWidth` px: at ` · ` separators when the text has them (so a field such as
 * `27 °C` stays whole), else at word boundaries; a single long piece stays whole.
 */
export function wrapText(s: string, maxWidth: number, size = FONT, bold = false): string[] {
  const sep = s.includes(' · ') ? ' · ' : ' ';
  const words = (sep === ' ' ? s.split(/\s+/) : s.split(' · ')).filter(Boolean);
  const lines: string[] = [];
  let cur = '';
  for (const w of words) {
    const next = cur ? `${cur}${sep}${w}` : w;
    if (cur && textWidth(next, size, bold) > maxWidth) {
      lines.push(cur);
      cur = w;
    } else cur = next;
  }
  if (cur) lines.push(cur);
  return lines.length ? lines : [''];
}

// ---------------------------------------------------------------------------------------------
// Label placement: boxes that must not overlap

interface Box {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

function overlaps(a: Box, b: Box): boolean {
  return a.x0 < b.x1 && b.x0 < a.x1 && a.y0 < b.y1 && b.y0 < a.y1;
}

/** The first of the candidate boxes that overlaps none of `placed` (or the last candidate); it is added to `placed`. */
function placeBox(placed: Box[], candidates: Box[]): Box {
  const pick = candidates.find((c) => placed.every((p) => !overlaps(c, p))) ?? candidates[candidates.length - 1]!;
  placed.push(pick);
  return pick;
}

/** Box of a single-line text at (x, baseline y) with an anchor. */
function textBox(x: number, y: number, s: string, size: number, anchor: 'start' | 'middle' | 'end'): Box {
  const w = textWidth(s, size);
  const x0 = anchor === 'start' ? x : anchor === 'middle' ? x - w / 2 : x - w;
  return { x0, y0: y - size * 0.85, x1: x0 + w, y1: y + size * 0.25 };
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

interface Header {
  nodes: XNode[];
  /** y below the header [px] */
  height: number;
}

/** Title (bold, wrapped, never cut off) and optional subtitle lines, centred. */
function headerNodes(width: number, title: string, subtitle?: string): Header {
  const maxW = width - 24;
  let size = TITLE_FONT;
  let lines = wrapText(title, maxW, size, true);
  if (lines.length > 2) {
    size = 13;
    lines = wrapText(title, maxW, size, true);
  }
  const nodes: XNode[] = [linesEl({ class: 'title', x: width / 2, y: 8 + size, 'text-anchor': 'middle', 'font-size': size, 'font-weight': 'bold' }, lines, size + 3)];
  let y = 8 + size + (lines.length - 1) * (size + 3) + 6;
  if (subtitle) {
    const sub = wrapText(subtitle, maxW, FONT);
    nodes.push(linesEl({ class: 'subtitle', x: width / 2, y: y + FONT, 'text-anchor': 'middle', 'font-size': FONT, fill: '#555' }, sub, FONT + 3));
    y += FONT + (sub.length - 1) * (FONT + 3) + 6;
  }
  return { nodes, height: y };
}

function legendWidth(names: string[]): number {
  return names.length ? Math.min(300, 40 + Math.max(...names.map((n) => textWidth(n)))) : 0;
}

function svgRoot(kind: string, f: { width: number; height: number }, title: string, header: Header, children: XNode[]): XNode {
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
      'font-size': FONT,
    },
    [
      textEl('title', {}, title),
      el('rect', { class: 'background', x: 0, y: 0, width: f.width, height: f.height, fill: '#ffffff' }),
      ...header.nodes,
      ...children,
    ],
  );
}

function xAxisLabel(f: Frame, xLabel: string, y: number): XNode {
  return textEl('text', { class: 'x-label', x: (f.left + f.right) / 2, y, 'text-anchor': 'middle' }, xLabel);
}

function yAxisLabel(f: Frame, yLabel: string, x: number): XNode {
  const cy = (f.top + f.bottom) / 2;
  // a label longer than the panel is wrapped onto two lines
  const lines = wrapText(yLabel, Math.max(60, f.bottom - f.top), FONT);
  const x0 = x - (lines.length - 1) * (FONT + 2);
  return linesEl({ class: 'y-label', x: x0, y: cy, 'text-anchor': 'middle', transform: `rotate(-90 ${fmtCoord(x0)} ${fmtCoord(cy)})` }, lines.slice(0, 2), FONT + 2);
}

/** Widest tick label of a y axis [px]. */
function yTickWidth(ya: Axis, fmt: (v: number) => string): number {
  return Math.max(0, ...ya.ticks.map((t) => textWidth(fmt(t))));
}

function yAxisNodes(f: Frame, ya: Axis, fmt: (v: number) => string, axisName: string, grid = true): XNode[] {
  const out: XNode[] = [];
  for (const t of ya.ticks) {
    const y = ya.map(t);
    if (y < f.top - 0.5 || y > f.bottom + 0.5) continue;
    if (grid) out.push(el('line', { class: 'grid', x1: f.left, x2: f.right, y1: y, y2: y, stroke: '#e4e4e4' }));
    out.push(el('line', { class: 'tick', x1: f.left - 5, x2: f.left, y1: y, y2: y, stroke: '#333' }));
    out.push(textEl('text', { class: 'tick-label', 'data-axis': axisName, x: f.left - 8, y: y + 4, 'text-anchor': 'end' }, fmt(t)));
  }
  return out;
}

/** x ticks, thinned so that neighbouring labels keep a gap. */
function xAxisNodes(f: Frame, xa: Axis, fmt: (v: number) => string, axisName: string, labels = true): XNode[] {
  const out: XNode[] = [];
  const vis = xa.ticks.filter((t) => {
    const x = xa.map(t);
    return x >= f.left - 0.5 && x <= f.right + 0.5;
  });
  let every = 1;
  for (; every < vis.length; every++) {
    const kept = vis.filter((_, i) => i % every === 0);
    const ok = kept.every((t, i) => i === 0 || xa.map(t) - xa.map(kept[i - 1]!) > (textWidth(fmt(t)) + textWidth(fmt(kept[i - 1]!))) / 2 + 6);
    if (ok) break;
  }
  vis.forEach((t, i) => {
    const x = xa.map(t);
    out.push(el('line', { class: 'tick', x1: x, x2: x, y1: f.bottom, y2: f.bottom + 5, stroke: '#333' }));
    if (labels && i % every === 0) out.push(textEl('text', { class: 'tick-label', 'data-axis': axisName, x, y: f.bottom + 18, 'text-anchor': 'middle' }, fmt(t)));
  });
  return out;
}

interface LegendItem {
  name: string;
  color: string;
  dash?: string;
  marker?: MarkerShape;
  hollow?: boolean;
  kind: 'line' | 'box';
}

function legendNodes(x0: number, top: number, width: number, items: LegendItem[]): XNode {
  const children: XNode[] = [];
  items.forEach((it, i) => {
    const y = top + 8 + i * 20;
    if (it.kind === 'line') {
      children.push(el('line', { x1: x0, x2: x0 + 26, y1: y, y2: y, stroke: it.color, 'stroke-width': 2, 'stroke-dasharray': it.dash || undefined }));
      if (it.marker) children.push(markerNode(it.marker, x0 + 13, y, it.color, it.hollow ?? false));
    } else children.push(el('rect', { x: x0 + 6, y: y - 6, width: 12, height: 12, fill: it.color }));
    const maxW = width - x0 - 34 - 4;
    let name = it.name;
    while (name.length > 4 && textWidth(name) > maxW) name = `${name.slice(0, -2)}…`;
    children.push(textEl('text', { x: x0 + 32, y: y + 4 }, name));
  });
  return el('g', { class: 'legend' }, children);
}

/** A marker at (x, y): `<circle>` for circles, `<polygon>` for the other shapes. */
function markerNode(shape: MarkerShape, x: number, y: number, color: string, hollow: boolean, data: Attrs = {}): XNode {
  const paint = { fill: hollow ? '#ffffff' : color, stroke: color, 'stroke-width': hollow ? 1.5 : 1 };
  if (shape === 'circle') return el('circle', { cx: x, cy: y, r: hollow ? 4.5 : 3.5, ...paint, ...data });
  const r = 4.2;
  const pts: [number, number][] =
    shape === 'square'
      ? [[-0.8, -0.8], [0.8, -0.8], [0.8, 0.8], [-0.8, 0.8]]
      : shape === 'triangle'
        ? [[0, -1.1], [1, 0.7], [-1, 0.7]]
        : shape === 'down'
          ? [[0, 1.1], [1, -0.7], [-1, -0.7]]
          : shape === 'diamond'
            ? [[0, -1.1], [1, 0], [0, 1.1], [-1, 0]]
            : [[-0.3, -1], [0.3, -1], [0.3, -0.3], [1, -0.3], [1, 0.3], [0.3, 0.3], [0.3, 1], [-0.3, 1], [-0.3, 0.3], [-1, 0.3], [-1, -0.3], [-0.3, -0.3]];
  return el('polygon', { points: pts.map(([a, b]) => `${fmtCoord(x + a * r)},${fmtCoord(y + b * r)}`).join(' '), ...paint, ...data });
}

// ---------------------------------------------------------------------------------------------
// Line panels

interface SeriesStyle {
  color: string;
  dash: string;
  marker: MarkerShape;
  hollow: boolean;
  markers: boolean;
}

function seriesStyle(s: LineSeries, i: number, cycle: boolean): SeriesStyle {
  return {
    color: safeColor(s.color, i),
    dash: s.dash ?? (s.dashed ? '6 4' : cycle ? DASHES[i % DASHES.length]! : ''),
    marker: s.marker ?? (cycle ? MARKERS[i % MARKERS.length]! : 'circle'),
    hollow: s.hollow ?? (cycle ? i % 2 === 1 : false),
    markers: s.markers ?? s.x.length <= 60,
  };
}

/** Curves, reference lines and their labels of one panel, clipped to its frame. */
function panelPlot(
  f: Frame,
  xa: Axis,
  ya: Axis,
  series: LineSeries[],
  styles: SeriesStyle[],
  hLines: { y: number; label: string }[],
  vLines: { x: number; label?: string }[],
  seriesClass: string,
  clipId: string,
  placed: Box[],
): XNode[] {
  const inRange = (x: number, y: number) => Number.isFinite(x) && Number.isFinite(y) && (!xa.log || x > 0) && (!ya.log || y > 0);
  const seriesNodes: XNode[] = series.map((s, i) => {
    const st = styles[i]!;
    let d = '';
    let pen = false;
    let count = 0;
    const marks: XNode[] = [];
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
      if (st.markers) marks.push(markerNode(st.marker, px, py, st.color, st.hollow, { 'data-x': String(x), 'data-y': String(y) }));
    }
    const children: XNode[] = [];
    if (d) {
      children.push(el('path', { d: d.trim(), fill: 'none', stroke: st.color, 'stroke-width': 2, 'stroke-dasharray': st.dash || undefined, 'stroke-linejoin': 'round' }));
    }
    children.push(...marks);
    return el('g', { class: seriesClass, 'data-name': s.name, 'data-count': String(count) }, children);
  });

  // reference lines; their labels go above the line at the right, else below, else further along
  const hNodes: XNode[] = [];
  for (const h of [...hLines].sort((a, b) => b.y - a.y)) {
    if (!inRange(xa.lo, h.y)) continue;
    const y = ya.map(h.y);
    if (y < f.top - 0.5 || y > f.bottom + 0.5) continue;
    hNodes.push(el('line', { x1: f.left, x2: f.right, y1: y, y2: y, stroke: '#555', 'stroke-dasharray': '3 3' }));
    const x = f.right - 4;
    const cands = [y - 4, y + 4 + FONT, y - 4 - 2 * FONT, y + 4 + 3 * FONT]
      .filter((yy) => yy - FONT >= f.top - 1 && yy <= f.bottom + 1)
      .flatMap((yy) => [x, x - 0.45 * (f.right - f.left)].map((xx) => ({ xx, yy })));
    if (!cands.length) cands.push({ xx: x, yy: y - 4 });
    const boxes = cands.map((c) => textBox(c.xx, c.yy, h.label, FONT, 'end'));
    const b = placeBox(placed, boxes);
    const c = cands[boxes.indexOf(b)]!;
    hNodes.push(textEl('text', { class: 'ref-label', x: c.xx, y: c.yy, 'text-anchor': 'end', fill: '#444' }, h.label));
  }
  const vNodes: XNode[] = [];
  for (const v of vLines) {
    if (!Number.isFinite(v.x) || (xa.log && v.x <= 0)) continue;
    const x = xa.map(v.x);
    if (x < f.left - 0.5 || x > f.right + 0.5) continue;
    vNodes.push(el('line', { x1: x, x2: x, y1: f.top, y2: f.bottom, stroke: '#999', 'stroke-dasharray': '2 3' }));
    if (v.label) {
      const b = placeBox(placed, [f.top + 14, f.top + 30, f.top + 46].map((yy) => textBox(x + 3, yy, v.label!, MIN_FONT, 'start')));
      vNodes.push(textEl('text', { class: 'ref-label', x: x + 3, y: b.y1 - MIN_FONT * 0.25, fill: '#666', 'font-size': MIN_FONT }, v.label));
    }
  }
  return [
    // markers on the frame's edge stay whole; curves leaving a forced range are cut there
    el('clipPath', { id: clipId }, [el('rect', { x: f.left - 6, y: f.top - 3, width: f.right - f.left + 12, height: f.bottom - f.top + 6 })]),
    el('g', { class: seriesClass === 'series' ? 'plot-area' : 'overview-area', 'clip-path': `url(#${clipId})` }, [
      el('g', { class: 'vlines' }, vNodes),
      el('g', { class: 'hlines' }, hNodes),
      ...seriesNodes,
    ]),
  ];
}

function frameRect(f: Frame): XNode {
  return el('rect', { class: 'frame', x: f.left, y: f.top, width: f.right - f.left, height: f.bottom - f.top, fill: 'none', stroke: '#333' });
}

// ---------------------------------------------------------------------------------------------
// Line plot

/**
 * A line plot (optionally log x / log y) with reference lines and a legend (Figs. 1, 3, 8 style); with `overview`,
 * a second narrow panel shows the same series over the full range (the paper's inset for a zoomed main panel).
 */
export function linePlot(opts: LinePlotOptions): string {
  const { title, xLabel, yLabel, series, xLog = false, yLog = false, hLines = [], vLines = [] } = opts;
  const width = opts.width ?? 640;
  const height = opts.height ?? 400;
  series.forEach((s, i) => {
    if (s.x.length !== s.y.length) throw new Error(`linePlot: series ${i} '${s.name}' has ${s.x.length} x and ${s.y.length} y values`);
  });
  const fx = opts.formatX ?? formatEng;
  const fy = opts.formatY ?? formatEng;
  const header = headerNodes(width, title, opts.subtitle);
  const styles = series.map((s, i) => seriesStyle(s, i, opts.styleCycle ?? false));
  const legendW = legendWidth(series.map((s) => s.name));
  const ovW = opts.overview ? (opts.overview.width ?? 190) : 0;
  const xs = series.flatMap((s) => s.x).concat(vLines.map((v) => v.x));
  const ys = series.flatMap((s) => s.y).concat(hLines.map((h) => h.y));
  const [x0, x1] = extent(xs, xLog);
  const [y0, y1] = extent(ys, yLog);
  const f: Frame = { width, height, left: 0, right: width - 16 - legendW - (ovW ? ovW + 24 : 0), top: header.height + 10, bottom: height - 48 };
  const ya = makeAxis(y0, y1, yLog, f.bottom, f.top, opts.yRange);
  f.left = Math.max(64, 40 + yTickWidth(ya, fy));
  const xa = makeAxis(x0, x1, xLog, f.left, f.right, opts.xRange);
  const placed: Box[] = [];

  const axes: XNode[] = [...yAxisNodes(f, ya, fy, 'y'), ...xAxisNodes(f, xa, fx, 'x'), frameRect(f)];
  axes.push(xAxisLabel(f, xLabel, height - 12), yAxisLabel(f, yLabel, 16));
  const clip = `clip-${hashId(`${title}|${opts.subtitle ?? ''}|${seriesKey(series)}|${xLog}${yLog}|${f.left},${f.right},${f.top},${f.bottom}`)}`;
  const main = panelPlot(f, xa, ya, series, styles, hLines, vLines, 'series', clip, placed);

  const children: XNode[] = [el('g', { class: 'axes' }, axes), ...main];
  if (opts.overview) {
    const o: Frame = { width, height, left: 0, right: f.right + 24 + ovW, top: f.top + 2 * FONT, bottom: f.bottom };
    const oya = makeAxis(y0, y1, yLog, o.bottom, o.top, opts.overview.yRange);
    o.left = o.right - ovW + 22 + yTickWidth(oya, fy);
    const oxa = makeAxis(x0, x1, xLog, o.left, o.right, opts.xRange);
    const ovAxes: XNode[] = [...yAxisNodes(o, oya, fy, 'y2'), ...xAxisNodes(o, oxa, fx, 'x2'), frameRect(o)];
    // the zoomed window of the main panel, drawn as a box on the overview
    const zy0 = Math.max(o.top, Math.min(o.bottom, oya.map(ya.hi)));
    const zy1 = Math.max(o.top, Math.min(o.bottom, oya.map(ya.lo)));
    ovAxes.push(el('rect', { class: 'zoom-window', x: o.left, y: zy0, width: o.right - o.left, height: Math.max(1, zy1 - zy0), fill: '#fff3c4', stroke: '#c9a400', 'fill-opacity': 0.6 }));
    ovAxes.push(linesEl({ class: 'overview-title', x: (o.left + o.right) / 2, y: f.top + FONT, 'text-anchor': 'middle' }, [opts.overview.title], FONT));
    ovAxes.push(xAxisLabel(o, xLabel.replace(/\s*\(.*\)$/, ''), height - 12));
    const ovMain = panelPlot(o, oxa, oya, series, styles.map((s) => ({ ...s, markers: false })), [], [], 'overview-series', `${clip}-o`, []);
    children.push(el('g', { class: 'overview' }, [el('g', { class: 'axes' }, ovAxes), ...ovMain]));
  }
  children.push(legendNodes(width - 12 - legendW, f.top, width, series.map((s, i) => ({ name: s.name, color: styles[i]!.color, dash: styles[i]!.dash, marker: styles[i]!.markers ? styles[i]!.marker : undefined, hollow: styles[i]!.hollow, kind: 'line' as const }))));
  return buildDocument(svgRoot('line', { width, height }, title, header, children));
}

/** Panels stacked vertically over one shared x axis (each panel its own y axis and unit), one legend per panel. */
export function stackedLinePlot(opts: StackedLinePlotOptions): string {
  const width = opts.width ?? 760;
  const ph = opts.panelHeight ?? 170;
  const header = headerNodes(width, opts.title, opts.subtitle);
  const gap = 18;
  const legendW = Math.max(...opts.panels.map((p) => legendWidth(p.series.map((s) => s.name))));
  const height = header.height + 10 + opts.panels.length * ph + (opts.panels.length - 1) * gap + 48;
  const xs = opts.panels.flatMap((p) => p.series.flatMap((s) => s.x));
  const [x0, x1] = extent(xs, opts.xLog ?? false);
  const yas = opts.panels.map((p, i) => {
    const top = header.height + 10 + i * (ph + gap);
    const [y0, y1] = extent(p.series.flatMap((s) => s.y).concat((p.hLines ?? []).map((h) => h.y)), p.yLog ?? false);
    return makeAxis(y0, y1, p.yLog ?? false, top + ph, top, p.yRange);
  });
  const left = Math.max(64, 40 + Math.max(...yas.map((a) => yTickWidth(a, formatEng))));
  const right = width - 16 - legendW;
  const xa = makeAxis(x0, x1, opts.xLog ?? false, left, right, opts.xRange);
  const children: XNode[] = [];
  let k = 0;
  opts.panels.forEach((p, i) => {
    p.series.forEach((s, j) => {
      if (s.x.length !== s.y.length) throw new Error(`stackedLinePlot: panel ${i} series ${j} '${s.name}' has ${s.x.length} x and ${s.y.length} y values`);
    });
    const top = header.height + 10 + i * (ph + gap);
    const f: Frame = { width, height, left, right, top, bottom: top + ph };
    const last = i === opts.panels.length - 1;
    const styles = p.series.map((s) => seriesStyle(s, k++, opts.styleCycle ?? false));
    const axes: XNode[] = [...yAxisNodes(f, yas[i]!, formatEng, i === 0 ? 'y' : `y${i + 1}`), ...xAxisNodes(f, xa, formatEng, 'x', last), frameRect(f), yAxisLabel(f, p.yLabel, 16)];
    if (last) axes.push(xAxisLabel(f, opts.xLabel, height - 12));
    const clip = `clip-${hashId(`${opts.title}|${i}|${seriesKey(p.series)}|${opts.xLog ?? false}|${left},${right},${top},${ph}`)}`;
    children.push(el('g', { class: 'axes' }, axes), ...panelPlot(f, xa, yas[i]!, p.series, styles, p.hLines ?? [], [], 'series', clip, []));
    children.push(legendNodes(width - 12 - legendW, top, width, p.series.map((s, j) => ({ name: s.name, color: styles[j]!.color, dash: styles[j]!.dash, marker: styles[j]!.markers ? styles[j]!.marker : undefined, hollow: styles[j]!.hollow, kind: 'line' as const }))));
  });
  return buildDocument(svgRoot('line', { width, height }, opts.title, header, children));
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
  const header = headerNodes(width, title, opts.subtitle);
  const names = series.length > 1 || series[0]?.name ? series.map((s) => s.name) : [];
  const legendW = legendWidth(names);
  const all = series.flatMap((s) => s.values);
  let [y0, y1] = extent(all, yLog);
  if (!yLog) {
    y0 = Math.min(0, y0);
    y1 = Math.max(0, y1);
  }
  const n = Math.max(1, categories.length);
  const showValues = opts.valueLabels ?? categories.length * series.length <= 24;
  // room above the frame for value labels lifted over their neighbours (at most two lines)
  const labelRoom = showValues ? 2 * (MIN_FONT + 2) + 4 : 0;
  const f: Frame = { width, height, left: 0, right: width - 16 - legendW, top: header.height + 10 + labelRoom, bottom: height - 48 };
  // category labels wrap onto up to three lines under wide-enough groups
  const groupW0 = (f.right - 72) / n;
  const catLines = categories.map((c) => (textWidth(c) > groupW0 - 4 ? wrapText(c, groupW0 - 4).slice(0, 3) : [c]));
  const extraLines = Math.max(0, ...catLines.map((l) => l.length - 1));
  f.bottom -= extraLines * (FONT + 2);
  const ya = makeAxis(y0, y1, yLog, f.bottom, f.top);
  f.left = Math.max(64, 40 + yTickWidth(ya, formatEng));
  const axes: XNode[] = [...yAxisNodes(f, ya, formatEng, 'y')];
  const groupW = (f.right - f.left) / n;
  const barW = (groupW * 0.8) / Math.max(1, series.length);
  const widest = Math.max(1, ...catLines.map((ls) => Math.max(...ls.map((l) => textWidth(l)))));
  const labelEvery = Math.max(1, Math.ceil((widest + 6) / groupW));
  categories.forEach((_, i) => {
    const x = f.left + groupW * (i + 0.5);
    axes.push(el('line', { class: 'tick', x1: x, x2: x, y1: f.bottom, y2: f.bottom + 4, stroke: '#333' }));
    if (i % labelEvery === 0) axes.push(linesEl({ class: 'tick-label', 'data-axis': 'x', x, y: f.bottom + 18, 'text-anchor': 'middle' }, catLines[i]!, FONT + 2));
  });
  axes.push(frameRect(f), xAxisLabel(f, xLabel, height - 12), yAxisLabel(f, yLabel, 16));

  const base = yLog ? f.bottom : ya.map(0);
  const fmt = opts.formatValue ?? ((v: number) => formatEng(v, 3));
  const placed: Box[] = [];
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
        const text = fmt(v);
        const cx = x + barW / 2;
        // above the bar; if that collides with a neighbour's label, one or two lines higher
        const b = placeBox(placed, [0, 1, 2].map((k) => textBox(cx, y - 3 - k * (MIN_FONT + 2), text, MIN_FONT, 'middle')));
        labels.push(textEl('text', { class: 'value-label', x: cx, y: b.y1 - MIN_FONT * 0.25, 'text-anchor': 'middle', 'font-size': MIN_FONT }, text));
      }
    });
    return el('g', { class: 'series', 'data-name': s.name, 'data-count': String(s.values.length) }, [...rects, ...labels]);
  });
  const legend = legendNodes(width - 12 - legendW, f.top, width, names.length ? series.map((s, i) => ({ name: s.name, color: safeColor(s.color, i), kind: 'box' as const })) : []);
  return buildDocument(svgRoot('bar', { width, height }, title, header, [el('g', { class: 'axes' }, axes), el('g', { class: 'plot-area' }, seriesNodes), legend]));
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

/** Cell text of a probability: two decimals, or `<.01` below. */
function cellText(v: number): string {
  return v >= 0.005 ? v.toFixed(2) : v > 0 ? '<.01' : '0';
}

/** A heatmap of values[row][col] with a colour bar (P_map). Each row is one `g.series` of rects. */
export function heatmap(opts: HeatmapOptions): string {
  const { title, xLabel, yLabel, rowLabels, colLabels, values } = opts;
  const width = opts.width ?? 560;
  const height0 = opts.height ?? 520;
  if (values.length !== rowLabels.length) throw new Error(`heatmap: ${values.length} rows for ${rowLabels.length} row labels`);
  values.forEach((r, i) => {
    if (r.length !== colLabels.length) throw new Error(`heatmap: row ${i} has ${r.length} values for ${colLabels.length} column labels`);
  });
  const header = headerNodes(width, title, opts.subtitle);
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
  const cbTicks = log ? logTicks(vmin, vmax).ticks.filter((t) => t >= vmin * 0.999 && t <= vmax * 1.001) : niceTicks(vmin, vmax, 5).ticks.filter((t) => t >= vmin - 1e-12 && t <= vmax + 1e-12);
  const cbW = 14 + 8 + Math.max(...cbTicks.map((t) => textWidth(formatEng(t)))) + 8;
  const rowW = Math.max(0, ...rowLabels.map((r) => textWidth(r)));
  const top = header.height + 10;
  const f: Frame = { width, height: height0, left: Math.max(52, 36 + rowW), right: width - 24 - cbW, top, bottom: height0 - 48 };
  const side = Math.max(60, Math.min(f.right - f.left, f.bottom - f.top));
  f.right = f.left + side;
  f.bottom = f.top + side;
  // the figure grows to hold the square and its labels (a long title never squeezes the matrix off the canvas)
  const height = Math.max(height0, f.bottom + 48);
  f.height = height;
  const nr = Math.max(1, rowLabels.length);
  const nc = Math.max(1, colLabels.length);
  const cw = (f.right - f.left) / nc;
  const ch = (f.bottom - f.top) / nr;
  const annotate = opts.annotate ?? (nr <= 12 && nc <= 12 && cw >= textWidth('<.01', MIN_FONT) + 4 && ch >= MIN_FONT + 4);

  const axes: XNode[] = [];
  const colW = Math.max(...colLabels.map((c) => textWidth(c))) + 6;
  const labelEveryC = Math.max(1, Math.ceil(colW / cw));
  const labelEveryR = Math.max(1, Math.ceil((FONT + 3) / ch));
  colLabels.forEach((c, j) => {
    if (j % labelEveryC !== 0) return;
    axes.push(textEl('text', { class: 'tick-label', 'data-axis': 'x', x: f.left + cw * (j + 0.5), y: f.bottom + 16, 'text-anchor': 'middle' }, c));
  });
  rowLabels.forEach((r, i) => {
    if (i % labelEveryR !== 0) return;
    axes.push(textEl('text', { class: 'tick-label', 'data-axis': 'y', x: f.left - 6, y: f.top + ch * (i + 0.5) + 4, 'text-anchor': 'end' }, r));
  });
  axes.push(xAxisLabel(f, xLabel, height - 12), yAxisLabel(f, yLabel, 16));

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
            class: 'cell-label', x: f.left + cw * (j + 0.5), y: f.top + ch * (i + 0.5) + 4, 'text-anchor': 'middle', 'font-size': MIN_FONT,
            fill: palette === 'viridis' ? (t > 0.6 ? '#000' : '#fff') : t > 0.5 ? '#fff' : '#000',
          }, cellText(v)),
        );
      });
    }
    return el('g', { class: 'series', 'data-name': rowLabels[i]!, 'data-count': String(row.length) }, [...cells, ...texts]);
  });

  // Colour bar.
  const cbX = f.right + 18;
  const steps = 32;
  const cb: XNode[] = [];
  for (let s = 0; s < steps; s++) {
    const t = s / (steps - 1);
    const y = f.bottom - ((s + 1) / steps) * (f.bottom - f.top);
    cb.push(el('rect', { x: cbX, y, width: 14, height: (f.bottom - f.top) / steps + 0.3, fill: paletteColor(t, palette) }));
  }
  for (const t of cbTicks) {
    const y = f.bottom - norm(t) * (f.bottom - f.top);
    cb.push(el('line', { x1: cbX + 14, x2: cbX + 18, y1: y, y2: y, stroke: '#333' }));
    cb.push(textEl('text', { class: 'tick-label', 'data-axis': 'cb', x: cbX + 20, y: y + 4 }, formatEng(t)));
  }
  return buildDocument(
    // the frame is drawn over the cells so that its edge shows next to pale cells
    svgRoot('heatmap', { width, height }, title, header, [el('g', { class: 'axes' }, axes), el('g', { class: 'plot-area' }, rows), el('g', { class: 'frame-over' }, [frameRect(f)]), el('g', { class: 'colorbar' }, cb)]),
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
  /** Markers of any shape (`<circle>` and `<polygon>`). */
  circles: number;
  rects: number;
  /** The data values of markers (`data-x`/`data-y`) or bars/cells (`data-value`). */
  xs: number[];
  ys: number[];
  values: number[];
}

const ARRAY_TAGS = new Set(['g', 'path', 'circle', 'polygon', 'rect', 'text', 'line', 'title', 'tspan', 'clipPath']);
const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  isArray: (name) => ARRAY_TAGS.has(name),
  parseAttributeValue: false,
  processEntities: true,
});

/**
 * Parse an SVG produced by this module and return its series (`g.series`, not an overview panel's copies) with
 * element counts. Throws if the text is not well-formed XML (XMLValidator) or has no `<svg>` root.
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
        // markers in drawing order: circles and polygons interleave only within one series' shape, so concatenation keeps it
        const marks = [...((g.circle as Record<string, unknown>[] | undefined) ?? []), ...((g.polygon as Record<string, unknown>[] | undefined) ?? [])];
        const rects = (g.rect as Record<string, unknown>[] | undefined) ?? [];
        out.push({
          name: String(g['@_data-name'] ?? ''),
          count: Number(g['@_data-count'] ?? NaN),
          pathPoints: paths.reduce((n, p) => n + (String(p['@_d'] ?? '').match(/[ML]/g)?.length ?? 0), 0),
          circles: marks.length,
          rects: rects.length,
          xs: marks.map((c) => Number(c['@_data-x'])),
          ys: marks.map((c) => Number(c['@_data-y'])),
          values: rects.map((r) => Number(r['@_data-value'])),
        });
      } else if (g['@_class'] !== 'overview') {
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
