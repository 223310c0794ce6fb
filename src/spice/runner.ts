/**
 * ngspice process runner: writes a deck into a fresh scratch folder, runs `ngspice -b -n deck.cir` (batch, no user
 * .spiceinit) in its own process group, kills the whole group on timeout / abort / SIGINT / SIGTERM / exit, and turns
 * every failure into a SpiceError that says the true cause (not installed, deck error, non-convergence, timeout,
 * crash with its signal, disk full, folder not writable, missing / truncated / non-finite output) and whether running
 * the deck again may help. ngspice dies with capmin even after kill -9 (parent-death signal, or a watchdog), and
 * scratch folders carry their owner's pid so that those of dead processes are removed on the next start.
 * `SpiceQueue` dispatches one job per core (decks set `num_threads=1`).
 */
import { spawn, spawnSync } from 'node:child_process';
import {
  accessSync,
  constants,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statfsSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';
import { createHash } from 'node:crypto';
import { execa } from 'execa';
import PQueue from 'p-queue';
import { CapminError } from '../util/errors.js';

/** Every way an ngspice run can fail, in the order a reader would look for them. */
export const SPICE_ERROR_KINDS = [
  'not-installed',
  'too-old',
  'syntax',
  'convergence',
  'timeout',
  'crash',
  'disk-full',
  'not-writable',
  'no-output',
  'truncated',
  'non-finite',
  'aborted',
] as const;

export type SpiceErrorKind = (typeof SPICE_ERROR_KINDS)[number];

const HINT: Record<SpiceErrorKind, string> = {
  'not-installed': 'install it with: apt-get install -y ngspice',
  'too-old': 'capmin needs ngspice >= 39; install it with: apt-get install -y ngspice',
  syntax: 'ngspice rejected the deck; check the model card and the circuit options that produced that line',
  convergence: 'the simulation did not converge (try a smaller tStep or check the model card)',
  timeout: 'ngspice was killed at the wall-clock limit; raise the timeout (--timeout) or shorten the simulated window',
  crash: 'ngspice died abnormally; running it again may succeed, if it persists run the deck by hand with ngspice -b',
  'disk-full': 'free space there, or point TMPDIR (or the run directory) at a filesystem with room',
  'not-writable': 'make that folder writable, or point TMPDIR (or the run directory) at one that is',
  'no-output': 'ngspice finished without writing the expected output',
  truncated: 'the raw file is incomplete (ngspice was killed or the disk is full)',
  'non-finite': 'ngspice produced NaN or infinite values; check the model card and the circuit options',
  aborted: 'the run was cancelled',
};

/**
 * Whether running the same deck again may succeed without the user changing anything: transient faults (timeout,
 * crash, disk full, missing / truncated / non-finite output) and non-convergence (retried with tighter solver
 * options) are; a missing or old ngspice, a deck the parser rejects and an unwritable folder are not. A cancelled run
 * is not retried in the process that cancelled it, and is no result either: it is simply not done.
 */
const RETRYABLE: Record<SpiceErrorKind, boolean> = {
  'not-installed': false,
  'too-old': false,
  syntax: false,
  convergence: true,
  timeout: true,
  crash: true,
  'disk-full': true,
  'not-writable': false,
  'no-output': true,
  truncated: true,
  'non-finite': true,
  aborted: false,
};

/** True when `k` names a SpiceErrorKind (for kinds read back from a manifest or batch record). */
export function isSpiceErrorKind(k: unknown): k is SpiceErrorKind {
  return typeof k === 'string' && (SPICE_ERROR_KINDS as readonly string[]).includes(k);
}

/** Whether a failure of this kind may be retried (see RETRYABLE); unknown kinds are retried. */
export function isRetryable(kind: string): boolean {
  return isSpiceErrorKind(kind) ? RETRYABLE[kind] : true;
}

/** What a store records about a failed run. */
export interface SpiceFailure {
  kind: SpiceErrorKind;
  detail: string;
  retryable: boolean;
}

/** A failed ngspice run, classified. `detail` is the most telling line of ngspice's output or of the fault. */
export class SpiceError extends CapminError {
  /** running the same deck again may succeed (see RETRYABLE) */
  readonly retryable: boolean;

  constructor(
    readonly kind: SpiceErrorKind,
    readonly detail: string,
    readonly workDir?: string,
    readonly stdout = '',
    readonly stderr = '',
  ) {
    super(
      `ngspice ${kind}: ${detail ? detail.slice(0, 300) + '; ' : ''}${HINT[kind]}`,
      `ESPICE_${kind.toUpperCase().replace('-', '_')}`,
      kind === 'not-installed' || kind === 'too-old' ? 3 : 1,
    );
    this.name = 'SpiceError';
    this.retryable = RETRYABLE[kind];
  }

  /** The same failure with `context` (e.g. which level) in front of the detail. */
  withContext(context: string): SpiceError {
    return new SpiceError(this.kind, this.detail ? `${context}: ${this.detail}` : context, this.workDir, this.stdout, this.stderr);
  }

  /** The record a store keeps of this failure. */
  toRecord(): SpiceFailure {
    return { kind: this.kind, detail: this.detail, retryable: this.retryable };
  }
}

/** Rebuild a SpiceError from a stored record (`{ kind, detail }`); a kind this version does not know becomes 'crash'. */
export function spiceErrorFromRecord(rec: { kind: string; detail: string }, context?: string): SpiceError {
  const kind = isSpiceErrorKind(rec.kind) ? rec.kind : 'crash';
  const detail = isSpiceErrorKind(rec.kind) ? rec.detail : `${rec.kind}: ${rec.detail}`;
  return new SpiceError(kind, context ? `${context}: ${detail}` : detail);
}

/**
 * Throw a 'non-finite' SpiceError when `values` (one vector a caller is about to use) holds a NaN or an infinity:
 * ngspice writes such values into a raw file without complaint, and a NaN compared with a threshold silently reads
 * as "no spike".
 */
export function assertFiniteValues(values: ArrayLike<number>, what: string): void {
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i])) throw new SpiceError('non-finite', `${what} is ${values[i]} at point ${i + 1} of ${values.length}`);
  }
}

