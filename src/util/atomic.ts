import { mkdirSync, renameSync, writeFileSync, openSync, fsyncSync, closeSync, rmSync } from 'node:fs';
import { dirname, basename, join } from 'node:path';
import { hostname } from 'node:os';

let counter = 0;
const host = hostname().replace(/[^A-Za-z0-9_-]/g, '_');

/**
 * Write a file atomically: write a temp file in the same folder, fsync, rename.
 * A killed process leaves either the old file or the new one, never half of one.
 */
export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  const dir = dirname(path);
  mkdirSync(dir, { recursive: true });
  // host + pid: writers on several machines of a shared filesystem never share a temp name
  const tmp = join(dir, `.${basename(path)}.${host}.${process.pid}.${counter++}.tmp`);
  try {
    writeFileSync(tmp, data);
    const fd = openSync(tmp, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  } catch (e) {
    // a full or read-only disk must not keep half-written temp files; the original error is the one to report
    try {
      rmSync(tmp, { force: true });
    } catch {
      /* nothing was created */
    }
    throw e;
  }
}

/** Atomically write pretty JSON with a trailing newline. */
export function writeJsonAtomic(path: string, value: unknown): void {
  writeFileAtomic(path, JSON.stringify(value, null, 2) + '\n');
}
