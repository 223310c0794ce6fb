/**
 * `capmin sweep-cap --from 1p --to 150p --steps 30 [--engine quasistatic|transient] [--json] [--out DIR]`: per C_mem
 * the nominal spike time of every level, the number of distinct registered spike times, latency and energy ½·C·V_th².
 */
import { join, resolve } from 'node:path';
import { inputError } from '../util/errors.js';
import { writeFileAtomic, writeJsonAtomic } from '../util/atomic.js';
import { formatSi, parseSpiceValue } from '../util/units.js';
import { circuitFromArgs } from '../circuit/cli-options.js';
import { cornerRuns } from '../cli/corners.js';
import { spiceQueueFromArgs } from '../cli/executor.js';
import { parseCommand } from '../cli/options.js';
import { printJson } from '../cli/output.js';
import { parseWorkers } from '../montecarlo/cliopts.js';
import { EXIT } from '../util/exit.js';
import { capGrid } from '../sizing/sizing.js';
import { circuitInfo } from '../circuit/describe.js';
import { sweepCap, sweepCsv, sweepDistinctSvg, sweepSvg } from '../sizing/sweep.js';

/** `capmin sweep-cap`: options from src/cli/options.ts, then sweepCap; writes the folder's JSON and figures. */
export async function main(argv: string[]): Promise<number> {
  const { values: v, help } = parseCommand('sweep-cap', argv);
  if (help) return EXIT.OK;
  // a corner set: one sweep (curve) per PVT point in OUT/<corner>, each exactly the single-point run
  const runs = cornerRuns(argv, v, resolve(v.out));
  if (runs) {
    for (const r of runs) {
      if (!v.json) process.stdout.write(`\n## ${r.point.label}\n`);
      await main(r.argv);
    }
    writeJsonAtomic(join(resolve(v.out), 'summary.json'), { corners: runs.map((r) => ({ label: r.point.label, corner: r.point.corner, tempC: r.point.p.tempC, v0: r.point.p.v0, vdd: r.point.p.vdd, folder: r.folder })) });
    return EXIT.OK;
  }
  const p = circuitFromArgs(v, { autoStop: false });
  const from = parseSpiceValue('--from', v.from, { unit: 'F', min: 1e-15, max: 1e-8 });
  const to = parseSpiceValue('--to', v.to, { unit: 'F', min: from, max: 1e-8 });
  const steps = parseSpiceValue('--steps', v.steps, { min: 1, max: 1000, integer: true });
  const scale = v.scale;
  if (scale !== 'log' && scale !== 'lin') throw inputError('--scale', `'${scale.slice(0, 20)}' unknown; allowed: log, lin`);
  const engine = v.engine;
  if (engine !== 'quasistatic' && engine !== 'transient') throw inputError('--engine', `'${engine.slice(0, 20)}' unknown; allowed: quasistatic, transient`);
  const workers = v.workers !== undefined ? parseWorkers(v.workers) : undefined;
  const out = resolve(v.out);
  const queue = spiceQueueFromArgs(v, { workers, workRoot: out, requiredFiles: [p.modelCard] });
  const { model, rows } = await sweepCap({ circuit: p, caps: capGrid(from, to, steps, scale), engine, queue });
  const result = { engine, cPar: model.cPar, a: p.a, fClk: p.fClk, vth: p.vth, rows };
  writeJsonAtomic(join(out, 'sweep.json'), result);
  writeFileAtomic(join(out, 'sweep.svg'), sweepSvg(rows, `capmin sweep-cap (${engine}): spike time per level`, { scale, circuit: circuitInfo(p) }));
  writeFileAtomic(join(out, 'sweep-distinct.svg'), sweepDistinctSvg(rows, `capmin sweep-cap (${engine}): distinct levels and latency`, { scale, circuit: circuitInfo(p) }));
  writeFileAtomic(join(out, 'sweep.csv'), sweepCsv(rows));
  if (v.json) {
    printJson('sweep-cap', { out, ...result });
    return EXIT.OK;
  }
  process.stdout.write(`sweep-cap (${engine}), C_par = ${formatSi(model.cPar, 'F')}\n      C_mem  distinct   latency      energy   t(m=1)      t(m=${p.a})\n`);
  for (const r of rows) {
    const f = (t: number | null): string => (t === null ? 'none' : formatSi(t, 's'));
    process.stdout.write(`${formatSi(r.cMem, 'F').padStart(11)}  ${String(r.distinct).padStart(8)}  ${f(r.latency).padStart(9)}  ${formatSi(r.energy, 'J').padStart(10)}  ${f(r.tSpike[1] ?? null).padStart(9)}  ${f(r.tSpike[p.a] ?? null).padStart(9)}\n`);
  }
  process.stdout.write(`wrote ${join(out, 'sweep.json')}, sweep.svg, sweep-distinct.svg\n`);
  return EXIT.OK;
}