export interface RunOptions {
  /** wall-clock limit; the whole process group is SIGKILLed at this time (default 10 min) */
  timeoutMs?: number;
  /** run in this directory (deck written as deck.cir there, directory kept) instead of a fresh scratch folder */
  cwd?: string;
  /**
   * folder in which the scratch folder `capmin-spice-<pid>-XXXXXX` is created (created if missing); a run directory
   * passes its own so that nothing is left in TMPDIR (default: the OS temp dir, i.e. $TMPDIR or /tmp)
   */
  workRoot?: string;
  signal?: AbortSignal;
  /** files (relative to workDir) that must exist and be non-empty afterwards, else kind 'no-output' */
  expectFiles?: string[];
  /** ngspice binary (default `ngspice` on PATH) */
  bin?: string;
}

export interface RunResult {
  stdout: string;
  stderr: string;
  durationMs: number;
  /** directory holding deck.cir and the outputs; the caller removes it (`removeWorkDir`) unless it passed `cwd` */
  workDir: string;
}

/** Process groups of running ngspice jobs (negative pid → group). */
const live = new Set<number>();
let handlersInstalled = false;

function killGroup(pid: number): void {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    /* already gone */
  }
}

function killPid(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    /* already gone */
  }
}

/** Kill every running ngspice process group started by this process. */
export function killAllNgspice(): void {
  for (const pid of live) killGroup(pid);
  live.clear();
}

/** On exit or a terminating signal: kill the running jobs and remove this process's scratch folders. */
function shutdown(): void {
  killAllNgspice();
  for (const dir of created) {
    try {
      rmSync(dir, { recursive: true, force: true });
    } catch {
      /* left for the next start's sweep */
    }
  }
  created.clear();
}

function installHandlers(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  process.on('exit', shutdown);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    const h = (): void => {
      shutdown();
      // restore the default behaviour when nobody else handles the signal
      if (process.listenerCount(sig) === 1) {
        process.removeListener(sig, h);
        process.kill(process.pid, sig);
      }
    };
    process.on(sig, h);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Executables and the parent-death guarantee

/** Absolute path of an executable `name` (searched on PATH unless it holds a slash), or null. */
function which(name: string): string | null {
  const ok = (p: string): boolean => {
    try {
      accessSync(p, constants.X_OK);
      return statSync(p).isFile();
    } catch {
      return false;
    }
  };
  if (name.includes('/')) return ok(name) ? resolve(name) : null;
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const p = resolve(dir || '.', name);
    if (ok(p)) return p;
  }
  return null;
}

