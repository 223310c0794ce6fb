/**
 * BNN engine against PyTorch (bench/torch_engine.py, Debian's python3-torch, CPU, same threads) in one run, on the
 * same checkpoint and Fashion-MNIST images, with the same semantics (docs/bnn.md):
 *   error-free (vs PyTorch's plain dense conv2d/matmul path and vs its chunked sub-MAC path), clipping (Eq. 4),
 *   P_map sampling (Eq. 6, one draw per chunk), clipping + P_map, and F_MAC over the training images.
 * Prints images/s and the capmin/PyTorch ratio per row, checks that the accuracies agree exactly where no randomness
 * is involved (error-free, clipped, F_MAC counts; exit code 1 otherwise), and reports the achieved chunks/s next to
 * the popcount roofline (chunks per popcount instruction × clock × cores; clock from /proc/cpuinfo).
 * Times exclude data loading and process start-up on both sides.
 *
 *   npx tsx bench/engine.ts                         full run: 10 000 test images, F_MAC over 60 000 training images
 *   npx tsx bench/engine.ts --images 200            smoke run (F_MAC over min(60 000, 6·N) training images)
 *   options: --model M.safetensors  --fmac-images M  --pmap P.csv|P.json  --clip lo,hi  --threads T  --no-torch  --json
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadDataset } from '../src/data/datasets.js';
import { loadCheckpoint } from '../src/bnn/checkpoint.js';
import { evaluate, computeFmac } from '../src/bnn/run.js';
import { subMacsPerImage } from '../src/bnn/engine.js';
import { resolvePath } from '../src/bnn/native.js';
import { readPMap, type PMap } from '../src/bnn/pmap.js';

const args = process.argv.slice(2);
const opt = (name: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
};
const A = 32;
const nImages = Number(opt('images') ?? 10000);
const nTrain = Number(opt('fmac-images') ?? (nImages >= 10000 ? 60000 : Math.min(60000, 6 * nImages)));
const modelPath = opt('model') ?? 'models/vgg3-fashion.safetensors';
const threads = Number(opt('threads') ?? availableParallelism());
const clip = (opt('clip') ?? '9,22').split(',').map(Number) as [number, number];
const json = args.includes('--json');
const withTorch = !args.includes('--no-torch');
process.env.CAPMIN_QUIET = '1';

/** The error model: diagonal 0.9, 0.05 to each neighbour level (0.1 to the only neighbour at the ends). */
function diagPMap(): PMap {
  return Array.from({ length: A + 1 }, (_, m) => {
    const row = new Array<number>(A + 1).fill(0);
    row[m]! += 0.9;
    row[Math.min(A, m + 1)]! += 0.05;
    row[Math.max(0, m - 1)]! += 0.05;
    return row;
  });
}

function clockGHz(): number {
  try {
    const m = /cpu MHz\s*:\s*([\d.]+)/.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    return m ? Number(m[1]) / 1000 : NaN;
  } catch {
    return NaN;
  }
}

interface TorchRow {
  seconds: number;
  correct: number;
  accuracy: number;
  images?: number;
  layers?: number[][];
}

