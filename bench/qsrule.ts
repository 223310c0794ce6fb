/**
 * Accuracy of the quasi-static integration rule against its grid (counts, not timings): real ngspice DC sweeps of
 * Monte-Carlo dies (seed 1, default sigmas, die correlation) at QS_POINTS, at 91 points and at a 181-point reference.
 * Compares capmin's rule on QS_POINTS points and the piecewise-linear log form h·ln(I_b/I_a)/(I_b − I_a) on 91 points
 * (the former rule) with the rule on the reference sweep: the largest relative error of J = ∫dV/I for levels 1..32 and
 * level 0, and, per capacitor (C_par refitted per rule from nominal transients, window noSpikeWindow), how many
 * die × level samples register a different 2 GHz cycle. Where the two disagree, the SPICE transient of that sample
 * says which one is right.
 *
 *   npx tsx bench/qsrule.ts [--dies 200] [--caps 1p,2.94p,12.27p,60p] [--workers 2]
 */
import { parseArgs } from 'node:util';
import { fitParasitic, inverseCurrentIntegral, noSpikeWindow, QS_POINTS, qsCrossTime } from '../src/analytic/quasistatic.js';
import { defaultCircuit, type CircuitParams } from '../src/circuit/params.js';
import { zeroVariation, type ArrayVariation } from '../src/circuit/variation.js';
import { levelStates, qsDeck, tranBatchDeck } from '../src/montecarlo/decks.js';
import { dieCurrentsFromPlot, patternCurrent } from '../src/montecarlo/quasistatic.js';
import { defaultSigmas, levelKey, sampleArrayVariation, zeroSigmas } from '../src/montecarlo/variation.js';
import { assertComplete, parseRaw, vector } from '../src/spice/rawfile.js';
import { SpiceQueue } from '../src/spice/runner.js';
import { crossingTime, registerSpike } from '../src/spikes/spikes.js';
import { parseSpiceValue } from '../src/util/units.js';

const { values } = parseArgs({ options: { dies: { type: 'string' }, caps: { type: 'string' }, workers: { type: 'string' } } });
const D = parseSpiceValue('--dies', values.dies ?? '200', { min: 1, max: 10000, integer: true });
const caps = (values.caps ?? '1p,2.94p,12.27p,60p').split(',').map((c) => parseSpiceValue('--caps', c, { unit: 'F', min: 1e-13, max: 1e-9 }));
const q = new SpiceQueue(parseSpiceValue('--workers', values.workers ?? '2', { min: 1, max: 64, integer: true }));
const p = defaultCircuit();
const sig = defaultSigmas();

/** The former rule: piecewise-linear I(V), exact per segment. */
function logForm(v: ArrayLike<number>, i: ArrayLike<number>, vth: number): number {
  let acc = 0;
  for (let k = 0; k + 1 < v.length && v[k]! < vth; k++) {
    if (!(i[k]! > 0) || !(i[k + 1]! > 0)) return Infinity;
    const h = Math.min(v[k + 1]!, vth) - v[k]!;
    const ib = v[k + 1]! > vth ? i[k]! + ((i[k + 1]! - i[k]!) * (vth - v[k]!)) / (v[k + 1]! - v[k]!) : i[k + 1]!;
    acc += Math.abs(ib - i[k]!) < 1e-12 * i[k]! ? (2 * h) / (i[k]! + ib) : (h * Math.log(ib / i[k]!)) / (ib - i[k]!);
  }
  return acc;
}

