/**
 * `capmin eval --model M [--arch ...] [--dataset fashion] [--clip lo,hi] [--pmap P.csv|P.json|P.npy] [--runs 3]
 * [--seed S] [--limit N] [--json]`: test accuracy of a BNN whose array layers apply CapMin clipping (Eq. 4) and/or
 * a P_map error model (Eq. 6) to every sub-MAC; mean/min/max over runs and images/s.
 */
import { parseCommandArgs } from '../util/args.js';
import { writeJsonAtomic } from '../util/atomic.js';
import { inputError } from '../util/errors.js';
import { parseSpiceValue } from '../util/units.js';
import { evaluate } from '../bnn/run.js';
import { loadModelAndData, MODEL_HELP, MODEL_OPTIONS, noPositionals } from '../bnn/options.js';
import { parseClip, readPMap } from '../bnn/pmap.js';
import { ENGINE_VERSION } from '../bnn/version.js';

const HELP = `usage: capmin eval --model FILE [--clip lo,hi] [--pmap FILE] [--runs 3] [--seed S] [--json]

Test accuracy with every sub-MAC (chunk of a cells) of every analog-array layer passed through CapMin clipping
(levels outside [lo, hi] read as the nearest bound) and then, with --pmap, a read level drawn from the P_map row
of the clipped level (one independent draw per chunk per image).

${MODEL_HELP}
  --split S           test (default) | train
  --clip lo,hi        clipping bounds on the level m (0 <= lo <= hi <= a)
  --pmap FILE         P_map: capmin CSV/JSON (indexed by level m) or SPICE-Torch .npy (33×33, indexed by popcount a − m)
  --runs R            runs with independent draws (default 3; error-free / clip-only settings are computed once)
  --seed S            seed of the draws (default 1)
  --out FILE          also write the result JSON to FILE`;

export async function main(argv: string[]): Promise<number> {
  const { values, positionals, help } = parseCommandArgs(
    argv,
    { ...MODEL_OPTIONS, clip: { type: 'string' }, pmap: { type: 'string' }, runs: { type: 'string' }, seed: { type: 'string' }, out: { type: 'string' } },
    HELP,
  );
  if (help) return 0;
  noPositionals(positionals);
  const md = loadModelAndData(values, 'test');
  const clip = typeof values.clip === 'string' ? parseClip(values.clip, md.a) : undefined;
  const pMap = typeof values.pmap === 'string' ? readPMap(values.pmap, md.a) : undefined;
  const runs = parseSpiceValue('--runs', typeof values.runs === 'string' ? values.runs : '3', { min: 1, max: 1000, integer: true });
  const seed = parseSpiceValue('--seed', typeof values.seed === 'string' ? values.seed : '1', { min: 0, max: Number.MAX_SAFE_INTEGER, integer: true });
  if (values.pmap === '') throw inputError('--pmap', 'empty path');
  const r = await evaluate(md.model, md.dataset, { a: md.a, clip, pMap, runs, seed, threads: md.threads });
  const result = {
    model: md.modelPath,
    arch: md.model.arch,
    dataset: md.datasetName,
    split: md.split,
    images: r.n,
    a: r.a,
    clip: r.clip,
    pmap: typeof values.pmap === 'string' ? values.pmap : null,
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
  if (typeof values.out === 'string') writeJsonAtomic(values.out, result);
  if (values.json) {
    process.stdout.write(JSON.stringify(result, null, 2) + '\n');
    return 0;
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
  return 0;
}