async function main(): Promise<void> {
  const model = loadCheckpoint(modelPath);
  const test = loadDataset('fashion', 'test', { limit: nImages });
  const train = loadDataset('fashion', 'train', { limit: nTrain });
  const pMap = opt('pmap') ? readPMap(opt('pmap')!, A) : diagPMap();
  const spi = subMacsPerImage(model, A);
  const path = resolvePath();
  const base = { threads, quiet: true, runs: 1, seed: 1 };

  // warm-up: compiles the stages and the native model, JITs the TypeScript path
  for (const cfg of [{}, { clip }, { pMap }, { clip, pMap }]) await evaluate(model, test, { ...base, ...cfg, limit: Math.min(test.n, 2 * threads) });
  const time = async <T>(f: () => Promise<T>): Promise<[T, number]> => {
    const t = performance.now();
    const v = await f();
    return [v, (performance.now() - t) / 1000];
  };
  const [exact, tExact] = await time(() => evaluate(model, test, base));
  const [clipped, tClip] = await time(() => evaluate(model, test, { ...base, clip }));
  const [sampled, tPmap] = await time(() => evaluate(model, test, { ...base, pMap }));
  const [both, tBoth] = await time(() => evaluate(model, test, { ...base, clip, pMap }));
  const [fmac, tFmac] = await time(() => computeFmac(model, train, { threads, quiet: true }));

  let torch: { rows: Record<string, TorchRow>; torch: string } | null = null;
  if (withTorch) {
    const dir = mkdtempSync(join(tmpdir(), 'capmin-bench-'));
    const pj = join(dir, 'pmap.json');
    writeFileSync(pj, JSON.stringify(pMap));
    const r = spawnSync(
      '/usr/bin/python3',
      [
        join(import.meta.dirname ?? 'bench', 'torch_engine.py'),
        '--model',
        modelPath,
        '--images',
        String(test.n),
        '--fmac-images',
        String(train.n),
        '--clip',
        clip.join(','),
        '--pmap',
        pj,
        '--threads',
        String(threads),
      ],
      { encoding: 'utf8', maxBuffer: 1 << 26 },
    );
    if (r.status !== 0) {
      console.error(`bench: PyTorch baseline failed (${r.status}): ${(r.stderr || r.error?.message || '').trim().split('\n').slice(-3).join(' | ')}`);
      process.exitCode = 1;
    } else torch = JSON.parse(r.stdout);
  }

  const rows = [
    { setting: 'error-free vs dense conv2d/matmul', s: tExact, n: test.n, acc: exact.mean, t: torch?.rows.dense },
    { setting: 'error-free vs chunked sub-MACs', s: tExact, n: test.n, acc: exact.mean, t: torch?.rows.chunked },
    { setting: `clipping [${clip}]`, s: tClip, n: test.n, acc: clipped.mean, t: torch?.rows.clip },
    { setting: 'P_map sampling', s: tPmap, n: test.n, acc: sampled.mean, t: torch?.rows.pmap },
    { setting: 'clipping + P_map', s: tBoth, n: test.n, acc: both.mean, t: torch?.rows.clip_pmap },
    { setting: `F_MAC (${train.n} training images)`, s: tFmac, n: train.n, acc: fmac.accuracy, t: torch?.rows.fmac },
  ];
  // exact agreement where no randomness is involved
  const mismatches: string[] = [];
  if (torch) {
    const same = (what: string, a: number, b: number) => a !== b && mismatches.push(`${what}: capmin ${a} vs PyTorch ${b}`);
    same('error-free correct (dense)', exact.correct[0]!, torch.rows.dense!.correct);
    same('error-free correct (chunked)', exact.correct[0]!, torch.rows.chunked!.correct);
    same(`clip [${clip}] correct`, clipped.correct[0]!, torch.rows.clip!.correct);
    same('F_MAC accuracy·n', Math.round(fmac.accuracy * train.n), torch.rows.fmac!.correct);
    fmac.layers.forEach((l, i) => {
      const tl = torch!.rows.fmac!.layers![i]!;
      l.counts.forEach((c, m) => same(`F_MAC ${l.name} m=${m}`, c, tl[m]!));
    });
  }
  const ghz = clockGHz();
  const roofline = (path === 'avx512' ? 16 : path === 'avx2' ? 8 : 1) * ghz * 1e9 * threads;
  const chunks = (n: number, s: number) => (n * spi) / s;
  const out = {
    model: modelPath,
    images: test.n,
    trainImages: train.n,
    threads,
    kernel: path,
    subMacsPerImage: spi,
    clockGHz: ghz,
    torch: torch?.torch ?? null,
    rows: rows.map((r) => ({
      setting: r.setting,
      capminSeconds: r.s,
      capminImagesPerSecond: r.n / r.s,
      capminAccuracy: r.acc,
      torchSeconds: r.t?.seconds ?? null,
      torchImagesPerSecond: r.t ? r.n / r.t.seconds : null,
      torchAccuracy: r.t?.accuracy ?? null,
      ratio: r.t ? r.t.seconds / r.s : null,
      chunksPerSecond: chunks(r.n, r.s),
    })),
    fmacVsErrorFree: tFmac / train.n / (tExact / test.n),
    rooflineChunksPerSecond: roofline,
    mismatches,
  };
  if (json) {
    process.stdout.write(JSON.stringify(out, null, 2) + '\n');
  } else {
    const f = (v: number | null, d = 1) => (v === null || !Number.isFinite(v) ? '—' : v.toFixed(d));
    console.log(
      `capmin vs PyTorch ${torch?.torch ?? '(not run)'} on ${modelPath}: ${test.n} Fashion-MNIST test images, ${threads} threads, kernel path ${path}, ${spi} sub-MACs/image (a = ${A})`,
    );
    console.log('| setting | capmin s | capmin img/s | PyTorch s | PyTorch img/s | × (capmin / PyTorch) | capmin acc | PyTorch acc | capmin G chunks/s |');
    console.log('|---|---|---|---|---|---|---|---|---|');
    for (const r of out.rows) {
      console.log(
        `| ${r.setting} | ${f(r.capminSeconds, 2)} | ${f(r.capminImagesPerSecond, 0)} | ${f(r.torchSeconds, 2)} | ${f(r.torchImagesPerSecond, 0)} | ${f(r.ratio, 1)} | ${(100 * r.capminAccuracy).toFixed(2)} % | ${r.torchAccuracy === null ? '—' : (100 * r.torchAccuracy).toFixed(2) + ' %'} | ${f(r.chunksPerSecond / 1e9, 2)} |`,
      );
    }
    const rr = out.rows;
    console.log(
      `goals: error-free ≥ 4× dense: ${f(rr[0]!.ratio, 1)}×; P_map ≥ 10× chunked: ${f(rr[3]!.ratio, 1)}×; F_MAC per image ≤ 2× error-free per image: ${f(out.fmacVsErrorFree, 2)}×`,
    );
    console.log(
      `popcount roofline (${path}): ${path === 'avx512' ? '16 chunks per VPOPCNTD' : path === 'avx2' ? '8 chunks per popcount step' : '1 chunk per POPCNT'} × 1/cycle × ${f(ghz, 3)} GHz × ${threads} cores = ${f(roofline / 1e9, 1)} G chunks/s; error-free reaches ${f(rr[0]!.chunksPerSecond / 1e9, 2)} G chunks/s (${f((100 * rr[0]!.chunksPerSecond) / roofline, 1)} %), P_map ${f(rr[3]!.chunksPerSecond / 1e9, 2)} G chunks/s, F_MAC ${f(rr[5]!.chunksPerSecond / 1e9, 2)} G chunks/s (whole forward pass, first layer included)`,
    );
    console.log(
      `sampled accuracies differ between capmin and PyTorch by the random draws only (different generators); exact agreement checked: ${torch ? (mismatches.length ? 'MISMATCH' : 'error-free, clipped and F_MAC agree') : 'not run'}`,
    );
  }
  if (mismatches.length) {
    console.error(`bench: ${mismatches.length} exact-agreement mismatch(es): ${mismatches.slice(0, 5).join('; ')}`);
    process.exitCode = 1;
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
