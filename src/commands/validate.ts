/**
 * `capmin validate`: per MAC level, the SPICE transient spike time vs paper Eq. 5 (with the extracted I_init) vs the
 * quasi-static integral, and the R_eq / effective V0 that make Eq. 5 fit; writes CSV + JSON + manifest + Fig. 3 SVG.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { buildDeck } from '../circuit/deck.js';
import { circuitFromArgs } from '../circuit/cli-options.js';
import { cornerRuns } from '../cli/corners.js';
import { spiceQueueFromArgs } from '../cli/executor.js';
import { parseCommand } from '../cli/options.js';
import { printJson } from '../cli/output.js';
import { parseWorkers } from '../montecarlo/cliopts.js';
import { EXIT } from '../util/exit.js';
import { packageVersion } from '../util/paths.js';
import { validateLevels, type ValidateResult, type ValidateRow } from '../analytic/validate.js';
import { checkNgspice } from '../spice/runner.js';
import { allLevels } from '../spikes/spikes.js';
import { defaultFig3Levels, fig3Svg, fig3Waveforms } from '../spikes/fig3.js';
import { writeFileAtomic, writeJsonAtomic } from '../util/atomic.js';
import { sha256 } from '../util/hash.js';
import { formatSi, parseLevelRange } from '../util/units.js';

const CSV_COLS: (keyof ValidateRow)[] = [
  'level', 'iInit', 'iSweep0', 'tSpice', 'tMeas', 'tSpike', 'clockCycle', 'tEq5', 'relErr', 'tQs', 'qsRelErr', 'tQsPar', 'qsParRelErr',
  'vEff', 'rEq', 'fitReq', 'fitV0', 'fitRms', 'simMs',
];

/** CSV text (SI units, empty cell = no spike). */
export function validateCsv(rows: ValidateRow[]): string {
  const cell = (v: unknown): string => (v === null || v === undefined ? '' : typeof v === 'number' ? String(Number(v.toPrecision(10))) : String(v));
  return [CSV_COLS.join(','), ...rows.map((r) => CSV_COLS.map((c) => cell(r[c])).join(','))].join('\n') + '\n';
}

const pct = (x: number | null): string => (x === null ? '-' : `${(100 * x).toFixed(2)}%`);
const si = (x: number | null, u: string, d = 4): string => (x === null ? '-' : formatSi(x, u, d));

/** Human-readable table. */
export function validateTable(res: ValidateResult): string {
  const head = ['m', 'I_init', 't_SPICE', 't_spike', 't_Eq5', 'relErr', 't_QS', 'qsErr', 'qsErr+Cpar', 'V_eff', 'R_eq', 'fit V0', 'fit R'];
  const body = res.rows.map((r) => [
    String(r.level),
    si(r.iInit, 'A'),
    r.tSpice === null ? 'no spike' : si(r.tSpice, 's', 5),
    si(r.tSpike, 's'),
    si(r.tEq5, 's', 5),
    pct(r.relErr),
    si(r.tQs, 's', 5),
    r.qsRelErr === null ? '-' : `${(100 * r.qsRelErr).toFixed(3)}%`,
    r.qsParRelErr === null ? '-' : `${(100 * r.qsParRelErr).toFixed(3)}%`,
    si(r.vEff, 'V'),
    si(r.rEq, 'Ohm'),
    si(r.fitV0, 'V'),
    si(r.fitReq, 'Ohm'),
  ]);
  const w = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (c: string[]): string => c.map((x, i) => x.padStart(w[i]! + (i ? 2 : 0))).join('');
  const s = res.summary;
  return [
    line(head),
    ...body.map(line),
    '',
    `Eq. 5 (V0 = ${res.params.v0} V) vs SPICE: ${pct(s.eq5RelErrMin)} .. ${pct(s.eq5RelErrMax)};` +
      ` quasi-static: max |err| ${(100 * s.qsRelErrMaxAbs).toFixed(3)}% (C only), ${(100 * s.qsParRelErrMaxAbs).toFixed(3)}% with C_par = ${formatSi(res.cPar, 'F')};` +
      ` ngspice meas vs interpolated crossing: max ${formatSi(s.measDiffMaxAbs, 's')}`,
  ].join('\n') + '\n';
}

