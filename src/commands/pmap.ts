/**
 * `capmin pmap --cap 12.27p --samples 1000 --seed 1 --out runs/X [--levels 9..24] [--workers N]
 *   [--engine quasistatic|transient] [--resume]`: Monte-Carlo error model P_map (paper Eq. 6, Sec. IV-C) in a
 * resumable run directory: pmap.csv / pmap.json (level-indexed), pmap.npy (popcount-indexed 33×33 for SPICE-Torch),
 * samples.csv, pmap.svg and manifest.json.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { circuitFromArgs } from '../circuit/cli-options.js';
import { spiceQueueFromArgs } from '../cli/executor.js';
import { SlurmExecutor } from '../executor/slurm.js';
import { parseCommand } from '../cli/options.js';
import { defaultOutDir, printJson } from '../cli/output.js';
import { EXIT } from '../util/exit.js';
import { sha256, stableStringify } from '../util/hash.js';
import { inputError } from '../util/errors.js';
import { formatSi, parseSpiceValue } from '../util/units.js';
import { mcFromArgs, sigmasFromArgs } from '../montecarlo/cliopts.js';
import { runMonteCarlo } from '../montecarlo/engine.js';
import { openRunDir } from '../montecarlo/rundir.js';
import { pmapFromMonteCarlo, writePmapFiles, type TimeBase } from '../errormodel/frommc.js';
import { pmapDiagonal } from '../errormodel/pmap.js';
import { QS_MISMATCH_BOUND } from '../montecarlo/crosscheck.js';

function badTime(t: string): never {
  throw inputError('--time', `'${t.slice(0, 20)}' unknown; allowed: spike, cross`);
}

/** `capmin pmap`: options from src/cli/options.ts, then runMonteCarlo in a resumable run folder and the P_map files. */
export async function main(argv: string[]): Promise<number> {
  const { values: v, help } = parseCommand('pmap', argv);
  if (help) return EXIT.OK;
  const circuit = circuitFromArgs(v, { autoStop: false });
  const sigmas = sigmasFromArgs(v);
  const mc = mcFromArgs(v, circuit.a);
  const timeBase: TimeBase = v.time === 'spike' || v.time === 'cross' ? v.time : badTime(v.time);
  const window = v.window !== undefined ? parseSpiceValue('--window', v.window, { unit: 's', min: 1e-12, max: 1e-3 }) : undefined;
  const inputs = {
    circuit,
    sigmas,
    seed: mc.seed,
    samples: mc.samples,
    levels: mc.levels,
    engine: mc.engine,
    correlation: mc.correlation,
    batchSize: mc.engine === 'transient' ? mc.batchSize : null,
    timeBase,
    window: window ?? null,
  };
  // default run folder: one per set of inputs, so a rerun of the same command finds its run (--resume)
  const out = v.out !== undefined ? resolve(v.out) : defaultOutDir(`pmap-${formatSi(circuit.cMem, 'F').replace(/\s+/g, '')}-${sha256(stableStringify({ ...inputs, circuit: { ...circuit, modelCard: sha256(readFileSync(circuit.modelCard)) } })).slice(0, 8)}`);
  const rd = await openRunDir(out, 'pmap', inputs, { resume: Boolean(v.resume), modelCard: circuit.modelCard, seed: mc.seed });
  if (mc.engine === 'quasistatic') {
    rd.manifest.notes = [
      `engine quasistatic (fast path): t = (C_mem + C_par) * integral dV/I(V); valid while 'capmin crosscheck' reports a registered-cycle mismatch fraction below ${QS_MISMATCH_BOUND} (docs/montecarlo.md)`,
    ];
  }
  const queue = spiceQueueFromArgs(v, { workers: mc.workers, workRoot: rd.dir, requiredFiles: [circuit.modelCard] });
  const r = await runMonteCarlo({
    circuit,
    sigmas,
    seed: mc.seed,
    samples: mc.samples,
    levels: mc.levels,
    engine: mc.engine,
    correlation: mc.correlation,
    batchSize: mc.batchSize,
    queue,
    timeoutMs: mc.timeoutMs,
    window,
    store: rd.store,
    progress: `pmap ${mc.engine}`,
  });
  const pmap = pmapFromMonteCarlo(r, { timeBase });
  const files = writePmapFiles(rd.dir, pmap, r, circuit.a, { cMem: circuit.cMem, seed: mc.seed, samples: mc.samples, timeBase, correlation: mc.correlation, sigmas });
  const inv = rd.manifest.invocations[rd.manifest.invocations.length - 1]!;
  inv.finished = new Date().toISOString();
  inv.stats = r.stats;
  rd.manifest.failures = r.failures;
  rd.manifest.failedSamples = r.stats.failedSamples;
  rd.manifest.cPar = r.cPar;
  rd.manifest.window = r.window;
  // the cluster jobs of this run (slurm/state.json maps every deck to its job and task; --resume re-attaches)
  if (queue.remote instanceof SlurmExecutor) rd.manifest.slurm = { state: 'slurm/state.json', jobs: queue.remote.jobIds };
  rd.manifest.outputs = files.map((f) => f.slice(rd.dir.length + 1));
  rd.manifest.status = r.failures.length ? 'complete-with-failures' : 'complete';
  rd.save();
  const diag = pmapDiagonal(pmap);
  if (v.json) {
    printJson('pmap', { out: rd.dir, engine: r.engine, levels: pmap.levels, diagonal: diag, nominal: r.nominal, cPar: r.cPar, window: r.window, stats: r.stats, failures: r.failures });
  } else {
    process.stdout.write(`P_map ${r.engine} C_mem=${formatSi(circuit.cMem, 'F')} ${mc.samples} samples/level seed ${mc.seed} -> ${rd.dir}\n`);
    process.stdout.write(`level  nominal ${timeBase === "spike" ? "tSpike" : "tCross"}   p(i,i)\n`);
    pmap.levels.forEach((m, i) => process.stdout.write(`${String(m).padStart(5)}  ${Number.isFinite(pmap.nominal[i]!) ? formatSi(pmap.nominal[i]!, 's').padStart(14) : '      no spike'}   ${diag[i]!.toFixed(4)}\n`));
    process.stdout.write(
      `batches: ${r.stats.simulated} simulated, ${r.stats.cached} cached, ${r.stats.failed} failed (${Object.values(r.stats.failedSamples).reduce((x, y) => x + y, 0)} samples); wall ${(r.stats.wallMs / 1000).toFixed(1)} s, ngspice ${(r.stats.simMs / 1000).toFixed(1)} s\n`,
    );
  }
  return r.failures.length ? EXIT.RUNTIME : EXIT.OK;
}
