/**
 * Run directories `runs/<id>/`: `manifest.json` (all inputs, their hash, seed, ngspice version, model card hash,
 * timings, batch and failure counts) plus the batch cache (store.ts). A directory holding a manifest is only reused with
 * `--resume` and identical inputs, so a resumed run continues exactly the run that was interrupted.
 */
import { existsSync, readFileSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { CapminError } from '../util/errors.js';
import { sha256, stableStringify } from '../util/hash.js';
import { writeJsonAtomic } from '../util/atomic.js';
import { checkNgspice } from '../spice/runner.js';
import type { McStats, McFailure } from './engine.js';
import { BatchStore } from './store.js';

export interface Manifest {
  tool: 'capmin';
  command: string;
  status: 'running' | 'complete' | 'complete-with-failures';
  inputs: Record<string, unknown>;
  inputsHash: string;
  seed: number | null;
  ngspice: string;
  node: string;
  modelCardSha256: string | null;
  created: string;
  updated: string;
  /** one entry per invocation (first run and each resume) */
  invocations: Array<{ started: string; finished?: string; stats?: McStats }>;
  failures: McFailure[];
  notes: string[];
  [key: string]: unknown;
}

export interface RunDir {
  dir: string;
  store: BatchStore;
  manifest: Manifest;
  resumed: boolean;
  /** write the manifest atomically (updates `updated`) */
  save(): void;
}

/** Hash of the inputs that determine a run's results (excludes workers, progress, paths of outputs). */
export function inputsHash(inputs: Record<string, unknown>): string {
  return sha256(stableStringify(inputs));
}

/**
 * Open (or create) a run directory. Without `resume`, an existing manifest is an error; with `resume`, the inputs must
 * hash to the stored `inputsHash` (else a one-line error naming the differing inputs).
 */
export async function openRunDir(dir: string, command: string, inputs: Record<string, unknown>, opts: { resume?: boolean; modelCard?: string; seed?: number } = {}): Promise<RunDir> {
  const abs = resolve(dir);
  const mpath = join(abs, 'manifest.json');
  const hash = inputsHash(inputs);
  const now = new Date().toISOString();
  let manifest: Manifest;
  let resumed = false;
  if (existsSync(mpath)) {
    if (!opts.resume) throw new CapminError(`--out: ${dir} already holds a run (manifest.json); pass --resume to continue it or choose another --out`);
    const old = JSON.parse(readFileSync(mpath, 'utf8')) as Manifest;
    if (old.inputsHash !== hash) {
      const diff = Object.keys({ ...old.inputs, ...inputs }).filter((k) => stableStringify(old.inputs[k]) !== stableStringify(inputs[k]));
      throw new CapminError(`--resume: the inputs differ from the run in ${dir} (${diff.join(', ') || 'format'}); resume with the same options or use another --out`);
    }
    manifest = old;
    manifest.status = 'running';
    manifest.invocations.push({ started: now });
    resumed = true;
  } else {
    mkdirSync(abs, { recursive: true });
    const ng = await checkNgspice();
    manifest = {
      tool: 'capmin',
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
      invocations: [{ started: now }],
      failures: [],
      notes: [],
    };
  }
  const rd: RunDir = {
    dir: abs,
    store: new BatchStore(abs),
    manifest,
    resumed,
    save() {
      manifest.updated = new Date().toISOString();
      writeJsonAtomic(mpath, manifest);
    },
  };
  rd.save();
  return rd;
}
