/**
 * Run directories `runs/<id>/`: `manifest.json` (all inputs, their hash, seed, ngspice version, model card hash,
 * timings, batch and failure counts, and for every batch that failed at least once how often it was tried and why
 * each try failed) plus the batch cache (store.ts). A directory holding a manifest is only reused with `--resume` and
 * identical inputs, so a resumed run continues exactly the run that was interrupted. One process at a time writes a
 * run directory: it holds the directory's lock file (src/util/lock.ts) from opening to exit.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { CapminError } from '../util/errors.js';
import { sha256, stableStringify } from '../util/hash.js';
import { mkdirChecked, writeJsonChecked } from '../util/cas.js';
import { acquireLock, type Lock } from '../util/lock.js';
import { readUserText } from '../util/readfile.js';
import { checkNgspice } from '../spice/runner.js';
import { packageVersion } from '../util/paths.js';
import type { McStats, McFailure } from './engine.js';
import { BatchStore, type BatchHistory } from './store.js';

export interface Manifest {
  tool: 'capmin';
  command: string;
  status: 'running' | 'complete' | 'complete-with-failures' | 'failed' | 'interrupted';
  inputs: Record<string, unknown>;
  inputsHash: string;
  seed: number | null;
  ngspice: string;
  node: string;
  modelCardSha256: string | null;
  created: string;
  updated: string;
  /** one entry per invocation (first run and each resume) */
  invocations: Array<{ started: string; finished?: string; pid?: number; capmin?: string; stats?: McStats; exit?: number | string; batchStore?: BatchStore['stats'] }>;
  failures: McFailure[];
  /** every batch that failed at least once: tries and the kind/detail of each failed try (kept across resumes) */
  batchHistory?: Record<string, BatchHistory>;
  notes: string[];
  [key: string]: unknown;
}

export interface RunDir {
  dir: string;
  store: BatchStore;
  manifest: Manifest;
  resumed: boolean;
  /** write the manifest atomically (updates `updated`, merges the store's batch history) */
  save(): void;
  /** release the run directory's lock (also done at process exit and on SIGINT/SIGTERM) */
  close(): void;
}

/** Hash of the inputs that determine a run's results (excludes workers, progress, paths of outputs). */
export function inputsHash(inputs: Record<string, unknown>): string {
  return sha256(stableStringify(inputs));
}

/**
 * Read a run manifest; a damaged one (truncated, edited, not capmin's) is a one-line CapminError naming the path and
 * what to do. `shape` checks the fields a caller relies on (default: those of a Monte-Carlo run directory).
 */
export function readManifest<T = Manifest>(path: string, shape: (j: Record<string, unknown>) => boolean = isMcManifest): T {
  const text = readUserText(path, { field: 'manifest', kind: 'table' });
  const fix = `move it away and run the same command again without --resume to start a new manifest (finished results in the folder are verified and reused), or choose another --out`;
  let j: unknown;
  try {
    j = JSON.parse(text);
  } catch {
    throw new CapminError(`${path}: not valid JSON (truncated or edited); ${fix}`, 'EMANIFEST', 2);
  }
  if (!j || typeof j !== 'object' || Array.isArray(j) || !shape(j as Record<string, unknown>)) {
    throw new CapminError(`${path}: not a capmin run manifest (fields missing or of the wrong type); ${fix}`, 'EMANIFEST', 2);
  }
  return j as T;
}

function isMcManifest(j: Record<string, unknown>): boolean {
  return (
    j.tool === 'capmin' &&
    typeof j.inputsHash === 'string' &&
    typeof j.command === 'string' &&
    Array.isArray(j.invocations) &&
    !!j.inputs &&
    typeof j.inputs === 'object'
  );
}

/**
 * Open (or create) a run directory and take its lock (a second process gets a one-line error naming the holder).
 * Without `resume`, an existing manifest is an error; with `resume`, the inputs must hash to the stored `inputsHash`
 * (else a one-line error naming the differing inputs). A read-only, unwritable or full `--out` is a one-line error
 * naming the path.
 */
export async function openRunDir(
  dir: string,
  command: string,
  inputs: Record<string, unknown>,
  opts: { resume?: boolean; modelCard?: string; seed?: number } = {},
): Promise<RunDir> {
  const abs = resolve(dir);
  const mpath = join(abs, 'manifest.json');
  const hash = inputsHash(inputs);
  mkdirChecked(abs, '--out');
  let rd: RunDir | null = null;
  const lock: Lock = acquireLock(abs, {
    what: 'run directory',
    command,
    where: '--out',
    // the process ends while the run is still marked running (an error, Ctrl-C, SIGTERM): say so in the manifest,
    // with every failed try recorded so far
    onExit: (why) => {
      if (rd?.manifest.status !== 'running') return;
      rd.manifest.status = why === 0 ? 'interrupted' : typeof why === 'number' ? 'failed' : 'interrupted';
      const inv = rd.manifest.invocations[rd.manifest.invocations.length - 1];
      if (inv) {
        inv.finished = new Date().toISOString();
        inv.exit = why;
      }
      rd.save();
    },
  });
  try {
    const now = new Date().toISOString();
    let manifest: Manifest;
    let resumed = false;
    if (existsSync(mpath)) {
      if (!opts.resume) throw new CapminError(`--out: ${dir} already holds a run (manifest.json); pass --resume to continue it or choose another --out`);
      const old = readManifest(mpath);
      if (old.inputsHash !== hash) {
        const diff = Object.keys({ ...old.inputs, ...inputs }).filter((k) => stableStringify(old.inputs[k]) !== stableStringify(inputs[k]));
        throw new CapminError(
          `--resume: the inputs differ from the run in ${dir} (${diff.join(', ') || 'format'}); resume with the same options or use another --out`,
        );
      }
      manifest = old;
      manifest.status = 'running';
      manifest.invocations.push({ started: now, pid: process.pid, capmin: packageVersion() });
      if (!Array.isArray(manifest.failures)) manifest.failures = [];
      if (!Array.isArray(manifest.notes)) manifest.notes = [];
      resumed = true;
    } else {
      const ng = await checkNgspice();
      manifest = {
        tool: 'capmin',
        version: packageVersion(),
        command,
        status: 'running',
        inputs,
        inputsHash: hash,
        seed: opts.seed ?? null,
        ngspice: `ngspice-${ng.version}`,
        node: process.version,
        modelCardSha256: opts.modelCard && existsSync(opts.modelCard) ? sha256(readFileSync(opts.modelCard)) : null,
        created: now,
        updated: now,
        invocations: [{ started: now, pid: process.pid, capmin: packageVersion() }],
        failures: [],
        notes: [],
      };
    }
    const store = new BatchStore(abs, { where: '--out' });
    rd = {
      dir: abs,
      store,
      manifest,
      resumed,
      save() {
        manifest.updated = new Date().toISOString();
        const h = store.history();
        if (Object.keys(h).length) manifest.batchHistory = { ...(manifest.batchHistory ?? {}), ...h };
        const inv = manifest.invocations[manifest.invocations.length - 1];
        if (inv) inv.batchStore = { ...store.stats };
        writeJsonChecked(mpath, manifest, '--out');
      },
      close() {
        lock.release();
      },
    };
    rd.save();
    return rd;
  } catch (e) {
    rd = null;
    lock.release();
    throw e;
  }
}
