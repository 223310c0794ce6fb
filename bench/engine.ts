/**
 * BNN engine throughput on the VGG3 Fashion-MNIST test set: sub-MACs/s and images/s for
 *   (a) no errors, (b) clipping (Eq. 4), (c) P_map sampling (Eq. 6), and (d) clipping + P_map,
 * with the bit-packed engine on 1 thread and on all cores, against the straightforward float implementation of
 * the same semantics (src/bnn/reference.ts: im2col + per-chunk dot products) measured in the same run.
 * Goal (issue 4): (c) on all 10,000 test images in < 20 s on the 2-core machine.
 * CPU seconds (process.cpuUsage, all threads) are reported next to wall time: the machine is shared.
 *
 *   npx tsx bench/engine.ts [--limit N] [--model M.safetensors] [--pmap P.csv] [--base N] [--json]
 */
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { loadDataset } from '../src/data/datasets.js';
import { loadCheckpoint } from '../src/bnn/checkpoint.js';
import { randomModel } from '../src/bnn/random.js';
import { evaluate, closeEnginePool } from '../src/bnn/run.js';
import { Engine, subMacsPerImage, argmax, type ArrayConfig } from '../src/bnn/engine.js';
import { forwardReference, referenceLevelMap } from '../src/bnn/reference.js';
import { readPMap, type PMap } from '../src/bnn/pmap.js';
import { Rng } from '../src/util/rng.js';

const args = process.argv.slice(2);
const opt = (name: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
};
const limit = Number(opt('limit') ?? 10000);
const baseN = Number(opt('base') ?? 12);
const json = args.includes('--json');
process.env.CAPMIN_QUIET = '1';

const A = 32;
/** A P_map shaped like the project's SPICE Monte-Carlo ones: diagonal from 0.98 (level 1) down to ~0.45. */
function spiceLikePMap(): PMap {
  return Array.from({ length: A + 1 }, (_, m) => {
    const row = new Array<number>(A + 1).fill(0);
    const q = m === 0 ? 0 : Math.min(0.55, 0.02 + 0.017 * m);
    row[m] = 1 - q;
    const put = (j: number, p: number) => (row[Math.min(A, Math.max(0, j))]! += p);
    put(m - 1, 0.35 * q);
    put(m + 1, 0.35 * q);
    put(m - 2, 0.15 * q);
    put(m + 2, 0.15 * q);
    return row;
  });
}

const cpu = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

async function main(): Promise<void> {
  const ds = loadDataset('fashion', 'test', { limit });
  const modelPath = opt('model');
  const model = modelPath && existsSync(modelPath) ? loadCheckpoint(modelPath) : randomModel('vgg3', { seed: 1, calibration: ds, calibrate: 16 });
  const pMap = opt('pmap') ? readPMap(opt('pmap')!, A) : spiceLikePMap();
  const clip: [number, number] = [9, 22];
  const settings: Array<{ key: string; label: string; cfg: ArrayConfig }> = [
    { key: 'a', label: '(a) no errors', cfg: {} },
    { key: 'b', label: `(b) clip [${clip}]`, cfg: { clip } },
    { key: 'c', label: '(c) P_map', cfg: { pMap } },
    { key: 'd', label: `(d) clip + P_map`, cfg: { clip, pMap } },
  ];
  const spi = subMacsPerImage(model);
  const cores = availableParallelism();
  const rows: Array<Record<string, number | string>> = [];
  // start the worker pool once (start-up is not engine throughput)
  await evaluate(model, ds, { threads: cores, limit: 2 * cores, blockSize: 1 });
  for (const s of settings) {
    // baseline: the float reference on a few images, one thread
    const g = new Rng(5, 0);
    const map = referenceLevelMap(A, s.cfg.clip, s.cfg.pMap, g);
    const per = 784;
    let t = performance.now();
    let agree = 0;
    const exactEngine = new Engine(model, s.cfg);
    for (let i = 0; i < baseN; i++) {
      const img = ds.images.subarray(i * per, (i + 1) * per);
      const ref = argmax(forwardReference(model, img, { a: A, levelMap: map }));
      if (ref === exactEngine.predict(img, i, 0, 1)) agree++;
    }
    const baseRate = baseN / ((performance.now() - t) / 1000);
    // engine, one thread (in-process) on a slice, then all cores on the whole set
    const n1 = Math.min(ds.n, 1500);
    t = performance.now();
    const r1 = await evaluate(model, ds, { ...s.cfg, threads: 1, limit: n1, runs: 1, seed: 1 });
    const rate1 = n1 / ((performance.now() - t) / 1000);
    const c0 = cpu();
    t = performance.now();
    const rN = await evaluate(model, ds, { ...s.cfg, threads: cores, runs: 1, seed: 1 });
    const wall = (performance.now() - t) / 1000;
    const cpuSec = cpu() - c0;
    rows.push({
      setting: s.label,
      images: ds.n,
      wallSeconds: wall,
      cpuSeconds: cpuSec,
      imagesPerSecond: ds.n / wall,
      subMacsPerSecond: (ds.n * spi) / wall,
      subMacsPerCpuSecond: (ds.n * spi) / cpuSec,
      oneThreadImagesPerSecond: rate1,
      baselineImagesPerSecond: baseRate,
      ratioOneThread: rate1 / baseRate,
      ratioAllCores: ds.n / wall / baseRate,
      accuracy: rN.mean,
      accuracyFirst1500: r1.mean,
      baselineAgreement: `${agree}/${baseN}`,
    });
  }
  if (json) {
    process.stdout.write(JSON.stringify({ model: modelPath ?? 'random vgg3 (seed 1)', cores, subMacsPerImage: spi, rows }, null, 2) + '\n');
    return;
  }
  const f = (v: number, d = 1) => v.toFixed(d);
  console.log(`VGG3 on Fashion-MNIST test (${ds.n} images), ${spi} sub-MACs/image (a = ${A}), ${cores} cores; model: ${modelPath ?? 'random ±1 (seed 1)'}`);
  console.log('setting            | wall s | CPU s | img/s  | M sub-MAC/s | M sub-MAC/CPU-s | 1-thread img/s | float baseline img/s | ×(1 thr) | ×(all) | accuracy | baseline agrees');
  for (const r of rows) {
    console.log(
      [
        String(r.setting).padEnd(18),
        f(r.wallSeconds as number, 2).padStart(6),
        f(r.cpuSeconds as number, 1).padStart(5),
        f(r.imagesPerSecond as number).padStart(6),
        f((r.subMacsPerSecond as number) / 1e6).padStart(11),
        f((r.subMacsPerCpuSecond as number) / 1e6).padStart(15),
        f(r.oneThreadImagesPerSecond as number).padStart(14),
        f(r.baselineImagesPerSecond as number, 2).padStart(20),
        f(r.ratioOneThread as number, 0).padStart(8),
        f(r.ratioAllCores as number, 0).padStart(6),
        `${(100 * (r.accuracy as number)).toFixed(2)}%`.padStart(8),
        (r.setting.toString().includes('P_map') ? 'n/a (random)' : String(r.baselineAgreement)).padStart(15),
      ].join(' | '),
    );
  }
  const c = rows[2]!;
  const idle = ((c.cpuSeconds as number) / cores) * (10000 / ds.n);
  console.log(
    `goal (c) < 20 s for 10,000 images: wall ${f((c.wallSeconds as number) * (10000 / ds.n), 1)} s here; CPU-bound estimate on ${cores} idle cores ${f(idle, 1)} s`,
  );
}

main().then(closeEnginePool).catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
