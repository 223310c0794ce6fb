/**
 * Glue between the Monte-Carlo result and P_map: choose the time base (registered spike time on the clock grid, what
 * the neuron's decoder reads, or the raw comparator crossing), drop failed samples (they are counted in the manifest),
 * and write the P_map files of a run.
 */
import { join } from 'node:path';
import { writeFileAtomic, writeJsonAtomic } from '../util/atomic.js';
import { formatSi } from '../util/units.js';
import type { McResult } from '../montecarlo/engine.js';
import { buildPmap, type Pmap } from './pmap.js';
import { pmapCsv, pmapHeatmapSvg, pmapJson, pmapNpy } from './pmapio.js';

/** `spike`: registered spike time (clock edge after the crossing; default); `cross`: comparator crossing time. */
export type TimeBase = 'spike' | 'cross';

/**
 * Clock frequency behind the registered spike times of a Monte-Carlo result, from its nominal spikes (tSpike =
 * clockCycle / f_clk); undefined when no nominal level spikes.
 */
export function clockOfResult(r: Pick<McResult, 'nominal'>): number | undefined {
  let best: { c: number; t: number } | undefined;
  for (const n of r.nominal) if (n.clockCycle !== null && Number.isFinite(n.tSpike) && n.tSpike > 0 && (!best || n.clockCycle > best.c)) best = { c: n.clockCycle, t: n.tSpike };
  return best ? best.c / best.t : undefined;
}

/**
 * P_map (Eq. 6) of a Monte-Carlo result over `levels` (default: the simulated levels). On the registered time base
 * buckets are decided in integer clock cycles (`fClk`, default: derived from the nominal spikes); crossing times in
 * seconds.
 */
export function pmapFromMonteCarlo(r: McResult, opts: { levels?: number[]; timeBase?: TimeBase; fClk?: number } = {}): Pmap {
  const tb = opts.timeBase ?? 'spike';
  const levels = opts.levels ?? r.levels;
  const nominal: number[] = [];
  const samples = new Map<number, Float64Array>();
  for (const n of r.nominal) nominal[n.level] = tb === 'spike' ? n.tSpike : n.tCross;
  for (const l of r.byLevel) {
    const ts = tb === 'spike' ? l.tSpike : l.tCross;
    samples.set(l.level, ts.filter((t) => !Number.isNaN(t)));
  }
  for (const m of levels) if (!samples.has(m)) throw new Error(`pmapFromMonteCarlo: level ${m} was not simulated`);
  if (tb === 'cross') return buildPmap(nominal, samples, levels);
  const fClk = opts.fClk ?? clockOfResult(r);
  // no nominal spike at all: every nominal time is Infinity, a single bucket, so seconds decide nothing
  return buildPmap(nominal, samples, levels, fClk === undefined ? {} : { fClk });
}

/** samples.csv text: level,sample,tCross,tSpike (`inf` = no spike in the window, `failed` = failed batch). */
export function samplesCsv(r: McResult): string {
  const f = (x: number): string => (Number.isNaN(x) ? 'failed' : x === Infinity ? 'inf' : String(x));
  const lines = ['level,sample,tCross,tSpike'];
  for (const l of r.byLevel) for (let s = 0; s < l.tCross.length; s++) lines.push(`${l.level},${s},${f(l.tCross[s]!)},${f(l.tSpike[s]!)}`);
  return lines.join('\n') + '\n';
}

/**
 * Write pmap.csv, pmap.json, pmap.npy ((a+1)×(a+1), popcount-indexed for SPICE-Torch), samples.csv and pmap.svg into
 * `dir`. Everything written is a pure function of the inputs, so a resumed run gives byte-identical files.
 */
export function writePmapFiles(dir: string, pmap: Pmap, r: McResult, a: number, meta: Record<string, unknown>, opts: { subtitle?: string } = {}): string[] {
  const files = ['pmap.csv', 'pmap.json', 'pmap.npy', 'samples.csv', 'pmap.svg'];
  writeFileAtomic(join(dir, 'pmap.csv'), pmapCsv(pmap));
  writeJsonAtomic(join(dir, 'pmap.json'), pmapJson(pmap, { ...meta, engine: r.engine, window: r.window, cPar: r.cPar }));
  writeFileAtomic(join(dir, 'pmap.npy'), pmapNpy(pmap, a));
  writeFileAtomic(join(dir, 'samples.csv'), samplesCsv(r));
  const title = `P_map (${r.engine}, C_mem ${typeof meta.cMem === 'number' ? formatSi(meta.cMem, 'F') : '?'}, ${r.samples} samples/level, time base ${String(meta.timeBase ?? 'spike')})`;
  writeFileAtomic(join(dir, 'pmap.svg'), pmapHeatmapSvg(pmap, title, opts.subtitle));
  return files.map((f) => join(dir, f));
}
