/**
 * The newcomer walk-through: runs every command of the README's `sh walkthrough` blocks, as written, from a fresh
 * temporary directory outside the checkout, and checks that each exits 0 and writes what the README says (files
 * exist and are non-empty, CSV columns, JSON keys, .npy shapes, printed lines).
 *
 *   npx tsx scripts/walkthrough.ts [--quick] [--bin CMD] [--keep]
 *
 * `capmin` is the checkout's built CLI (`node dist/src/cli.js`, run `npm run build` first) unless `--bin` names
 * another one (e.g. `--bin capmin` for a global install). `--quick` swaps the long settings (1000 Monte-Carlo
 * samples, all 60 000 training images, the quick pipeline's 9 k values …) for small ones through QUICK below, so the
 * whole tour takes a few minutes; the checks stay the same. Every README command must have a check in CHECKS and
 * every check must match a README command, so the README and this script cannot drift apart silently.
 * Exit code 0 when every step passed, 1 otherwise.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** One README command as written, and as run (after the --quick substitutions). */
export interface TourCommand {
  written: string;
  run: string;
}

/** Commands of the README's fenced blocks whose info string is `sh walkthrough` (`\` continuations joined, comments dropped). */
export function tourCommands(readme: string): string[] {
  const out: string[] = [];
  const blocks = readme.matchAll(/^```sh walkthrough[ \t]*\n([\s\S]*?)^```[ \t]*$/gm);
  for (const b of blocks) {
    const joined = (b[1] ?? '').replace(/\\\n\s*/g, ' ');
    for (const raw of joined.split('\n')) {
      const line = raw.replace(/\s+#.*$/, '').replace(/\s+/g, ' ').trim();
      if (line === '' || line.startsWith('#')) continue;
      out.push(line);
    }
  }
  return out;
}

/** --quick: [README command (exact), what runs instead]. Only sample counts, image limits and k lists shrink. */
export const QUICK: ReadonlyArray<readonly [string, string]> = [
  ['capmin size --levels 8..21', 'capmin size --levels 8..21 --mapping shifted --verify quasistatic'],
  ['capmin pmap --cap 12.27p --samples 1000 --engine quasistatic', 'capmin pmap --cap 12.27p --samples 5 --engine quasistatic'],
  ['capmin fmac', 'capmin fmac --limit 2000'],
  ['capmin eval --clip 8,21', 'capmin eval --clip 8,21 --limit 300'],
  ['capmin eval --pmap runs/clip-k14.npy', 'capmin eval --pmap runs/clip-k14.npy --limit 300'],
  ['capmin eval --clip 8,21 --pmap runs/pmap-12.27pF-*/pmap.npy', 'capmin eval --clip 8,21 --pmap runs/pmap-12.27pF-*/pmap.npy --limit 300 --runs 1'],
  [
    'capmin run --quick',
    'capmin run --quick --ks 33,16 --phi-from 16 --phis 1 --samples 5 --runs 1 --train-limit 200 --test-limit 100 --sizing quasistatic',
  ],
];

/** What one command must leave behind. Paths are relative to the tour directory; `*` matches within one segment. */
interface Check {
  /** the README command, exactly */
  command: string;
  files?: Array<{ path: string; csvColumns?: string[]; jsonKeys?: string[]; npyShape?: number[]; npyDtypes?: string[] }>;
  /** regular expressions the standard output must match */
  stdout?: RegExp[];
}

const CHECKS: Check[] = [
  {
    command: 'capmin sweep-cap --from 1p --to 150p --steps 30',
    files: [
      { path: 'runs/sweep-cap/sweep.csv', csvColumns: ['cMem_F', 'distinct', 'latency_s', 'energy_J', 'tSpike_m0_s', 'tSpike_m32_s'] },
      { path: 'runs/sweep-cap/sweep.json', jsonKeys: ['rows'] },
      { path: 'runs/sweep-cap/sweep.svg' },
      { path: 'runs/sweep-cap/sweep-distinct.svg' },
    ],
  },
  { command: 'capmin size --levels 8..21', stdout: [/all 33 levels \(baseline\)\s+C_mem\s+[\d.]+ pF/, /levels 8\.\.21 shifted\s+C_mem\s+[\d.]+ pF/] },
  { command: 'capmin spikes --cap 12.27p', stdout: [/^level\s+iInit\s+tCross\s+tSpike/m], files: [{ path: 'runs/cache/spikes/*' }] },
  {
    command: 'capmin pmap --cap 12.27p --samples 1000 --engine quasistatic',
    files: [
      { path: 'runs/pmap-12.27pF-*/pmap.csv', csvColumns: ['level', '0', '32'] },
      { path: 'runs/pmap-12.27pF-*/pmap.json', jsonKeys: ['levels', 'cMem', 'samples', 'seed'] },
      { path: 'runs/pmap-12.27pF-*/pmap.npy', npyShape: [33, 33], npyDtypes: ['<f4', '<f8'] },
      { path: 'runs/pmap-12.27pF-*/samples.csv', csvColumns: ['level', 'sample', 'tCross', 'tSpike'] },
      { path: 'runs/pmap-12.27pF-*/pmap.svg' },
      { path: 'runs/pmap-12.27pF-*/manifest.json', jsonKeys: ['version', 'inputs', 'seed', 'ngspice'] },
    ],
  },
  {
    command: 'capmin validate --cap 10p',
    files: [
      { path: 'runs/validate/validate.csv', csvColumns: ['level', 'tSpice', 'tEq5', 'relErr', 'tQs', 'qsRelErr'] },
      { path: 'runs/validate/validate.json', jsonKeys: ['rows', 'summary'] },
      { path: 'runs/validate/fig3.svg' },
      { path: 'runs/validate/manifest.json', jsonKeys: ['versions', 'inputs'] },
    ],
  },
  {
    command: 'capmin fmac',
    files: [
      { path: 'runs/fmac/vgg3-fashion-fashion-train/fmac.csv', csvColumns: ['level', 'mac', 'total'] },
      { path: 'runs/fmac/vgg3-fashion-fashion-train/fmac.json', jsonKeys: ['total', 'layers', 'images'] },
      { path: 'runs/fmac/vgg3-fashion-fashion-train/fmac.svg' },
      { path: 'runs/fmac/vgg3-fashion-fashion-train/fmac-layers.svg' },
      { path: 'runs/fmac/vgg3-fashion-fashion-train/manifest.json', jsonKeys: ['versions', 'inputs'] },
    ],
  },
  {
    command: 'capmin levels --fmac runs/fmac/vgg3-fashion-fashion-train/fmac.json --k 14 --direct-mapping runs/clip-k14.npy',
    files: [{ path: 'runs/clip-k14.npy', npyShape: [33] }],
    stdout: [/clip range \(Eq\. 4\): \[8, 21\]/],
  },
  { command: 'capmin eval --clip 8,21', stdout: [/clip \[8, 21\]/, /^accuracy: [\d.]+%/m] },
  { command: 'capmin eval --pmap runs/clip-k14.npy', stdout: [/P_map runs\/clip-k14\.npy/, /^accuracy: [\d.]+%/m] },
  { command: 'capmin eval --clip 8,21 --pmap runs/pmap-12.27pF-*/pmap.npy', stdout: [/clip \[8, 21\] \+ P_map/, /^accuracy: mean [\d.]+%/m] },
  {
    command: 'capmin run --quick',
    files: [
      { path: 'runs/quick-*/report.html' },
      { path: 'runs/quick-*/results.json' },
      { path: 'runs/quick-*/manifest.json', jsonKeys: ['version', 'status', 'config'] },
      { path: 'runs/quick-*/figures/*.svg' },
      { path: 'runs/quick-*/data/*.csv' },
    ],
    stdout: [/capmin run finished/],
  },
];

/** Checks that must hold between commands: the direct mapping reads back as the clipping it was written from. */
function crossChecks(outputs: Map<string, string>): string[] {
  const acc = (cmd: string) => /^accuracy: ([\d.]+)%/m.exec(outputs.get(cmd) ?? '')?.[1];
  const a = acc('capmin eval --clip 8,21');
  const b = acc('capmin eval --pmap runs/clip-k14.npy');
  if (a === undefined || b === undefined) return [];
  return a === b ? [] : [`the direct mapping runs/clip-k14.npy gives ${b}% but --clip 8,21 gives ${a}%; they must be equal`];
}

/** Paths matching a pattern with `*` inside segments, relative to `dir`. */
function glob(dir: string, pattern: string): string[] {
  let found = [''];
  for (const seg of pattern.split('/')) {
    const re = new RegExp(`^${seg.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*')}$`);
    found = found.flatMap((base) => {
      const abs = join(dir, base);
      if (!seg.includes('*')) return existsSync(join(abs, seg)) ? [join(base, seg)] : [];
      if (!existsSync(abs) || !statSync(abs).isDirectory()) return [];
      return readdirSync(abs)
        .filter((n) => re.test(n))
        .map((n) => join(base, n));
    });
  }
  return found;
}

/** Shape of a .npy v1/v2 file from its header, or an error text. */
function npyShape(buf: Buffer): { shape: number[]; descr: string } | string {
  if (buf.length < 10 || buf.subarray(1, 6).toString('latin1') !== 'NUMPY') return 'not a .npy file';
  const major = buf[6];
  const len = major === 1 ? buf.readUInt16LE(8) : buf.readUInt32LE(8);
  const header = buf.subarray(major === 1 ? 10 : 12, (major === 1 ? 10 : 12) + len).toString('latin1');
  const shape = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1];
  const descr = /'descr':\s*'([^']*)'/.exec(header)?.[1] ?? '?';
  if (shape === undefined) return 'no shape in the .npy header';
  return { shape: shape.split(',').map((s) => s.trim()).filter(Boolean).map(Number), descr };
}

