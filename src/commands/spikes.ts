/**
 * `capmin spikes`: nominal spike time of every MAC level (S_FIRE) at a capacitor value.
 */
import { join } from 'node:path';
import { CIRCUIT_HELP, CIRCUIT_OPTIONS, circuitFromArgs } from '../circuit/cli-options.js';
import { checkNgspice, SpiceQueue } from '../spice/runner.js';
import { allLevels, nominalSpikeTimes, type SpikeRow } from '../spikes/spikes.js';
import { parseCommandArgs } from '../util/args.js';
import { parseLevelRange, parseSpiceValue, formatSi } from '../util/units.js';

const HELP = `usage: capmin spikes [--cap 10p] [--levels 0..32] [--jobs N] [--json] [--cache DIR | --no-cache] [circuit options]

One row per level m (conducting cells): I_init (ML at 0 V), comparator crossing time tCross, registered spike time
tSpike (next rising clock edge) and its clock cycle. SI units in --json; null = no spike within --tstop.
Results are cached per level by content hash of the decks and model card in DIR (default runs/cache/spikes).
${CIRCUIT_HELP}`;

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

export async function main(argv: string[]): Promise<number | void> {
  const { values, help } = parseCommandArgs(argv, { ...CIRCUIT_OPTIONS, levels: { type: 'string' }, jobs: { type: 'string' }, json: { type: 'boolean' }, cache: { type: 'string' }, 'no-cache': { type: 'boolean' } }, HELP);
  if (help) return 0;
  const p = circuitFromArgs(values);
  const levels = values.levels ? parseLevelRange('levels', values.levels as string, 0, p.a) : allLevels(p.a);
  const jobs = values.jobs ? parseSpiceValue('jobs', values.jobs as string, { min: 1, max: 256, integer: true }) : undefined;
  await checkNgspice();
  const cacheDir = values['no-cache'] ? undefined : ((values.cache as string | undefined) ?? join('runs', 'cache', 'spikes'));
  const rows = await nominalSpikeTimes(p, levels, { queue: new SpiceQueue(jobs), cacheDir });
  if (values.json) process.stdout.write(JSON.stringify(rows, null, 1) + '\n');
  else {
    process.stdout.write(`# C_mem = ${formatSi(p.cMem, 'F')}, V_th = ${formatSi(p.vth, 'V')}, f_clk = ${formatSi(p.fClk, 'Hz')}, window ${formatSi(p.tStop, 's')}\n`);
    process.stdout.write(spikeTable(rows));
  }
  return 0;
}
