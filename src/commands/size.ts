/**
 * `capmin size --levels 9..22 [--margin-cycles N] [--mapping natural|shifted] [--json]`: the smallest C_mem whose
 * registered spike times separate the given levels (bisection, every step verified by SPICE transients), the same for
 * all a+1 levels as the baseline, and the ratio (paper Sec. IV-B: 135.2 pF → 9.6 pF, 14×).
 */
import { inputError } from '../util/errors.js';
import { formatSi, parseLevelRange, parseSpiceValue } from '../util/units.js';
import { cornerSetFromArgs, type CornerPoint } from '../circuit/cli-options.js';
import type { SpiceQueue } from '../spice/runner.js';
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
  // one PVT point, or a corner set (--corners, --temps, a --v0 list): per-corner sizing and the worst case
  const points = cornerSetFromArgs(v, { autoStop: false });
  const p = points[0]!.p;
  const levels = parseLevelRange('--levels', v.levels ?? '', 0, p.a);
  const margin = parseSpiceValue('--margin-cycles', v['margin-cycles'], { min: 1, max: 1000, integer: true });
  const mp = v.mapping;
  if (!['natural', 'shifted', 'both'].includes(mp)) throw inputError('--mapping', `'${mp.slice(0, 20)}' unknown; allowed: natural, shifted, both`);
  const verify = v.verify;
  if (verify !== 'transient' && verify !== 'quasistatic') throw inputError('--verify', `'${verify.slice(0, 20)}' unknown; allowed: transient, quasistatic`);
  const tol = parseSpiceValue('--tol', v.tol, { min: 1e-4, max: 0.2 });
  const workers = v.workers !== undefined ? parseWorkers(v.workers) : undefined;
  const queue = spiceQueueFromArgs(v, { workers, requiredFiles: [...new Set(points.map((pt) => pt.p.modelCard))] });
  const store = new BatchStore(null);
  if (points.length > 1) {
    return sizeCorners(points, { levels, levelsText: v.levels ?? '', mapping: mp, marginCycles: margin, tol, verify: verify as 'transient' | 'quasistatic', queue, store, json: v.json === true });
  }
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

/**
 * Sizing at every PVT point of a corner set: per point the all-levels baseline and the kept levels' smallest C_mem,
 * then the worst case per target, the largest per-point C_mem: the capacitor at which the kept levels' registered
 * spike times stay distinct at every corner (each point's sizing is monotone in C_mem, as the bisection assumes).
 */
async function sizeCorners(
  points: CornerPoint[],
  o: { levels: number[]; levelsText: string; mapping: string; marginCycles: number; tol: number; verify: 'transient' | 'quasistatic'; queue: SpiceQueue; store: BatchStore; json: boolean },
): Promise<number> {
  const mappings: Mapping[] = o.mapping === 'both' ? ['natural', 'shifted'] : [o.mapping as Mapping];
  const rows: Array<{ point: CornerPoint; cPar: number; baseline: SizeResult; targets: SizeResult[] }> = [];
  for (const point of points) {
    const model = await nominalQsModel(point.p, { queue: o.queue, store: o.store });
    const common = { circuit: point.p, marginCycles: o.marginCycles, tol: o.tol, queue: o.queue, store: o.store, model, verify: o.verify };
    const all = Array.from({ length: point.p.a + 1 }, (_, i) => i);
    const baseline = await sizeCapacitor({ ...common, levels: all, mapping: 'natural' });
    const targets: SizeResult[] = [];
    for (const mapping of mappings) targets.push(await sizeCapacitor({ ...common, levels: o.levels, mapping }));
    rows.push({ point, cPar: model.cPar, baseline, targets });
  }
  const worstOf = (pick: (r: (typeof rows)[number]) => SizeResult) => {
    const w = rows.reduce((a, b) => (pick(b).cMem > pick(a).cMem ? b : a));
    return { cMem: pick(w).cMem, corner: w.point.label };
  };
  const worst = { baseline: worstOf((r) => r.baseline), targets: mappings.map((m, i) => ({ mapping: m, ...worstOf((r) => r.targets[i]!) })) };
  if (o.json) {
    printJson('size', {
      levels: o.levels,
      marginCycles: o.marginCycles,
      corners: rows.map((r) => ({
        label: r.point.label,
        corner: r.point.corner,
        tempC: r.point.p.tempC,
        v0: r.point.p.v0,
        vdd: r.point.p.vdd,
        circuit: r.point.p.circuit ? { name: r.point.p.circuit.name, file: r.point.p.circuit.file, sha256: r.point.p.circuit.sha256, files: r.point.p.circuit.files } : null,
        cPar: r.cPar,
        baseline: summary(r.baseline),
        targets: r.targets.map((t) => ({ ...summary(t), ratio: r.baseline.cMem / t.cMem })),
      })),
      worst,
    });
    return EXIT.OK;
  }
  const a = points[0]!.p.a;
  const circuit = points[0]!.p.circuit;
  process.stdout.write(`circuit: ${circuit ? `${circuit.name} (${circuit.file})` : 'built-in Fig. 2 cell'}\n`);
  process.stdout.write(`${'corner'.padEnd(20)} ${'T'.padStart(6)} ${'V0'.padStart(6)} ${`all ${a + 1} levels`.padStart(14)}${mappings.map((m) => ` ${`${o.levelsText} ${m}`.padStart(22)}`).join('')}\n`);
  for (const r of rows) {
    process.stdout.write(`${r.point.label.padEnd(20)} ${String(r.point.p.tempC).padStart(6)} ${String(r.point.p.v0).padStart(6)} ${formatSi(r.baseline.cMem, 'F').padStart(14)}${r.targets.map((t) => ` ${formatSi(t.cMem, 'F').padStart(22)}`).join('')}\n`);
  }
  process.stdout.write(`${'worst case'.padEnd(34)} ${formatSi(worst.baseline.cMem, 'F').padStart(14)}${worst.targets.map((t) => ` ${formatSi(t.cMem, 'F').padStart(22)}`).join('')}\n`);
  process.stdout.write(`${'  at'.padEnd(34)} ${worst.baseline.corner.padStart(14)}${worst.targets.map((t) => ` ${t.corner.padStart(22)}`).join('')}\n`);
  return EXIT.OK;
}