let setprivPath: string | null | undefined;

/**
 * `setpriv --pdeathsig KILL` (util-linux) when it is there and works: the kernel then SIGKILLs ngspice when the
 * thread that spawned it dies (PR_SET_PDEATHSIG, kept across exec). Node spawns children from its main thread, which
 * lives as long as the process, so the signal fires exactly when capmin dies, also on kill -9. (A job started from a
 * worker thread would die with that worker.) setpriv does not re-check its parent after the prctl, so a capmin killed
 * in the microseconds between fork and prctl still leaves that one ngspice running. Looked up once.
 */
function deathSignalWrapper(): string | null {
  if (setprivPath !== undefined) return setprivPath;
  setprivPath = null;
  if (process.platform !== 'linux') return null;
  const sp = which('setpriv');
  if (!sp) return null;
  // an old util-linux without --pdeathsig, or a sandbox that forbids prctl, fails this probe
  const probe = spawnSync(sp, ['--pdeathsig', 'KILL', '--', process.execPath, '-e', ''], { stdio: 'ignore', timeout: 20_000 });
  if (probe.status === 0) setprivPath = sp;
  return setprivPath;
}

/**
 * Fallback where setpriv is missing or unusable (not Linux, no util-linux, a sandbox that forbids prctl): a small
 * detached shell that polls capmin's pid once a second and SIGKILLs ngspice's process group once capmin is gone (and
 * exits by itself when ngspice ends first; capmin kills it when the job ends). Without /bin/sh there is no guard: a
 * hung ngspice then outlives a capmin killed with -9, and lives until it ends by itself.
 */
const WATCHDOG = 'while kill -0 "$1" 2>/dev/null; do kill -0 "$2" 2>/dev/null || exit 0; sleep 1; done; kill -KILL -"$2" 2>/dev/null';

function startWatchdog(pgid: number): number | undefined {
  if (!existsSync('/bin/sh')) return undefined;
  try {
    const w = spawn('/bin/sh', ['-c', WATCHDOG, 'capmin-watchdog', String(process.pid), String(pgid)], {
      detached: true,
      stdio: 'ignore',
      env: { PATH: '/usr/bin:/bin' },
    });
    w.on('error', () => {});
    w.unref();
    return w.pid;
  } catch {
    return undefined;
  }
}

/** How this process makes ngspice die with it: 'setpriv' (kernel parent-death signal), 'watchdog' or 'none'. */
export function parentDeathGuard(): 'setpriv' | 'watchdog' | 'none' {
  return deathSignalWrapper() ? 'setpriv' : existsSync('/bin/sh') ? 'watchdog' : 'none';
}

interface Exec {
  exitCode?: number;
  signal?: string;
  stdout: string;
  stderr: string;
  /** set when the process could not be started */
  spawnError?: string;
  why: 'timeout' | 'aborted' | null;
}

/**
 * Start `exe args` in its own process group (so that we can kill ngspice and anything it spawned), guarded so that
 * it dies with this process, and wait for it; kills the group at `timeoutMs` or on `signal`.
 */
