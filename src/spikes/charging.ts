/**
 * The charging-curve stage (Fig. 3): full V_mem waveforms of a few levels at the nominal C_mem, with the crossing
 * time and the registered spike time of each.
 */
import type { CircuitParams } from '../circuit/params.js';
import type { SpiceQueue } from '../spice/runner.js';
import { fig3Waveforms } from './fig3.js';
import { registerSpike } from './spikes.js';

/** One level's waveform (SI: t in s, v in V) and its comparator crossing time [s] (null = none in the window). */
export interface ChargingSeries {
  level: number;
  t: number[];
  v: number[];
  tCross: number | null;
}

/**
 * Waveforms of `levels` (Fig. 3) over 1.25 × the slowest predicted crossing, predicted by the quasi-static model
 * t = (C_mem + C_par)·J_m (`model.j[m]` [s/F], `model.cPar` [F]). Cache: none (`capmin run` caches it as 'fig3').
 */
export async function chargingCurves(p: CircuitParams, levels: number[], model: { cPar: number; j: readonly number[] }, queue: SpiceQueue): Promise<ChargingSeries[]> {
  const crossings = new Map(levels.map((m) => [m, (p.cMem + model.cPar) * model.j[m]!] as [number, number | null]));
  const d = await fig3Waveforms(p, levels, crossings, queue);
  return d.series.map((s) => ({ level: s.level, t: Array.from(s.t), v: Array.from(s.v), tCross: s.tCross }));
}

/** The series with their registered spike times on the f_clk grid [s] (0 when the crossing registers on no edge). Pure. */
export function chargingFigure(p: CircuitParams, series: ChargingSeries[]) {
  return {
    cMem: p.cMem,
    vth: p.vth,
    fClk: p.fClk,
    curves: series.map((s) => ({ ...s, tSpike: s.tCross === null ? null : ((Number.isFinite(s.tCross) ? registerSpike(s.tCross, p.fClk).clockCycle : null) ?? 0) / p.fClk })),
  };
}
