/**
 * Monte-Carlo throughput, in one run on the same samples (same seed, levels, sample indices):
 *   (a) one ngspice process per sample with the full clocked deck (XSPICE comparator + 2 GHz flip-flop in the
 *       simulation, fixed .tran window) — the way a user would do it by hand;
 *   (b) capmin's batched transient (alter loop, stop when, clock in post-processing);
 *   (c) the quasi-static engine (one DC sweep per die serves every level).
 * Prints samples/s, the ratios b/a and c/a (targets ≥ 1.5 and ≥ 30), the pure ngspice time vs wall time (orchestration
 * overhead, target ≤ 10 %), and checks that (a)'s flip-flop and (b)'s post-processed clock register the same cycle.
 *
 *   npx tsx bench/montecarlo.ts [--cap 4p] [--samples 10] [--samples-a 2] [--levels 1,8,16,24,32] [--workers 1]
 */
import { parseArgs } from 'node:util';
import { defaultCircuit } from '../src/circuit/params.js';
import { buildDeck } from '../src/circuit/deck.js';
import { parseRaw, assertComplete } from '../src/spice/rawfile.js';
import { SpiceQueue } from '../src/spice/runner.js';
import { clockedSpike } from '../src/spikes/spikes.js';
import { runMonteCarlo } from '../src/montecarlo/engine.js';
import { defaultSigmas, levelKey, sampleArrayVariation } from '../src/montecarlo/variation.js';
import { parseLevelRange, parseSpiceValue } from '../src/util/units.js';

const { values } = parseArgs({ options: { cap: { type: 'string' }, samples: { type: 'string' }, 'samples-a': { type: 'string' }, levels: { type: 'string' }, workers: { type: 'string' } } });
const p = { ...defaultCircuit(), cMem: parseSpiceValue('--cap', values.cap ?? '4p', { unit: 'F', min: 1e-13, max: 1e-10 }) };
const N = parseSpiceValue('--samples', values.samples ?? '10', { min: 1, max: 1000, integer: true });
// (a) costs ~10 s per sample: it runs on the first Na samples of the same set (rates are per sample)
const Na = Math.min(N, parseSpiceValue('--samples-a', values['samples-a'] ?? '2', { min: 1, max: 1000, integer: true }));
const levels = parseLevelRange('--levels', values.levels ?? '1,8,16,24,32', 1, p.a);
const workers = parseSpiceValue('--workers', values.workers ?? '1', { min: 1, max: 64, integer: true });
const sigmas = defaultSigmas();
const seed = 1;
const total = N * levels.length;
process.env.CAPMIN_QUIET = '1';

// (c) quasi-static first: it also calibrates C_par and fixes the window for everyone
const cal = await runMonteCarlo({ circuit: p, sigmas, seed, samples: 1, levels: [1], engine: 'quasistatic', workers, progress: false });
const window = cal.window;
const qc = new SpiceQueue(workers);
const c = await runMonteCarlo({ circuit: p, sigmas, seed, samples: N, levels, engine: 'quasistatic', cPar: cal.cPar!, window, queue: qc, progress: false });
const qb = new SpiceQueue(workers);
const b = await runMonteCarlo({ circuit: p, sigmas, seed, samples: N, levels, engine: 'transient', window, batchSize: N, queue: qb, progress: false });

// (a) one process per sample, clocked deck, fixed window
const qa = new SpiceQueue(workers);
const pa = { ...p, tStop: window };
let simA = 0;
const ta0 = performance.now();
const cyclesA = new Map<string, number | null>();
await Promise.all(
  levels.flatMap((m) =>
    Array.from({ length: Na }, (_, s) =>
      (async () => {
        const variation = sampleArrayVariation(seed, levelKey(m, 'die'), s, p.a, sigmas);
        const deck = buildDeck(pa, { analysis: 'tran', level: m, clocked: true, stopAfterSpike: false, variation });
        const r = await qa.runFile(deck, 'out.raw', { timeoutMs: 600_000 });
        simA += r.durationMs;
        const plot = assertComplete(parseRaw(r.data), 'clocked')[0]!;
        cyclesA.set(`${m}/${s}`, clockedSpike(plot, pa)?.clockCycle ?? null);
      })(),
    ),
  ),
);
const wallA = performance.now() - ta0;

// (a') for transparency: one process per sample but with capmin's unclocked deck + stop when (isolates batching)
let simA2 = 0;
const ta2 = performance.now();
await Promise.all(
  levels.flatMap((m) =>
    Array.from({ length: N }, (_, s) =>
      (async () => {
        const variation = sampleArrayVariation(seed, levelKey(m, 'die'), s, p.a, sigmas);
        const deck = buildDeck(pa, { analysis: 'tran', level: m, variation });
        const r = await qa.runFile(deck, 'out.raw', { timeoutMs: 600_000 });
        simA2 += r.durationMs;
      })(),
    ),
  ),
);
const wallA2 = performance.now() - ta2;

const rate = (ms: number, n = total): number => n / (ms / 1000);
const totalA = Na * levels.length;
const rows = [
  ['(a) per-sample clocked deck', wallA, simA, totalA],
  ["(a') per-sample, unclocked+stop", wallA2, simA2, total],
  ['(b) batched transient', b.stats.wallMs, b.stats.simMs, total],
  ['(c) quasi-static', c.stats.wallMs, c.stats.simMs, total],
] as const;
console.log(`Monte-Carlo bench: C_mem = ${p.cMem * 1e12} pF, levels ${levels.join(',')}, ${N} samples/level (${total} level-samples; (a) on the first ${Na}/level = ${totalA}), ${workers} worker(s), window ${(window * 1e9).toFixed(1)} ns`);
console.log('engine                          samples/s    wall [s]   ngspice [s]   overhead');
for (const [name, wall, sim, n] of rows) {
  const ov = 1 - sim / (wall * workers);
  console.log(`${name.padEnd(31)} ${rate(wall, n).toFixed(3).padStart(9)}  ${(wall / 1000).toFixed(2).padStart(9)}  ${(sim / 1000).toFixed(2).padStart(11)}   ${(ov * 100).toFixed(1).padStart(6)} %`);
}
const rateA = rate(wallA, totalA);
const ba = rate(b.stats.wallMs) / rateA;
const ca = rate(c.stats.wallMs) / rateA;
console.log(`ratio b/a = ${ba.toFixed(1)} (target >= 1.5)   c/a = ${ca.toFixed(1)} (target >= 30)   b/a' = ${(rate(b.stats.wallMs) / rate(wallA2)).toFixed(2)} (batching alone; (b) also runs each level's nominal)`);
// the post-processed clock of (b) registers the same cycle as (a)'s simulated flip-flop
let same = 0;
let diff = 0;
for (const l of b.byLevel) for (let s = 0; s < Na; s++) {
  const post = Number.isFinite(l.tSpike[s]!) ? Math.round(l.tSpike[s]! * p.fClk) : null;
  if (post === cyclesA.get(`${l.level}/${s}`)) same++;
  else diff++;
}
console.log(`clock check: post-processed (b) vs simulated flip-flop (a): ${same} same, ${diff} different registered cycles`);