function checkFiles(dir: string, check: Check): string[] {
  const errors: string[] = [];
  for (const f of check.files ?? []) {
    const paths = glob(dir, f.path).filter((p) => statSync(join(dir, p)).isFile());
    if (paths.length === 0) {
      errors.push(`${f.path}: not written`);
      continue;
    }
    for (const p of paths) {
      const buf = readFileSync(join(dir, p));
      if (buf.length === 0) errors.push(`${p}: empty`);
      if (f.csvColumns) {
        const head = buf.toString('utf8').split(/\r?\n/, 1)[0]!.split(',');
        const missing = f.csvColumns.filter((c) => !head.includes(c));
        if (missing.length) errors.push(`${p}: no column(s) ${missing.join(', ')} (header ${head.slice(0, 8).join(',')}…)`);
        if (buf.toString('utf8').trim().split(/\r?\n/).length < 2) errors.push(`${p}: no data rows`);
      }
      if (f.jsonKeys) {
        try {
          const j = JSON.parse(buf.toString('utf8')) as Record<string, unknown>;
          const missing = f.jsonKeys.filter((k) => !(k in j));
          if (missing.length) errors.push(`${p}: no key(s) ${missing.join(', ')}`);
        } catch (e) {
          errors.push(`${p}: not JSON (${(e as Error).message.slice(0, 60)})`);
        }
      }
      if (f.npyShape) {
        const s = npyShape(buf);
        if (typeof s === 'string') errors.push(`${p}: ${s}`);
        else if (s.shape.join(',') !== f.npyShape.join(',') || !(f.npyDtypes ?? ['<f4']).includes(s.descr)) {
          errors.push(`${p}: shape (${s.shape.join(',')}) dtype ${s.descr}, expected (${f.npyShape.join(',')}) ${(f.npyDtypes ?? ['<f4']).join(' or ')}`);
        }
      }
    }
  }
  return errors;
}

