/**
 * ngspice process runner: writes a deck into a temp dir, runs `ngspice -b -n deck.cir` (batch, no user .spiceinit)
 * with execa in its own process group, kills the whole group on timeout / abort / SIGINT / SIGTERM / exit, and turns
 * failures into a typed SpiceError. `SpiceQueue` dispatches one job per core (decks set `num_threads=1`).
 */
import { mkdtempSync, rmSync, writeFileSync, existsSync, statSync, readFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { execa } from 'execa';
import PQueue from 'p-queue';
import { CapminError } from '../util/errors.js';

export type SpiceErrorKind =
  | 'not-installed'
  | 'too-old'
  | 'syntax'
  | 'convergence'
  | 'timeout'
  | 'crash'
  | 'no-output'
  | 'truncated'
  | 'aborted';

const HINT: Record<SpiceErrorKind, string> = {
  'not-installed': 'install it with: apt-get install -y ngspice',
  'too-old': 'capmin needs ngspice >= 39; install it with: apt-get install -y ngspice',
  syntax: 'the deck was rejected by the ngspice parser',
  convergence: 'the simulation did not converge (try a smaller tStep or check the model card)',
  timeout: 'ngspice was killed at the wall-clock timeout',
  crash: 'ngspice exited abnormally',
  'no-output': 'ngspice finished without writing the expected output',
  truncated: 'the raw file is incomplete (ngspice was killed or the disk is full)',
  aborted: 'the run was cancelled',
};

/** A failed ngspice run, classified. `detail` is the most telling line of ngspice's output. */
export class SpiceError extends CapminError {
  constructor(
    readonly kind: SpiceErrorKind,
    readonly detail: string,
    readonly workDir?: string,
    readonly stdout = '',
    readonly stderr = '',
  ) {
    super(`ngspice ${kind}: ${detail ? detail.slice(0, 300) + '; ' : ''}${HINT[kind]}`, `ESPICE_${kind.toUpperCase().replace('-', '_')}`, kind === 'not-installed' || kind === 'too-old' ? 3 : 1);
    this.name = 'SpiceError';
  }
}

export interface RunOptions {
  /** wall-clock limit; the whole process group is SIGKILLed at this time (default 10 min) */
  timeoutMs?: number;
  /** run in this directory (deck written as deck.cir there, directory kept) instead of a fresh temp dir */
  cwd?: string;
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

/** Kill every running ngspice process group started by this process. */
export function killAllNgspice(): void {
  for (const pid of live) killGroup(pid);
  live.clear();
}

function installHandlers(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  process.on('exit', killAllNgspice);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    const h = (): void => {
      killAllNgspice();
      // restore the default behaviour when nobody else handles the signal
      if (process.listenerCount(sig) === 1) {
        process.removeListener(sig, h);
        process.kill(process.pid, sig);
      }
    };
    process.on(sig, h);
  }
}

const SYNTAX = [
  /error on line/i,
  /unknown (subckt|device|model|parameter|command)/i,
  /could not find a valid modelname/i,
  /syntax error/i,
  /undefined (node|model|parameter|variable)/i,
  /can't find (the )?(model|init file)/i,
  /fatal error/i,
  /there aren't any circuits loaded/i,
  /circuit not parsed/i,
  /vector \S+ is not available/i,
  /^error:/i,
];
const CONVERGENCE = [/timestep too small/i, /dc solution failed/i, /transient op failed/i, /iteration limit reached/i, /no convergence/i, /simulation\(s\) aborted/i];

function firstMatch(text: string, res: RegExp[]): string | null {
  const lines = text.split('\n');
  for (const re of res) {
    const l = lines.find((x) => re.test(x.trim()));
    if (l) return l.trim();
  }
  return null;
}

/**
 * Classify the output of a failed ngspice run (non-zero exit or missing output): convergence (timestep too small,
 * DC solution failed, ...; a "singular matrix" note is appended), deck syntax, or null when nothing is recognised.
 * Warnings in a run that succeeded are not looked at (gmin stepping may fail and source stepping succeed).
 */
export function classifyOutput(stdout: string, stderr: string): { kind: SpiceErrorKind; detail: string } | null {
  const all = `${stderr}\n${stdout}`;
  const conv = firstMatch(all, CONVERGENCE);
  if (conv) {
    const sing = firstMatch(all, [/singular matrix.*/i]);
    return { kind: 'convergence', detail: sing ? `${conv} (${sing.replace(/^warning:\s*/i, '')})` : conv };
  }
  const syn = firstMatch(all, SYNTAX);
  if (syn) return { kind: 'syntax', detail: syn };
  return null;
}

/**
 * Run one deck with `ngspice -b -n`. Resolves when ngspice finished cleanly and wrote `expectFiles`; rejects with a
 * SpiceError otherwise. The work dir is kept for the caller to read outputs (remove it with `removeWorkDir`).
 */
export async function runNgspice(deck: string, opts: RunOptions = {}): Promise<RunResult> {
  const timeoutMs = opts.timeoutMs ?? 600_000;
  const workDir = opts.cwd ? resolve(opts.cwd) : mkdtempSync(join(tmpdir(), 'capmin-spice-'));
  writeFileSync(join(workDir, 'deck.cir'), deck);
  if (opts.signal?.aborted) throw new SpiceError('aborted', 'aborted before start', workDir);
  installHandlers();
  const t0 = performance.now();
  const child = execa(opts.bin ?? 'ngspice', ['-b', '-n', 'deck.cir'], {
    cwd: workDir,
    detached: true, // own process group → we can kill ngspice and anything it spawned
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
  let why: 'timeout' | 'aborted' | null = null;
  const stop = (reason: 'timeout' | 'aborted'): void => {
    if (why) return;
    why = reason;
    if (pid !== undefined) killGroup(pid);
  };
  const timer = setTimeout(() => stop('timeout'), timeoutMs);
  const onAbort = (): void => stop('aborted');
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  let res;
  try {
    res = await child;
  } finally {
    clearTimeout(timer);
    opts.signal?.removeEventListener('abort', onAbort);
    if (pid !== undefined) {
      killGroup(pid); // reap anything left in the group
      live.delete(pid);
    }
  }
  const durationMs = performance.now() - t0;
  const stdout = String(res.stdout ?? '');
  const stderr = String(res.stderr ?? '');
  if (why === 'timeout') throw new SpiceError('timeout', `no result after ${(timeoutMs / 1000).toFixed(1)} s`, workDir, stdout, stderr);
  if (why === 'aborted') throw new SpiceError('aborted', 'cancelled', workDir, stdout, stderr);
  const errno = (res as { code?: string }).code;
  if (res.failed && (errno === 'ENOENT' || /ENOENT/.test(String((res as { message?: string }).message ?? '')))) {
    throw new SpiceError('not-installed', `'${opts.bin ?? 'ngspice'}' not found on PATH`, workDir);
  }
  const missing = (opts.expectFiles ?? []).find((f) => {
    const path = join(workDir, f);
    return !existsSync(path) || statSync(path).size === 0;
  });
  // ngspice -b exits 1 for benign reasons too (a .control block without `quit`), so an exit code alone is not a
  // failure when every expected output exists; a signal always is.
  const exitBad = res.exitCode !== 0 && res.exitCode !== undefined;
  const failed = Boolean(res.signal) || missing !== undefined || (exitBad && (opts.expectFiles ?? []).length === 0);
  if (failed) {
    const cls = classifyOutput(stdout, stderr);
    if (cls) throw new SpiceError(cls.kind, cls.detail, workDir, stdout, stderr);
    if (res.signal) throw new SpiceError('crash', `killed by ${res.signal}`, workDir, stdout, stderr);
    if (missing !== undefined) throw new SpiceError('no-output', `${missing} was not written${exitBad ? ` (exit ${res.exitCode})` : ''}`, workDir, stdout, stderr);
    const last = (stderr.trim().split('\n').pop() ?? '').trim();
    throw new SpiceError('crash', `exit ${res.exitCode}${last ? ': ' + last : ''}`, workDir, stdout, stderr);
  }
  return { stdout, stderr, durationMs, workDir };
}

/** Remove a work dir created by runNgspice (only directories it created under the temp dir). */
export function removeWorkDir(workDir: string): void {
  if (!workDir.startsWith(join(tmpdir(), 'capmin-spice-'))) return;
  rmSync(workDir, { recursive: true, force: true });
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
 * Check ngspice is on PATH and at least version 39; one-line SpiceError with the install command otherwise.
 * Cached for the process.
 */
export function checkNgspice(bin = 'ngspice'): Promise<{ version: number }> {
  if (bin !== 'ngspice') return checkNgspiceUncached(bin);
  versionPromise ??= checkNgspiceUncached(bin);
  versionPromise.catch(() => {
    versionPromise = null;
  });
  return versionPromise;
}

async function checkNgspiceUncached(bin: string): Promise<{ version: number }> {
  const res = await execa(bin, ['-v'], { reject: false, stdin: 'ignore', timeout: 20_000, env: { LC_ALL: 'C' } });
  const errno = (res as { code?: string }).code;
  if (res.failed && (errno === 'ENOENT' || /ENOENT/.test(String(res.message ?? '')))) {
    throw new SpiceError('not-installed', `'${bin}' not found on PATH`);
  }
  const m = /ngspice-(\d+)/i.exec(`${res.stdout}\n${res.stderr}`);
  if (!m) throw new SpiceError('not-installed', `'${bin} -v' did not report an ngspice version`);
  const version = Number(m[1]);
  if (version < 39) throw new SpiceError('too-old', `found ngspice-${version}`);
  return { version };
}

/** p-queue of ngspice jobs, `concurrency` at once (default: one per core). */
export class SpiceQueue {
  readonly queue: PQueue;
  private ctl = new AbortController();

  constructor(readonly concurrency = Math.max(1, availableParallelism())) {
    this.queue = new PQueue({ concurrency });
  }

  /** Queue a deck; resolves like runNgspice. */
  run(deck: string, opts: RunOptions = {}): Promise<RunResult> {
    const signal = anySignal(this.ctl.signal, opts.signal); // taken now: abort() also fails jobs still queued
    return this.add(() => runNgspice(deck, { ...opts, signal }));
  }

  /** Queue a deck and read one output file (work dir removed afterwards). */
  runFile(deck: string, file: string, opts: RunOptions = {}): Promise<RunResult & { data: Buffer }> {
    const signal = anySignal(this.ctl.signal, opts.signal);
    return this.add(() => runNgspiceFile(deck, file, { ...opts, signal }));
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