/** `capmin validate`: options from src/cli/options.ts, then validateLevels and the Fig. 3 waveforms. */
export async function main(argv: string[]): Promise<number | void> {
  const { values, help } = parseCommand('validate', argv);
  if (help) return EXIT.OK;
  // a corner set: each PVT point is a validate run of its own in OUT/<corner>, then the Eq. 5 error per corner
  const runs = cornerRuns(argv, values, resolve(values.out));
  if (runs) return validateCorners(runs, resolve(values.out), values.json === true);
  const p = circuitFromArgs(values);
  const levels = values.levels !== undefined ? parseLevelRange('--levels', values.levels, 0, p.a) : allLevels(p.a);
  const figLevels = values['fig-levels'] !== undefined ? parseLevelRange('--fig-levels', values['fig-levels'], 1, p.a) : defaultFig3Levels(p.a);
  const jobs = values.workers !== undefined ? parseWorkers(values.workers) : undefined;
  const outDir = resolve(values.out);
  const started = new Date();
  const t0 = performance.now();
  // with --executor slurm ngspice runs on the nodes (the probe task checks its version there)
  const version = (values.executor ?? 'local') === 'local' ? (await checkNgspice()).version : null;
  const queue = spiceQueueFromArgs(values, { workers: jobs, workRoot: outDir, requiredFiles: [p.modelCard] });
  const res = await validateLevels(p, levels, queue);
  const crossings = new Map(res.rows.map((r) => [r.level, r.tSpice]));
  // crossings of figure levels not in --levels come from the figure run itself
  const fig = await fig3Waveforms(p, figLevels, crossings, queue);
  const svg = fig3Svg(p, fig);
  const elapsed = (performance.now() - t0) / 1000;
  writeFileAtomic(join(outDir, 'validate.csv'), validateCsv(res.rows));
  writeJsonAtomic(join(outDir, 'validate.json'), res);
  writeFileAtomic(join(outDir, 'fig3.svg'), svg);
  const pkg = { version: packageVersion() };
  writeJsonAtomic(join(outDir, 'manifest.json'), {
    command: 'capmin validate',
    argv,
    started: started.toISOString(),
    elapsedSeconds: elapsed,
    inputs: { params: p, levels, figLevels, modelCardSha256: sha256(readFileSync(p.modelCard)) },
    versions: { capmin: pkg.version, ngspice: version, node: process.version },
    deckSha256: { tranLevelA: sha256(buildDeck(p, { analysis: 'tran', level: p.a })) },
    seeds: null,
    jobs: queue.concurrency,
    simulations: levels.length * 3 + figLevels.length,
    outputs: ['validate.csv', 'validate.json', 'fig3.svg'],
  });
  if (values.json) printJson('validate', { ...res, outDir });
  else {
    process.stdout.write(`# C_mem = ${formatSi(p.cMem, 'F')}, V0 = ${p.v0} V, V_th = ${p.vth} V, f_clk = ${formatSi(p.fClk, 'Hz')}; ${elapsed.toFixed(1)} s\n`);
    process.stdout.write(validateTable(res));
    process.stdout.write(`wrote ${join(outDir, 'validate.csv')}, validate.json, fig3.svg, manifest.json\n`);
  }
  return EXIT.OK;
}

/** `validate` at every point of a corner set (one folder each), then summary.csv / summary.json of the Eq. 5 error. */
async function validateCorners(runs: NonNullable<ReturnType<typeof cornerRuns>>, outDir: string, json: boolean): Promise<number> {
  const rows: Array<Record<string, unknown>> = [];
  for (const r of runs) {
    if (!json) process.stdout.write(`\n## ${r.point.label}\n`);
    const argv = r.argv.filter((a) => a !== '--json');
    if (json) {
      // the per-point tables would interleave with the JSON document; they are in each folder's validate.json
      const write = process.stdout.write;
      process.stdout.write = (() => true) as typeof process.stdout.write;
      try {
        await main(argv);
      } finally {
        process.stdout.write = write;
      }
    } else await main(argv);
    const res = JSON.parse(readFileSync(join(outDir, r.folder, 'validate.json'), 'utf8')) as ValidateResult;
    const c = r.point.p.circuit;
    rows.push({ label: r.point.label, corner: r.point.corner, tempC: r.point.p.tempC, v0: r.point.p.v0, vdd: r.point.p.vdd, folder: r.folder, circuit: c ? { name: c.name, file: c.file, sha256: c.sha256, files: c.files } : null, cPar: res.cPar, ...res.summary });
  }
  const keys = ['label', 'tempC', 'v0', 'vdd', 'eq5RelErrMin', 'eq5RelErrMax', 'qsRelErrMaxAbs', 'qsParRelErrMaxAbs', 'cPar'];
  writeFileAtomic(join(outDir, 'summary.csv'), [keys.join(','), ...rows.map((row) => keys.map((k) => String(row[k] ?? '')).join(','))].join('\n') + '\n');
  writeJsonAtomic(join(outDir, 'summary.json'), { corners: rows });
  if (json) printJson('validate', { outDir, corners: rows });
  else {
    process.stdout.write(`\n${'corner'.padEnd(20)} ${'T'.padStart(6)} ${'V0'.padStart(6)}   Eq. 5 vs SPICE       quasi-static |err| (C only / with C_par)\n`);
    for (const row of rows) {
      const pc = (x: unknown) => `${(100 * Number(x)).toFixed(2)}%`;
      process.stdout.write(`${String(row.label).padEnd(20)} ${String(row.tempC).padStart(6)} ${String(row.v0).padStart(6)}   ${pc(row.eq5RelErrMin)} .. ${pc(row.eq5RelErrMax)}   ${(100 * Number(row.qsRelErrMaxAbs)).toFixed(3)}% / ${(100 * Number(row.qsParRelErrMaxAbs)).toFixed(3)}%\n`);
    }
    process.stdout.write(`wrote ${join(outDir, 'summary.csv')}, summary.json (one folder per corner)\n`);
  }
  return EXIT.OK;
}
