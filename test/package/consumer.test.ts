/**
 * capmin as a dependency: build, `npm pack`, install the tarball into a fresh consumer project, type-check a
 * TypeScript consumer against the published declarations and run a tiny job through the public API with real ngspice
 * (a deck, nominal spike times of two levels, a 5-sample P_map, CapMin levels from an F_MAC array).
 * Dependencies come from the npm cache that `npm ci` filled (--prefer-offline).
 */
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Run a command (asynchronously: the test worker stays responsive); on failure throw with the tail of its output. */
function run(cmd: string, args: string[], cwd: string, timeoutMs = 300_000): Promise<string> {
  return new Promise((resolveRun, reject) => {
    const env = { ...process.env, CAPMIN_QUIET: '1' };
    execFile(cmd, args, { cwd, encoding: 'utf8', timeout: timeoutMs, maxBuffer: 64 << 20, env }, (err, stdout, stderr) => {
      if (!err) return resolveRun(stdout);
      const tail = `${stdout}\n${stderr}`.trim().split('\n').slice(-25).join('\n');
      reject(new Error(`${cmd} ${args.join(' ')} failed in ${cwd}: ${err.message.split('\n')[0]}\n${tail}`));
    });
  });
}

/** Every file under `dir` with its size and mtime (to prove nothing writes into the installed package). */
function snapshot(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      const st = statSync(p);
      if (st.isDirectory()) walk(p);
      else out.push(`${p.slice(dir.length)} ${st.size} ${st.mtimeMs}`);
    }
  };
  walk(dir);
  return out;
}

/** The public API a consumer script uses; every name must exist in the package at run time as well. */
const RUNTIME_NAMES = [
  'buildDeck',
  'defaultCircuit',
  'validateCircuit',
  'runNgspice',
  'SpiceQueue',
  'SpiceError',
  'readRawFile',
  'parseRaw',
  'nominalSpikeTimes',
  'validateLevels',
  'eq5SpikeTime',
  'runMonteCarlo',
  'defaultSigmas',
  'pmapFromMonteCarlo',
  'buildPmap',
  'sizeCapacitor',
  'sweepCap',
  'computeFmac',
  'evaluate',
  'loadCheckpoint',
  'loadDataset',
  'capminLevels',
  'capminV',
  'runPipeline',
  'defaultConfig',
  'writeReport',
  'shippedFile',
  'packageRoot',
  'CapminError',
];

const CONSUMER = `
import {
  buildDeck,
  capminLevels,
  defaultCircuit,
  defaultSigmas,
  loadCheckpoint,
  nominalSpikeTimes,
  packageRoot,
  pmapFromMonteCarlo,
  runMonteCarlo,
  shippedFile,
  SpiceError,
  SpiceQueue,
  type CapminLevels,
  type CircuitParams,
  type McResult,
  type Pmap,
  type SpikeRow,
} from 'capmin';
import * as api from 'capmin';

// The published declarations must give real types: any of these being any is a compile error.
type IsAny<T> = 0 extends 1 & T ? true : false;
type NotAny<T> = IsAny<T> extends true ? never : true;
const typed: [NotAny<CircuitParams>, NotAny<McResult>, NotAny<Pmap>, NotAny<SpikeRow>, NotAny<CapminLevels>, NotAny<SpiceQueue>] = [
  true, true, true, true, true, true,
];
void typed;

const names: string[] = JSON.parse(process.argv[2] ?? '[]');
const missing = names.filter((n) => typeof (api as Record<string, unknown>)[n] !== 'function');

const circuit: CircuitParams = defaultCircuit();
const deck: string = buildDeck(circuit, { analysis: 'tran', level: 32, title: 'consumer' });
const queue = new SpiceQueue(2);
const rows: SpikeRow[] = await nominalSpikeTimes(circuit, [24, 32], { queue, progress: false });
const mc: McResult = await runMonteCarlo({
  circuit,
  sigmas: defaultSigmas(),
  seed: 7,
  samples: 5,
  levels: [24, 32],
  engine: 'transient',
  queue,
  progress: false,
});
const pmap: Pmap = pmapFromMonteCarlo(mc);
// F_MAC peaked at level 16: the 5 most frequent levels are 14..18.
const fMac: number[] = Array.from({ length: circuit.a + 1 }, (_, m) => Math.round(1000 * Math.exp(-(((m - 16) / 4) ** 2))));
const levels: CapminLevels = capminLevels(fMac, 5);
const model = loadCheckpoint(shippedFile('models', 'vgg3-fashion.safetensors'));
const isSpiceError: boolean = new SpiceError('timeout', 'x') instanceof Error;
console.log(JSON.stringify({ missing, root: packageRoot(), modelCard: circuit.modelCard, deck, rows, pmap, levels, arch: model.arch, isSpiceError }));
`;

