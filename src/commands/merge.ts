/**
 * `capmin merge --pmap P --spikes S --phi 4 [--json]`: CapMin-V (paper Sec. III-B, Alg. 1) on files.
 */
import { capminV, padCapminV, readLevelTable, type MergeToward } from '../capmin/merge.js';
import { readPmapFile, readSpikesFile, subsetPmap } from '../capmin/io.js';
import { parseCommandArgs } from '../util/args.js';
import { inputError } from '../util/errors.js';
import { parseLevelRange, parseSpiceValue } from '../util/units.js';

const HELP = `usage: capmin merge --pmap FILE --spikes FILE --phi N [--levels 9..24] [--toward lower|higher]
                    [--time tSpike|tCross] [--a 32] [--json]

CapMin-V (paper Alg. 1): starting from the P_map of CapMin's kept levels, merge the spike time with the smallest
diagonal entry into a neighbour, N times (boundaries merge inward); then pad back to the clipped range.

  --pmap FILE     P_map as written by 'capmin pmap' (pmap.csv or pmap.json; rows = true level)
  --spikes FILE   nominal spike times per level ('capmin spikes --json' output, or CSV level,tSpike)
  --phi N         number of merges, 0..k-1
  --levels R      kept levels (required for a P_map over all a+1 levels; its rows/columns are then restricted to R
                  and renormalised, an approximation — prefer a P_map built for the kept levels: capmin pmap --levels R)
  --toward T      interior merge target: 'higher' = neighbour with the higher diagonal (default, as specified),
                  'lower' = neighbour with the lower diagonal (Alg. 1 line 6 as printed)
  --time C        spike-time column to order levels by (default tSpike)
  --a A           cells per array, for the padded (a+1)x(a+1) P_map (default 32)
  --json          print JSON only`;

export async function main(argv: string[]): Promise<number> {
  const { values, help } = parseCommandArgs(
    argv,
    {
      pmap: { type: 'string' },
      spikes: { type: 'string' },
      phi: { type: 'string' },
      levels: { type: 'string' },
      toward: { type: 'string' },
      time: { type: 'string' },
      a: { type: 'string' },
      json: { type: 'boolean' },
    },
    HELP,
  );
  if (help) return 0;
  if (typeof values.pmap !== 'string') throw inputError('--pmap', 'required: a P_map file (CSV or JSON)');
  if (typeof values.spikes !== 'string') throw inputError('--spikes', 'required: a spike-time file (JSON or CSV)');
  if (typeof values.phi !== 'string') throw inputError('--phi', 'required: number of merges');
  const toward = (values.toward ?? 'higher') as string;
  if (toward !== 'lower' && toward !== 'higher') throw inputError('--toward', `'${toward.slice(0, 20)}' must be lower or higher`);
  const col = (values.time ?? 'tSpike') as string;
  if (col !== 'tSpike' && col !== 'tCross') throw inputError('--time', `'${col.slice(0, 20)}' must be tSpike or tCross`);
  const a = parseSpiceValue('--a', typeof values.a === 'string' ? values.a : '32', { min: 1, max: 4096, integer: true });
  let p = readPmapFile(values.pmap);
  const spikes = readSpikesFile(values.spikes, col);
  if (typeof values.levels === 'string') {
    p = subsetPmap(p, parseLevelRange('--levels', values.levels, 0, a));
  } else if (p.levels.length === a + 1) {
    throw inputError('--levels', `the P_map covers all ${a + 1} levels; name CapMin's kept levels, e.g. --levels 9..24`);
  }
  if (Math.max(...p.levels) > a) throw inputError('--a', `P_map level ${Math.max(...p.levels)} exceeds a = ${a}`);
  const times = p.levels.map((m) => {
    const t = spikes.get(m);
    if (t === undefined) throw inputError('--spikes', `no spike time for level ${m}`);
    return t;
  });
  const phi = parseSpiceValue('--phi', values.phi, { min: 0, max: p.levels.length - 1, integer: true });
  const r = capminV(p.levels, times, p.matrix, phi, { toward });
  const padded = padCapminV(r, a);
  if (values.json) {
    process.stdout.write(
      JSON.stringify(
        {
          ...r,
          survivorTimes: r.survivorTimes.map((t) => (Number.isFinite(t) ? t : null)),
          levels: [...p.levels].sort((x, y) => x - y),
          clip: [Math.min(...p.levels), Math.max(...p.levels)],
          readLevelTable: readLevelTable(r, a),
          padded,
        },
        null,
        2,
      ) + '\n',
    );
    return 0;
  }
  const lines = [`CapMin-V: k = ${p.levels.length} → k_V = ${r.survivors.length} after phi = ${phi} merges (toward the ${toward}-diagonal neighbour)`];
  for (const s of r.steps) lines.push(`  step ${s.step}: level ${s.removed} (p_jj = ${s.diag.toFixed(4)}) → ${s.into} (${s.direction}, ${s.reason})`);
  lines.push(`survivors (shortest spike first): ${r.survivors.join(' ')}`);
  lines.push(`diagonal: ${r.diagonal.map((d) => d.toFixed(4)).join(' ')}`);
  lines.push(`read level: ${r.order.map((m) => `${m}→${r.readLevel[m]}`).join(' ')}`);
  process.stdout.write(lines.join('\n') + '\n');
  return 0;
}
