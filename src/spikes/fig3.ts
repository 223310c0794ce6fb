/**
 * The paper's Fig. 3: V(t) of the match line for several MAC levels with the V_th line and the clock's rising edges.
 */
import type { CircuitParams } from '../circuit/params.js';
import { linePlot } from '../plot/svg.js';
import { circuitInfo, circuitLine, type CircuitInfo } from '../circuit/describe.js';
import type { SpiceQueue } from '../spice/runner.js';
import { runLevelTransient } from './spikes.js';

export interface Fig3Data {
  window: number;
  series: { level: number; t: Float64Array; v: Float64Array; tCross: number | null }[];
}

/** Levels shown by default: a few high levels whose spikes fall within ~30 clock periods at 10 pF. */
export function defaultFig3Levels(a: number): number[] {
  return [a / 4, (3 * a) / 8, a / 2, (3 * a) / 4, a].map(Math.round).filter((m, i, s) => m >= 1 && s.indexOf(m) === i);
}

/** Full waveforms (no stop after the spike) over `window` = 1.25 × the slowest shown crossing. */
export async function fig3Waveforms(p: CircuitParams, levels: number[], crossings: Map<number, number | null>, queue: SpiceQueue): Promise<Fig3Data> {
  const ts = levels.map((m) => crossings.get(m)).filter((t): t is number => typeof t === 'number');
  const window = Math.min(p.tStop, ts.length ? 1.25 * Math.max(...ts) : p.tStop);
  const q: CircuitParams = { ...p, tStop: window, tStep: Math.min(p.tStep, window / 500) };
  const series = await Promise.all(
    levels.map(async (level) => {
      const r = await runLevelTransient(q, level, { queue, stopAfterSpike: false });
      return { level, t: r.t, v: r.v, tCross: r.tCross };
    }),
  );
  return { window, series };
}

/**
 * SVG of the waveforms (time in ns), V_th as a horizontal line and each rising clock edge as a vertical line; the
 * subtitle names the circuit (default: `circuitInfo(p)`, which reads the model card's hash).
 */
export function fig3Svg(p: CircuitParams, d: Fig3Data, circuit: CircuitInfo = circuitInfo(p)): string {
  const edges: { x: number; label?: string }[] = [];
  const per = 1 / p.fClk;
  const n = Math.floor(d.window / per);
  const every = Math.max(1, Math.ceil(n / 60));
  for (let k = every; k <= n; k += every) edges.push({ x: k * per * 1e9, ...(k === every ? { label: `clock ${k === 1 ? '' : `every ${every} `}edge` } : {}) });
  return linePlot({
    title: `Match-line voltage V(t), C_mem = ${(p.cMem * 1e12).toPrecision(3)} pF (paper Fig. 3)`,
    subtitle: circuitLine(circuit),
    xLabel: 'time (ns)',
    yLabel: 'V(ML) (V)',
    styleCycle: true,
    width: 900,
    height: 460,
    series: d.series.map((s) => {
      // thin out to ≤ 400 points per curve
      const step = Math.max(1, Math.ceil(s.t.length / 400));
      const x: number[] = [];
      const y: number[] = [];
      for (let i = 0; i < s.t.length; i += step) {
        x.push(s.t[i]! * 1e9);
        y.push(s.v[i]!);
      }
      return { name: `m = ${s.level}`, x, y, markers: false };
    }),
    hLines: [{ y: p.vth, label: `V_th = ${p.vth} V` }],
    vLines: edges,
    xRange: [0, d.window * 1e9],
  });
}