describe('the packed package in a consumer project', () => {
  let work: string;
  let consumer: string;
  let installed: string;
  let before: string[];

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'capmin-consumer-'));
    // Build and pack a private copy of the package: `npm run build` would delete the shared dist/ that other test
    // files (the README walk-through, the CLI tests) run at the same time.
    const stage = join(work, 'stage');
    mkdirSync(stage);
    cpSync(join(root, 'package.json'), join(stage, 'package.json'));
    for (const d of ['models', 'netlists']) cpSync(join(root, d), join(stage, d), { recursive: true });
    await run(join(root, 'node_modules', '.bin', 'tsc'), ['-p', join(root, 'tsconfig.build.json'), '--outDir', join(stage, 'dist')], root);
    const packed = JSON.parse(await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work], stage)) as {
      filename: string;
      files: { path: string }[];
    }[];
    const files = packed[0]!.files.map((f) => f.path);
    for (const f of ['dist/src/index.js', 'dist/src/index.d.ts', 'dist/src/cli.js', 'models/ptm16hp-nmos.pm', 'models/vgg3-fashion.safetensors']) {
      expect(files, `tarball lacks ${f}`).toContain(f);
    }
    expect(
      files.filter((f) => /^(src|test|bench|scripts)\/|\.map$|^dist\/(bench|test)\//.test(f)),
      'unpublished files in the tarball',
    ).toEqual([]);

    consumer = join(work, 'consumer');
    mkdirSync(consumer);
    writeFileSync(join(consumer, 'package.json'), JSON.stringify({ name: 'capmin-consumer', version: '1.0.0', private: true, type: 'module' }));
    await run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error', join(work, packed[0]!.filename)], consumer);
    installed = join(consumer, 'node_modules', 'capmin');
    // The consumer's own toolchain: the project's TypeScript compiler and Node types.
    mkdirSync(join(consumer, 'node_modules', '@types'), { recursive: true });
    symlinkSync(join(root, 'node_modules', '@types', 'node'), join(consumer, 'node_modules', '@types', 'node'), 'dir');
    writeFileSync(join(consumer, 'consumer.ts'), CONSUMER);
    // A file using a name the package does not export: tsc must reject it (the type check is not vacuous).
    writeFileSync(join(consumer, 'bad.ts'), "import { noSuchStage } from 'capmin';\nnoSuchStage();\n");
    writeFileSync(
      join(consumer, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2022',
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          strict: true,
          types: ['node'],
          skipLibCheck: true,
          noEmit: true,
        },
        include: ['consumer.ts', 'bad.ts'],
      }),
    );
    before = snapshot(installed);
  }, 600_000);

  afterAll(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('type-checks a TypeScript consumer against the published declarations (tsc --noEmit)', async () => {
    // One tsc run over consumer.ts and bad.ts: every diagnostic must be bad.ts's missing export, none in consumer.ts.
    const err = await run(join(root, 'node_modules', '.bin', 'tsc'), ['--noEmit', '--pretty', 'false', '-p', 'tsconfig.json'], consumer).then(
      () => new Error('tsc accepted bad.ts'),
      (e: Error) => e,
    );
    const diagnostics = err.message.split('\n').filter((l) => /error TS\d+/.test(l));
    expect(diagnostics.length, err.message).toBeGreaterThan(0);
    expect(
      diagnostics.filter((l) => !/^bad\.ts\(\d+,\d+\): error TS2305: .*noSuchStage/.test(l)),
      err.message,
    ).toEqual([]);
  }, 300_000);

  it('runs a tiny job through the public API with real ngspice, from the consumer directory', async () => {
    const js = ts.transpileModule(CONSUMER, { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } }).outputText;
    writeFileSync(join(consumer, 'consumer.mjs'), js);
    const out = JSON.parse(await run(process.execPath, ['consumer.mjs', JSON.stringify(RUNTIME_NAMES)], consumer, 120_000)) as {
      missing: string[];
      root: string;
      modelCard: string;
      deck: string;
      rows: { level: number; iInit: number; tCross: number | null; tSpike: number | null; clockCycle: number | null }[];
      pmap: { levels: number[]; matrix: number[][]; counts: number[][]; samples: number[] };
      levels: { k: number; lo: number; hi: number; levels: number[] };
      arch: string;
      isSpiceError: boolean;
    };
    expect(out.missing).toEqual([]);
    // Shipped files are found in the installed package, whatever the current directory.
    expect(out.root).toBe(installed);
    expect(out.modelCard).toBe(join(installed, 'models', 'ptm16hp-nmos.pm'));
    expect(out.deck).toContain('.control');
    expect(out.deck).toContain(join(installed, 'models', 'ptm16hp-nmos.pm'));
    expect(out.arch).toBe('vgg3');
    expect(out.isSpiceError).toBe(true);

    // Nominal spike times: both levels fire, registered on a 2 GHz clock edge after the crossing, more cells faster.
    expect(out.rows.map((r) => r.level)).toEqual([24, 32]);
    for (const r of out.rows) {
      expect(r.iInit).toBeGreaterThan(0);
      expect(r.tCross).toBeGreaterThan(0);
      expect(r.tSpike!).toBeGreaterThanOrEqual(r.tCross!);
      expect(r.tSpike! - r.tCross!).toBeLessThanOrEqual(0.5e-9 + 1e-15);
      expect(r.tSpike! * 2e9).toBeCloseTo(r.clockCycle!, 6);
    }
    expect(out.rows[1]!.tCross!).toBeLessThan(out.rows[0]!.tCross!);
    expect(out.rows[1]!.iInit).toBeGreaterThan(out.rows[0]!.iInit);

    // P_map of 5 samples per level: stochastic rows of counts / 5.
    expect(out.pmap.levels).toEqual([24, 32]);
    expect(out.pmap.samples).toEqual([5, 5]);
    for (let i = 0; i < 2; i++) {
      expect(out.pmap.counts[i]!.reduce((s, c) => s + c, 0)).toBe(5);
      expect(out.pmap.matrix[i]!.reduce((s, p) => s + p, 0)).toBeCloseTo(1, 12);
      out.pmap.matrix[i]!.forEach((p, j) => expect(p).toBeCloseTo(out.pmap.counts[i]![j]! / 5, 12));
    }

    // CapMin of a Gaussian F_MAC centred at 16: the 5 most frequent levels and Eq. 4's clipping bounds.
    expect(out.levels).toMatchObject({ k: 5, lo: 14, hi: 18, levels: [14, 15, 16, 17, 18] });
  }, 120_000);

  it('installs the command line', async () => {
    const help = await run(join(consumer, 'node_modules', '.bin', 'capmin'), ['--help'], consumer);
    expect(help).toMatch(/capmin/);
    expect(help).toMatch(/\brun\b/);
  }, 60_000);

  it('writes nothing into the installed package', () => {
    expect(existsSync(join(installed, 'runs'))).toBe(false);
    expect(snapshot(installed)).toEqual(before);
    expect(readFileSync(join(installed, 'package.json'), 'utf8')).toContain('"name": "capmin"');
  });
});
