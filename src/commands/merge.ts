/**
 * `capmin merge --pmap P --spikes S --phi 4 [--json]`: CapMin-V (paper Sec. III-B, Alg. 1) on files.
 */
import { capminV, padCapminV, readLevelTable } from '../capmin/merge.js';
import { readPmapFile, readSpikesFile, subsetPmap } from '../capmin/io.js';
import { parseCommand } from '../cli/options.js';
import { printJson } from '../cli/output.js';
import { EXIT } from '../util/exit.js';
import { inputError } from '../util/errors.js';
import { parseLevelRange, parseSpiceValue } from '../util/units.js';

/** `capmin merge`: options from src/cli/options.ts, then capminV and padCapminV. */
export async function main(argv: string[]): Promise<number> {
  const { values, help } = parseCommand('merge', argv);
  if (help) return EXIT.OK;
  if (values.pmap === undefined) throw inputError('--pmap', 'required: a P_map file (CSV or JSON)');
  if (values.spikes === undefined) throw inputError('--spikes', 'required: a spike-time file (JSON or CSV)');
  if (values.phi === undefined) throw inputError('--phi', 'required: number of merges');
  const toward = values['merge-toward'];
  if (toward !== 'lower' && toward !== 'higher') throw inputError('--merge-toward', `'${toward.slice(0, 20)}' must be lower or higher`);
  const pad = values.pad;
  if (pad !== 'paper' && pad !== 'bound') throw inputError('--pad', `'${pad.slice(0, 20)}' must be paper or bound`);
  if (values.time !== 'spike' && values.time !== 'cross') throw inputError('--time', `'${values.time.slice(0, 20)}' must be spike or cross`);
  const col = values.time === 'spike' ? 'tSpike' : 'tCross';
  const a = parseSpiceValue('--cells', values.cells, { min: 1, max: 4096, integer: true });
  let p = readPmapFile(values.pmap);
  const spikes = readSpikesFile(values.spikes, col);
  if (typeof values.levels === 'string') {
    p = subsetPmap(p, parseLevelRange('--levels', values.levels, 0, a));
  } else if (p.levels.length === a + 1) {
    throw inputError('--levels', `the P_map covers all ${a + 1} levels; name CapMin's kept levels, e.g. --levels 9..24`);
  }
  if (Math.max(...p.levels) > a) throw inputError('--cells', `P_map level ${Math.max(...p.levels)} exceeds a = ${a}`);
  const times = p.levels.map((m) => {
    const t = spikes.get(m);
    if (t === undefined) throw inputError('--spikes', `no spike time for level ${m}`);
    return t;
  });
  const phi = parseSpiceValue('--phi', values.phi, { min: 0, max: p.levels.length - 1, integer: true });
  const r = capminV(p.levels, times, p.matrix, phi, { mergeToward: toward });
  const padded = padCapminV(r, a, { pad });
  if (values.json) {
    printJson('merge', {
      ...r,
      pad,
      survivorTimes: r.survivorTimes.map((t) => (Number.isFinite(t) ? t : null)),
      levels: [...p.levels].sort((x, y) => x - y),
      clip: [Math.min(...p.levels), Math.max(...p.levels)],
      readLevelTable: readLevelTable(r, a),
      padded,
    });
    return EXIT.OK;
  }
  const lines = [`CapMin-V: k = ${p.levels.length} → k_V = ${r.survivors.length} after phi = ${phi} merges (toward the ${toward}-diagonal neighbour)`];
  for (const s of r.steps) lines.push(`  step ${s.step}: level ${s.removed} (p_jj = ${s.diag.toFixed(4)}) → ${s.into} (${s.direction}, ${s.reason})`);
  lines.push(`survivors (shortest spike first): ${r.survivors.join(' ')}`);
  lines.push(`diagonal: ${r.diagonal.map((d) => d.toFixed(4)).join(' ')}`);
  lines.push(`read level: ${r.order.map((m) => `${m}→${r.readLevel[m]}`).join(' ')}`);
  process.stdout.write(lines.join('\n') + '\n');
  return EXIT.OK;
}
