/**
 * `capmin sweep-cap` core: per capacitor value the nominal spike time of every level, the number of distinct
 * registered spike times, latency (last representable spike) and energy ½·C·V_th²; quasi-static (one sweep serves every
 * C) or transient (every C and level simulated).
 */
import { XMLBuilder } from 'fast-xml-parser';
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

/** SVG: registered spike time of each level vs C (log-log), plus the number of distinct levels (right axis). */
export function sweepSvg(rows: SweepRow[], title: string): string {
  const W = 720, H = 440, L = 70, R = 70, T = 40, B = 50;
  const caps = rows.map((r) => r.cMem);
  const times = rows.flatMap((r) => r.tSpike.filter((t): t is number => t !== null));
  const x = (c: number): number => L + ((Math.log(c) - Math.log(caps[0]!)) / (Math.log(caps[caps.length - 1]!) - Math.log(caps[0]!) || 1)) * (W - L - R);
  const tMin = Math.min(...times), tMax = Math.max(...times);
  const y = (t: number): number => H - B - ((Math.log(t) - Math.log(tMin)) / (Math.log(tMax) - Math.log(tMin) || 1)) * (H - T - B);
  const a = rows[0]!.tSpike.length - 1;
  const yd = (d: number): number => H - B - (d / (a + 1)) * (H - T - B);
  const paths: Record<string, unknown>[] = [];
  for (let m = 1; m <= a; m++) {
    const pts = rows.filter((r) => r.tSpike[m] !== null).map((r) => `${x(r.cMem).toFixed(1)},${y(r.tSpike[m]!).toFixed(1)}`);
    if (pts.length > 1) paths.push({ '@_d': `M${pts.join(' L')}`, '@_fill': 'none', '@_stroke': `hsl(${(m * 300) / a},70%,45%)`, '@_stroke-width': 1 });
  }
  paths.push({ '@_d': `M${rows.map((r) => `${x(r.cMem).toFixed(1)},${yd(r.distinct).toFixed(1)}`).join(' L')}`, '@_fill': 'none', '@_stroke': 'black', '@_stroke-width': 2, '@_stroke-dasharray': '6 3' });
  const texts: Record<string, unknown>[] = [
    { '@_x': L, '@_y': 22, '@_font-size': 13, '#text': title },
    { '@_x': (W - R + L) / 2, '@_y': H - 12, '@_text-anchor': 'middle', '@_font-size': 11, '#text': 'C_mem (log scale)' },
    { '@_x': 14, '@_y': T - 8, '@_font-size': 11, '#text': 'registered spike time (log), one line per level m' },
    { '@_x': W - R + 6, '@_y': T - 8, '@_font-size': 11, '#text': 'distinct (dashed)' },
  ];
  for (const c of [caps[0]!, caps[Math.floor(caps.length / 2)]!, caps[caps.length - 1]!]) texts.push({ '@_x': x(c), '@_y': H - B + 16, '@_text-anchor': 'middle', '@_font-size': 10, '#text': `${Number((c * 1e12).toPrecision(3))}p` });
  for (const t of [tMin, Math.sqrt(tMin * tMax), tMax]) texts.push({ '@_x': L - 6, '@_y': y(t) + 4, '@_text-anchor': 'end', '@_font-size': 10, '#text': `${Number((t * 1e9).toPrecision(3))}n` });
  for (const d of [0, Math.round((a + 1) / 2), a + 1]) texts.push({ '@_x': W - R + 6, '@_y': yd(d) + 4, '@_font-size': 10, '#text': String(d) });
  const svg = {
    svg: {
      '@_xmlns': 'http://www.w3.org/2000/svg', '@_width': W, '@_height': H, '@_viewBox': `0 0 ${W} ${H}`, '@_font-family': 'sans-serif',
      rect: { '@_x': L, '@_y': T, '@_width': W - L - R, '@_height': H - T - B, '@_fill': 'white', '@_stroke': '#888' },
      path: paths,
      text: texts,
    },
  };
  return new XMLBuilder({ ignoreAttributes: false, attributeNamePrefix: '@_', format: true }).build(svg) as string;
}
