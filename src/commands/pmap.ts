/**
 * `capmin pmap --cap 12.27p --samples 1000 --seed 1 --out runs/X [--levels 9..24] [--workers N]
 *   [--engine quasistatic|transient] [--resume]`: Monte-Carlo error model P_map (paper Eq. 6, Sec. IV-C) in a
 * resumable run directory: pmap.csv / pmap.json (level-indexed), pmap.npy (popcount-indexed 33×33 for SPICE-Torch),
 * samples.csv, pmap.svg and manifest.json.
 */
import { parseCommandArgs } from '../util/args.js';
import { inputError } from '../util/errors.js';
import { formatSi, parseSpiceValue } from '../util/units.js';
import { CIRCUIT_HELP, CIRCUIT_OPTIONS, MC_HELP, MC_OPTIONS, circuitFromArgs, mcFromArgs, sigmasFromArgs } from '../montecarlo/cliopts.js';
import { runMonteCarlo } from '../montecarlo/engine.js';
import { openRunDir } from '../montecarlo/rundir.js';
import { pmapFromMonteCarlo, writePmapFiles, type TimeBase } from '../errormodel/frommc.js';
import { pmapDiagonal } from '../errormodel/pmap.js';
import { QS_MISMATCH_BOUND } from '../montecarlo/crosscheck.js';

const HELP = `usage: capmin pmap --out DIR [--cap 12.27p] [--samples 1000] [--seed 1] [--levels 9..24] [--workers N]
                   [--engine quasistatic|transient] [--time spike|cross] [--resume] [--json]
Monte-Carlo error model P_map (paper Eq. 6): rows = true level m (conducting cells), columns = read level.
  --out DIR          run directory (manifest.json, batch cache, outputs)
  --resume           continue an interrupted run in DIR (finished batches are not simulated again)
  --time T           spike (registered on the clock grid, default) | cross (comparator crossing)
  --window S         no-spike threshold of a sample (default max(200n, 3 x nominal level-1 time))
  --json             print a JSON summary on stdout
${MC_HELP}
${CIRCUIT_HELP}`;

export async function main(argv: string[]): Promise<number> {
  const { values: v, help } = parseCommandArgs(
    argv,
    { ...CIRCUIT_OPTIONS, ...MC_OPTIONS, out: { type: 'string' }, resume: { type: 'boolean' }, time: { type: 'string' }, window: { type: 'string' }, json: { type: 'boolean' } },
    HELP,
  );
  if (help) return 0;
  const out = typeof v.out === 'string' ? v.out : undefined;
  if (!out) throw inputError('--out', 'required: the run directory, e.g. --out runs/pmap-12p');
  const circuit = circuitFromArgs(v, '12.27p');
  const sigmas = sigmasFromArgs(v);
  const mc = mcFromArgs(v, circuit.a);
  const timeBase = (typeof v.time === 'string' ? v.time : 'spike') as TimeBase;
  if (timeBase !== 'spike' && timeBase !== 'cross') throw inputError('--time', `'${String(timeBase).slice(0, 20)}' unknown; allowed: spike, cross`);
  const window = typeof v.window === 'string' ? parseSpiceValue('--window', v.window, { unit: 's', min: 1e-12, max: 1e-3 }) : undefined;
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
  const rd = await openRunDir(out, 'pmap', inputs, { resume: Boolean(v.resume), modelCard: circuit.modelCard, seed: mc.seed });
  if (mc.engine === 'quasistatic') {
    rd.manifest.notes = [
      `engine quasistatic (fast path): t = (C_mem + C_par) * integral dV/I(V); valid while 'capmin crosscheck' reports a registered-cycle mismatch fraction below ${QS_MISMATCH_BOUND} (docs/montecarlo.md)`,
    ];
  }
  const r = await runMonteCarlo({
    circuit,
    sigmas,
    seed: mc.seed,
    samples: mc.samples,
    levels: mc.levels,
    engine: mc.engine,
    correlation: mc.correlation,
    batchSize: mc.batchSize,
    workers: mc.workers,
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
  rd.manifest.outputs = files.map((f) => f.slice(rd.dir.length + 1));
  rd.manifest.status = r.failures.length ? 'complete-with-failures' : 'complete';
  rd.save();
  const diag = pmapDiagonal(pmap);
  if (v.json) {
    process.stdout.write(
      JSON.stringify({ out: rd.dir, engine: r.engine, levels: pmap.levels, diagonal: diag, nominal: r.nominal, cPar: r.cPar, window: r.window, stats: r.stats, failures: r.failures }, null, 2) + '\n',
    );
  } else {
    process.stdout.write(`P_map ${r.engine} C_mem=${formatSi(circuit.cMem, 'F')} ${mc.samples} samples/level seed ${mc.seed} -> ${rd.dir}\n`);
    process.stdout.write(`level  nominal ${timeBase === "spike" ? "tSpike" : "tCross"}   p(i,i)\n`);
    pmap.levels.forEach((m, i) => process.stdout.write(`${String(m).padStart(5)}  ${Number.isFinite(pmap.nominal[i]!) ? formatSi(pmap.nominal[i]!, 's').padStart(14) : '      no spike'}   ${diag[i]!.toFixed(4)}\n`));
    process.stdout.write(
      `batches: ${r.stats.simulated} simulated, ${r.stats.cached} cached, ${r.stats.failed} failed (${Object.values(r.stats.failedSamples).reduce((x, y) => x + y, 0)} samples); wall ${(r.stats.wallMs / 1000).toFixed(1)} s, ngspice ${(r.stats.simMs / 1000).toFixed(1)} s\n`,
    );
  }
  return r.failures.length ? 1 : 0;
}
