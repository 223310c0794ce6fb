/**
 * `capmin crosscheck [--cap 12.27p] [--samples 20] [--levels 1,8,16,24,32] [--json]`: transient vs quasi-static
 * Monte-Carlo on the same samples (spike-time difference in ps, fraction of registered cycles that differ) and the
 * post-processed clock vs the simulated flip-flop.
 */
import { parseCommandArgs } from '../util/args.js';
import { formatSi, parseLevelRange } from '../util/units.js';
import { CIRCUIT_HELP, CIRCUIT_OPTIONS, MC_HELP, MC_OPTIONS, circuitFromArgs, mcFromArgs, sigmasFromArgs } from '../montecarlo/cliopts.js';
import { crosscheck } from '../montecarlo/crosscheck.js';

const HELP = `usage: capmin crosscheck [--cap 12.27p] [--samples 20] [--levels 1,4,8,16,24,32] [--clock-levels 8,16,32] [--json]
Runs the transient (reference) and quasi-static engines on the same samples and reports the spike-time difference
and the fraction of samples whose registered clock cycle differs (fast path allowed below 1 %).
  --clock-levels L   levels for the post-processed-clock vs simulated flip-flop check (default 4,16,32; 'none' to skip)
  --json             JSON on stdout
${MC_HELP}
${CIRCUIT_HELP}`;

export async function main(argv: string[]): Promise<number> {
  const { values: v, help } = parseCommandArgs(argv, { ...CIRCUIT_OPTIONS, ...MC_OPTIONS, 'clock-levels': { type: 'string' }, json: { type: 'boolean' } }, HELP);
  if (help) return 0;
  const circuit = circuitFromArgs(v, '12.27p');
  const sigmas = sigmasFromArgs(v);
  const mc = mcFromArgs(v, circuit.a, { samples: 20 });
  const levels = typeof v.levels === 'string' ? mc.levels : [1, 4, 8, 16, 24, 32].filter((m) => m <= circuit.a);
  const cl = typeof v['clock-levels'] === 'string' ? v['clock-levels'] : '4,16,32';
  const clockLevels = cl === 'none' ? [] : parseLevelRange('--clock-levels', cl, 0, circuit.a);
  const r = await crosscheck({ circuit, sigmas, seed: mc.seed, samples: mc.samples, levels, correlation: mc.correlation, workers: mc.workers, batchSize: mc.batchSize, clockLevels });
  if (v.json) {
    process.stdout.write(JSON.stringify(r, null, 2) + '\n');
    return 0;
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
  return 0;
}
