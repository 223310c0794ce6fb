/**
 * `capmin pmap --cap 12.27p --samples 1000 --seed 1 --out runs/X [--levels 9..24] [--workers N]
 *   [--engine quasistatic|transient] [--spot-check 10] [--resume]`: validated Monte-Carlo error model P_map (paper Eq. 6,
 * Sec. IV-C; src/errormodel/validated.ts) in a
 * resumable run directory: pmap.csv / pmap.json (level-indexed), pmap.npy (popcount-indexed 33×33 for SPICE-Torch),
 * samples.csv, pmap.svg and manifest.json.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { circuitFromArgs } from '../circuit/cli-options.js';
import { spiceQueueFromArgs } from '../cli/executor.js';
import { parseCommand } from '../cli/options.js';
import { defaultOutDir, printJson } from '../cli/output.js';
import { EXIT } from '../util/exit.js';
import { sha256, stableStringify } from '../util/hash.js';
import { inputError } from '../util/errors.js';
import { formatSi, parseSpiceValue } from '../util/units.js';
import { mcFromArgs, sigmasFromArgs } from '../montecarlo/cliopts.js';
import type { TimeBase } from '../errormodel/frommc.js';
import { pmapDiagonal } from '../errormodel/pmap.js';
import { pmapRun, pmapRunInputs, spotCheckSummary } from '../errormodel/validated.js';

function badTime(t: string): never {
  throw inputError('--time', `'${t.slice(0, 20)}' unknown; allowed: spike, cross`);
}

/** `capmin pmap`: options from src/cli/options.ts, then the validated P_map stage in a resumable run folder. */
export async function main(argv: string[]): Promise<number> {
  const { values: v, help } = parseCommand('pmap', argv);
  if (help) return EXIT.OK;
  const circuit = circuitFromArgs(v, { autoStop: false });
  const sigmas = sigmasFromArgs(v);
  const mc = mcFromArgs(v, circuit.a);
  const timeBase: TimeBase = v.time === 'spike' || v.time === 'cross' ? v.time : badTime(v.time);
  const window = v.window !== undefined ? parseSpiceValue('--window', v.window, { unit: 's', min: 1e-12, max: 1e-3 }) : undefined;
  const spotCheck = parseSpiceValue('--spot-check', v['spot-check'], { min: 0, max: 100000, integer: true });
  const opts = { circuit, sigmas, seed: mc.seed, samples: mc.samples, levels: mc.levels, engine: mc.engine, correlation: mc.correlation, batchSize: mc.batchSize, timeoutMs: mc.timeoutMs, window, timeBase, spotCheck };
  // default run folder: one per set of inputs, so a rerun of the same command finds its run (--resume)
  const inputs = pmapRunInputs(opts);
  const out = v.out !== undefined ? resolve(v.out) : defaultOutDir(`pmap-${formatSi(circuit.cMem, 'F').replace(/\s+/g, '')}-${sha256(stableStringify({ ...inputs, circuit: { ...circuit, modelCard: sha256(readFileSync(circuit.modelCard)) } })).slice(0, 8)}`);
  const res = await pmapRun({
    ...opts,
    out,
    resume: Boolean(v.resume),
    makeQueue: (dir) => spiceQueueFromArgs(v, { workers: mc.workers, workRoot: dir, requiredFiles: [circuit.modelCard] }),
  });
  const { pmap, mc: r, spot } = res;
  const diag = pmapDiagonal(pmap);
  if (v.json) {
    printJson('pmap', { out: res.dir, engine: r.engine, levels: pmap.levels, diagonal: diag, nominal: r.nominal, cPar: r.cPar, window: r.window, stats: r.stats, failures: r.failures, spotCheck: spot ?? null });
  } else {
    process.stdout.write(`P_map ${r.engine} C_mem=${formatSi(circuit.cMem, 'F')} ${mc.samples} samples/level seed ${mc.seed} -> ${res.dir}\n`);
    process.stdout.write(`level  nominal ${timeBase === 'spike' ? 'tSpike' : 'tCross'}   p(i,i)\n`);
    pmap.levels.forEach((m, i) => process.stdout.write(`${String(m).padStart(5)}  ${Number.isFinite(pmap.nominal[i]!) ? formatSi(pmap.nominal[i]!, 's').padStart(14) : '      no spike'}   ${diag[i]!.toFixed(4)}\n`));
    if (mc.engine === 'quasistatic') process.stdout.write(spotCheckSummary(spot, Math.min(spotCheck, mc.samples)) + '\n');
    process.stdout.write(
      `batches: ${r.stats.simulated} simulated, ${r.stats.cached} cached, ${r.stats.failed} failed (${Object.values(r.stats.failedSamples).reduce((x, y) => x + y, 0)} samples); wall ${(r.stats.wallMs / 1000).toFixed(1)} s, ngspice ${(r.stats.simMs / 1000).toFixed(1)} s\n`,
    );
  }
  return r.failures.length ? EXIT.RUNTIME : EXIT.OK;
}