async function execGuarded(exe: string, args: string[], o: { cwd?: string; timeoutMs: number; signal?: AbortSignal }): Promise<Exec> {
  installHandlers();
  const wrap = deathSignalWrapper();
  const child = execa(wrap ?? exe, wrap ? ['--pdeathsig', 'KILL', '--', exe, ...args] : args, {
    cwd: o.cwd,
    detached: true,
    reject: false,
    stdin: 'ignore',
    all: false,
    stripFinalNewline: false,
    maxBuffer: 256 * 1024 * 1024,
    env: { OMP_NUM_THREADS: '1', LC_ALL: 'C' },
    extendEnv: true,
  });
  const pid = child.pid;
  if (pid !== undefined) live.add(pid);
  const watchdog = pid !== undefined && !wrap ? startWatchdog(pid) : undefined;
  let why: Exec['why'] = null;
  const stop = (reason: 'timeout' | 'aborted'): void => {
    if (why) return;
    why = reason;
    if (pid !== undefined) killGroup(pid);
  };
  const timer = setTimeout(() => stop('timeout'), o.timeoutMs);
  const onAbort = (): void => stop('aborted');
  o.signal?.addEventListener('abort', onAbort, { once: true });
  let res: Awaited<typeof child>;
  try {
    res = await child;
  } finally {
    clearTimeout(timer);
    o.signal?.removeEventListener('abort', onAbort);
    if (pid !== undefined) {
      killGroup(pid); // reap anything left in the group
      live.delete(pid);
    }
    killPid(watchdog);
  }
  const r = res as { exitCode?: number; signal?: string; code?: string; failed?: boolean; message?: string; stdout?: unknown; stderr?: unknown };
  const spawnFailed = r.failed && r.exitCode === undefined && !r.signal && why === null;
  return {
    exitCode: r.exitCode,
    signal: r.signal ?? undefined,
    stdout: String(r.stdout ?? ''),
    stderr: String(r.stderr ?? ''),
    why,
    ...(spawnFailed ? { spawnError: r.code ?? String(r.message ?? 'spawn failed').split('\n')[0] } : {}),
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Scratch folders

const SCRATCH_PREFIX = 'capmin-spice-';
/** scratch folders this process created (only these are removed by removeWorkDir) */
const created = new Set<string>();
/** roots already swept for stale folders by this process */
const swept = new Set<string>();

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Remove the scratch folders `capmin-spice-<pid>-XXXXXX` in `root` whose owner process is gone (left by a capmin that
 * was killed). Folders of live processes, folders of other users, names without a pid and anything that is not a
 * plain folder are left alone; a reused pid only keeps a stale folder longer. Returns the removed paths.
 */
export function cleanStaleWorkDirs(root: string = tmpdir()): string[] {
  let names: string[];
  try {
    names = readdirSync(root);
  } catch {
    return [];
  }
  const uid = process.getuid?.();
  const removed: string[] = [];
  for (const n of names) {
    const m = /^capmin-spice-(\d+)-[A-Za-z0-9]{6}$/.exec(n);
    if (!m) continue;
    const pid = Number(m[1]);
    if (pid === process.pid || pidAlive(pid)) continue;
    const path = join(root, n);
    try {
      const st = lstatSync(path);
      if (!st.isDirectory() || (uid !== undefined && st.uid !== uid)) continue;
      rmSync(path, { recursive: true, force: true });
      removed.push(path);
    } catch {
      /* raced with another cleaner, or not ours to remove */
    }
  }
  return removed;
}

const ERRNO_TEXT: Record<string, string> = {
  ENOSPC: 'no space left on device',
  EDQUOT: 'disk quota exceeded',
  EROFS: 'read-only file system',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ENOENT: 'no such folder',
  ENOTDIR: 'not a folder',
};

/** A filesystem fault as a one-line SpiceError: disk-full for ENOSPC / EDQUOT, not-writable otherwise. */
function fsFailure(e: unknown, action: string, path: string, workDir?: string): SpiceError {
  const code = (e as NodeJS.ErrnoException).code ?? '';
  const kind: SpiceErrorKind = code === 'ENOSPC' || code === 'EDQUOT' ? 'disk-full' : 'not-writable';
  const why = ERRNO_TEXT[code] ?? String((e as Error).message ?? e).split('\n')[0];
  return new SpiceError(kind, `cannot ${action} ${path} (${why}${code && ERRNO_TEXT[code] ? `, ${code}` : ''})`, workDir);
}

function makeWorkDir(root: string): string {
  try {
    mkdirSync(root, { recursive: true });
  } catch (e) {
    throw fsFailure(e, 'create the scratch root', root);
  }
  if (!swept.has(root)) {
    swept.add(root);
    cleanStaleWorkDirs(root);
  }
  let dir: string;
  try {
    dir = mkdtempSync(join(root, `${SCRATCH_PREFIX}${process.pid}-`));
  } catch (e) {
    throw fsFailure(e, 'create a scratch folder in', root);
  }
  created.add(dir);
  return dir;
}

/**
 * Space left on the filesystem holding `dir`; `low` when it is down to a few blocks (or out of inodes), which is
 * what a write that hit ENOSPC leaves. ngspice does not check its writes: on a full disk it writes an empty or cut
 * raw file and exits 0, so this is how a full disk is told apart from a missing output.
 */
function spaceLeft(dir: string): { free: number; low: boolean } | null {
  try {
    const s = statfsSync(dir);
    if (s.blocks === 0) return null; // a filesystem that reports no sizes (some FUSE mounts): nothing to judge by
    const blocks = process.getuid?.() === 0 ? s.bfree : s.bavail; // root may write into the reserved blocks
    const free = blocks * s.bsize;
    return { free, low: free < 8 * s.bsize || (s.files > 0 && s.ffree === 0) };
  } catch {
    return null;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Classification of ngspice's output

/** Deck errors; `join` = how many following lines to append (ngspice prints the offending netlist line there). */
const SYNTAX: { re: RegExp; join: number }[] = [
  { re: /error on line/i, join: 2 },
  { re: /netlist line no\.\s*\d+/i, join: 1 },
  { re: /unknown (subckt|device|model|parameter|command)/i, join: 0 },
  { re: /could not find a valid modelname/i, join: 0 },
  { re: /syntax error/i, join: 0 },
  { re: /undefined (node|model|parameter|variable)/i, join: 0 },
  { re: /can't find (the )?(model|init file)/i, join: 0 },
  { re: /there aren't any circuits loaded/i, join: 0 },
  { re: /circuit not parsed/i, join: 0 },
  { re: /vector \S+ is not available/i, join: 0 },
  { re: /fatal error/i, join: 0 },
  { re: /^error:/i, join: 0 },
];
const CONVERGENCE = [
  /timestep too small/i,
  /dc solution failed/i,
  /transient op failed/i,
  /iteration limit reached/i,
  /no convergence/i,
  /simulation\(s\) aborted/i,
];

function firstMatch(text: string, res: { re: RegExp; join: number }[]): string | null {
  const lines = text.split('\n').map((l) => l.trim());
  for (const { re, join: n } of res) {
    const i = lines.findIndex((x) => re.test(x));
    if (i < 0) continue;
    const more = lines
      .slice(i + 1)
      .filter((l) => l !== '')
      .slice(0, n);
    return [lines[i]!.replace(/:$/, ''), ...more].join(': ');
  }
  return null;
}

/**
 * Classify the output of a failed ngspice run (non-zero exit or missing output): convergence (timestep too small,
 * DC solution failed, ...; a "singular matrix" note is appended), deck error ('syntax', with the offending netlist
 * line when ngspice prints it), or null when nothing is recognised. Warnings in a run that succeeded are not looked at
 * (gmin stepping may fail and source stepping succeed).
 */
export function classifyOutput(stdout: string, stderr: string): { kind: SpiceErrorKind; detail: string } | null {
  const all = `${stderr}\n${stdout}`;
  const conv = firstMatch(
    all,
    CONVERGENCE.map((re) => ({ re, join: 0 })),
  );
  if (conv) {
    const sing = firstMatch(all, [{ re: /singular matrix.*/i, join: 0 }]);
    return { kind: 'convergence', detail: sing ? `${conv} (${sing.replace(/^warning:\s*/i, '')})` : conv };
  }
  const syn = firstMatch(all, SYNTAX);
  if (syn) return { kind: 'syntax', detail: syn };
  return null;
}

function lastLine(text: string): string {
  return (text.trim().split('\n').pop() ?? '').trim();
}

/**
 * Run one deck with `ngspice -b -n`. Resolves when ngspice finished cleanly and wrote `expectFiles`; rejects with a
 * SpiceError saying the true cause otherwise. The work dir is kept for the caller to read outputs (remove it with
 * `removeWorkDir`).
 */
export async function runNgspice(deck: string, opts: RunOptions = {}): Promise<RunResult> {
  const timeoutMs = opts.timeoutMs ?? 600_000;
  const bin = opts.bin ?? 'ngspice';
  const exe = which(bin);
  if (!exe) throw new SpiceError('not-installed', `'${bin}' not found on PATH (or not executable)`);
  if (opts.signal?.aborted) throw new SpiceError('aborted', 'aborted before start');
  const workDir = opts.cwd ? resolve(opts.cwd) : makeWorkDir(resolve(opts.workRoot ?? tmpdir()));
  const deckPath = join(workDir, 'deck.cir');
  try {
    writeFileSync(deckPath, deck);
  } catch (e) {
    if (!opts.cwd) removeWorkDir(workDir);
    throw fsFailure(e, 'write the deck', deckPath);
  }
  const t0 = performance.now();
  const res = await execGuarded(exe, ['-b', '-n', 'deck.cir'], { cwd: workDir, timeoutMs, signal: opts.signal });
  const durationMs = performance.now() - t0;
  const { stdout, stderr } = res;
  const fail = (kind: SpiceErrorKind, detail: string): SpiceError => new SpiceError(kind, detail, workDir, stdout, stderr);
  if (res.why === 'timeout') throw fail('timeout', `no result after ${(timeoutMs / 1000).toFixed(1)} s`);
  if (res.why === 'aborted') throw fail('aborted', 'cancelled');
  if (res.spawnError) {
    if (res.spawnError === 'ENOENT' || res.spawnError === 'EACCES') throw fail('not-installed', `'${bin}' could not be started (${res.spawnError})`);
    throw fail('crash', `could not start '${bin}': ${res.spawnError}`);
  }
  const expect = opts.expectFiles ?? [];
  const missing = expect.find((f) => {
    const path = join(workDir, f);
    return !existsSync(path) || statSync(path).size === 0;
  });
  // ngspice -b exits 1 for benign reasons too (a .control block without `quit`), so an exit code alone is not a
  // failure when every expected output exists; a signal always is.
  const exitBad = res.exitCode !== 0 && res.exitCode !== undefined;
  const cls = classifyOutput(stdout, stderr);
  if (res.signal) {
    const oom = res.signal === 'SIGKILL' ? ' (not by capmin: possibly the out-of-memory killer)' : '';
    throw fail('crash', `killed by ${res.signal}${oom}${cls ? `; last ngspice message: ${cls.detail}` : ''}`);
  }
  if (missing !== undefined || (exitBad && expect.length === 0)) {
    if (cls) throw fail(cls.kind, cls.detail);
    if (missing !== undefined) {
      const space = spaceLeft(workDir);
      if (space?.low) throw fail('disk-full', `${join(workDir, missing)} was not written: no space left on device (${space.free} bytes free)`);
      throw fail('no-output', `${missing} was not written${exitBad ? ` (exit ${res.exitCode})` : ''}${lastLine(stderr) ? `: ${lastLine(stderr)}` : ''}`);
    }
    const last = lastLine(stderr);
    throw fail('crash', `exit ${res.exitCode}${last ? ': ' + last : ''}`);
  }
  if (expect.length > 0) {
    // ngspice does not check its writes: a raw file written while the disk filled up is cut short silently
    const space = spaceLeft(workDir);
    if (space?.low) throw fail('disk-full', `${join(workDir, expect[0]!)} was written with ${space.free} bytes left on its filesystem and may be cut short`);
  }
  return { stdout, stderr, durationMs, workDir };
}

/** Remove a scratch folder created by runNgspice in this process (anything else is left alone). */
export function removeWorkDir(workDir: string): void {
  const dir = resolve(workDir);
  if (!created.has(dir)) return;
  created.delete(dir);
  rmSync(dir, { recursive: true, force: true });
}

/** Run a deck, read one output file into memory and remove the work dir (also on failure). */
export async function runNgspiceFile(deck: string, file: string, opts: RunOptions = {}): Promise<RunResult & { data: Buffer }> {
  let workDir: string | undefined;
  try {
    const r = await runNgspice(deck, { ...opts, expectFiles: [...(opts.expectFiles ?? []), file] });
    workDir = r.workDir;
    return { ...r, data: readFileSync(join(r.workDir, file)) };
  } catch (e) {
    if (e instanceof SpiceError) workDir = e.workDir;
    throw e;
  } finally {
    if (workDir && !opts.cwd) removeWorkDir(workDir);
  }
}

/** Parse `name = value` lines printed by `meas` / `print` in a control block. */
export function parseMeasures(stdout: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const m of stdout.matchAll(/^\s*([A-Za-z_][\w.#()]*)\s*=\s*([-+]?[\d.]+(?:e[-+]?\d+)?)\b/gim)) {
    out[m[1]!.toLowerCase()] = Number(m[2]);
  }
  return out;
}

let versionPromise: Promise<{ version: number }> | null = null;

/**
 * Check ngspice is on PATH and at least version 39; one-line SpiceError with the install command otherwise (or the
 * true cause when `ngspice -v` hangs or crashes). Cached for the process.
 */
export function checkNgspice(bin = 'ngspice', opts: { timeoutMs?: number } = {}): Promise<{ version: number }> {
  if (bin !== 'ngspice' || opts.timeoutMs !== undefined) return checkNgspiceUncached(bin, opts.timeoutMs ?? 20_000);
  versionPromise ??= checkNgspiceUncached(bin, 20_000);
  versionPromise.catch(() => {
    versionPromise = null;
  });
  return versionPromise;
}

async function checkNgspiceUncached(bin: string, timeoutMs: number): Promise<{ version: number }> {
  const exe = which(bin);
  if (!exe) throw new SpiceError('not-installed', `'${bin}' not found on PATH (or not executable)`);
  const res = await execGuarded(exe, ['-v'], { timeoutMs });
  if (res.spawnError) throw new SpiceError('not-installed', `'${bin}' could not be started (${res.spawnError})`);
  if (res.why === 'timeout') throw new SpiceError('timeout', `'${bin} -v' did not answer within ${timeoutMs / 1000} s`, undefined, res.stdout, res.stderr);
  if (res.signal) throw new SpiceError('crash', `'${bin} -v' was killed by ${res.signal}`, undefined, res.stdout, res.stderr);
  const m = /ngspice-(\d+)/i.exec(`${res.stdout}\n${res.stderr}`);
  if (!m) throw new SpiceError('not-installed', `'${bin} -v' did not report an ngspice version`);
  const version = Number(m[1]);
  if (version < 39) throw new SpiceError('too-old', `found ngspice-${version}`);
  return { version };
}

/** p-queue of ngspice jobs, `concurrency` at once (default: one per core). */
/**
 * Runs decks somewhere other than this process's own ngspice children (a Slurm cluster): implemented by the
 * executors in src/executor. It returns the output file's bytes; callers parse them exactly as for a local run.
 */
export interface RemoteRunner {
  readonly name: string;
  runFile(
    job: { key: string; deck: string; file: string; timeoutMs: number },
    signal?: AbortSignal,
  ): Promise<{ data: Buffer; stdout: string; stderr: string; durationMs: number }>;
  abort(): void;
}

export class SpiceQueue {
  readonly queue: PQueue;
  private ctl = new AbortController();

  /**
   * `defaults` apply to every deck run through `run` / `runFile` (e.g. `workRoot` inside a run directory). With
   * `remote`, `runFile` hands decks to it (all at once: the remote side paces them) instead of local processes.
   */
  constructor(
    readonly concurrency = Math.max(1, availableParallelism()),
    readonly defaults: RunOptions = {},
    readonly remote?: RemoteRunner,
  ) {
    this.queue = new PQueue({ concurrency });
  }

  /** Queue a deck; resolves like runNgspice. */
  run(deck: string, opts: RunOptions = {}): Promise<RunResult> {
    const signal = anySignal(this.ctl.signal, opts.signal); // taken now: abort() also fails jobs still queued
    return this.add(() => runNgspice(deck, { ...this.defaults, ...opts, signal }));
  }

  /** Queue a deck and read one output file (work dir removed afterwards). */
  runFile(deck: string, file: string, opts: RunOptions = {}): Promise<RunResult & { data: Buffer }> {
    const signal = anySignal(this.ctl.signal, opts.signal);
    if (this.remote) {
      const timeoutMs = opts.timeoutMs ?? this.defaults.timeoutMs ?? 600_000;
      const key = createHash('sha256').update(deck).update('\0').update(file).digest('hex');
      return this.remote.runFile({ key, deck, file, timeoutMs }, signal).then((r) => ({ ...r, workDir: '' }));
    }
    return this.add(() => runNgspiceFile(deck, file, { ...this.defaults, ...opts, signal }));
  }

  /** Queue any job that runs ngspice (so it counts against the concurrency); pass `queue.signal` on to it. */
  add<T>(job: () => Promise<T>): Promise<T> {
    return this.queue.add(job, { throwOnTimeout: true }) as Promise<T>;
  }

  /** Resolves when every queued job finished. */
  onIdle(): Promise<void> {
    return this.queue.onIdle();
  }

  /**
   * Kill the running jobs and fail the queued ones (both reject with kind 'aborted'); jobs added afterwards run
   * normally.
   */
  abort(): void {
    const c = this.ctl;
    this.ctl = new AbortController();
    c.abort();
    this.remote?.abort();
  }

  /** Signal aborted by the next `abort()` (for jobs queued with `add`). */
  get signal(): AbortSignal {
    return this.ctl.signal;
  }

  get pending(): number {
    return this.queue.pending + this.queue.size;
  }
}

function anySignal(a: AbortSignal, b?: AbortSignal): AbortSignal {
  return b ? AbortSignal.any([a, b]) : a;
}