function parseArgs(argv: string[]): { quick: boolean; keep: boolean; bin?: string } {
  const o: { quick: boolean; keep: boolean; bin?: string } = { quick: false, keep: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--quick') o.quick = true;
    else if (a === '--keep') o.keep = true;
    else if (a === '--bin' && argv[i + 1]) o.bin = argv[++i];
    else {
      process.stderr.write(`walkthrough: unknown argument '${a}'; usage: npx tsx scripts/walkthrough.ts [--quick] [--bin CMD] [--keep]\n`);
      process.exit(2);
    }
  }
  return o;
}

function main(): number {
  const opts = parseArgs(process.argv.slice(2));
  const cli = join(ROOT, 'dist', 'src', 'cli.js');
  if (!opts.bin && !existsSync(cli)) {
    process.stderr.write(`walkthrough: ${cli} not found; run 'npm run build' first\n`);
    return 2;
  }
  const written = tourCommands(readFileSync(join(ROOT, 'README.md'), 'utf8'));
  const problems: string[] = [];
  for (const w of written) {
    if (!w.startsWith('capmin ') && w !== 'capmin') problems.push(`README walk-through line is not a capmin command: ${w}`);
    if (!CHECKS.some((c) => c.command === w)) problems.push(`no check for the README command: ${w}`);
  }
  for (const c of CHECKS) if (!written.includes(c.command)) problems.push(`the README no longer shows: ${c.command}`);
  const quick = new Map(QUICK);
  for (const [from] of QUICK) if (!written.includes(from)) problems.push(`--quick substitution for a command the README does not show: ${from}`);
  if (problems.length) {
    for (const p of problems) process.stderr.write(`FAIL ${p}\n`);
    return 1;
  }

  // a fresh directory outside the checkout, with `capmin` first on the PATH
  const dir = mkdtempSync(join(tmpdir(), 'capmin-walkthrough-'));
  const binDir = join(dir, '.bin');
  mkdirSync(binDir);
  if (!opts.bin) {
    writeFileSync(join(binDir, 'capmin'), `#!/bin/sh\nexec "${process.execPath}" "${cli}" "$@"\n`);
    chmodSync(join(binDir, 'capmin'), 0o755);
  }
  const env = { ...process.env, PATH: `${binDir}:${process.env.PATH ?? ''}`, CAPMIN_QUIET: '1' };
  const outputs = new Map<string, string>();
  let failed = 0;
  const t0 = Date.now();
  process.stdout.write(`walk-through in ${dir}${opts.quick ? ' (--quick)' : ''}\n`);
  for (const w of written) {
    let run = opts.quick ? (quick.get(w) ?? w) : w;
    if (opts.bin) run = run.replace(/^capmin\b/, opts.bin);
    const t = Date.now();
    const r = spawnSync('bash', ['-c', run], { cwd: dir, env, encoding: 'utf8', maxBuffer: 64 << 20 });
    const secs = ((Date.now() - t) / 1000).toFixed(1);
    const stdout = r.stdout ?? '';
    outputs.set(w, stdout);
    const check = CHECKS.find((c) => c.command === w)!;
    const errors: string[] = [];
    if (r.status !== 0) errors.push(`exit ${r.status ?? r.signal}: ${(r.stderr ?? '').trim().split('\n').slice(-3).join(' | ').slice(0, 400)}`);
    else {
      errors.push(...checkFiles(dir, check));
      for (const re of check.stdout ?? []) if (!re.test(stdout)) errors.push(`stdout does not match ${re}`);
    }
    process.stdout.write(`${errors.length ? 'FAIL' : 'ok  '} ${secs.padStart(6)} s  ${run}\n`);
    for (const e of errors) process.stdout.write(`       ${e}\n`);
    if (errors.length) failed++;
  }
  for (const e of crossChecks(outputs)) {
    process.stdout.write(`FAIL ${e}\n`);
    failed++;
  }
  process.stdout.write(`${failed ? `${failed} step(s) failed` : `all ${written.length} commands ok`} in ${((Date.now() - t0) / 1000).toFixed(0)} s\n`);
  if (opts.keep || failed) process.stdout.write(`outputs kept in ${dir}\n`);
  else rmSync(dir, { recursive: true, force: true });
  return failed ? 1 : 0;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) process.exitCode = main();
