/**
 * The edges of `capmin run`: the inputs' identities (hashes, versions), the run folder's manifest, the frozen copy of
 * the checkpoint, the report's standing notes, and the outputs (results.json, report.html, the final manifest).
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { readSafetensors } from '../bnn/safetensors.js';
import { QS_MISMATCH_BOUND, QS_MISMATCH_MIN_COUNT } from '../montecarlo/crosscheck.js';
import { readManifest } from '../montecarlo/rundir.js';
import { writeReport } from '../report/report.js';
import type { KResult, RunResults } from '../report/results.js';
import { checkNgspice } from '../spice/runner.js';
import { writeFileAtomic, writeJsonAtomic } from '../util/atomic.js';
import { writeJsonChecked } from '../util/cas.js';
import { CapminError } from '../util/errors.js';
import { packageVersion } from '../util/paths.js';
import { encodeJson, type CacheStats } from './cache.js';

function fileSha(path: string): string | null {
  if (!existsSync(path)) return null;
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

function datasetSha(dir: string): string | null {
  if (!existsSync(dir)) return null;
  const h = createHash('sha256');
  for (const f of readdirSync(dir).sort()) {
    const p = join(dir, f);
    if (statSync(p).isFile()) h.update(f).update(readFileSync(p));
  }
  return h.digest('hex');
}

/** What identifies a run's inputs: hashes of checkpoint, dataset and model card, the ngspice version. */
export interface RunInputs {
  modelSha: string | null;
  modelMeta: Record<string, string>;
  dataDir: string;
  dataSha: string | null;
  modelCardSha: string | null;
  /** `ngspice-<version>`, null when ngspice is unavailable */
  ngspice: string | null;
  /** what is missing and what that skips (for the report) */
  missing: string[];
}

/** Hash the inputs and probe ngspice; a missing input is recorded in `missing`, an unreadable checkpoint is an error. No cache. */
export async function identifyInputs(model: string, dataDir: string | undefined, modelCard: string): Promise<RunInputs> {
  const missing: string[] = [];
  const modelSha = fileSha(model);
  const dir = dataDir ?? (process.env.CAPMIN_FASHION_DIR ?? '/usr/share/datasets/fashion-mnist');
  const dataSha = datasetSha(dir);
  let ngspice: string | null = null;
  try {
    ngspice = `ngspice-${(await checkNgspice()).version}`;
  } catch (e) {
    missing.push(`ngspice: ${(e as Error).message} — every SPICE stage (sizing, Monte-Carlo, Fig. 3, analytic table) is skipped`);
  }
  const modelCardSha = fileSha(modelCard);
  let modelMeta: Record<string, string> = {};
  if (modelSha) {
    try {
      modelMeta = readSafetensors(model).metadata;
    } catch (e) {
      throw new CapminError(`--model: ${model} is not a readable safetensors checkpoint (${(e as Error).message.slice(0, 120)})`);
    }
  }
  return { modelSha, modelMeta, dataDir: dir, dataSha, modelCardSha, ngspice, missing };
}

/** The manifest fields fixed at the start of a run. */
export type ManifestBase = Record<string, unknown> & { started: string };

/** The manifest's fixed part of a `capmin run` (inputs, versions, seeds, start time). */
export function manifestBase(config: unknown, seed: number, inputs: RunInputs): ManifestBase {
  return {
    tool: 'capmin',
    command: 'run',
    version: packageVersion(),
    node: process.version,
    ngspice: inputs.ngspice,
    config: encodeJson(config),
    inputs: { modelSha256: inputs.modelSha, modelMetadata: inputs.modelMeta, datasetSha256: inputs.dataSha, dataDir: inputs.dataDir, modelCardSha256: inputs.modelCardSha },
    seeds: { inference: seed, monteCarlo: seed },
    started: new Date().toISOString(),
  };
}

/**
 * Mark the run folder's manifest 'running', keeping the invocation history of earlier runs into it (a damaged
 * manifest is a one-line error naming it). Returns the earlier invocations.
 */
export function startManifest(dir: string, base: ManifestBase): unknown[] {
  let previousInvocations: unknown[] = [];
  if (existsSync(join(dir, 'manifest.json'))) {
    const prev = readManifest<{ invocations?: unknown[]; started?: string; wallSeconds?: number; timings?: unknown; status?: string }>(
      join(dir, 'manifest.json'),
      (j) => j.tool === 'capmin' && (j.invocations === undefined || Array.isArray(j.invocations)),
    );
    previousInvocations = prev.invocations ?? (prev.wallSeconds !== undefined ? [{ started: prev.started, wallSeconds: prev.wallSeconds, timings: prev.timings }] : prev.started ? [{ started: prev.started, status: prev.status ?? 'interrupted' }] : []);
  }
  writeJsonChecked(join(dir, 'manifest.json'), { ...base, status: 'running', invocations: previousInvocations }, '--out');
  return previousInvocations;
}

