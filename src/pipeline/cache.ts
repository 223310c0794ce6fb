/**
 * Stage cache of `capmin run`: every stage result is stored as `cache/<stage>-<sha256 of its inputs>.json`, written
 * atomically, so a re-run (or a run resumed after a kill) reuses every finished stage and recomputes only the rest.
 * Inputs are hashed with stableStringify (key order does not matter); a CACHE_VERSION bump invalidates everything.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeJsonAtomic } from '../util/atomic.js';
import { sha256, stableStringify } from '../util/hash.js';

/** Bump when the meaning of a cached stage result changes. */
export const CACHE_VERSION = 1;

/** JSON cannot hold Infinity/NaN: encode them as strings and back. */
export function encodeJson(v: unknown): unknown {
  if (typeof v === 'number') return Number.isFinite(v) ? v : v > 0 ? 'Infinity' : v < 0 ? '-Infinity' : 'NaN';
  if (ArrayBuffer.isView(v) && !(v instanceof DataView)) return Array.from(v as unknown as ArrayLike<number>).map(encodeJson);
  if (Array.isArray(v)) return v.map(encodeJson);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, encodeJson(x)]));
  return v;
}

export function decodeJson(v: unknown): unknown {
  if (v === 'Infinity') return Infinity;
  if (v === '-Infinity') return -Infinity;
  if (v === 'NaN') return NaN;
  if (Array.isArray(v)) return v.map(decodeJson);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, decodeJson(x)]));
  return v;
}

export interface CacheStats {
  hits: number;
  misses: number;
  byStage: Record<string, { hits: number; misses: number; seconds: number }>;
}

export class StageCache {
  readonly stats: CacheStats = { hits: 0, misses: 0, byStage: {} };

  constructor(readonly dir: string) {}

  /** Content key of a stage's inputs. */
  key(stage: string, inputs: unknown): string {
    return sha256(stableStringify({ v: CACHE_VERSION, stage, inputs: encodeJson(inputs) }));
  }

  path(stage: string, inputs: unknown): string {
    return join(this.dir, `${stage}-${this.key(stage, inputs).slice(0, 32)}.json`);
  }

  /** The cached result, if this stage already ran with these inputs. */
  get<T>(stage: string, inputs: unknown): T | undefined {
    const p = this.path(stage, inputs);
    if (!existsSync(p)) return undefined;
    try {
      const j = JSON.parse(readFileSync(p, 'utf8')) as { key: string; value: unknown };
      if (j.key !== this.key(stage, inputs)) return undefined;
      return decodeJson(j.value) as T;
    } catch {
      return undefined;
    }
  }

  put(stage: string, inputs: unknown, value: unknown): void {
    writeJsonAtomic(this.path(stage, inputs), { key: this.key(stage, inputs), stage, inputs: encodeJson(inputs), value: encodeJson(value) });
  }

  /** Return the cached result or compute, store and return it. */
  async run<T>(stage: string, inputs: unknown, fn: () => Promise<T> | T): Promise<{ value: T; cached: boolean }> {
    const s = (this.stats.byStage[stage] ??= { hits: 0, misses: 0, seconds: 0 });
    const hit = this.get<T>(stage, inputs);
    if (hit !== undefined) {
      this.stats.hits++;
      s.hits++;
      return { value: hit, cached: true };
    }
    const t0 = performance.now();
    const value = await fn();
    s.seconds += (performance.now() - t0) / 1000;
    this.stats.misses++;
    s.misses++;
    this.put(stage, inputs, value);
    return { value, cached: false };
  }
}
