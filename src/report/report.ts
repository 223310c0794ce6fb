/**
 * `runs/<id>/report.html`: the paper's figures re-made from a `capmin run` (F_MAC Fig. 1, charging curves Fig. 3,
 * accuracy over k Fig. 8, capacitance/latency bars Fig. 9, P_map heatmaps), the analytic-vs-SPICE table, and our
 * numbers beside the paper's. Every figure is an inline SVG (also written to figures/*.svg) with the CSV behind it
 * (data/*.csv). Sections whose data the run could not produce say so instead of showing anything made up.
 */
import { join } from 'node:path';
import { XMLBuilder } from 'fast-xml-parser';
import type { AccuracyStats, KResult, PhiResult, RunResults, Selection } from './results.js';
import { writeFileAtomic } from '../util/atomic.js';
import { barPlot, heatmap, linePlot, niceTicks, stackedLinePlot, type LineSeries } from '../plot/svg.js';
import { circuitLine, circuitRows } from '../circuit/describe.js';

/** The paper's headline figures (Sec. IV-B/C, Fig. 8, Fig. 9; Fashion-MNIST VGG3 where dataset-specific). */
export const PAPER = {
  baselineC: 135.2e-12,
  capminK: 14,
  capminC: 9.6e-12,
  reduction: 14,
  capminVk0: 16,
  capminVC: 12.27e-12,
  capminVOverCapmin: 1.28,
  capminVLatencyOverCapmin: 1.27,
  fashionHeldDownToK: 8,
  sweetSpotUnderVariation: [12, 15] as [number, number],
  vth: 0.225,
};

/** A figure of the report: its SVG and the CSV of the data behind it. */
export interface Figure {
  id: string;
  caption: string;
  svg: string;
  csv: string;
}

// ---------------------------------------------------------------------------------------------
// CSV helpers

