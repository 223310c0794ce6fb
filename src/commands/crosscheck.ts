/**
 * `capmin crosscheck`: transient vs quasi-static Monte-Carlo on the same samples (spike-time difference in ps,
 * fraction of registered cycles that differ) and the post-processed clock vs the simulated flip-flop.
 */
import { circuitFromArgs } from '../circuit/cli-options.js';
import { spiceQueueFromArgs } from '../cli/executor.js';
import { parseCommand } from '../cli/options.js';
import { printJson } from '../cli/output.js';
import { mcFromArgs, sigmasFromArgs } from '../montecarlo/cliopts.js';
import { crosscheck } from '../montecarlo/crosscheck.js';
import { EXIT } from '../util/exit.js';
import { formatSi, parseLevelRange } from '../util/units.js';

/** `capmin crosscheck`: options from src/cli/options.ts, then crosscheck. */
export async function main(argv: string[]): Promise<number> {
  const { values: v, help } = parseCommand('crosscheck', argv);
  if (help) return EXIT.OK;
  const circuit = circuitFromArgs(v, { autoStop: false });
  const sigmas = sigmasFromArgs(v);
  const mc = mcFromArgs(v, circuit.a);
  const levels = v.levels !== undefined ? mc.levels : [1, 4, 8, 16, 24, 32].filter((m) => m <= circuit.a);
  const clockLevels = v['clock-levels'] === 'none' ? [] : parseLevelRange('--clock-levels', v['clock-levels'], 0, circuit.a);
  const r = await crosscheck({ circuit, sigmas, seed: mc.seed, samples: mc.samples, levels, correlation: mc.correlation, queue: spiceQueueFromArgs(v, { workers: mc.workers, requiredFiles: [circuit.modelCard] }), batchSize: mc.batchSize, clockLevels });
  if (v.json) {
    printJson('crosscheck', { ...r });
    return EXIT.OK;
  }
  const ps = (x: number): string => (x * 1e12).toFixed(2);
  process.stdout.write(`crosscheck C_mem=${formatSi(circuit.cMem, 'F')} ${mc.samples} samples/level seed ${mc.seed}; C_par=${formatSi(r.cPar ?? 0, 'F')}\n`);
  process.stdout.write('level  mean dt[ps]  rms dt[ps]  max|dt|[ps]  max rel   cycle mismatch\n');
  for (const l of r.perLevel) {
    process.stdout.write(`${String(l.level).padStart(5)}  ${ps(l.meanDt).padStart(11)}  ${ps(l.rmsDt).padStart(10)}  ${ps(l.maxAbsDt).padStart(11)}  ${(l.maxRel * 100).toFixed(3).padStart(6)}%  ${(l.cycleMismatch * 100).toFixed(2).padStart(8)}%\n`);
  }
  process.stdout.write(`all    ${ps(r.overall.meanDt).padStart(11)}  ${ps(r.overall.rmsDt).padStart(10)}  ${ps(r.overall.maxAbsDt).padStart(11)}            ${(r.overall.cycleMismatch * 100).toFixed(2).padStart(8)}%\n`);
  process.stdout.write(`fast path ${r.fastPathAllowed ? 'allowed' : 'NOT allowed'} (bound ${(r.bound * 100).toFixed(1)} % cycle mismatch)\n`);
  for (const c of r.clockCheck) {
    process.stdout.write(`clock check m=${c.level}: post-processed cycle ${c.postProcessed}, simulated flip-flop ${c.flipFlop} -> ${c.same ? 'same' : 'DIFFERENT'}\n`);
  }
  process.stdout.write(`timings: transient ${(r.timings.transient.wallMs / 1000).toFixed(1)} s wall, quasistatic ${(r.timings.quasistatic.wallMs / 1000).toFixed(1)} s wall\n`);
  return EXIT.OK;
}
