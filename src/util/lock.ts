/**
 * One writer per folder: an exclusive lock file (`O_CREAT | O_EXCL`) holding who took it (pid, host, start time,
 * command). A lock whose process is gone — same host, and the pid is not running or now belongs to a process that
 * started later — is stale and taken over; any other lock is an error that says who holds it. The lock is released
 * on release(), on process exit and on SIGINT/SIGTERM/SIGHUP (kill -9 leaves a stale lock, which the next run takes
 * over).
 */
import { closeSync, openSync, readFileSync, rmSync, statSync, writeSync, fsyncSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { CapminError } from './errors.js';
import { storageError } from './cas.js';

/** Name of the lock file inside a locked folder. */
export const LOCK_FILE = '.capmin.lock';

/** Contents of a lock file. */
export interface LockInfo {
  pid: number;
  host: string;
  /** ISO time the lock was taken */
  since: string;
  /** Linux: start time of the holder in clock ticks since boot (/proc/<pid>/stat field 22), to detect pid reuse */
  procStart?: string;
  command?: string;
}

export interface Lock {
  readonly path: string;
  readonly info: LockInfo;
  /** Remove the lock file (only if it is still ours); idempotent. */
  release(): void;
}

interface Held {
  lock: Lock;
  /** called once when the process exits or is signalled while the lock is held (before the lock is removed) */
  onExit?: (why: number | NodeJS.Signals) => void;
}

/** A lock file younger than this that cannot be parsed is being written by its holder (not stale). */
const FRESH_MS = 10_000;

function procStart(pid: number): string | undefined {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // the command name (field 2) may hold spaces and parentheses: count fields after the last ')'
    return s.slice(s.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Is the holder of `info` certainly gone? Only decidable on the same host. */
export function isStale(info: LockInfo): boolean {
  if (info.host !== hostname()) return false;
  if (!alive(info.pid)) return true;
  if (info.procStart !== undefined) {
    const now = procStart(info.pid);
    if (now !== undefined && now !== info.procStart) return true; // the pid was reused by a later process
  }
  return false;
}

function readLock(path: string): { info: LockInfo | null; text: string; ageMs: number } | null {
  let text: string;
  let ageMs: number;
  try {
    ageMs = Date.now() - statSync(path).mtimeMs;
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw storageError(e, path, 'read the lock');
  }
  try {
    const j = JSON.parse(text) as LockInfo;
    if (Number.isInteger(j.pid) && typeof j.host === 'string' && typeof j.since === 'string') return { info: j, text, ageMs };
  } catch {
    /* being written, or damaged */
  }
  return { info: null, text, ageMs };
}

function tryCreate(path: string, info: LockInfo, where?: string): boolean {
  let fd: number;
  try {
    fd = openSync(path, 'wx');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw storageError(e, path, 'create the lock file', where);
  }
  try {
    writeSync(fd, JSON.stringify(info) + '\n');
    fsyncSync(fd);
  } catch (e) {
    closeSync(fd);
    rmSync(path, { force: true });
    throw storageError(e, path, 'write the lock file', where);
  }
  closeSync(fd);
  return true;
}

/** Remove a stale lock whose text is still `text`, serialised by a short-lived breaker lock so two takers cannot both win. */
function breakStale(path: string, text: string): void {
  const breaker = `${path}.break`;
  let fd: number;
  try {
    fd = openSync(breaker, 'wx');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw storageError(e, breaker, 'create the lock file');
    // a breaker that died mid-way leaves its file behind: remove it when old, and let the caller try again
    try {
      if (Date.now() - statSync(breaker).mtimeMs > FRESH_MS) rmSync(breaker, { force: true });
    } catch {
      /* gone already */
    }
    return;
  }
  try {
    let now: string | null = null;
    try {
      now = readFileSync(path, 'utf8');
    } catch {
      /* already removed */
    }
    if (now === text) rmSync(path, { force: true });
  } finally {
    closeSync(fd);
    rmSync(breaker, { force: true });
  }
}

function describe(dir: string, info: LockInfo | null, what: string, where = 'folder'): string {
  if (!info) return `${what} ${dir} is in use by another capmin process that is starting; wait for it or choose another ${where}`;
  const host = info.host === hostname() ? '' : ` on host ${info.host}`;
  const tail = info.host === hostname() ? '' : ` (if that run is gone, remove ${join(dir, LOCK_FILE)})`;
  return `${what} ${dir} is in use by pid ${info.pid}${host} since ${info.since}${info.command ? ` (capmin ${info.command})` : ''}; wait for it to finish or choose another ${where}${tail}`;
}

const held = new Map<string, Held>();
const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
let hooked = false;

function releaseAll(why: number | NodeJS.Signals): void {
  for (const h of [...held.values()]) {
    try {
      h.onExit?.(why);
    } catch {
      /* best effort: the lock is released anyway */
    }
    h.lock.release();
  }
}

function onExit(code: number): void {
  releaseAll(code);
}

function onSignal(sig: NodeJS.Signals): void {
  releaseAll(sig);
  // Our listener must not keep the process alive: once removed, re-raise so that the default action (or the next
  // handler, e.g. the one that kills ngspice and re-raises itself) ends the process as the signal asks.
  unhook();
  process.kill(process.pid, sig);
}

function hook(): void {
  if (hooked) return;
  hooked = true;
  process.on('exit', onExit);
  for (const s of SIGNALS) process.on(s, onSignal);
}

function unhook(): void {
  if (!hooked) return;
  hooked = false;
  process.off('exit', onExit);
  for (const s of SIGNALS) process.off(s, onSignal);
}

/**
 * Take the lock of folder `dir` (which must exist) for this process. Throws a one-line CapminError (code 'ELOCKED',
 * exit 1) naming the holder when another live process has it; takes over a stale lock. `what` names the folder in
 * the message (e.g. "run directory").
 */
export function acquireLock(
  dir: string,
  opts: { what?: string; command?: string; where?: string; onExit?: (why: number | NodeJS.Signals) => void } = {},
): Lock {
  const path = join(dir, LOCK_FILE);
  const what = opts.what ?? 'folder';
  const info: LockInfo = {
    pid: process.pid,
    host: hostname(),
    since: new Date().toISOString(),
    procStart: procStart(process.pid),
    ...(opts.command ? { command: opts.command } : {}),
  };
  const mine = held.get(path);
  if (mine) throw new CapminError(describe(dir, mine.lock.info, what, opts.where), 'ELOCKED', 1);
  // handlers first: a signal that arrives while the file is being created is handled once acquireLock returns
  hook();
  try {
    return take(dir, path, info, what, opts);
  } catch (e) {
    if (held.size === 0) unhook();
    throw e;
  }
}

function take(dir: string, path: string, info: LockInfo, what: string, opts: { where?: string; onExit?: (why: number | NodeJS.Signals) => void }): Lock {
  for (let tries = 0; tries < 20; tries++) {
    if (tryCreate(path, info, opts.where)) {
      let released = false;
      const lock: Lock = {
        path,
        info,
        release() {
          if (released) return;
          released = true;
          held.delete(path);
          try {
            const cur = readLock(path);
            if (cur?.info && cur.info.pid === info.pid && cur.info.since === info.since && cur.info.host === info.host) rmSync(path, { force: true });
          } catch {
            /* a read-only or vanished folder: nothing to release */
          }
          if (held.size === 0) unhook();
        },
      };
      held.set(path, { lock, onExit: opts.onExit });
      return lock;
    }
    const cur = readLock(path);
    if (cur === null) continue; // released in between: try again
    const stale = cur.info ? isStale(cur.info) : cur.ageMs > FRESH_MS;
    if (!stale) throw new CapminError(describe(dir, cur.info, what, opts.where), 'ELOCKED', 1);
    breakStale(path, cur.text);
  }
  throw new CapminError(`${what} ${dir}: could not take ${path} (other processes keep taking it); try again`, 'ELOCKED', 1);
}

/** Who holds the lock of `dir` (null: nobody, or a stale lock). */
export function lockHolder(dir: string): LockInfo | null {
  const cur = readLock(join(dir, LOCK_FILE));
  if (!cur?.info) return null;
  return isStale(cur.info) ? null : cur.info;
}
