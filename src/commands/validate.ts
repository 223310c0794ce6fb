/**
 * `capmin validate`: per MAC level, the SPICE transient spike time vs paper Eq. 5 (with the extracted I_init) vs the
 * quasi-static integral, and the R_eq / effective V0 that make Eq. 5 fit; writes CSV + JSON + manifest + Fig. 3 SVG.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { buildDeck } from '../circuit/deck.js';
import { CIRCUIT_HELP, CIRCUIT_OPTIONS, circuitFromArgs } from '../circuit/cli-options.js';
import { projectRoot } from '../circuit/params.js';
import { validateLevels, type ValidateResult, type ValidateRow } from '../analytic/validate.js';
import { checkNgspice, SpiceQueue } from '../spice/runner.js';
import { allLevels } from '../spikes/spikes.js';
import { defaultFig3Levels, fig3Svg, fig3Waveforms } from '../spikes/fig3.js';
import { parseCommandArgs } from '../util/args.js';
import { writeFileAtomic, writeJsonAtomic } from '../util/atomic.js';
import { sha256 } from '../util/hash.js';
import { formatSi, parseLevelRange, parseSpiceValue } from '../util/units.js';

const HELP = `usage: capmin validate [--cap 10p] [--levels 0..32] [--fig-levels 8,12,16,24,32] [--jobs N] [--json] [--out DIR]
                       [circuit options]

Per level m: t_SPICE (transient crossing of V_th), t_Eq5 = -(C V0 / I_init) ln(1 - V_th/V0) with I_init from an
ngspice op (relErr = (t_Eq5 - t_SPICE)/t_SPICE), the quasi-static t = C * integral dV/I(V) from a DC sweep of ML (and
with the fitted ML parasitic C_par), the V_eff / R_eq = V_eff/I_init that make Eq. 5 exact, and a least-squares fit
of Eq. 2 to V(t). Writes DIR/validate.csv, validate.json, fig3.svg, manifest.json (default DIR: runs/validate).
${CIRCUIT_HELP}`;

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

export async function main(argv: string[]): Promise<number | void> {
  const { values, help } = parseCommandArgs(
    argv,
    { ...CIRCUIT_OPTIONS, levels: { type: 'string' }, 'fig-levels': { type: 'string' }, jobs: { type: 'string' }, json: { type: 'boolean' }, out: { type: 'string' } },
    HELP,
  );
  if (help) return 0;
  const p = circuitFromArgs(values);
  const levels = values.levels ? parseLevelRange('levels', values.levels as string, 0, p.a) : allLevels(p.a);
  const figLevels = values['fig-levels'] ? parseLevelRange('fig-levels', values['fig-levels'] as string, 1, p.a) : defaultFig3Levels(p.a);
  const jobs = values.jobs ? parseSpiceValue('jobs', values.jobs as string, { min: 1, max: 256, integer: true }) : undefined;
  const outDir = resolve((values.out as string | undefined) ?? join('runs', 'validate'));
  const started = new Date();
  const t0 = performance.now();
  const { version } = await checkNgspice();
  const queue = new SpiceQueue(jobs);
  const res = await validateLevels(p, levels, queue);
  const crossings = new Map(res.rows.map((r) => [r.level, r.tSpice]));
  // crossings of figure levels not in --levels come from the figure run itself
  const fig = await fig3Waveforms(p, figLevels, crossings, queue);
  const svg = fig3Svg(p, fig);
  const elapsed = (performance.now() - t0) / 1000;
  writeFileAtomic(join(outDir, 'validate.csv'), validateCsv(res.rows));
  writeJsonAtomic(join(outDir, 'validate.json'), res);
  writeFileAtomic(join(outDir, 'fig3.svg'), svg);
  const pkg = JSON.parse(readFileSync(join(projectRoot(), 'package.json'), 'utf8')) as { version: string };
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
  if (values.json) process.stdout.write(JSON.stringify({ ...res, outDir }, null, 1) + '\n');
  else {
    process.stdout.write(`# C_mem = ${formatSi(p.cMem, 'F')}, V0 = ${p.v0} V, V_th = ${p.vth} V, f_clk = ${formatSi(p.fClk, 'Hz')}; ${elapsed.toFixed(1)} s\n`);
    process.stdout.write(validateTable(res));
    process.stdout.write(`wrote ${join(outDir, 'validate.csv')}, validate.json, fig3.svg, manifest.json\n`);
  }
  return 0;
}
