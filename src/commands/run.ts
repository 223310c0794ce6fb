/**
 * `capmin run [--quick] [--out DIR] [--ks 33,...,5] [--phi-from 16]`: the end-to-end CapMin / CapMin-V pipeline and
 * its report (src/pipeline/run.ts).
 */
import { join } from 'node:path';
import { defaultConfig, runPipeline } from '../pipeline/run.js';
import { parseCommandArgs } from '../util/args.js';
import { inputError } from '../util/errors.js';
import { sha256, stableStringify } from '../util/hash.js';
import { fmtDuration } from '../util/progress.js';
import { parseLevelRange, parseSpiceValue } from '../util/units.js';
import { projectRoot } from '../circuit/params.js';

const HELP = `usage: capmin run [--quick] [--out DIR] [--ks LIST] [--phi-from K0] [--phis LIST] [--model FILE]
                  [--data-dir DIR] [--test-limit N] [--train-limit N] [--samples N] [--runs N] [--seed S]
                  [--mapping natural|shifted] [--sizing transient|quasistatic] [--toward-lower on|off]
                  [--workers N] [--json]

The paper's experiments end to end: F_MAC → per k CapMin levels, smallest SPICE-verified C_mem, accuracy without
and under variation (Monte-Carlo P_map) → CapMin-V from k0 for phi = 1..11 → smallest capacitor within 1 pt of the
error-free accuracy for baseline / CapMin / CapMin-V → runs/<id>/report.html. Cached and resumable: re-running the
same command reuses every finished stage (runs/<id>/cache/).

  --quick            < 5 min on 2 cores: 9 k values, 200 MC samples, 500 test / 2000 train images, 2 runs
                     (default: 14 k values, 1000 samples, 5000 test / all train images, 3 runs)
  --out DIR          run folder (default runs/<quick|full>-<hash of the settings>)
  --ks LIST          k values, e.g. 33,24,16,14,8 or 5..33 (the baseline k=a+1 is always added)
  --phi-from K0      CapMin-V start k0 (default 16); --phis LIST the phi values (default 1..11)
  --model FILE       checkpoint (default models/vgg3-fashion.safetensors)
  --data-dir DIR     Fashion-MNIST folder (default /usr/share/datasets/fashion-mnist)
  --test-limit N     first N test images; --train-limit N first N training images for F_MAC
  --samples N        Monte-Carlo samples per level (default 1000; quick 200)
  --runs N           inference runs under variation (default 3; quick 2)
  --seed S           seed of the Monte-Carlo draws and the error injection (default 1)
  --mapping M        level → current mapping of the kept levels: shifted (default; the lowest kept level takes the
                     slowest firing current, paper Sec. IV-C) | natural (each level keeps its own current)
  --sizing S         transient (SPICE-verified bracket/bisection of src/sizing; default) | quasistatic (prediction
                     + one SPICE check of all kept levels)
  --toward-lower X   on (default): also evaluate CapMin-V merging toward the lower-diagonal neighbour (Alg. 1
                     lines 6-11 as printed; the default merges toward the higher one, as specified) | off
  --workers N        parallel ngspice processes and engine threads (default 2)
  --json             print the run summary as JSON`;

export async function main(argv: string[]): Promise<number> {
  const { values, help } = parseCommandArgs(
    argv,
    {
      quick: { type: 'boolean' },
      out: { type: 'string' },
      ks: { type: 'string' },
      'phi-from': { type: 'string' },
      phis: { type: 'string' },
      model: { type: 'string' },
      'data-dir': { type: 'string' },
      'test-limit': { type: 'string' },
      'train-limit': { type: 'string' },
      samples: { type: 'string' },
      runs: { type: 'string' },
      seed: { type: 'string' },
      mapping: { type: 'string' },
      sizing: { type: 'string' },
      'toward-lower': { type: 'string' },
      workers: { type: 'string' },
      json: { type: 'boolean' },
    },
    HELP,
  );
  if (help) return 0;
  const quick = Boolean(values.quick);
  const cfg = defaultConfig(quick);
  const a = cfg.circuit.a;
  const str = (k: string) => (typeof values[k] === 'string' ? (values[k] as string) : undefined);
  if (str('ks')) cfg.ks = parseLevelRange('--ks', str('ks')!, 2, a + 1).sort((x, y) => y - x);
  if (str('phi-from')) cfg.phiFrom = parseSpiceValue('--phi-from', str('phi-from')!, { min: 2, max: a + 1, integer: true });
  if (str('phis')) cfg.phis = parseLevelRange('--phis', str('phis')!, 1, a);
  if (str('model')) cfg.model = str('model')!;
  if (str('data-dir')) cfg.dataDir = str('data-dir')!;
  if (str('test-limit')) cfg.testLimit = parseSpiceValue('--test-limit', str('test-limit')!, { min: 1, max: 1e7, integer: true });
  if (str('train-limit')) cfg.trainLimit = parseSpiceValue('--train-limit', str('train-limit')!, { min: 1, max: 1e7, integer: true });
  if (str('samples')) cfg.mcSamples = parseSpiceValue('--samples', str('samples')!, { min: 2, max: 100000, integer: true });
  if (str('runs')) cfg.runs = parseSpiceValue('--runs', str('runs')!, { min: 1, max: 100, integer: true });
  if (str('seed')) cfg.seed = parseSpiceValue('--seed', str('seed')!, { min: 0, max: 2 ** 31, integer: true });
  if (str('workers')) cfg.workers = parseSpiceValue('--workers', str('workers')!, { min: 1, max: 64, integer: true });
  if (str('mapping')) {
    const m = str('mapping')!;
    if (m !== 'natural' && m !== 'shifted') throw inputError('--mapping', `'${m.slice(0, 20)}' must be natural or shifted`);
    cfg.mapping = m;
  }
  if (str('sizing')) {
    const s = str('sizing')!;
    if (s !== 'transient' && s !== 'quasistatic') throw inputError('--sizing', `'${s.slice(0, 20)}' must be transient or quasistatic`);
    cfg.sizing = s === 'transient' ? 'transient' : 'quasistatic+check';
  }
  if (str('toward-lower')) {
    const t = str('toward-lower')!;
    if (t !== 'on' && t !== 'off') throw inputError('--toward-lower', `'${t.slice(0, 20)}' must be on or off`);
    cfg.compareToward = t === 'on';
  }
  const { workers: _w, ...keyed } = cfg;
  const out = str('out') ?? join(projectRoot(), 'runs', `${quick ? 'quick' : 'full'}-${sha256(stableStringify(keyed)).slice(0, 8)}`);
  const r = await runPipeline(cfg, out);
  if (values.json) {
    process.stdout.write(JSON.stringify({ dir: r.dir, report: r.report, wallSeconds: r.wallSeconds, selections: r.results.selections, missing: r.results.missing }, null, 2) + '\n');
    return 0;
  }
  const lines = [`capmin run finished in ${fmtDuration(r.wallSeconds)}: ${r.report}`];
  for (const s of r.results.selections) {
    lines.push(`  ${s.method.padEnd(26)} k=${String(s.k).padEnd(3)}${s.phi !== undefined ? ` φ=${s.phi}` : ''}  C_mem ${(s.cMem * 1e12).toFixed(2)} pF  latency ${(s.latency * 1e9).toFixed(2)} ns  energy ${(s.energy * 1e15).toFixed(3)} fJ  accuracy ${(100 * s.accuracy).toFixed(2)}%`);
  }
  for (const m of r.results.missing) lines.push(`  missing: ${m}`);
  process.stdout.write(lines.join('\n') + '\n');
  return 0;
}
