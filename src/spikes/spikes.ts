/**
 * Spike times from match-line waveforms (paper Sec. II-B step 2): the comparator crossing of V_th (linearly
 * interpolated) and the registered spike time on the flip-flop's clock grid (next rising edge).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildDeck } from '../circuit/deck.js';
import type { CircuitParams } from '../circuit/params.js';
import { extractIinit } from './extract.js';
import { assertComplete, parseRaw, vector, type RawPlot } from '../spice/rawfile.js';
import { assertFiniteValues, parseMeasures, runNgspiceFile, SpiceError, SpiceQueue, type RunOptions } from '../spice/runner.js';
import { writeJsonAtomic } from '../util/atomic.js';
import { CapminError } from '../util/errors.js';
import { sha256, stableStringify } from '../util/hash.js';
import { Progress } from '../util/progress.js';

/** One MAC level's nominal spike: null times / cycle when the level does not fire within the window. */
export interface SpikeRow {
  /** number of conducting cells m */
  level: number;
  /** initial ML current with ML at 0 V [A] */
  iInit: number;
  /** comparator crossing time [s] */
  tCross: number | null;
  /** registered spike time (rising clock edge after the crossing) [s] */
  tSpike: number | null;
  /** index k of that edge, t = tOffset + k / fClk, k ≥ 1 */
  clockCycle: number | null;
}

/**
 * First upward crossing of `vth` by v(t), linearly interpolated between the bracketing samples; `t[0]` when the
 * waveform starts at or above `vth`; null when it never reaches `vth` in the window.
 */
export function crossingTime(t: Float64Array, v: Float64Array, vth: number): number | null {
  const n = Math.min(t.length, v.length);
  if (n === 0) return null;
  if (v[0]! >= vth) return t[0]!;
  for (let i = 1; i < n; i++) {
    if (v[i]! >= vth) {
      const v0 = v[i - 1]!;
      const v1 = v[i]!;
      const f = v1 === v0 ? 1 : (vth - v0) / (v1 - v0);
      return t[i - 1]! + f * (t[i]! - t[i - 1]!);
    }
  }
  return null;
}

/**
 * Registered spike: the first rising clock edge strictly after the crossing, with edges at tOffset + k / fClk
 * (k = 1, 2, ...). A crossing exactly on an edge is latched one edge later (set-up time 0).
 */
export function registerSpike(tCross: number, fClk: number, tOffset = 0): { tSpike: number; clockCycle: number } {
  const x = (tCross - tOffset) * fClk;
  let k = Math.floor(x) + 1;
  if (k < 1) k = 1;
  return { tSpike: tOffset + k / fClk, clockCycle: k };
}

/**
 * Spike time registered by the in-simulation flip-flop (clocked deck): the rising edge of `v(spk)` (crossing of
 * VDD/2) snapped to the nearest clock edge (removes the ~ps bridge delays). Null when the flip-flop never fired.
 */
export function clockedSpike(plot: RawPlot, p: CircuitParams): { tSpike: number; clockCycle: number } | null {
  const t = vector(plot, 'time');
  const q = vector(plot, 'v(spk)');
  assertFiniteValues(t, 'clocked transient: time');
  assertFiniteValues(q, 'clocked transient: v(spk)');
  const tq = crossingTime(t, q, p.vdd / 2);
  if (tq === null) return null;
  const k = Math.round(tq * p.fClk);
  return { tSpike: k / p.fClk, clockCycle: k };
}

/** Result of one transient of one level. */
export interface TranResult {
  level: number;
  t: Float64Array;
  v: Float64Array;
  tCross: number | null;
  /** ngspice's own `meas ... when v(ml)=vth` when requested */
  tCrossMeas?: number;
  /** clocked deck only: spike registered by the simulated flip-flop */
  clocked?: { tSpike: number; clockCycle: number } | null;
  durationMs: number;
}

/**
 * Run the transient of level m (unclocked unless `clocked`), return the waveform and its crossing time. A waveform
 * with NaN or infinite values is an error ('non-finite'), never "no spike".
 */
