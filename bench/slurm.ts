/**
 * The Slurm executor against local processes, in one run on the same work (a real one-node cluster:
 * `bash scripts/slurm-cluster.sh start`, SLURM_CONF set):
 *   (1) overhead per task: submission to result of one tiny deck, slurm minus local, over `--n` sequential tasks;
 *   (2) throughput: the same transient Monte-Carlo batches (`--levels`, `--samples`, `--batch`) through
 *       `--executor local` (2 processes) and `--executor slurm` (one batch per array task), samples/s and the ratio,
 *       and a check that both give identical spike times;
 *   (3) a model of the default transient P_map's wall time (33 levels × 1000 samples, 25 per batch) on N nodes of c
 *       cores from the measured per-task overhead and the measured per-batch ngspice time.
 *
 *   SLURM_CONF=/tmp/capmin-slurm/slurm.conf npx tsx bench/slurm.ts [--n 5] [--levels 8,16] [--samples 20] [--batch 5]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { defaultCircuit } from '../src/circuit/params.js';
import { LocalExecutor } from '../src/executor/local.js';
import { SlurmExecutor } from '../src/executor/slurm.js';
import { runMonteCarlo } from '../src/montecarlo/engine.js';
import { defaultSigmas } from '../src/montecarlo/variation.js';
import { SpiceQueue } from '../src/spice/runner.js';
import { parseLevelRange, parseSpiceValue } from '../src/util/units.js';
import { rcJobs } from '../test/executor/fixtures/decks.js';

const { values } = parseArgs({ options: { n: { type: 'string' }, levels: { type: 'string' }, samples: { type: 'string' }, batch: { type: 'string' } } });
const n = parseSpiceValue('--n', values.n ?? '5', { min: 1, max: 100, integer: true });
const p = { ...defaultCircuit(), cMem: 12.27e-12 };
const levels = parseLevelRange('--levels', values.levels ?? '8,16', 1, p.a);
const samples = parseSpiceValue('--samples', values.samples ?? '20', { min: 1, max: 1000, integer: true });
const batch = parseSpiceValue('--batch', values.batch ?? '5', { min: 1, max: 100, integer: true });
process.env.CAPMIN_QUIET = '1';
const tmp = mkdtempSync(join(tmpdir(), 'capmin-bench-slurm-'));
const cores = 2;

// (1) per-task overhead
const jobs = rcJobs(Array.from({ length: n + 1 }, (_, i) => 1000 + 37 * i));
const slurm1 = new SlurmExecutor({ workRoot: join(tmp, 'lat'), pollMs: 500, decksPerTask: 1 });
await slurm1.runFile(jobs[0]!); // the probe task runs once, before the first array
let tSlurm = 0;
for (const j of jobs.slice(1)) {
  const t0 = performance.now();
  await slurm1.runFile(j);
  tSlurm += performance.now() - t0;
}
await slurm1.close();
const local1 = new LocalExecutor(1);
let tLocal = 0;
for (const j of jobs.slice(1)) {
  const t0 = performance.now();
  await local1.runFile({ ...j, key: `${j.key}-l` });
  tLocal += performance.now() - t0;
}
const overheadMs = (tSlurm - tLocal) / n;
console.log(`(1) one tiny deck, submission to result: slurm ${(tSlurm / n).toFixed(0)} ms, local ${(tLocal / n).toFixed(0)} ms -> executor overhead ${overheadMs.toFixed(0)} ms per task (${n} tasks)`);

// (2) throughput on the same Monte-Carlo batches (same seed, same dies); the window comes from one local run
const common = { circuit: p, sigmas: defaultSigmas(), seed: 1, samples, levels, engine: 'transient' as const, batchSize: batch, progress: false as const };
const tl0 = performance.now();
const rl = await runMonteCarlo({ ...common, queue: new SpiceQueue(cores) });
const wallLocal = (performance.now() - tl0) / 1000;
const slurm2 = new SlurmExecutor({ workRoot: join(tmp, 'mc'), pollMs: 500, decksPerTask: 1 });
const ts0 = performance.now();
const rs = await runMonteCarlo({ ...common, queue: new SpiceQueue(cores, {}, slurm2) });
const wallSlurm = (performance.now() - ts0) / 1000;
await slurm2.close();
const total = samples * levels.length;
let same = true;
for (let i = 0; i < rl.byLevel.length; i++) {
  const a = rl.byLevel[i]!.tCross;
  const b = rs.byLevel[i]!.tCross;
  for (let k = 0; k < a.length; k++) if (!Object.is(a[k], b[k])) same = false;
}
const batches = rl.stats.simulated;
const perBatchS = rl.stats.simMs / 1000 / batches;
console.log(`(2) ${total} transient samples in ${batches} batches at 12.27 pF (levels ${levels.join(',')}, ${batch} per batch, ${cores} cores):`);
console.log(`    local  ${wallLocal.toFixed(1)} s wall, ${(total / wallLocal).toFixed(2)} samples/s`);
console.log(`    slurm  ${wallSlurm.toFixed(1)} s wall, ${(total / wallSlurm).toFixed(2)} samples/s  (ratio slurm/local ${(wallLocal / wallSlurm).toFixed(2)}x)`);
console.log(`    identical spike times: ${same ? 'yes' : 'NO'}; mean ngspice time per batch ${perBatchS.toFixed(2)} s`);

// (3) the model: tasks of d batches each take d*t_b + o; N*c of them run at once
const B = 1354; // batches of the default transient P_map (33 levels x 1000 samples, 25 per batch, + nominal)
const tB = 2182 / B; // measured: 2182 s of ngspice CPU for that P_map on this machine (README)
console.log(`(3) model of the default transient P_map (${B} batches, ${tB.toFixed(2)} s of ngspice each, o = ${(overheadMs / 1000).toFixed(2)} s per task):`);
for (const d of [1, 8]) {
  for (const c of [2, 32]) {
    const row = [1, 4, 16, 64].map((N) => {
      const tasks = Math.ceil(B / d);
      const waves = Math.ceil(tasks / (N * c));
      const wall = waves * (d * tB + overheadMs / 1000);
      return `N=${N}: ${wall < 120 ? `${wall.toFixed(0)} s` : `${(wall / 60).toFixed(1)} min`}`;
    });
    console.log(`    ${d} batch(es)/task, c=${c}: ${row.join('  ')}`);
  }
}
rmSync(tmp, { recursive: true, force: true });
