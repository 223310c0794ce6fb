/**
 * `capmin sweep-cap --from 1p --to 150p --steps 30 [--engine quasistatic|transient] [--json] [--out DIR]`: per C_mem
 * the nominal spike time of every level, the number of distinct registered spike times, latency and energy ½·C·V_th².
 */
import { join } from 'node:path';
import { parseCommandArgs } from '../util/args.js';
import { inputError } from '../util/errors.js';
import { writeFileAtomic, writeJsonAtomic } from '../util/atomic.js';
import { formatSi, parseSpiceValue } from '../util/units.js';
import { CIRCUIT_HELP, CIRCUIT_OPTIONS, circuitFromArgs } from '../montecarlo/cliopts.js';
import { capGrid } from '../sizing/sizing.js';
import { sweepCap, sweepDistinctSvg, sweepSvg } from '../sizing/sweep.js';

const HELP = `usage: capmin sweep-cap [--from 1p] [--to 150p] [--steps 30] [--scale log|lin] [--engine quasistatic|transient]
                        [--workers N] [--out DIR] [--json]
Per C_mem: nominal spike time of every level m, number of distinct registered spike times, latency (the last
representable spike) and energy 1/2*C*V_th^2. quasistatic (default): one DC sweep serves every C; transient: every
C and level simulated. --out writes sweep.json, sweep.svg and sweep-distinct.svg.
${CIRCUIT_HELP}`;

export async function main(argv: string[]): Promise<number> {
  const { values: v, help } = parseCommandArgs(
    argv,
    { ...CIRCUIT_OPTIONS, from: { type: 'string' }, to: { type: 'string' }, steps: { type: 'string' }, scale: { type: 'string' }, engine: { type: 'string' }, workers: { type: 'string' }, out: { type: 'string' }, json: { type: 'boolean' } },
    HELP,
  );
  if (help) return 0;
  const p = circuitFromArgs(v);
  const from = parseSpiceValue('--from', typeof v.from === 'string' ? v.from : '1p', { unit: 'F', min: 1e-15, max: 1e-8 });
  const to = parseSpiceValue('--to', typeof v.to === 'string' ? v.to : '150p', { unit: 'F', min: from, max: 1e-8 });
  const steps = parseSpiceValue('--steps', typeof v.steps === 'string' ? v.steps : '30', { min: 1, max: 1000, integer: true });
  const scale = typeof v.scale === 'string' ? v.scale : 'log';
  if (scale !== 'log' && scale !== 'lin') throw inputError('--scale', `'${scale.slice(0, 20)}' unknown; allowed: log, lin`);
  const engine = typeof v.engine === 'string' ? v.engine : 'quasistatic';
  if (engine !== 'quasistatic' && engine !== 'transient') throw inputError('--engine', `'${engine.slice(0, 20)}' unknown; allowed: quasistatic, transient`);
  const workers = typeof v.workers === 'string' ? parseSpiceValue('--workers', v.workers, { min: 1, max: 64, integer: true }) : undefined;
  const { model, rows } = await sweepCap({ circuit: p, caps: capGrid(from, to, steps, scale), engine, workers });
  const result = { engine, cPar: model.cPar, a: p.a, fClk: p.fClk, vth: p.vth, rows };
  if (typeof v.out === 'string') {
    writeJsonAtomic(join(v.out, 'sweep.json'), result);
    writeFileAtomic(join(v.out, 'sweep.svg'), sweepSvg(rows, `capmin sweep-cap (${engine}): spike time per level`));
    writeFileAtomic(join(v.out, 'sweep-distinct.svg'), sweepDistinctSvg(rows, `capmin sweep-cap (${engine}): distinct levels and latency`));
  }
  if (v.json) {
    process.stdout.write(JSON.stringify(result, null, 2) + '\n');
    return 0;
  }
  process.stdout.write(`sweep-cap (${engine}), C_par = ${formatSi(model.cPar, 'F')}\n      C_mem  distinct   latency      energy   t(m=1)      t(m=${p.a})\n`);
  for (const r of rows) {
    const f = (t: number | null): string => (t === null ? 'none' : formatSi(t, 's'));
    process.stdout.write(`${formatSi(r.cMem, 'F').padStart(11)}  ${String(r.distinct).padStart(8)}  ${f(r.latency).padStart(9)}  ${formatSi(r.energy, 'J').padStart(10)}  ${f(r.tSpike[1] ?? null).padStart(9)}  ${f(r.tSpike[p.a] ?? null).padStart(9)}\n`);
  }
  return 0;
}
