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

/** P_map of a Monte-Carlo result over `levels` (default: the simulated levels). */
export function pmapFromMonteCarlo(r: McResult, opts: { levels?: number[]; timeBase?: TimeBase } = {}): Pmap {
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
  return buildPmap(nominal, samples, levels);
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
export function writePmapFiles(dir: string, pmap: Pmap, r: McResult, a: number, meta: Record<string, unknown>): string[] {
  const files = ['pmap.csv', 'pmap.json', 'pmap.npy', 'samples.csv', 'pmap.svg'];
  writeFileAtomic(join(dir, 'pmap.csv'), pmapCsv(pmap));
  writeJsonAtomic(join(dir, 'pmap.json'), pmapJson(pmap, { ...meta, engine: r.engine, window: r.window, cPar: r.cPar }));
  writeFileAtomic(join(dir, 'pmap.npy'), pmapNpy(pmap, a));
  writeFileAtomic(join(dir, 'samples.csv'), samplesCsv(r));
  const title = `P_map (${r.engine}, C_mem ${typeof meta.cMem === 'number' ? formatSi(meta.cMem, 'F') : '?'}, ${r.samples} samples/level, time base ${String(meta.timeBase ?? 'spike')})`;
  writeFileAtomic(join(dir, 'pmap.svg'), pmapHeatmapSvg(pmap, title));
  return files.map((f) => join(dir, f));
}
