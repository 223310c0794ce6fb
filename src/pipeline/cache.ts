/**
 * Stage cache of `capmin run`: every stage result is a content-addressed record (src/util/cas.ts)
 * `cache/<stage>-<sha256 of its inputs>.json`, written atomically and verified by its content checksum on every read,
 * so a re-run (or a run resumed after a kill) reuses every finished stage, recomputes only the rest, and recomputes a
 * stage whose stored result was edited or damaged (counted as `corrupt`). A stage that throws stores nothing.
 * Inputs are hashed with stableStringify (key order does not matter); a CACHE_VERSION bump invalidates everything.
 */
import { CasStore, contentKey, decodeJson, encodeJson } from '../util/cas.js';

export { encodeJson, decodeJson };

/** Bump when the meaning of a cached stage result changes. */
export const CACHE_VERSION = 1;

export interface CacheStats {
  hits: number;
  misses: number;
  /** stored results that failed verification and were recomputed */
  corrupt: number;
  byStage: Record<string, { hits: number; misses: number; seconds: number }>;
}

export class StageCache {
  readonly stats: CacheStats = { hits: 0, misses: 0, corrupt: 0, byStage: {} };
  private readonly cas: CasStore;

  /** `where`: how the user names the run folder in error messages (e.g. `--out`). */
  constructor(
    readonly dir: string,
    opts: { where?: string } = {},
  ) {
    this.cas = new CasStore(dir, opts);
  }

  /** Content key of a stage's inputs. */
  key(stage: string, inputs: unknown): string {
    return contentKey({ v: CACHE_VERSION, stage, inputs });
  }

  private file(stage: string, key: string): string {
    return `${stage}-${key.slice(0, 32)}.json`;
  }

  /** Path of a stage's record. */
  path(stage: string, inputs: unknown): string {
    const key = this.key(stage, inputs);
    return this.cas.pathOf(key, this.file(stage, key))!;
  }

  /** The cached result, if this stage already ran with these inputs and its record verifies. */
  get<T>(stage: string, inputs: unknown): T | undefined {
    const key = this.key(stage, inputs);
    const r = this.cas.read<{ stage: string; value: T }>(key, this.file(stage, key));
    if (r.state === 'corrupt') this.stats.corrupt++;
    return r.state === 'result' ? r.value.value : undefined;
  }

  put(stage: string, inputs: unknown, value: unknown): void {
    const key = this.key(stage, inputs);
    this.cas.putResult(key, { stage, inputs, value }, { file: this.file(stage, key) });
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