const variation = (s: number): ArrayVariation => (s < 0 ? zeroVariation(p.a) : sampleArrayVariation(1, levelKey(0, 'die'), s, p.a, sig));
/** J_m for m = 0..a of die s (−1 = nominal) on a `points` sweep, by `rule`. */
async function dieJ(s: number, points: number, rule: typeof logForm): Promise<number[]> {
  const r = await q.runFile(qsDeck(p, [variation(s)], { points, rawPath: 'qs.raw' }), 'qs.raw');
  const dc = dieCurrentsFromPlot(assertComplete(parseRaw(r.data), 'qs')[0]!, p.a, 1)[0]!;
  return Array.from({ length: p.a + 1 }, (_, m) => rule(dc.v, patternCurrent(dc, levelStates(p.a, m)), p.vth));
}
async function transient(c: CircuitParams, level: number, s: number, window: number): Promise<number> {
  const r = await q.runFile(tranBatchDeck(c, level, [variation(s)], s < 0 ? zeroSigmas() : sig, { window, rawPath: 't.raw' }), 't.raw');
  const pl = assertComplete(parseRaw(r.data), 'tran')[0]!;
  return crossingTime(vector(pl, 'time'), vector(pl, 'v(ml)'), p.vth) ?? Infinity;
}

const dies = [-1, ...Array.from({ length: D }, (_, s) => s)];
const rules = [
  { name: `rule@${QS_POINTS}`, points: QS_POINTS, f: inverseCurrentIntegral },
  { name: 'log@91', points: 91, f: logForm },
  { name: 'rule@181 (reference)', points: 181, f: inverseCurrentIntegral },
];
const J = await Promise.all(rules.map((r) => Promise.all(dies.map((s) => dieJ(s, r.points, r.f)))));
const relErr = (k: number, levels: number[]): number => {
  let e = 0;
  for (let d = 1; d < dies.length; d++) for (const m of levels) e = Math.max(e, Math.abs(J[k]![d]![m]! / J[2]![d]![m]! - 1));
  return e;
};
const firing = Array.from({ length: p.a }, (_, m) => m + 1);
console.log(`${D} dies; sweep points: ${rules.map((r) => `${r.name} ${r.points}`).join(', ')}`);
for (const k of [0, 1])
  console.log(`  ${rules[k]!.name}: max |J/J_ref − 1| levels 1..${p.a} ${relErr(k, firing).toExponential(2)}, level 0 ${relErr(k, [0]).toExponential(2)}`);
const cyc = (t: number): number => (Number.isFinite(t) ? registerSpike(t, p.fClk).clockCycle : -1);
for (const cMem of caps) {
  const c = { ...p, cMem };
  const cal = [1, 2, 4, 8, 16, 32].filter((m) => m <= p.a);
  const w0 = noSpikeWindow(p.tStop, cMem, J[1]![0]![1]!);
  const tNom = await Promise.all(cal.map((m) => transient(c, m, -1, w0)));
  const fit = rules.map((_, k) => {
    const jn = J[k]![0]!;
    return {
      cPar: fitParasitic(
        cMem,
        cal.map((m) => jn[m]!),
        tNom,
      ),
      window: noSpikeWindow(p.tStop, cMem, jn[1]!),
    };
  });
  const cycles = (k: number, d: number, m: number): number => cyc(qsCrossTime(J[k]![d]![m]!, cMem, fit[k]!.cPar, fit[k]!.window));
  let newVsOld = 0;
  let oldVsRef = 0;
  let newVsRef = 0;
  let tranNew = 0;
  let tranOld = 0;
  for (let d = 1; d < dies.length; d++) {
    for (let m = 0; m <= p.a; m++) {
      const [a, b, r] = [cycles(0, d, m), cycles(1, d, m), cycles(2, d, m)];
      if (a !== r) newVsRef++;
      if (b !== r) oldVsRef++;
      if (a === b) continue;
      newVsOld++;
      const tt = await transient(c, m, dies[d]!, fit[1]!.window);
      const ct = cyc(tt > fit[1]!.window ? Infinity : tt);
      if (ct === a) tranNew++;
      if (ct === b) tranOld++;
    }
  }
  console.log(
    `C = ${(cMem * 1e12).toFixed(2)} pF, ${D * (p.a + 1)} samples, C_par ${fit.map((f) => (f.cPar * 1e15).toFixed(3)).join('/')} fF: ` +
      `cycle differs ${rules[0]!.name} vs log@91 ${newVsOld} (SPICE transient agrees with ${rules[0]!.name} ${tranNew}, with log@91 ${tranOld}); ` +
      `vs reference: ${rules[0]!.name} ${newVsRef}, log@91 ${oldVsRef}`,
  );
}
