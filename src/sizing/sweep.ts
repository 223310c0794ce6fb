/**
 * `capmin sweep-cap` core: per capacitor value the nominal spike time of every level, the number of distinct
 * registered spike times, latency (last representable spike) and energy ½·C·V_th²; quasi-static (one sweep serves every
 * C) or transient (every C and level simulated).
 */
import { linePlot } from '../report/svg.js';
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

/** SVG (src/report/svg.ts): registered spike time vs C_mem, log-log, one line per level m (10 levels shown). */
export function sweepSvg(rows: SweepRow[], title: string): string {
  const a = rows[0]!.tSpike.length - 1;
  const shown = [...new Set([1, 2, 4, 8, 12, 16, 20, 24, 28, 32].map((m) => Math.min(m, a)))];
  const series = [];
  for (const m of shown) {
    series.push({ name: `m=${m}`, x: rows.map((r) => r.cMem * 1e12), y: rows.map((r) => (r.tSpike[m] === null ? NaN : r.tSpike[m]! * 1e9)), markers: false });
  }
  const x = rows.map((r) => r.cMem * 1e12);
  return linePlot({ title, xLabel: 'C_mem [pF]', yLabel: 'registered spike time [ns]', series, xLog: true, yLog: true, xRange: [Math.min(...x), Math.max(...x)], width: 760, height: 480 });
}

/** SVG: distinct registered levels (of a+1) and latency vs C_mem. */
export function sweepDistinctSvg(rows: SweepRow[], title: string): string {
  const x = rows.map((r) => r.cMem * 1e12);
  return linePlot({
    title,
    xLabel: 'C_mem [pF]',
    yLabel: 'distinct levels / latency [ns] (log)',
    xLog: true,
    yLog: true,
    xRange: [Math.min(...x), Math.max(...x)],
    series: [
      { name: 'distinct registered levels', x, y: rows.map((r) => r.distinct) },
      { name: 'latency (last spike) [ns]', x, y: rows.map((r) => (r.latency === null ? NaN : r.latency * 1e9)), dashed: true },
    ],
    width: 640,
    height: 420,
  });
}