/**
 * A copy of the checkpoint taken now, under <dir>/inputs/, so a checkpoint rewritten during the run (e.g. by a running
 * `capmin train`) cannot mix two networks under one hash. Returns its path (the original when it does not exist).
 */
export function freezeModel(dir: string, model: string, modelSha: string | null): string {
  if (!modelSha) return model;
  const modelPath = join(dir, 'inputs', `model-${modelSha.slice(0, 16)}.safetensors`);
  if (!existsSync(modelPath)) {
    const bytes = readFileSync(model);
    if (createHash('sha256').update(bytes).digest('hex') !== modelSha) throw new CapminError(`--model: ${model} changed while the run started; start it again`);
    writeFileAtomic(modelPath, bytes);
  }
  return modelPath;
}

/** The report's standing notes on the engines and the CapMin / CapMin-V conventions of a run. Pure. */
export function runNotes(o: { mcEngine: string; crosscheckSamples: number; mapping: string; alg1Runs: number; mergeToward: string; pad: string }, perK: KResult[]): string[] {
  const notes: string[] = [];
  if (o.mcEngine === 'quasistatic') {
    notes.push('Monte-Carlo P_maps use the quasi-static engine (one DC sweep per die, t = (C_mem + C_par)·∫dV/I); `capmin crosscheck` compares it with the transient reference on the same samples.');
    const spots = perK.filter((r) => r.crosscheck);
    if (spots.length) {
      const n = spots.reduce((s, r) => s + r.crosscheck!.samples, 0);
      const mis = spots.reduce((s, r) => s + r.crosscheck!.mismatches, 0);
      const rejected = spots.filter((r) => !r.crosscheck!.allowed).map((r) => r.k);
      notes.push(
        `Fast-path check: for every k the first ${o.crosscheckSamples} samples per kept level were also simulated with the transient engine; registered cycles differed in ${mis} of ${n} level-samples (${((100 * mis) / Math.max(1, n)).toFixed(2)} %), max |Δt| ${(1e12 * Math.max(...spots.map((r) => r.crosscheck!.maxAbsDt))).toFixed(1)} ps. ` +
          `Bound: ${100 * QS_MISMATCH_BOUND} % with at least ${QS_MISMATCH_MIN_COUNT} mismatches per k; ${rejected.length ? `k = ${rejected.join(', ')} exceeded it and use transient P_maps.` : 'no k exceeded it, so every P_map is quasi-static.'}`,
      );
    }
  }
  notes.push(`Level → current mapping: ${o.mapping} (src/sizing). CapMin-V accuracies use P_maps re-bucketed from the raw Monte-Carlo samples with decision boundaries midway between the surviving spike times; the Alg. 1 (column-merge) P_map is evaluated alongside with ${o.alg1Runs} run(s).`);
  notes.push(
    o.mergeToward === 'lower'
      ? 'CapMin-V merges a removed spike time into the neighbour with the lower diagonal entry, as Alg. 1 lines 6–11 and the paper\'s prose say; merging toward the higher diagonal is evaluated alongside.'
      : 'CapMin-V merges a removed spike time into the neighbour with the higher diagonal entry (a departure from Alg. 1 lines 6–11, which merge into the lower one; that direction is evaluated alongside).',
  );
  notes.push(
    o.pad === 'paper'
      ? 'Padded P_maps (Alg. 1 line 15): rows of clipped levels are one-hot on the bound, as line 15 prints it; the bound\'s error row instead is evaluated once for k₀ and the selected φ (Padding of clipped rows).'
      : 'Padded P_maps (Alg. 1 line 15): rows of clipped levels are the bound\'s error row (a departure from line 15, which makes them one-hot on the bound; that padding is evaluated once for k₀ and the selected φ).',
  );
  return notes;
}

/**
 * Write results.json and report.html (src/report), then the final manifest with this invocation's timings and cache
 * statistics appended to the history. Atomic writes; `onReport` runs between the report and the manifest (progress).
 */
export function writeRunOutputs(
  dir: string,
  results: RunResults,
  m: { base: ManifestBase; previousInvocations: unknown[]; cache: CacheStats; t0: number },
  onReport?: (path: string) => void,
): { report: string; wallSeconds: number } {
  writeJsonAtomic(join(dir, 'results.json'), encodeJson(results));
  const rep = writeReport(results, dir);
  onReport?.(rep.path);
  const wallSeconds = (performance.now() - m.t0) / 1000;
  const timings = results.timings;
  writeJsonChecked(join(dir, 'manifest.json'), {
    ...m.base,
    status: results.missing.length ? 'complete-with-missing' : 'complete',
    finished: new Date().toISOString(),
    wallSeconds,
    timings,
    cache: m.cache,
    missing: results.missing,
    // every invocation of this run folder (first run, resumes, cached re-runs) with its own timings
    invocations: [...m.previousInvocations, { started: m.base.started, finished: new Date().toISOString(), wallSeconds, timings, cacheHits: m.cache.hits, cacheMisses: m.cache.misses, cacheCorrupt: m.cache.corrupt }],
  }, '--out');
  return { report: rep.path, wallSeconds };
}
