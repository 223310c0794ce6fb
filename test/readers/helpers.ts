/**
 * Shared checks for the reader tests: a reader either returns or throws a one-line CapminError; anything else
 * (another exception type, a multi-line message) is a failure.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { expect } from 'vitest';
import { CapminError } from '../../src/util/errors.js';

export const root = resolve(dirname(new URL(import.meta.url).pathname), '..', '..');

/** The error `fn` throws, asserted to be a one-line CapminError matching every pattern. */
export function oneLineError(fn: () => unknown, ...patterns: RegExp[]): CapminError {
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  expect(err, 'expected an error').toBeInstanceOf(CapminError);
  const e = err as CapminError;
  expect(e.message).not.toMatch(/\n/);
  for (const p of patterns) expect(e.message).toMatch(p);
  return e;
}

/** Longest a single reader call on a small fuzz input may take (a super-linear blow-up fails the property). */
const CALL_BUDGET_MS = 2000;

/**
 * Run `fn`; a thrown error must be a one-line CapminError, and the call must finish within the per-call budget
 * (fuzz oracle). Returns the result or undefined.
 */
export function resultOrOneLineError<T>(fn: () => T): T | undefined {
  const t0 = performance.now();
  const timed = (): void => {
    const ms = performance.now() - t0;
    if (ms > CALL_BUDGET_MS) throw new Error(`reader call took ${ms.toFixed(0)} ms (budget ${CALL_BUDGET_MS} ms)`);
  };
  try {
    const r = fn();
    timed();
    return r;
  } catch (e) {
    timed();
    if (!(e instanceof CapminError)) throw new Error(`not a CapminError: ${e instanceof Error ? e.stack : String(e)}`);
    if (/\n/.test(e.message)) throw new Error(`multi-line message: ${e.message}`);
    return undefined;
  }
}

/** Property-run settings: fixed seed (reproducible) and a time budget per property (runs stop early on a loaded machine). */
export const FUZZ = { seed: 20261201, interruptAfterTimeLimit: 4000 } as const;

/** A temporary folder removed by the returned function. */
export function tempDir(prefix: string): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Make a FIFO (no writer: a read that waits for one would hang). */
export function mkfifo(path: string): void {
  execFileSync('mkfifo', [path]);
}

/** Run the capmin CLI from the source tree in a child process, time-boxed. */
export function runCapmin(args: string[], opts: { timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): { code: number | null; stdout: string; stderr: string; ms: number } {
  const t0 = Date.now();
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'src', 'cli.ts'), ...args], {
    cwd: root,
    encoding: 'utf8',
    timeout: opts.timeoutMs ?? 30_000,
    env: { ...process.env, CAPMIN_QUIET: '1', ...opts.env },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, ms: Date.now() - t0 };
}
