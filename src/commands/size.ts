/**
 * `capmin size --levels 9..22 [--margin-cycles N] [--mapping natural|shifted] [--json]`: the smallest C_mem whose
 * registered spike times separate the given levels (bisection, every step verified by SPICE transients), the same for
 * all a+1 levels as the baseline, and the ratio (paper Sec. IV-B: 135.2 pF → 9.6 pF, 14×).
 */
import { inputError } from '../util/errors.js';
import { formatSi, parseLevelRange, parseSpiceValue } from '../util/units.js';
import { circuitFromArgs } from '../circuit/cli-options.js';
import { spiceQueueFromArgs } from '../cli/executor.js';
import { parseCommand } from '../cli/options.js';
import { printJson } from '../cli/output.js';
import { parseWorkers } from '../montecarlo/cliopts.js';
import { EXIT } from '../util/exit.js';
import { BatchStore } from '../montecarlo/store.js';
import { nominalQsModel, sizeCapacitor, type Mapping, type SizeResult } from '../sizing/sizing.js';

/** `capmin size`: options from src/cli/options.ts, then sizeCapacitor for the baseline and each mapping. */
export async function main(argv: string[]): Promise<number> {
  const { values: v, help } = parseCommand('size', argv);
  if (help) return EXIT.OK;
  const p = circuitFromArgs(v, { autoStop: false });
  const levels = parseLevelRange('--levels', v.levels ?? '', 0, p.a);
  const margin = parseSpiceValue('--margin-cycles', v['margin-cycles'], { min: 1, max: 1000, integer: true });
  const mp = v.mapping;
  if (!['natural', 'shifted', 'both'].includes(mp)) throw inputError('--mapping', `'${mp.slice(0, 20)}' unknown; allowed: natural, shifted, both`);
  const verify = v.verify;
  if (verify !== 'transient' && verify !== 'quasistatic') throw inputError('--verify', `'${verify.slice(0, 20)}' unknown; allowed: transient, quasistatic`);
  const tol = parseSpiceValue('--tol', v.tol, { min: 1e-4, max: 0.2 });
  const workers = v.workers !== undefined ? parseWorkers(v.workers) : undefined;
  const queue = spiceQueueFromArgs(v, { workers, requiredFiles: [p.modelCard] });
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
    printJson('size', out);
    return EXIT.OK;
  }
  const line = (name: string, r: SizeResult, ratio?: number): string =>
    `${name.padEnd(28)} C_mem ${formatSi(r.cMem, 'F').padStart(10)} (predicted ${formatSi(r.predicted ?? NaN, 'F')}, ${r.steps.length} steps)  latency ${r.latency === null ? 'none' : formatSi(r.latency, 's')}  energy ${formatSi(r.energy, 'J')}${ratio ? `  ratio ${ratio.toFixed(2)}x` : ''}\n`;
  process.stdout.write(line(`all ${p.a + 1} levels (baseline)`, baseline));
  for (const t of targets) process.stdout.write(line(`levels ${v.levels} ${t.mapping}`, t, baseline.cMem / t.cMem));
  process.stdout.write('paper: 135.2 pF -> 9.6 pF (14x) for k = 14\n');
  return EXIT.OK;
}

function summary(r: SizeResult): Record<string, unknown> {
  return { levels: r.levels, mapping: r.mapping, currents: r.currents, cMem: r.cMem, cFail: r.cFail, predicted: r.predicted, latency: r.latency, energy: r.energy, steps: r.steps.length };
}