function csvCell(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : v > 0 ? 'inf' : String(v);
  const s = String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** CSV text from a header and rows. */
export function toCsv(header: string[], rows: unknown[][]): string {
  return [header, ...rows].map((r) => r.map(csvCell).join(',')).join('\n') + '\n';
}

const pF = (c: number | undefined) => (c === undefined || !Number.isFinite(c) ? NaN : c * 1e12);
const ns = (t: number | undefined | null) => (t === undefined || t === null || !Number.isFinite(t) ? NaN : t * 1e9);
const pct = (x: number | undefined) => (x === undefined || !Number.isFinite(x) ? '–' : `${(100 * x).toFixed(2)}%`);
const fx = (x: number | undefined, d = 2) => (x === undefined || !Number.isFinite(x) ? '–' : x.toFixed(d));

// ---------------------------------------------------------------------------------------------
// Figures

/** The circuit a figure comes from, for its subtitle (`cMem` = the figure's capacitor, `null` = several or none). */
function circuitOf(r: RunResults, cMem: number | null = r.circuit?.cMem ?? null): string {
  return r.circuit ? circuitLine(r.circuit, cMem) : 'circuit not recorded in this run';
}

/** Fig. 1: F_MAC histogram on a log scale. */
export function fmacFigure(r: RunResults): Figure | null {
  if (!r.fMac) return null;
  const total = r.fMac.total;
  const cats = total.map((_, m) => String(m));
  const svg = barPlot({
    title: `F_MAC over the ${r.fMac.split} set (${r.fMac.images} images)`,
    subtitle: `sub-MACs of a = ${r.circuit?.a ?? (r.fMac.total.length - 1)} cells (a property of the network, not of the devices)`,
    xLabel: 'level m (conducting cells)',
    yLabel: 'occurrences (log)',
    categories: cats,
    series: [{ name: 'all array layers', values: total }],
    yLog: true,
    valueLabels: false,
    width: 720,
  });
  const layers = r.fMac.perLayer ?? [];
  const csv = toCsv(['level', ...layers.map((l) => l.name), 'total'], total.map((t, m) => [m, ...layers.map((l) => l.counts[m]), t]));
  return { id: 'fig1-fmac', caption: 'Fig. 1 — absolute frequency of each MAC level (sub-MAC, a cells) in forward passes over the training set.', svg, csv };
}

/** Fig. 3: charging curves V(t) with V_th and the clock edges. */
export function chargingFigure(r: RunResults): Figure | null {
  const c = r.charging;
  if (!c || c.curves.length === 0) return null;
  const tMax = Math.max(...c.curves.map((cv) => cv.t[cv.t.length - 1] ?? 0));
  const period = 1 / c.fClk;
  const nEdges = Math.floor(tMax / period);
  const every = Math.max(1, Math.ceil(nEdges / 60));
  const vLines: { x: number; label?: string }[] = [];
  for (let e = every; e <= nEdges; e += every) vLines.push({ x: e * period, label: e === every ? (every > 1 ? `clock (every ${every})` : 'clock') : undefined });
  // thin long waveforms for the figure (CSV keeps all points)
  const thin = (a: number[]) => {
    const step = Math.max(1, Math.ceil(a.length / 400));
    return a.filter((_, i) => i % step === 0 || i === a.length - 1);
  };
  const svg = linePlot({
    title: `Match-line voltage at C_mem = ${fx(pF(c.cMem))} pF`,
    subtitle: circuitOf(r, c.cMem),
    xLabel: 't (ns)',
    yLabel: 'V(ML) (V)',
    series: c.curves.map((cv) => ({ name: `m = ${cv.level}${cv.tSpike !== null ? ` (spike ${fx(ns(cv.tSpike))} ns)` : ' (no spike)'}`, x: thin(cv.t).map((t) => t * 1e9), y: thin(cv.v), markers: false })),
    hLines: [{ y: c.vth, label: `V_th = ${c.vth} V` }],
    vLines: vLines.map((v) => ({ x: v.x * 1e9, label: v.label })),
    styleCycle: true,
    width: 900,
    height: 440,
  });
  const rows: unknown[][] = [];
  for (const cv of c.curves) cv.t.forEach((t, i) => rows.push([cv.level, t, cv.v[i]]));
  return { id: 'fig3-charging', caption: 'Fig. 3 — ML voltage over time for several levels; grey dashed: V_th; grey dotted: rising clock edges (the registered spike is the first edge after the crossing).', svg, csv: toCsv(['level', 't_s', 'v_V'], rows) };
}

function accMean(a: AccuracyStats | undefined): number {
  return a ? a.mean : NaN;
}

/** Fig. 8: accuracy over k for CapMin without / under variation and CapMin-V. */
export function accuracyFigure(r: RunResults): Figure | null {
  const ks = [...r.perK].sort((x, y) => y.k - x.k);
  if (ks.length === 0 && !r.capminV) return null;
  // every series its own colour, dash and marker (filled and hollow alternate), so coinciding points stay visible
  const series: LineSeries[] = [];
  const noVar = ks.filter((k) => k.accNoVar !== undefined);
  if (noVar.length) series.push({ name: 'CapMin, no variation', x: noVar.map((k) => k.k), y: noVar.map((k) => 100 * k.accNoVar!), dash: '', marker: 'circle', color: '#1f77b4' });
  const withVar = ks.filter((k) => k.accVar);
  if (withVar.length) series.push({ name: 'CapMin, under variation', x: withVar.map((k) => k.k), y: withVar.map((k) => 100 * accMean(k.accVar)), dash: '7 4', marker: 'square', hollow: true, color: '#ff7f0e' });
  const phis = r.capminV?.phis ?? [];
  const rb = phis.filter((p) => p.accRebucket);
  if (rb.length) series.push({ name: `CapMin-V from k=${r.capminV!.k0} (re-bucketed)`, x: rb.map((p) => p.kV), y: rb.map((p) => 100 * accMean(p.accRebucket)), dash: '', marker: 'triangle', color: '#2ca02c' });
  const a1 = phis.filter((p) => p.accAlg1);
  if (a1.length) series.push({ name: `CapMin-V from k=${r.capminV!.k0} (Alg. 1 P_map)`, x: a1.map((p) => p.kV), y: a1.map((p) => 100 * accMean(p.accAlg1)), dash: '2 3', marker: 'diamond', hollow: true, color: '#d62728' });
  const oth = phis.filter((p) => p.other?.accRebucket);
  if (oth.length) series.push({ name: `CapMin-V from k=${r.capminV!.k0}, toward ${oth[0]!.other!.mergeToward}`, x: oth.map((p) => p.kV), y: oth.map((p) => 100 * accMean(p.other!.accRebucket)), dash: '10 3 2 3', marker: 'down', color: '#9467bd' });
  if (series.length === 0) return null;
  const hLines = r.errorFree
    ? [
        { y: 100 * r.errorFree.accuracy, label: `error-free ${fx(100 * r.errorFree.accuracy)}%` },
        { y: 100 * (r.errorFree.accuracy - r.tolerance), label: `−${fx(100 * r.tolerance, 1)} pt` },
      ]
    : [];
  const zoom = accuracyZoom(series, hLines);
  const svg = linePlot({
    title: 'Test accuracy over k (Fig. 8)',
    subtitle: `${circuitOf(r, null)} · C_mem sized per k`,
    xLabel: 'k (levels with their own spike time)',
    yLabel: 'accuracy (%)',
    series,
    hLines,
    yRange: zoom.range,
    overview: zoom.overview ? { title: 'full range', yRange: [0, 100] } : undefined,
    width: 1040,
    height: 480,
  });
  const rows: unknown[][] = [];
  for (const k of ks) rows.push(['CapMin', k.k, '', k.accNoVar, k.accVar?.mean, k.accVar?.min, k.accVar?.max, k.cMem]);
  const toward = r.capminV?.mergeToward ?? 'lower';
  const other = toward === 'lower' ? 'higher' : 'lower';
  for (const p of phis) rows.push(['CapMin-V', p.kV, p.phi, '', p.accRebucket?.mean, p.accRebucket?.min, p.accRebucket?.max, r.capminV?.cMem, p.accAlg1?.mean, p.other?.accRebucket?.mean]);
  const csv = toCsv(['method', 'k', 'phi', 'acc_no_variation', 'acc_variation_mean', 'acc_variation_min', 'acc_variation_max', 'cMem_F', 'acc_alg1_mean', `acc_toward_${other}_mean`], rows);
  const caption =
    'Fig. 8 — accuracy over k: CapMin without variation (clipping only), CapMin under variation (Monte-Carlo P_map at the k-level capacitor, mean of the runs), CapMin-V (merging φ spike times of the k₀-level capacitor, plotted at k_V = k₀ − φ): ' +
    `merging toward the ${toward}-diagonal neighbour${towardWhy(toward)}, re-bucketed and with Alg. 1's column-merged P_map, and merging toward the ${other}-diagonal neighbour${towardWhy(other)}, re-bucketed; the legend gives each series' line and marker.`;
  const zoomNote = zoom.overview
    ? ` Left: the range that holds the data near the error-free accuracy (${fx(zoom.range![0], 0)}–${fx(zoom.range![1], 0)} %); right: the full 0–100 % range with that window shaded, where the points below it (the collapse at small k) are visible.`
    : '';
  return { id: 'fig8-accuracy', caption: caption + zoomNote, svg, csv };
}

/**
 * The y range of Fig. 8's main panel: the band of the data within 15 pt of the best accuracy (or of the error-free
 * line), widened to nice ticks; when some points fall below it, an overview panel shows the full 0–100 % range.
 */
function accuracyZoom(series: LineSeries[], hLines: { y: number }[]): { range?: [number, number]; overview: boolean } {
  const ys = series.flatMap((s) => s.y).filter((y) => Number.isFinite(y));
  if (!ys.length) return { overview: false };
  const refs = hLines.map((h) => h.y);
  const top = Math.max(...ys, ...refs);
  const band = ys.filter((y) => y >= top - 15);
  const lo = Math.min(...band, ...refs);
  const t = niceTicks(lo - 0.5, Math.min(100, top + 0.5), 6);
  return { range: [Math.max(0, t.lo), Math.min(100, t.hi)], overview: ys.some((y) => y < t.lo) };
}

/** How a merge direction relates to the paper (Alg. 1 lines 6–11 and its prose merge into the lower-diagonal neighbour). */
function towardWhy(t: 'lower' | 'higher'): string {
  return t === 'lower' ? ' (Alg. 1 lines 6–11 as printed)' : ' (the opposite of Alg. 1 lines 6–11)';
}

/** Fig. 9: capacitance and latency bars for baseline / CapMin / CapMin-V, ours beside the paper's. */
export function costFigures(r: RunResults): Figure[] {
  const order: Selection['method'][] = ['baseline', 'CapMin', 'CapMin-V'];
  const sel = order.map((m) => r.selections.find((s) => s.method === m));
  if (sel.every((s) => !s)) return [];
  const cats = order.map((m, i) => (sel[i] ? `${m} (k=${sel[i]!.method === 'CapMin-V' ? `${sel[i]!.k}, φ=${sel[i]!.phi}` : sel[i]!.k})` : `${m} (none)`));
  const paperC = [PAPER.baselineC, PAPER.capminC, PAPER.capminVC].map((c) => c * 1e12);
  const cap = barPlot({
    title: 'Capacitor at ≤ 1 pt accuracy loss (Fig. 9)',
    subtitle: `this run: ${circuitOf(r, null)}`,
    xLabel: 'method',
    yLabel: 'C_mem (pF)',
    categories: cats,
    series: [{ name: 'capmin (this run)', values: sel.map((s) => (s ? pF(s.cMem) : 0)) }, { name: 'paper (14nm FD-SOI)', values: paperC }],
    yLog: true,
    width: 520,
    height: 420,
  });
  const base = sel[0]?.latency;
  const paperLat = [1, 1 / PAPER.reduction, PAPER.capminVLatencyOverCapmin / PAPER.reduction];
  const lat = barPlot({
    title: 'Latency (GRT) relative to the baseline (Fig. 9)',
    subtitle: `this run: ${circuitOf(r, null)}`,
    xLabel: 'method',
    yLabel: 'latency / baseline latency',
    categories: cats,
    series: [
      { name: 'capmin (this run)', values: sel.map((s) => (s && base ? s.latency / base : 0)) },
      { name: 'paper', values: paperLat },
    ],
    yLog: true,
    width: 520,
    height: 420,
  });
  const csvC = toCsv(['method', 'k', 'phi', 'cMem_F', 'latency_s', 'energy_J', 'accuracy', 'paper_cMem_F'], order.map((m, i) => [m, sel[i]?.k, sel[i]?.phi, sel[i]?.cMem, sel[i]?.latency, sel[i]?.energy, sel[i]?.accuracy, [PAPER.baselineC, PAPER.capminC, PAPER.capminVC][i]]));
  const csvL = toCsv(['method', 'latency_s', 'latency_rel_baseline', 'paper_latency_rel_baseline'], order.map((m, i) => [m, sel[i]?.latency, sel[i] && base ? sel[i]!.latency / base : '', paperLat[i]]));
  return [
    { id: 'fig9-capacitance', caption: 'Fig. 9 (left) — smallest capacitor within the accuracy tolerance, log scale. The paper\'s bars are its 14nm FD-SOI values.', svg: cap, csv: csvC },
    { id: 'fig9-latency', caption: 'Fig. 9 (right) — guaranteed response time (last representable spike) relative to the baseline. The paper gives only ratios (14× and +27%).', svg: lat, csv: csvL },
  ];
}

/** P_map heatmaps (log colour scale). */
export function pmapFigures(r: RunResults): Figure[] {
  return r.pmaps.map((p, i) => {
    const labels = p.levels.map(String);
    const svg = heatmap({
      title: `P_map — ${p.label}`,
      subtitle: circuitOf(r, null),
      width: 520,
      height: 500,
      xLabel: 'read level',
      yLabel: 'true level m',
      rowLabels: labels,
      colLabels: labels,
      values: p.matrix,
      colorScale: { log: true, min: 1e-4, max: 1 },
      annotate: p.levels.length <= 12,
    });
    const csv = toCsv(['level', ...labels], p.matrix.map((row, j) => [p.levels[j], ...row]));
    return { id: `pmap-${i + 1}`, caption: `P_map (${p.label}): row = true level, column = read level; log colour scale (values below 1e-4 dark).`, svg, csv };
  });
}

/** Accuracy-vs-capacitance view (not in the paper, but the trade-off it argues). */
export function capacitanceFigure(r: RunResults): Figure | null {
  const ks = r.perK.filter((k) => k.cMem !== undefined).sort((x, y) => y.k - x.k);
  if (ks.length < 2) return null;
  const svg = linePlot({
    title: 'Smallest capacitor per k',
    subtitle: circuitOf(r, null),
    xLabel: 'k',
    yLabel: 'C_mem (pF)',
    series: [{ name: 'C_mem (k levels distinct)', x: ks.map((k) => k.k), y: ks.map((k) => pF(k.cMem)) }],
    yLog: true,
    width: 640,
  });
  const csv = toCsv(['k', 'lo', 'hi', 'cMem_F', 'source', 'latency_s', 'energy_J'], ks.map((k) => [k.k, k.lo, k.hi, k.cMem, k.cMemSource, k.latency, k.energy]));
  return { id: 'cmem-over-k', caption: 'Smallest C_mem at which the k kept levels have distinct registered spike times.', svg, csv };
}

/**
 * Eq. 5 against SPICE: the crossing time per level from the transient, from Eq. 5 with the extracted I_init, and from
 * the quasi-static integral t = (C_mem + C_par)·∫dV/I; below, each model's relative error against SPICE.
 */
export function analyticFigure(r: RunResults): Figure | null {
  const rows = (r.analytic ?? []).filter((a) => a.tSpice !== null).sort((x, y) => x.level - y.level);
  if (rows.length < 2) return null;
  const m = rows.map((a) => a.level);
  const rel = (t: number | null | undefined, ref: number | null) => (t === null || t === undefined || ref === null ? NaN : (100 * (t - ref)) / ref);
  const hasQs = rows.some((a) => a.tQuasiStatic !== undefined && a.tQuasiStatic !== null);
  // SPICE is drawn last, as large hollow circles, so the models' markers show through where they agree with it
  const spice: LineSeries = { name: 'SPICE transient', x: m, y: rows.map((a) => ns(a.tSpice)), dash: '', marker: 'circle', hollow: true, color: '#1f77b4' };
  const times: LineSeries[] = [{ name: 'Eq. 5 (I_init)', x: m, y: rows.map((a) => ns(a.tEq5)), dash: '7 4', marker: 'square', color: '#d62728' }];
  const errors: LineSeries[] = [{ name: 'Eq. 5 vs SPICE', x: m, y: rows.map((a) => (a.relErr === null ? NaN : 100 * a.relErr)), dash: '7 4', marker: 'square', color: '#d62728' }];
  if (hasQs) {
    times.push({ name: 'quasi-static ∫dV/I', x: m, y: rows.map((a) => ns(a.tQuasiStatic ?? null)), dash: '2 3', marker: 'triangle', color: '#2ca02c' });
    errors.push({ name: 'quasi-static vs SPICE', x: m, y: rows.map((a) => rel(a.tQuasiStatic, a.tSpice)), dash: '2 3', marker: 'triangle', color: '#2ca02c' });
  }
  times.push(spice);
  const svg = stackedLinePlot({
    title: 'Spike time over level: SPICE, Eq. 5 and the quasi-static integral',
    subtitle: circuitOf(r),
    xLabel: 'level m (conducting cells)',
    xRange: [0, Math.max(...m)],
    panels: [
      { yLabel: 'crossing time (ns)', yLog: true, series: times },
      { yLabel: 'rel. error (%)', series: errors, hLines: [{ y: 0, label: 'SPICE' }] },
    ],
    width: 900,
    panelHeight: 200,
  });
  const csv = toCsv(
    ['level', 'iInit_A', 't_spice_s', 't_eq5_s', 't_quasistatic_s', 'rel_err_eq5', 'rel_err_quasistatic'],
    rows.map((a) => [a.level, a.iInit, a.tSpice, a.tEq5, a.tQuasiStatic ?? null, a.relErr, a.tQuasiStatic === undefined || a.tQuasiStatic === null || a.tSpice === null ? null : (a.tQuasiStatic - a.tSpice) / a.tSpice]),
  );
  const caption =
    'Eq. 5 versus SPICE — top: time until V(ML) crosses V_th per level m (log scale), from the SPICE transient, from Eq. 5 with the I_init extracted at V(ML) = 0, and' +
    (hasQs ? ' from the quasi-static integral (C_mem + C_par)·∫dV/I(V) over the DC sweep' : ' (no quasi-static value in this run)') +
    '; bottom: relative error against SPICE. Levels that never cross V_th are left out.';
  return { id: 'analytic-eq5', caption, svg, csv };
}

// ---------------------------------------------------------------------------------------------
// Comparison with the paper

export interface ComparisonRow {
  claim: string;
  paper: string;
  ours: string;
  verdict: 'confirmed' | 'partly' | 'not confirmed' | 'not measured';
  why: string;
}

function sel(r: RunResults, m: Selection['method']): Selection | undefined {
  return r.selections.find((s) => s.method === m);
}

/** The paper-vs-ours table, one sentence each on whether the claim holds here and why it differs. */
export function comparePaper(r: RunResults): ComparisonRow[] {
  const rows: ComparisonRow[] = [];
  const base = r.baseline;
  const k14 = r.perK.find((k) => k.k === PAPER.capminK);
  const techWhy = 'our circuit is the open 16nm PTM HP bulk NMOS model, not the paper\'s calibrated 14nm FD-SOI cells, so absolute currents (and therefore capacitor values) differ';
  // 1. 14x at k = 14
  const mapping = String(r.config.mapping ?? 'natural');
  const topCurrent = (k: KResult) => (mapping === 'shifted' && k.lo > 0 ? k.k : k.hi);
  if (base?.cMem !== undefined && k14?.cMem !== undefined) {
    const ratio = base.cMem / k14.cMem;
    const mb = topCurrent(base);
    const mk = topCurrent(k14);
    // The cell current is close to linear in m, so t ∝ 1/m and the tightest neighbour spacing, which sets C, ∝ 1/(m(m+1)).
    const model = (mb * (mb + 1)) / (mk * (mk + 1));
    const ok = ratio >= PAPER.reduction * 0.7 && ratio <= PAPER.reduction * 1.3;
    rows.push({
      claim: `CapMin at k = ${PAPER.capminK} shrinks C_mem ${PAPER.reduction}× (${fx(pF(PAPER.baselineC), 1)} pF → ${fx(pF(PAPER.capminC), 1)} pF)`,
      paper: `${fx(pF(PAPER.baselineC), 1)} → ${fx(pF(PAPER.capminC), 1)} pF (${fx(PAPER.baselineC / PAPER.capminC, 1)}×)`,
      ours: `${fx(pF(base.cMem), 2)} → ${fx(pF(k14.cMem), 2)} pF (${fx(ratio, 1)}×); levels ${k14.lo}..${k14.hi}, ${mapping} mapping`,
      verdict: ok ? 'confirmed' : ratio > 2 ? 'partly' : 'not confirmed',
      why: ok
        ? `The ratio matches within 30% although ${techWhy}.`
        : `Fewer levels do need a much smaller capacitor, but ${techWhy}. Our cell current is nearly linear in m, so spike times go as 1/m and the closest pair of kept spike times (which sets C) shrinks as 1/(m(m+1)) at the fastest kept current: ${mb} for the baseline vs ${mk} at k = ${PAPER.capminK} (${mapping} mapping) predicts ${fx(model, 1)}×; the paper's 14× implies spike times that crowd faster with m in its FD-SOI cell${mapping === 'natural' ? ', and with the natural mapping C depends only on the highest kept level' : ''}.`,
    });
  } else {
    rows.push({ claim: `CapMin at k = ${PAPER.capminK} shrinks C_mem ${PAPER.reduction}×`, paper: '135.2 → 9.6 pF', ours: '–', verdict: 'not measured', why: 'The capacitor sizing for all levels and for k = 14 was not available in this run (see "missing").' });
  }
  // 2. +28% for CapMin-V: the paper's pair is C(k₀ = 16) / C(k = 14)
  const sc = sel(r, 'CapMin');
  const sv = sel(r, 'CapMin-V');
  const k0row = r.perK.find((k) => k.k === (r.capminV?.k0 ?? PAPER.capminVk0));
  if (k0row?.cMem !== undefined && k14?.cMem !== undefined) {
    const pair = k0row.cMem / k14.cMem;
    const ok = Math.abs(pair - PAPER.capminVOverCapmin) <= 0.15;
    const selText = sc && sv ? `; with our own selections (CapMin at k = ${sc.k}, CapMin-V at k₀ = ${sv.k}, φ = ${sv.phi}) the cost is ${sv.cMem / sc.cMem >= 1 ? '+' : ''}${fx(100 * (sv.cMem / sc.cMem - 1), 0)}%${sel(r, 'baseline') ? ` and CapMin-V is ${fx(sel(r, 'baseline')!.cMem / sv.cMem, 1)}× below the baseline` : ''}` : sv ? '' : '; no CapMin-V configuration was selected';
    rows.push({
      claim: 'CapMin-V costs only +28% capacitance (and +27% latency) over CapMin, still 11× below the baseline',
      paper: '+28% (C(k=16) = 12.27 vs C(k=14) = 9.6 pF), 11× below baseline',
      ours: `C(k=${k0row.k})/C(k=14) = ${fx(pF(k0row.cMem))}/${fx(pF(k14.cMem))} pF = ${pair >= 1 ? '+' : ''}${fx(100 * (pair - 1), 0)}%${selText}`,
      verdict: ok ? 'confirmed' : pair > 1 ? 'partly' : 'not confirmed',
      why: ok
        ? `CapMin-V keeps the capacitor of its starting k₀ and only merges decision buckets, so its price over CapMin at k = 14 is C(16)/C(14), which our capacitor curve reproduces${sc && sc.k !== PAPER.capminK ? `; our selections differ because CapMin alone already needs k = ${sc.k} to stay within ${fx(100 * r.tolerance, 1)} pt with our network` : ''}.`
        : `CapMin-V's price is C(k₀)/C(k) of our own capacitor curve, which grows ${pair > PAPER.capminVOverCapmin ? 'faster' : 'slower'} between k = 14 and 16 than the paper's.`,
    });
  } else {
    rows.push({ claim: 'CapMin-V costs only +28% capacitance over CapMin', paper: '+28%', ours: '–', verdict: 'not measured', why: 'C_mem at k = 14 and k₀ was not available in this run (see "missing").' });
  }
  // 3. accuracy held down to k = 8 (Fashion, no variation)
  const ef = r.errorFree?.accuracy;
  const withAcc = r.perK.filter((k) => k.accNoVar !== undefined).sort((x, y) => y.k - x.k);
  if (ef !== undefined && withAcc.length) {
    let held = withAcc[0]!.k;
    for (const k of withAcc) {
      if (k.accNoVar! >= ef - r.tolerance) held = k.k;
      else break;
    }
    const tested = withAcc.map((k) => k.k);
    const ok = Math.abs(held - PAPER.fashionHeldDownToK) <= 1;
    rows.push({
      claim: 'Fashion-MNIST (VGG3) accuracy is held down to k = 8 without variation, then drops sharply',
      paper: 'held to k = 8',
      ours: `held (within ${fx(100 * r.tolerance, 1)} pt of ${pct(ef)}) down to k = ${held}; tested k = ${tested.join(', ')}`,
      verdict: ok ? 'confirmed' : 'partly',
      why: ok
        ? 'Our own VGG3 concentrates its sub-MAC levels as the paper\'s does, so clipping to the 8 most frequent levels barely changes its decisions.'
        : `Clipping tolerance depends on the trained network (ours is trained by capmin itself, with fewer epochs than the paper's 100) and on the k values tested${tested.length < 10 ? ' (a reduced list in this run)' : ''}.`,
    });
  } else {
    rows.push({ claim: 'Fashion-MNIST accuracy held down to k = 8', paper: 'k = 8', ours: '–', verdict: 'not measured', why: 'Accuracy without variation was not evaluated in this run (see "missing").' });
  }
  // 4. accuracy under variation rises as k falls (sweet spot 12..15)
  const withVar = r.perK.filter((k) => k.accVar).sort((x, y) => y.k - x.k);
  if (withVar.length >= 2) {
    const best = withVar.reduce((b, k) => (k.accVar!.mean > b.accVar!.mean + 1e-12 ? k : b));
    const [s0, s1] = PAPER.sweetSpotUnderVariation;
    const inSpot = best.k >= s0 - 1 && best.k <= s1 + 1;
    const top = withVar[0]!;
    const gain = best.accVar!.mean - top.accVar!.mean;
    // a gain below two standard errors of the mean accuracy is noise
    const pm = top.accVar!.mean;
    const noise = 2 * Math.sqrt((pm * (1 - pm)) / Math.max(1, top.accVar!.images * top.accVar!.runs));
    rows.push({
      claim: 'Under variation, accuracy improves with smaller k; sweet spot 12 ≤ k ≤ 15 for Fashion',
      paper: 'best at 12..15',
      ours: `best mean accuracy ${pct(best.accVar!.mean)} at k = ${best.k}; k = ${top.k}: ${pct(top.accVar!.mean)}; ${withVar.map((k) => `${k.k}: ${pct(k.accVar!.mean)}`).join(', ')}`,
      verdict: inSpot && gain > noise ? 'confirmed' : inSpot || gain > noise ? 'partly' : 'not confirmed',
      why:
        inSpot && gain > noise
          ? 'Smaller k moves the important levels to slower, better separated spike times, as the paper argues.'
          : gain > noise
            ? `Accuracy under variation does rise as k falls, but peaks at k = ${best.k}, outside the paper's 12..15: the peak sits where the clipping error starts to outweigh the robustness gained, which depends on the network (ours clips less gracefully or more) and on our variation model.`
            : `Here no smaller k beats k = ${top.k} under variation by more than the sampling noise (±${fx(100 * noise, 1)} pt): each k is sized to its own minimum capacitor, so every k keeps about one clock period between its fastest kept spike times and similar error margins, and shrinking k buys little robustness while the clipping error grows; the paper's gain reflects its own variation model and capacitor choice.`,
    });
  }
  // 5. CapMin-V sustains accuracy under variation for more points than CapMin (Fig. 8: triangles vs stars)
  const phisV = (r.capminV?.phis ?? []).filter((p) => p.accRebucket);
  if (withVar.length && phisV.length) {
    const noiseOf = (x: { v: number; n: number }) => 2 * Math.sqrt((2 * x.v * (1 - x.v)) / Math.max(1, x.n));
    /** CapMin-V (accuracy picked by `acc`) against CapMin under variation at the same k: the pairs, wins and losses beyond the noise. */
    const vsCapMin = (acc: (p: PhiResult) => AccuracyStats | undefined) => {
      const pairs = phisV
        .filter((p) => acc(p))
        .map((p) => ({ k: p.kV, v: acc(p)!.mean, c: withVar.find((k) => k.k === p.kV)?.accVar?.mean, n: acc(p)!.images * acc(p)!.runs }))
        .filter((x): x is { k: number; v: number; c: number; n: number } => x.c !== undefined);
      return { pairs, wins: pairs.filter((x) => x.v - x.c > noiseOf(x)).length, losses: pairs.filter((x) => x.c - x.v > noiseOf(x)).length };
    };
    const { pairs: shared, wins, losses } = vsCapMin((p) => p.accRebucket);
    if (shared.length) {
      const ok = wins > shared.length / 2 && losses === 0;
      // the same count for the other merge direction
      const toward = r.capminV!.mergeToward;
      const other = toward === 'lower' ? 'higher' : 'lower';
      const { pairs: sharedO, wins: winsO, losses: lossesO } = vsCapMin((p) => p.other?.accRebucket);
      const otherWhy = sharedO.length
        ? ` Merging toward the ${other}-diagonal neighbour instead${towardWhy(other)}, CapMin-V beats CapMin at ${winsO} of ${sharedO.length} shared k values and loses at ${lossesO} (see "Merge direction" below).`
        : '';
      rows.push({
        claim: 'CapMin-V (triangles in Fig. 8) sustains higher accuracy under variation for more points than CapMin alone (stars)',
        paper: 'yes, for every dataset',
        ours: `same k: ${shared.map((x) => `k=${x.k}: ${pct(x.v)} vs ${pct(x.c)}`).join('; ')} (CapMin-V toward the ${toward} diagonal, re-bucketed, vs CapMin, under variation)${otherNote(phisV)}`,
        verdict: ok ? 'confirmed' : wins > 0 ? 'partly' : 'not confirmed',
        why: ok
          ? `Merging spike times keeps k₀'s clipping range and capacitor, so a merged level is read as a neighbouring level (a small, two-sided error) instead of being clipped away. This holds with the re-bucketed P_map; with Alg. 1's column-merged P_map (a removed level reads as the survivor it was merged into, possibly several levels away and always on the same side) accuracy falls off much sooner (see the CapMin-V table).${otherWhy}`
          : `Merging toward the ${toward} diagonal${towardWhy(toward)}, CapMin-V beats CapMin beyond the sampling noise at ${wins} of ${shared.length} shared k values${losses ? ` and loses at ${losses}` : ''}; merging keeps k₀'s clip range but its merged buckets must still separate our P_map's spread.${otherWhy}`,
      });
    }
  }
  return rows;
}

// ---------------------------------------------------------------------------------------------
// HTML

const xmlBuilder = new XMLBuilder({ ignoreAttributes: false, attributeNamePrefix: '@_', preserveOrder: false, format: false });

/** Escape text for HTML (via the XML builder, so the one escaping routine is fast-xml-parser's). */
export function esc(s: string): string {
  const out = String(xmlBuilder.build({ t: { '#text': s } }));
  return out.replace(/^<t>/, '').replace(/<\/t>$/, '').replace(/^<t\/>$/, '');
}

function table(header: string[], rows: (string | number)[][], cls = ''): string {
  return `<table${cls ? ` class="${cls}"` : ''}><thead><tr>${header.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${rows
    .map((r) => `<tr>${r.map((c) => `<td${/^\S{1,24}$/.test(String(c)) ? ' class="n"' : ''}>${esc(String(c))}</td>`).join('')}</tr>`)
    .join('')}</tbody></table>`;
}

function figureHtml(f: Figure): string {
  const inline = f.svg.replace(/^<\?xml[^>]*\?>\s*/, '');
  return `<figure id="${esc(f.id)}">${inline}<figcaption>${esc(f.caption)} <a href="figures/${esc(f.id)}.svg">SVG</a> · <a href="data/${esc(f.id)}.csv">CSV</a></figcaption></figure>`;
}

function kTable(r: RunResults): string {
  const rows = [...r.perK]
    .sort((x, y) => y.k - x.k)
    .map((k: KResult) => [
      k.k,
      `${k.lo}..${k.hi}${k.contiguous ? '' : ' *'}`,
      pct(k.coverage),
      fx(pF(k.cMem), 3),
      k.cMemSource ?? '–',
      fx(ns(k.latency), 2),
      k.energy !== undefined ? (k.energy * 1e15).toFixed(3) : '–',
      pct(k.accNoVar),
      k.accVar ? `${pct(k.accVar.mean)} [${pct(k.accVar.min)}, ${pct(k.accVar.max)}]` : '–',
      k.pmapDiag ? fx(Math.min(...k.pmapDiag), 3) : '–',
      k.mcEngine ?? '–',
      k.crosscheck ? `${k.crosscheck.mismatches}/${k.crosscheck.samples}, max |Δt| ${fx(k.crosscheck.maxAbsDt * 1e12, 1)} ps${k.crosscheck.allowed ? '' : ' (rejected)'}` : '–',
    ]);
  return table(['k', 'clip range', 'coverage', 'C_mem (pF)', 'C source', 'latency (ns)', 'energy (fJ)', 'acc. no var.', 'acc. variation (mean [min, max])', 'min p_ii', 'P_map engine', 'transient spot check: cycle mismatches'], rows);
}

/** CapMin-V accuracies when merging in the other direction, for the comparison row. */
function otherNote(phis: PhiResult[]): string {
  const o = phis.filter((p) => p.other?.accRebucket);
  if (!o.length) return '';
  const t = o[0]!.other!.mergeToward;
  return `; merging toward the ${t} diagonal instead${towardWhy(t)}: ${o.map((p) => `k=${p.kV}: ${pct(p.other!.accRebucket!.mean)}`).join('; ')}`;
}

/** Largest number of clipped-range levels that read as one survivor. */
function largestGroup(readLevel: number[], lo: number, hi: number): number {
  const n = new Map<number, number>();
  for (let m = lo; m <= hi; m++) n.set(readLevel[m]!, (n.get(readLevel[m]!) ?? 0) + 1);
  return Math.max(0, ...n.values());
}

/** A paragraph on the merge direction, from the largest φ evaluated both ways. */
function directionNote(phis: PhiResult[], lo: number, hi: number, toward: 'lower' | 'higher'): string {
  const last = [...phis].reverse().find((p) => p.other);
  if (!last) return '';
  const other = last.other!.mergeToward;
  const g = largestGroup(last.readLevel, lo, hi);
  const gO = largestGroup(last.other!.readLevel, lo, hi);
  const [gH, eH, gL, eL] = toward === 'higher' ? [g, last.meanAbsErrRebucket, gO, last.other!.meanAbsErrRebucket] : [gO, last.other!.meanAbsErrRebucket, g, last.meanAbsErrRebucket];
  return (
    `<p><b>Merge direction.</b> At φ = ${last.phi}, merging toward the lower-diagonal neighbour (Alg. 1 lines 6–11 as printed${toward === 'lower' ? ', this run\'s default' : ''}) reads up to ${gL} levels as one survivor (E|read−true| ${fx(eL, 3)}), ` +
    `merging toward the higher one (the opposite of lines 6–11${other === 'higher' ? ', evaluated for comparison' : ', this run\'s setting'}) up to ${gH} (E|read−true| ${fx(eH, 3)}). ` +
    `A merged spike time's bucket is the union of two, so its diagonal entry rises; toward the higher diagonal, its next neighbour then merges into it too, and merges can snowball into one survivor whose one-sided read error adds up over the chunks of a dot product.</p>`
  );
}

/** The accuracy with the other padding of clipped rows (Alg. 1 line 15), for k₀ and the selected CapMin-V φ. */
function paddingNote(r: RunResults): string {
  const pd = r.padding;
  if (!pd?.rows.length) return '';
  const name = (p: 'paper' | 'bound') => (p === 'paper' ? 'one-hot on the bound (Alg. 1 line 15)' : "the bound's error row");
  const rows = pd.rows.map((x) => [x.method, x.k, x.phi ?? '–', x.kV, pct(x.acc.mean), pct(x.accOther.mean), fx(100 * (x.accOther.mean - x.acc.mean), 2)]);
  return (
    `<h3>Padding of clipped rows</h3><p>Rows of clipped levels in this run's padded P_maps: <b>${esc(name(pd.pad))}</b> (<code>pad: ${esc(pd.pad)}</code>); the same runs with ${esc(name(pd.other))} (<code>pad: ${esc(pd.other)}</code>):</p>` +
    table(['method', 'k', 'φ', 'k_V', `acc. (pad ${pd.pad})`, `acc. (pad ${pd.other})`, 'difference (pt)'], rows)
  );
}

function phiTable(r: RunResults): string {
  if (!r.capminV) return '<p class="missing">CapMin-V was not run.</p>';
  const rows = r.capminV.phis.map((p) => [
    p.phi,
    p.kV,
    p.survivors.join(' '),
    pct(p.accRebucket?.mean),
    pct(p.accAlg1?.mean),
    fx(p.meanAbsErrRebucket, 3),
    fx(p.meanAbsErrAlg1, 3),
    fx(p.meanPCorrectRebucket, 3),
    fx(p.meanPCorrectAlg1, 3),
    fx(ns(p.latency), 2),
    p.other ? p.other.survivors.join(' ') : '–',
    pct(p.other?.accRebucket?.mean),
    fx(p.other?.meanAbsErrRebucket, 3),
  ]);
  const o = r.capminV.mergeToward === 'lower' ? 'higher' : 'lower';
  return table(['φ', 'k_V', 'surviving levels (fastest first)', 'acc. (re-bucketed)', 'acc. (Alg. 1 P_map)', 'E|read−true| re-bucketed', 'E|read−true| Alg. 1', 'P(read = survivor) re-bucketed', 'P(read = survivor) Alg. 1', 'latency (ns)', `toward ${o}: survivors`, `toward ${o}: acc. (re-bucketed)`, `toward ${o}: E|read−true|`], rows);
}

const CSS = `body{font-family:system-ui,sans-serif;max-width:1100px;margin:24px auto;padding:0 16px;color:#222;line-height:1.45}
h1{font-size:1.6em}h2{margin-top:1.8em;border-bottom:1px solid #ddd}figure{margin:16px 0}figure svg{max-width:100%;height:auto;border:1px solid #eee}
figcaption{font-size:.9em;color:#555}table{border-collapse:collapse;margin:8px 0;font-size:.9em;display:block;overflow-x:auto;max-width:100%}td,th{border:1px solid #ccc;padding:3px 8px;text-align:left;vertical-align:top}
th{background:#f4f4f4}.missing{color:#a33}.verdict-confirmed{color:#176317;font-weight:bold}.verdict-partly{color:#8a6d00;font-weight:bold}
.verdict-not{color:#a33;font-weight:bold}code{background:#f4f4f4;padding:0 3px}.grid2{display:flex;flex-wrap:wrap;gap:12px}.grid2 figure{flex:1 1 520px;min-width:0}
table.config td:first-child{white-space:nowrap}table.config td{overflow-wrap:anywhere}
@media print{@page{size:A4;margin:12mm}body{max-width:none;margin:0;padding:0;font-size:9.5pt;line-height:1.3}
h1{font-size:15pt}h2{font-size:12.5pt;margin-top:1.2em;break-after:avoid}h3{font-size:11pt;break-after:avoid}
table{display:table;width:100%;max-width:100%;overflow:visible;font-size:7.5pt;table-layout:auto}thead{display:table-header-group}
tr,figure{break-inside:avoid}td,th{padding:2px 4px;overflow-wrap:break-word;hyphens:auto}th{overflow-wrap:anywhere}td.n{white-space:nowrap}
.grid2{display:block}figure{margin:8px 0}figure svg{border:none;max-width:100%;height:auto}figcaption{font-size:8pt}figcaption a{display:none}
a{color:inherit;text-decoration:none}}`;

/** A configuration value as text: lists joined, null as '–', numbers as written. */
function configValue(v: unknown): string {
  if (v === null || v === undefined) return '–';
  if (typeof v === 'string') {
    // metadata values that hold JSON (a training history) are summarized, not dumped
    if (/^\s*[[{]/.test(v)) {
      try {
        const j = JSON.parse(v) as unknown;
        if (Array.isArray(j) && j.length && j.every((x) => x && typeof x === 'object')) return `${j.length} entries; last: ${configValue(j[j.length - 1])}`;
        return configValue(j);
      } catch {
        return v;
      }
    }
    return v;
  }
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return v.map(configValue).join(', ');
  return Object.entries(v as Record<string, unknown>).map(([k, x]) => `${k} = ${configValue(x)}`).join(', ');
}

/** The run configuration as readable rows: a nested object (e.g. the checkpoint's metadata) gives one row per key. */
function configRows(config: Record<string, unknown>): string[][] {
  const rows: string[][] = [];
  for (const [k, v] of Object.entries(config)) {
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      const entries = Object.entries(v as Record<string, unknown>);
      if (!entries.length) rows.push([k, '–']);
      for (const [k2, v2] of entries) rows.push([`${k}: ${k2}`, configValue(v2)]);
    } else rows.push([k, configValue(v)]);
  }
  return rows;
}

/** Build all figures of a run. */
export function buildFigures(r: RunResults): { fmac: Figure | null; charging: Figure | null; accuracy: Figure | null; cost: Figure[]; pmaps: Figure[]; cmem: Figure | null; analytic: Figure | null } {
  return { fmac: fmacFigure(r), charging: chargingFigure(r), accuracy: accuracyFigure(r), cost: costFigures(r), pmaps: pmapFigures(r), cmem: capacitanceFigure(r), analytic: analyticFigure(r) };
}

/** The report page as HTML text. */
export function reportHtml(r: RunResults, figs = buildFigures(r)): string {
  const parts: string[] = [];
  const missingSection = (what: string) => `<p class="missing">${esc(what)} — not available in this run (see "What is missing").</p>`;
  parts.push(`<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>${esc(`capmin report ${r.id}`)}</title><style>${CSS}</style></head><body>`);
  parts.push(`<h1>CapMin / CapMin-V re-run — ${esc(r.id)}</h1>`);
  parts.push(
    `<p>Generated ${esc(r.createdAt)} by <code>capmin run${r.quick ? ' --quick' : ''}</code>. Error-free test accuracy: <b>${esc(pct(r.errorFree?.accuracy))}</b>` +
      `${r.errorFree ? ` on ${r.errorFree.images} test images` : ''}. Accuracy tolerance for the selections: ${esc(fx(100 * r.tolerance, 1))} percentage point(s) below error-free.</p>`,
  );
  // Comparison
  parts.push('<h2>Our figures beside the paper\'s</h2>');
  const cmp = comparePaper(r);
  parts.push(
    `<table class="comparison"><thead><tr><th>claim</th><th>paper</th><th>this run</th><th>verdict</th><th>why</th></tr></thead><tbody>${cmp
      .map((c) => `<tr><td>${esc(c.claim)}</td><td>${esc(c.paper)}</td><td>${esc(c.ours)}</td><td class="verdict-${c.verdict.split(' ')[0]}">${esc(c.verdict)}</td><td>${esc(c.why)}</td></tr>`)
      .join('')}</tbody></table>`,
  );
  // Selections
  parts.push('<h2>Smallest capacitor within the tolerance (Fig. 9)</h2>');
  if (r.selections.length) {
    parts.push(
      table(
        ['method', 'k', 'φ', 'C_mem (pF)', 'latency (ns)', 'energy ½CV² (fJ)', 'accuracy', 'note'],
        r.selections.map((s) => [s.method, s.k, s.phi ?? '–', fx(pF(s.cMem), 3), fx(ns(s.latency), 2), (s.energy * 1e15).toFixed(3), pct(s.accuracy), s.note ?? '']),
      ),
    );
  } else parts.push(missingSection('Selections'));
  parts.push(figs.cost.length ? `<div class="grid2">${figs.cost.map(figureHtml).join('')}</div>` : missingSection('Fig. 9'));
  // Fig. 8
  parts.push('<h2>Accuracy over k (Fig. 8)</h2>');
  parts.push(figs.accuracy ? figureHtml(figs.accuracy) : missingSection('Fig. 8'));
  parts.push('<h3>CapMin per k</h3>', r.perK.length ? kTable(r) : missingSection('Per-k results'));
  if (r.perK.some((k) => !k.contiguous)) parts.push('<p>* the k most frequent levels were not contiguous; the clip range is the best-total window of k levels (docs/capmin.md).</p>');
  else if (r.perK.length) parts.push('<p>For every k the k most frequent levels were contiguous, so the clip range is exactly the top-k set.</p>');
  parts.push(`<h3>CapMin-V from k = ${esc(String(r.capminV?.k0 ?? '–'))}${r.capminV?.cMem ? ` (C_mem = ${fx(pF(r.capminV.cMem), 3)} pF)` : ''}</h3>`);
  parts.push(phiTable(r));
  if (r.capminV) parts.push(`<p>The pipeline's CapMin-V accuracy uses the <b>${r.capminV.uses === 'rebucket' ? 're-bucketed' : 'Alg. 1'}</b> P_map and merges toward the <b>${r.capminV.mergeToward}</b>-diagonal neighbour${esc(towardWhy(r.capminV.mergeToward))}.</p>`);
  if (r.capminV) parts.push(directionNote(r.capminV.phis, r.capminV.lo, r.capminV.hi, r.capminV.mergeToward));
  parts.push(paddingNote(r));
  parts.push(figs.cmem ? figureHtml(figs.cmem) : '');
  // Fig. 1
  parts.push('<h2>MAC-level histogram F_MAC (Fig. 1)</h2>');
  parts.push(figs.fmac ? figureHtml(figs.fmac) : missingSection('F_MAC'));
  // Fig. 3
  parts.push('<h2>Charging curves and clock (Fig. 3)</h2>');
  parts.push(figs.charging ? figureHtml(figs.charging) : missingSection('Charging curves'));
  // Analytic
  parts.push('<h2>Analytic (Eq. 5) versus SPICE</h2>');
  if (figs.analytic) parts.push(figureHtml(figs.analytic));
  if (r.analytic?.length) {
    parts.push(
      table(
        ['level m', 'I_init (µA)', 't SPICE (ns)', 't Eq. 5 (ns)', 'rel. error', 't quasi-static (ns)'],
        r.analytic.map((a) => [a.level, fx(a.iInit * 1e6, 3), fx(ns(a.tSpice), 3), fx(ns(a.tEq5), 3), a.relErr === null ? '–' : `${(100 * a.relErr).toFixed(1)}%`, fx(ns(a.tQuasiStatic ?? null), 3)]),
      ),
    );
  } else parts.push(missingSection('Analytic-vs-SPICE table'));
  // P_map
  parts.push('<h2>Error models P_map</h2>');
  parts.push(figs.pmaps.length ? `<div class="grid2">${figs.pmaps.map(figureHtml).join('')}</div>` : missingSection('P_map heatmaps'));
  // Missing / notes / config
  parts.push('<h2>What is missing or stubbed</h2>');
  parts.push(r.missing.length ? `<ul>${r.missing.map((m) => `<li class="missing">${esc(m)}</li>`).join('')}</ul>` : '<p>Nothing: every stage ran.</p>');
  if (r.notes.length) parts.push(`<h2>Notes</h2><ul>${r.notes.map((n) => `<li>${esc(n)}</li>`).join('')}</ul>`);
  parts.push('<h2>Run configuration and timings</h2>');
  parts.push(r.circuit ? table(['circuit', 'value'], circuitRows(r.circuit), 'config') : '<p class="missing">The circuit was not recorded in this run.</p>');
  parts.push(table(['setting', 'value'], configRows(r.config), 'config'));
  parts.push(table(['stage', 'seconds'], Object.entries(r.timings).map(([k, v]) => [k, v.toFixed(1)])));
  parts.push('</body></html>');
  return parts.join('\n') + '\n';
}

/** Write report.html, figures/*.svg and data/*.csv into `dir`; returns the report path and the figures. */
export function writeReport(r: RunResults, dir: string): { path: string; figures: Figure[] } {
  const figs = buildFigures(r);
  const all = [figs.fmac, figs.charging, figs.accuracy, ...figs.cost, ...figs.pmaps, figs.cmem, figs.analytic].filter((f): f is Figure => f !== null);
  for (const f of all) {
    writeFileAtomic(join(dir, 'figures', `${f.id}.svg`), f.svg);
    writeFileAtomic(join(dir, 'data', `${f.id}.csv`), f.csv);
  }
  writeFileAtomic(join(dir, 'data', 'comparison.csv'), toCsv(['claim', 'paper', 'ours', 'verdict', 'why'], comparePaper(r).map((c) => [c.claim, c.paper, c.ours, c.verdict, c.why])));
  const path = join(dir, 'report.html');
  writeFileAtomic(path, reportHtml(r, figs));
  return { path, figures: all };
}
