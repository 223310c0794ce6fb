/**
 * One writer per run directory (src/util/lock.ts): exclusive create, who holds it, stale locks (dead pid, reused
 * pid), release on exit and on SIGINT/SIGTERM, and a race of real concurrent processes.
 */
import { describe, expect, it } from 'vitest';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { acquireLock, isStale, lockHolder, LOCK_FILE } from '../../src/util/lock.js';
import { CapminError } from '../../src/util/errors.js';

const root = resolve(__dirname, '..', '..');
const holder = join(__dirname, 'fixtures', 'lock-holder.ts');

function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'capmin-lock-'));
}

function startHolder(dir: string, holdMs: number): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', holder, dir, String(holdMs)], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
}

const printed = new WeakMap<ChildProcess, { out: string }>();

function outcome(ch: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null; out: string; err: string }> {
  const o = { out: '' };
  printed.set(ch, o);
  let err = '';
  ch.stdout!.on('data', (d: Buffer) => (o.out += d.toString()));
  ch.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  return new Promise((res) => ch.on('close', (code, signal) => res({ code, signal, out: o.out, err })));
}

/** The holder printed "locked" (it returned from acquireLock, signal handlers installed). */
const isLocked = (ch: ChildProcess) => (): boolean => /locked/.test(printed.get(ch)?.out ?? '');

async function waitFor(cond: () => boolean, ms = 30_000): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > ms) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** pid of a process that has exited (and been reaped). */
function deadPid(): number {
  const r = spawnSync('true');
  return r.pid!;
}

describe('run directory lock', () => {
  it('is exclusive, says who holds it, and is released', () => {
    const dir = tmp();
    try {
      const lock = acquireLock(dir, { what: 'run directory', command: 'pmap' });
      const info = JSON.parse(readFileSync(join(dir, LOCK_FILE), 'utf8'));
      expect(info).toMatchObject({ pid: process.pid, host: hostname(), command: 'pmap' });
      expect(lockHolder(dir)?.pid).toBe(process.pid);
      let err: unknown;
      try {
        acquireLock(dir, { what: 'run directory' });
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(CapminError);
      expect((err as CapminError).code).toBe('ELOCKED');
      expect((err as Error).message).toBe(
        `run directory ${dir} is in use by pid ${process.pid} since ${info.since} (capmin pmap); wait for it to finish or choose another folder`,
      );
      lock.release();
      lock.release(); // idempotent
      expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
      expect(lockHolder(dir)).toBeNull();
      acquireLock(dir).release();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('takes over a lock whose process is gone or whose pid was reused; keeps one from another host', () => {
    const dir = tmp();
    const path = join(dir, LOCK_FILE);
    try {
      const dead = { pid: deadPid(), host: hostname(), since: '2026-01-01T00:00:00.000Z' };
      expect(isStale(dead)).toBe(true);
      writeFileSync(path, JSON.stringify(dead));
      const l1 = acquireLock(dir);
      expect(JSON.parse(readFileSync(path, 'utf8')).pid).toBe(process.pid);
      l1.release();

      // a live pid that started after the lock was written is not the holder (pid reuse after kill -9)
      const reused = { pid: process.pid, host: hostname(), since: '2026-01-01T00:00:00.000Z', procStart: '1' };
      expect(isStale(reused)).toBe(true);
      writeFileSync(path, JSON.stringify(reused));
      acquireLock(dir).release();

      const remote = { pid: 1, host: 'node-17.cluster', since: '2026-01-01T00:00:00.000Z' };
      writeFileSync(path, JSON.stringify(remote));
      expect(() => acquireLock(dir, { what: 'run directory', where: '--out' })).toThrow(
        `run directory ${dir} is in use by pid 1 on host node-17.cluster since 2026-01-01T00:00:00.000Z; wait for it to finish or choose another --out (if that run is gone, remove ${path})`,
      );

      // a lock being written (empty) is held while fresh, stale when old
      writeFileSync(path, '');
      expect(() => acquireLock(dir)).toThrow(/in use by another capmin process that is starting/);
      const old = new Date(Date.now() - 60_000);
      utimesSync(path, old, old);
      acquireLock(dir).release();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('four processes started at once: exactly one gets the lock, the others name it', async () => {
    const dir = tmp();
    try {
      const runs = await Promise.all(Array.from({ length: 4 }, () => outcome(startHolder(dir, 4000))));
      const winners = runs.filter((r) => r.code === 0);
      expect(winners).toHaveLength(1);
      const pid = Number(/locked (\d+)/.exec(winners[0]!.out)![1]);
      for (const r of runs.filter((x) => x !== winners[0])) {
        expect(r.code).toBe(1);
        expect(r.err.trim().split('\n')).toHaveLength(1);
        expect(r.err).toMatch(new RegExp(`^run directory ${dir} is in use by pid ${pid} since \\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z \\(capmin test\\)`));
      }
      expect(existsSync(join(dir, LOCK_FILE))).toBe(false); // released at exit
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it('is released on SIGTERM and SIGINT (the process still dies of the signal); kill -9 leaves a stale lock that is taken over', async () => {
    const dir = tmp();
    try {
      for (const sig of ['SIGTERM', 'SIGINT'] as const) {
        const ch = startHolder(dir, 120_000);
        const done = outcome(ch);
        await waitFor(isLocked(ch));
        expect(existsSync(join(dir, LOCK_FILE))).toBe(true);
        ch.kill(sig);
        const r = await done;
        expect(r.signal).toBe(sig);
        expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
      }
      const ch = startHolder(dir, 120_000);
      const done = outcome(ch);
      await waitFor(isLocked(ch));
      ch.kill('SIGKILL');
      await done;
      expect(existsSync(join(dir, LOCK_FILE))).toBe(true);
      acquireLock(dir).release();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
