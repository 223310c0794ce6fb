/**
 * `capmin spikes`: nominal spike time of every MAC level (S_FIRE) at a capacitor value.
 */
import { resolve } from 'node:path';
import { circuitFromArgs } from '../circuit/cli-options.js';
import { spiceQueueFromArgs } from '../cli/executor.js';
import { parseCommand } from '../cli/options.js';
import { printJson } from '../cli/output.js';
import { parseWorkers } from '../montecarlo/cliopts.js';
import { EXIT } from '../util/exit.js';
import { checkNgspice } from '../spice/runner.js';
import { allLevels, nominalSpikeTimes, type SpikeRow } from '../spikes/spikes.js';
import { parseLevelRange, formatSi } from '../util/units.js';

/** Plain-text table of spike rows. */
export function spikeTable(rows: SpikeRow[]): string {
  const head = ['level', 'iInit', 'tCross', 'tSpike', 'cycle'];
  const body = rows.map((r) => [
    String(r.level),
    formatSi(r.iInit, 'A'),
    r.tCross === null ? 'no spike' : formatSi(r.tCross, 's', 6),
    r.tSpike === null ? '-' : formatSi(r.tSpike, 's'),
    r.clockCycle === null ? '-' : String(r.clockCycle),
  ]);
  const w = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (c: string[]): string => c.map((x, i) => (i === 0 ? x.padStart(w[i]!) : x.padStart(w[i]! + 2))).join('');
  return [line(head), ...body.map(line)].join('\n') + '\n';
}

/** `capmin spikes`: options from src/cli/options.ts, then nominalSpikeTimes. */
export async function main(argv: string[]): Promise<number | void> {
  const { values, help } = parseCommand('spikes', argv);
  if (help) return EXIT.OK;
  const p = circuitFromArgs(values);
  const levels = values.levels !== undefined ? parseLevelRange('--levels', values.levels, 0, p.a) : allLevels(p.a);
  const workers = values.workers !== undefined ? parseWorkers(values.workers) : undefined;
  if ((values.executor ?? 'local') === 'local') await checkNgspice();
  const cacheDir = values['no-cache'] ? undefined : resolve(values.cache);
  const queue = spiceQueueFromArgs(values, { workers, workRoot: cacheDir, requiredFiles: [p.modelCard] });
  const rows = await nominalSpikeTimes(p, levels, { queue, cacheDir });
  if (values.json) printJson('spikes', { params: p, cache: cacheDir ?? null, rows });
  else {
    process.stdout.write(`# C_mem = ${formatSi(p.cMem, 'F')}, V_th = ${formatSi(p.vth, 'V')}, f_clk = ${formatSi(p.fClk, 'Hz')}, window ${formatSi(p.tStop, 's')}\n`);
    process.stdout.write(spikeTable(rows));
  }
  return EXIT.OK;
}