export async function runLevelTransient(
  p: CircuitParams,
  level: number,
  opts: { queue?: SpiceQueue; clocked?: boolean; stopAfterSpike?: boolean; measure?: boolean; run?: RunOptions } = {},
): Promise<TranResult> {
  const deck = buildDeck(p, {
    analysis: 'tran',
    level,
    clocked: opts.clocked,
    stopAfterSpike: opts.stopAfterSpike,
    measure: opts.measure,
    title: `capmin tran m=${level}`,
  });
  const runOpts: RunOptions = { timeoutMs: 300_000, ...opts.run };
  const r = opts.queue ? await opts.queue.runFile(deck, 'out.raw', runOpts) : await runNgspiceFile(deck, 'out.raw', runOpts);
  const plot = assertComplete(parseRaw(r.data), `transient m=${level}`)[0]!;
  const t = vector(plot, 'time');
  const v = vector(plot, 'v(ml)');
  if (t.length === 0) throw new SpiceError('no-output', `transient m=${level}: no time points`);
  assertFiniteValues(t, `transient m=${level}: time`);
  assertFiniteValues(v, `transient m=${level}: v(ml)`);
  const out: TranResult = { level, t, v, tCross: crossingTime(t, v, p.vth), durationMs: r.durationMs };
  if (opts.measure) {
    const m = parseMeasures(r.stdout);
    if (m.tcross !== undefined) out.tCrossMeas = m.tcross;
  }
  if (opts.clocked) out.clocked = clockedSpike(plot, p);
  return out;
}

/** A stored row that holds what a finished level holds (finite current; times finite or all null). */
function isSpikeRow(r: SpikeRow): boolean {
  const num = (x: unknown): boolean => typeof x === 'number' && Number.isFinite(x);
  if (!num(r.iInit)) return false;
  if (r.tCross === null) return r.tSpike === null && r.clockCycle === null;
  return num(r.tCross) && num(r.tSpike) && Number.isInteger(r.clockCycle);
}

/** All levels 0..a. */
export function allLevels(a: number): number[] {
  return Array.from({ length: a + 1 }, (_, i) => i);
}

/** Content key of one level's nominal spike: both decks and the model card's bytes (so editing the card invalidates). */
export function spikeCacheKey(p: CircuitParams, level: number): string {
  const tran = buildDeck(p, { analysis: 'tran', level, title: `capmin tran m=${level}` });
  const op = buildDeck(p, { analysis: 'op', level, title: `capmin iinit m=${level}` });
  return sha256(stableStringify({ v: 1, tran, op, model: sha256(readFileSync(p.modelCard)) }));
}

/**
 * Nominal S_FIRE: for each level m, I_init (ngspice op) and the transient crossing and registered spike time
 * (clock applied in post-processing). Simulations run in parallel on `queue` (default: one job per core). With
 * `cacheDir`, each level's row is stored under its content key (`spikeCacheKey`) and reused; only finished rows are
 * stored. A failed level rejects with the runner's SpiceError (its true cause: timeout, crash, disk full, ...)
 * prefixed with the level; `run` is passed to every ngspice run (timeout, work root, binary).
 */
export async function nominalSpikeTimes(
  p: CircuitParams,
  levels: number[] = allLevels(p.a),
  opts: { queue?: SpiceQueue; progress?: boolean; cacheDir?: string; run?: RunOptions } = {},
): Promise<SpikeRow[]> {
  const own = !opts.queue;
  const queue = opts.queue ?? new SpiceQueue();
  const prog = opts.progress === false ? null : new Progress('spikes', levels.length, 'levels');
  try {
    return await Promise.all(
      levels.map(async (level) => {
        const cachePath = opts.cacheDir ? join(opts.cacheDir, `${spikeCacheKey(p, level)}.json`) : null;
        if (cachePath && existsSync(cachePath)) {
          try {
            const row = JSON.parse(readFileSync(cachePath, 'utf8')) as SpikeRow;
            if (row.level === level && isSpikeRow(row)) {
              prog?.tick(1, `m=${level} (cached)`);
              return row;
            }
          } catch {
            /* unreadable cache entry: recompute */
          }
        }
        let iInit: number;
        let tr: TranResult;
        try {
          [iInit, tr] = await Promise.all([extractIinit(p, level, queue, opts.run), runLevelTransient(p, level, { queue, run: opts.run })]);
        } catch (e) {
          throw e instanceof SpiceError && e.kind !== 'aborted' ? e.withContext(`level m=${level}`) : e;
        }
        prog?.tick(1, `m=${level}`);
        const reg = tr.tCross === null ? null : registerSpike(tr.tCross, p.fClk);
        const row: SpikeRow = { level, iInit, tCross: tr.tCross, tSpike: reg?.tSpike ?? null, clockCycle: reg?.clockCycle ?? null };
        if (cachePath) {
          try {
            writeJsonAtomic(cachePath, row);
          } catch (e) {
            const code = (e as NodeJS.ErrnoException).code ?? 'error';
            throw new CapminError(`spike cache ${cachePath}: cannot write (${code}); free space there or choose another cache folder`, 'ECACHE', 1);
          }
        }
        return row;
      }),
    );
  } catch (e) {
    if (own) queue.abort(); // do not leave our other levels running
    throw e;
  } finally {
    prog?.finish();
  }
}
