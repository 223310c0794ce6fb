/**
 * `capmin run [--quick] [--out DIR] [--ks 33,...,5] [--phi-from 16]`: the end-to-end CapMin / CapMin-V pipeline and
 * its report (src/pipeline/run.ts).
 */
import { resolve } from 'node:path';
import { defaultConfig, runPipeline, type RunConfig } from '../pipeline/run.js';
import { parseCommand, type CommandValues } from '../cli/options.js';
import { spiceQueueFromArgs } from '../cli/executor.js';
import { defaultOutDir, printJson } from '../cli/output.js';
import { parseSeed, parseWorkers } from '../montecarlo/cliopts.js';
import { EXIT } from '../util/exit.js';
import { inputError } from '../util/errors.js';
import { sha256, stableStringify } from '../util/hash.js';
import { fmtDuration } from '../util/progress.js';
import { parseLevelRange, parseSpiceValue } from '../util/units.js';

/** The pipeline configuration of `capmin run` from its parsed options (absent options: defaultConfig). */
export function runConfigFromArgs(values: CommandValues<'run'>): RunConfig {
  const quick = Boolean(values.quick);
  const cfg = defaultConfig(quick);
  const a = cfg.circuit.a;
  if (values.ks !== undefined) cfg.ks = parseLevelRange('--ks', values.ks, 2, a + 1).sort((x, y) => y - x);
  cfg.phiFrom = parseSpiceValue('--phi-from', values['phi-from'], { min: 2, max: a + 1, integer: true });
  cfg.phis = parseLevelRange('--phis', values.phis, 1, a);
  if (values.model !== undefined) cfg.model = values.model;
  if (values['data-dir'] !== undefined) cfg.dataDir = values['data-dir'];
  if (values['test-limit'] !== undefined) cfg.testLimit = parseSpiceValue('--test-limit', values['test-limit'], { min: 1, max: 1e7, integer: true });
  if (values['train-limit'] !== undefined) cfg.trainLimit = parseSpiceValue('--train-limit', values['train-limit'], { min: 1, max: 1e7, integer: true });
  if (values.samples !== undefined) cfg.mcSamples = parseSpiceValue('--samples', values.samples, { min: 2, max: 100000, integer: true });
  if (values.runs !== undefined) cfg.runs = parseSpiceValue('--runs', values.runs, { min: 1, max: 100, integer: true });
  cfg.seed = parseSeed(values.seed);
  if (values.workers !== undefined) cfg.workers = parseWorkers(values.workers);
  const m = values.mapping;
  if (m !== 'natural' && m !== 'shifted') throw inputError('--mapping', `'${m.slice(0, 20)}' must be natural or shifted`);
  cfg.mapping = m;
  const s = values.sizing;
  if (s !== 'transient' && s !== 'quasistatic') throw inputError('--sizing', `'${s.slice(0, 20)}' must be transient or quasistatic`);
  cfg.sizing = s === 'transient' ? 'transient' : 'quasistatic+check';
  const t = values['merge-toward'];
  if (t !== 'lower' && t !== 'higher') throw inputError('--merge-toward', `'${t.slice(0, 20)}' must be lower or higher`);
  cfg.mergeToward = t;
  const pad = values.pad;
  if (pad !== 'paper' && pad !== 'bound') throw inputError('--pad', `'${pad.slice(0, 20)}' must be paper or bound`);
  cfg.pad = pad;
  if (values['single-direction']) cfg.compareToward = false;
  return cfg;
}

/** `capmin run`: options from src/cli/options.ts, then runPipeline. */
export async function main(argv: string[]): Promise<number> {
  const { values, help } = parseCommand('run', argv);
  if (help) return EXIT.OK;
  const cfg = runConfigFromArgs(values);
  const quick = cfg.quick;
  // the default folder is named by what the options decide (pmapFigureK is not an option: always its default here)
  const { workers: _w, pmapFigureK: _f, ...keyed } = cfg;
  // the default run folder is under ./runs of the current directory, never inside the installed package
  const out = values.out !== undefined ? resolve(values.out) : defaultOutDir(`${quick ? 'quick' : 'full'}-${sha256(stableStringify(keyed)).slice(0, 8)}`);
  const r = await runPipeline(cfg, out, { queue: (dir) => spiceQueueFromArgs(values, { workers: cfg.workers, workRoot: dir, requiredFiles: [cfg.circuit.modelCard] }) });
  if (values.json) {
    printJson('run', { dir: r.dir, report: r.report, wallSeconds: r.wallSeconds, selections: r.results.selections, missing: r.results.missing });
    return EXIT.OK;
  }
  const lines = [`capmin run finished in ${fmtDuration(r.wallSeconds)}: ${r.report}`];
  for (const s of r.results.selections) {
    lines.push(`  ${s.method.padEnd(26)} k=${String(s.k).padEnd(3)}${s.phi !== undefined ? ` φ=${s.phi}` : ''}  C_mem ${(s.cMem * 1e12).toFixed(2)} pF  latency ${(s.latency * 1e9).toFixed(2)} ns  energy ${(s.energy * 1e15).toFixed(3)} fJ  accuracy ${(100 * s.accuracy).toFixed(2)}%`);
  }
  for (const m of r.results.missing) lines.push(`  missing: ${m}`);
  process.stdout.write(lines.join('\n') + '\n');
  return EXIT.OK;
}
