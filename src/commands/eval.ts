/**
 * `capmin eval --model M [--arch ...] [--dataset fashion] [--clip lo,hi] [--pmap P.csv|P.json|P.npy] [--runs 3]
 * [--seed S] [--limit N] [--json]`: test accuracy of a BNN whose array layers apply CapMin clipping (Eq. 4) and/or
 * a P_map error model (Eq. 6) to every sub-MAC; mean/min/max over runs and images/s.
 */
import { resolve } from 'node:path';
import { parseCommand } from '../cli/options.js';
import { printJson } from '../cli/output.js';
import { parseSeed } from '../montecarlo/cliopts.js';
import { bnnValues } from './bnn-values.js';
import { EXIT } from '../util/exit.js';
import { writeJsonAtomic } from '../util/atomic.js';
import { inputError } from '../util/errors.js';
import { parseSpiceValue } from '../util/units.js';
import { evaluate } from '../bnn/run.js';
import { loadModelAndData } from '../bnn/options.js';
import { parseClip, readPMap } from '../bnn/pmap.js';
import { ENGINE_VERSION } from '../bnn/version.js';

/** `capmin eval`: options from src/cli/options.ts, then evaluate. */
export async function main(argv: string[]): Promise<number> {
  const { values, help } = parseCommand('eval', argv);
  if (help) return EXIT.OK;
  if (values.pmap === '') throw inputError('--pmap', 'empty path');
  const md = loadModelAndData(bnnValues(values), 'test');
  const clip = values.clip !== undefined ? parseClip(values.clip, md.a) : undefined;
  const pMap = values.pmap !== undefined ? readPMap(values.pmap, md.a) : undefined;
  const runs = parseSpiceValue('--runs', values.runs, { min: 1, max: 1000, integer: true });
  const seed = parseSeed(values.seed);
  const r = await evaluate(md.model, md.dataset, { a: md.a, clip, pMap, runs, seed, threads: md.threads });
  const result = {
    model: md.modelPath,
    arch: md.model.arch,
    dataset: md.datasetName,
    split: md.split,
    images: r.n,
    a: r.a,
    clip: r.clip,
    pmap: values.pmap ?? null,
    runs: r.runs,
    seed: r.seed,
    sampled: r.sampled,
    accuracies: r.accuracies,
    mean: r.mean,
    min: r.min,
    max: r.max,
    seconds: r.seconds,
    imagesPerSecond: r.imagesPerSecond,
    subMacsPerImage: r.subMacsPerImage,
    subMacsPerSecond: r.subMacsPerSecond,
    threads: r.threads,
    engine: ENGINE_VERSION,
  };
  if (values.out !== undefined) writeJsonAtomic(resolve(values.out), result);
  if (values.json) {
    printJson('eval', result);
    return EXIT.OK;
  }
  const pct = (x: number) => `${(100 * x).toFixed(2)}%`;
  const setting = [clip ? `clip [${clip[0]}, ${clip[1]}]` : null, pMap ? `P_map ${values.pmap}` : null].filter(Boolean).join(' + ') || 'no errors';
  process.stdout.write(
    [
      `${md.model.arch} on ${md.datasetName} ${md.split} (${r.n} images, a = ${r.a}, ${setting})`,
      r.sampled
        ? `accuracy: mean ${pct(r.mean)}  min ${pct(r.min)}  max ${pct(r.max)}  over ${r.runs} runs (seed ${r.seed}): ${r.accuracies.map(pct).join(' ')}`
        : `accuracy: ${pct(r.mean)} (deterministic setting: computed once${r.runs > 1 ? `, same for all ${r.runs} runs` : ''})`,
      `speed: ${r.imagesPerSecond.toFixed(1)} images/s, ${(r.subMacsPerSecond / 1e6).toFixed(1)} M sub-MACs/s on ${r.threads} thread(s), ${r.seconds.toFixed(2)} s`,
    ].join('\n') + '\n',
  );
  return EXIT.OK;
}
