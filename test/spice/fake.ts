/**
 * Test helpers for runner faults: fake `ngspice` shell scripts (hangs, crashes, deck errors, chosen raw files),
 * binary raw files, small tmpfs mounts and a "process is gone" check.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

/** the checkout */
export const repo = resolve(dirname(new URL(import.meta.url).pathname), '..', '..');
/** tsx's loader by absolute URL: capmin runs in a scratch cwd, where a bare `--import tsx` would not resolve */
export const tsx = pathToFileURL(join(repo, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;

export type Child = ChildProcess & { out: string[]; err: string[] };

/** Start `capmin <args>` (src/cli.ts through tsx) in `cwd` with the given PATH and TMPDIR; collects stdout/stderr. */
export function capminChild(args: string[], env: { PATH: string; TMPDIR: string }, cwd: string): Child {
  const c = spawn(process.execPath, ['--import', tsx, join(repo, 'src', 'cli.ts'), ...args], {
    cwd,
    env: { ...process.env, ...env, CAPMIN_QUIET: '1', TSX_DISABLE_CACHE: '1' }, // tsx would cache in TMPDIR
    stdio: ['ignore', 'pipe', 'pipe'],
  }) as Child;
  c.out = [];
  c.err = [];
  c.stdout!.on('data', (d) => c.out.push(String(d)));
  c.stderr!.on('data', (d) => c.err.push(String(d)));
  return c;
}

/** Exit code of a child once it ended (null when killed by a signal). */
export function exited(c: ChildProcess): Promise<number | null> {
  return new Promise((r) => (c.exitCode !== null || c.signalCode !== null ? r(c.exitCode) : c.on('exit', (code) => r(code))));
}

/** What a fake prints for `-v`, so that checkNgspice accepts it. */
const VERSION = 'if [ "$1" = "-v" ]; then echo "******"; echo "** ngspice-42 : Circuit level simulation program"; exit 0; fi';

/**
 * Write an executable `/bin/sh` script `dir/name` that answers `-v` like ngspice-42 and otherwise runs `body`
 * (in the run's work dir, where deck.cir is). Only absolute paths are used, so it also works with PATH=dir.
 */
export function fakeNgspice(dir: string, body: string, name = 'ngspice'): string {
  mkdirSync(dir, { recursive: true });
  const p = join(dir, name);
  writeFileSync(p, `#!/bin/sh\n${VERSION}\n${body}\n`, { mode: 0o755 });
  return p;
}

/** A binary ngspice raw file with the given variables (name → values, all the same length). */
export function rawBinary(vars: Record<string, ArrayLike<number>>, plotname = 'Transient Analysis'): Buffer {
  const names = Object.keys(vars);
  const n = vars[names[0]!]!.length;
  const type = (v: string): string => (v === 'time' ? 'time' : v.startsWith('i(') ? 'current' : 'voltage');
  const head =
    `Title: fake\nDate: Thu Jan  1 00:00:00  2026\nPlotname: ${plotname}\nFlags: real\nNo. Variables: ${names.length}\nNo. Points: ${n}\n` +
    `Variables:\n${names.map((v, i) => `\t${i}\t${v}\t${type(v)}\n`).join('')}Binary:\n`;
  const data = new Float64Array(n * names.length);
  for (let r = 0; r < n; r++) for (let c = 0; c < names.length; c++) data[r * names.length + c] = vars[names[c]!]![r]!;
  return Buffer.concat([Buffer.from(head, 'latin1'), Buffer.from(data.buffer)]);
}

/** True when `pid` no longer runs (no /proc entry, or a zombie waiting to be reaped). */
export function gone(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] === 'Z';
  } catch {
    return true;
  }
}

/** Poll `cond` every 50 ms until it holds or `ms` passed; returns whether it held. */
export async function waitFor(cond: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (cond()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return cond();
}

/** Pids written one per line into `file` by fake scripts (`echo $$ >> file`). */
export function pidsIn(file: string): number[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => /^\d+$/.test(l))
    .map(Number);
}

/** A tmpfs mounted at a fresh folder (root only); `null` with the reason when mounting is impossible. */
export interface Tmpfs {
  dir: string;
  unmount(): void;
}

export function mountTmpfs(options: string): Tmpfs | { error: string } {
  const dir = mkdtempSync(join(tmpdir(), 'capmin-tmpfs-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', dir], { stdio: 'pipe' });
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    return {
      error:
        String((e as { stderr?: Buffer }).stderr ?? (e as Error).message)
          .trim()
          .split('\n')[0] || 'mount failed',
    };
  }
  return {
    dir,
    unmount(): void {
      try {
        execFileSync('umount', [dir], { stdio: 'pipe' });
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
