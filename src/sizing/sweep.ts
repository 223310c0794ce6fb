/**
 * `capmin sweep-cap` core: per capacitor value the nominal spike time of every level, the number of distinct
 * registered spike times, latency (last representable spike) and energy ½·C·V_th²; quasi-static (one sweep serves every
 * C) or transient (every C and level simulated).
 */
import { linePlot, stackedLinePlot, type LineSeries } from '../plot/svg.js';
import { circuitLine, type CircuitInfo } from '../circuit/describe.js';
import type { CircuitParams } from '../circuit/params.js';
import { SpiceQueue } from '../spice/runner.js';
import { Progress } from '../util/progress.js';
import { runMonteCarlo } from '../montecarlo/engine.js';
import { BatchStore } from '../montecarlo/store.js';
import { zeroSigmas } from '../montecarlo/variation.js';
import { nominalQsModel, qsTime, sweepRow, windowAt, type QsModel, type SweepRow } from './sizing.js';

/** Sweep capacitor values; `engine` quasistatic (default) or transient. */
export async function sweepCap(opts: {
  circuit: CircuitParams;
  caps: number[];
  engine?: 'quasistatic' | 'transient';
  queue?: SpiceQueue;
  workers?: number;
  model?: QsModel;
  progress?: boolean;
}): Promise<{ model: QsModel; rows: SweepRow[] }> {
  const p = opts.circuit;
  const queue = opts.queue ?? new SpiceQueue(opts.workers);
  const store = new BatchStore(null);
  const model = opts.model ?? (await nominalQsModel(p, { queue, store }));
  const levels = Array.from({ length: p.a + 1 }, (_, i) => i);
  const rows: SweepRow[] = [];
  const prog = opts.progress === false ? null : new Progress('sweep-cap', opts.caps.length, 'C values');
  for (const c of opts.caps) {
    const window = windowAt(model, c, p);
    let t: number[];
    if (opts.engine === 'transient') {
      const r = await runMonteCarlo({ circuit: { ...p, cMem: c }, sigmas: zeroSigmas(), seed: 0, samples: 1, levels, engine: 'transient', window, queue, store, progress: false });
      t = r.nominal.map((n) => n.tCross);
    } else t = levels.map((m) => qsTime(model, m, c, window));
    rows.push(sweepRow(c, t, p));
    prog?.tick(1);
  }
  prog?.finish();
  return { model, rows };
}

/** How a capacitor grid is spaced: 'lin' when its steps are equal, else 'log' (a two-point grid: 'log' from a decade up). */
export function gridScale(caps: readonly number[]): 'log' | 'lin' {
  if (caps.length < 2) return 'log';
  if (caps.length === 2) return caps[1]! / caps[0]! >= 10 ? 'log' : 'lin';
  const d0 = caps[1]! - caps[0]!;
  const equalSteps = caps.every((c, i) => i === 0 || Math.abs(c - caps[i - 1]! - d0) <= 1e-6 * Math.abs(d0));
  return equalSteps ? 'lin' : 'log';
}

/** Options of the sweep figures: the grid's scale (default: read from the grid) and the circuit for the subtitle. */
export interface SweepFigureOptions {
  scale?: 'log' | 'lin';
  circuit?: CircuitInfo;
}

function sweepSubtitle(o: SweepFigureOptions): string | undefined {
  return o.circuit ? circuitLine(o.circuit, null) : undefined;
}

/**
 * SVG (src/plot/svg.ts): registered spike time vs C_mem, one line per level m (10 levels shown), x on the grid's scale.
 * Registered times are clock-quantized, so neighbouring levels can coincide: each level has its own dash and marker.
 */
export function sweepSvg(rows: SweepRow[], title: string, opts: SweepFigureOptions = {}): string {
  const a = rows[0]!.tSpike.length - 1;
  const shown = [...new Set([1, 2, 4, 8, 12, 16, 20, 24, 28, 32].map((m) => Math.min(m, a)))];
  const x = rows.map((r) => r.cMem * 1e12);
  const series: LineSeries[] = shown.map((m) => ({ name: `m = ${m}`, x, y: rows.map((r) => (r.tSpike[m] === null ? NaN : r.tSpike[m]! * 1e9)), markers: rows.length <= 60 }));
  const scale = opts.scale ?? gridScale(rows.map((r) => r.cMem));
  return linePlot({
    title,
    subtitle: sweepSubtitle(opts),
    xLabel: 'C_mem (pF)',
    yLabel: 'registered spike time (ns)',
    series,
    xLog: scale === 'log',
    yLog: true,
    xRange: [Math.min(...x), Math.max(...x)],
    styleCycle: true,
    width: 900,
    height: 520,
  });
}

/** SVG: distinct registered levels (of a+1, top panel) and latency in ns (bottom panel) over C_mem, one shared x axis. */
export function sweepDistinctSvg(rows: SweepRow[], title: string, opts: SweepFigureOptions = {}): string {
  const x = rows.map((r) => r.cMem * 1e12);
  const a = rows[0]!.tSpike.length - 1;
  const scale = opts.scale ?? gridScale(rows.map((r) => r.cMem));
  return stackedLinePlot({
    title,
    subtitle: sweepSubtitle(opts),
    xLabel: 'C_mem (pF)',
    xLog: scale === 'log',
    xRange: [Math.min(...x), Math.max(...x)],
    panels: [
      { yLabel: `distinct levels (of ${a + 1})`, yRange: [0, a + 1], series: [{ name: 'distinct registered levels', x, y: rows.map((r) => r.distinct), color: '#1f77b4' }], hLines: [{ y: a + 1, label: `all ${a + 1}` }] },
      { yLabel: 'latency (ns)', yLog: scale === 'log', series: [{ name: 'latency (last spike)', x, y: rows.map((r) => (r.latency === null ? NaN : r.latency * 1e9)), color: '#d62728', marker: 'square' }] },
    ],
    width: 900,
    panelHeight: 190,
  });
}

/** CSV of a sweep: one row per C_mem with distinct levels, latency, energy and every level's registered and crossing time (s; empty = no spike). */
export function sweepCsv(rows: SweepRow[]): string {
  const a = rows.length ? rows[0]!.tSpike.length - 1 : 0;
  const levels = Array.from({ length: a + 1 }, (_, m) => m);
  const cell = (v: number | null | undefined) => (v === null || v === undefined || !Number.isFinite(v) ? '' : String(v));
  const header = ['cMem_F', 'distinct', 'latency_s', 'energy_J', ...levels.map((m) => `tSpike_m${m}_s`), ...levels.map((m) => `tCross_m${m}_s`)];
  const lines = rows.map((r) => [cell(r.cMem), String(r.distinct), cell(r.latency), cell(r.energy), ...levels.map((m) => cell(r.tSpike[m])), ...levels.map((m) => cell(r.tCross[m])) ].join(','));
  return [header.join(','), ...lines].join('\n') + '\n';
}
