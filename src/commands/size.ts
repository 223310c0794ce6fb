/**
 * `capmin size --levels 9..22 [--margin-cycles N] [--mapping natural|shifted] [--json]`: the smallest C_mem whose
 * registered spike times separate the given levels (bisection, every step verified by SPICE transients), the same for
 * all a+1 levels as the baseline, and the ratio (paper Sec. IV-B: 135.2 pF → 9.6 pF, 14×).
 */
import { parseCommandArgs } from '../util/args.js';
import { inputError } from '../util/errors.js';
import { formatSi, parseLevelRange, parseSpiceValue } from '../util/units.js';
import { SpiceQueue } from '../spice/runner.js';
import { CIRCUIT_HELP, CIRCUIT_OPTIONS, circuitFromArgs } from '../montecarlo/cliopts.js';
import { BatchStore } from '../montecarlo/store.js';
import { nominalQsModel, sizeCapacitor, type Mapping, type SizeResult } from '../sizing/sizing.js';

const HELP = `usage: capmin size --levels 9..22 [--margin-cycles 1] [--mapping natural|shifted|both] [--verify transient|quasistatic]
                   [--tol 0.005] [--workers N] [--json]
Smallest C_mem at which the kept levels' registered spike times are distinct (>= N clock cycles apart), by
bisection with each step simulated; the same for all a+1 levels (baseline) and the ratio (paper: 14x).
  --mapping natural   kept levels keep their own currents (m = level)
            shifted   the lowest kept level takes the slowest spike (m = level - lowest + 1)
            both      report both (default)
${CIRCUIT_HELP}`;

export async function main(argv: string[]): Promise<number> {
  const { values: v, help } = parseCommandArgs(
    argv,
    { ...CIRCUIT_OPTIONS, levels: { type: 'string' }, 'margin-cycles': { type: 'string' }, mapping: { type: 'string' }, verify: { type: 'string' }, tol: { type: 'string' }, workers: { type: 'string' }, json: { type: 'boolean' } },
    HELP,
  );
  if (help) return 0;
  const p = circuitFromArgs(v);
  if (typeof v.levels !== 'string') throw inputError('--levels', `required, e.g. --levels 9..22 within 0..${p.a}`);
  const levels = parseLevelRange('--levels', v.levels, 0, p.a);
  const margin = typeof v['margin-cycles'] === 'string' ? parseSpiceValue('--margin-cycles', v['margin-cycles'], { min: 1, max: 1000, integer: true }) : 1;
  const mp = typeof v.mapping === 'string' ? v.mapping : 'both';
  if (!['natural', 'shifted', 'both'].includes(mp)) throw inputError('--mapping', `'${mp.slice(0, 20)}' unknown; allowed: natural, shifted, both`);
  const verify = typeof v.verify === 'string' ? v.verify : 'transient';
  if (verify !== 'transient' && verify !== 'quasistatic') throw inputError('--verify', `'${verify.slice(0, 20)}' unknown; allowed: transient, quasistatic`);
  const tol = typeof v.tol === 'string' ? parseSpiceValue('--tol', v.tol, { min: 1e-4, max: 0.2 }) : 0.005;
  const workers = typeof v.workers === 'string' ? parseSpiceValue('--workers', v.workers, { min: 1, max: 64, integer: true }) : undefined;
  const queue = new SpiceQueue(workers);
  const store = new BatchStore(null);
  const model = await nominalQsModel(p, { queue, store });
  const all = Array.from({ length: p.a + 1 }, (_, i) => i);
  const common = { circuit: p, marginCycles: margin, tol, queue, store, model, verify: verify as 'transient' | 'quasistatic' };
  const baseline = await sizeCapacitor({ ...common, levels: all, mapping: 'natural' });
  const mappings: Mapping[] = mp === 'both' ? ['natural', 'shifted'] : [mp as Mapping];
  const targets: SizeResult[] = [];
  for (const mapping of mappings) targets.push(await sizeCapacitor({ ...common, levels, mapping }));
  const out = {
    levels,
    marginCycles: margin,
    cPar: model.cPar,
    baseline: summary(baseline),
    targets: targets.map((t) => ({ ...summary(t), ratio: baseline.cMem / t.cMem })),
    paper: { baseline: 135.2e-12, capmin: 9.6e-12, ratio: 14 },
    details: { baseline, targets },
  };
  if (v.json) {
    process.stdout.write(JSON.stringify(out, null, 2) + '\n');
    return 0;
  }
  const line = (name: string, r: SizeResult, ratio?: number): string =>
    `${name.padEnd(28)} C_mem ${formatSi(r.cMem, 'F').padStart(10)} (predicted ${formatSi(r.predicted ?? NaN, 'F')}, ${r.steps.length} steps)  latency ${r.latency === null ? 'none' : formatSi(r.latency, 's')}  energy ${formatSi(r.energy, 'J')}${ratio ? `  ratio ${ratio.toFixed(2)}x` : ''}\n`;
  process.stdout.write(line(`all ${p.a + 1} levels (baseline)`, baseline));
  for (const t of targets) process.stdout.write(line(`levels ${v.levels} ${t.mapping}`, t, baseline.cMem / t.cMem));
  process.stdout.write('paper: 135.2 pF -> 9.6 pF (14x) for k = 14\n');
  return 0;
}

function summary(r: SizeResult): Record<string, unknown> {
  return { levels: r.levels, mapping: r.mapping, currents: r.currents, cMem: r.cMem, cFail: r.cFail, predicted: r.predicted, latency: r.latency, energy: r.energy, steps: r.steps.length };
}
