/**
 * Decks of the two Monte-Carlo engines, built from the SPICE core's cell netlist (src/circuit/deck.ts) so the devices,
 * names and level→bits convention are exactly those of `capmin spikes` / `validate`.
 *
 * - Quasi-static: per die (array instance) every cell in each of its four input states, each with its own 0 V sense
 *   source into a swept match-line source; one `.dc` sweep 0..V_th gives every cell current I_{c,s}(V).
 * - Batched transient: the full array for one level; a `.control` block `alter`s every transistor's variation per
 *   sample, runs `tran` with `stop when` just above V_th and appends only v(ml) to one raw file (clock applied later).
 */
import { QS_POINTS, QS_RULE } from '../analytic/quasistatic.js';
import type { CircuitParams } from '../circuit/params.js';
import type { ArrayVariation } from '../circuit/variation.js';
import { alterTarget, cellNetlist, checkRawPath, deckPreamble, devicesPerCell, levelBits } from '../circuit/deck.js';
import { spiceNumber } from '../util/units.js';
import type { VariationSigmas } from './variation.js';

/** Cell input states (w, x) in sweep order; state index = 2·w + x. A cell conducts iff w ≠ x (states 1 and 2). */
export const CELL_STATES: ReadonlyArray<{ w: boolean; x: boolean }> = [
  { w: false, x: false },
  { w: false, x: true },
  { w: true, x: false },
  { w: true, x: true },
];

/** State index of a cell with weight w and input x. */
export function stateIndex(w: boolean, x: boolean): number {
  return (w ? 2 : 0) + (x ? 1 : 0);
}

/** Per-cell state indices of level m under the SPICE core's convention (`levelBits`). */
export function levelStates(a: number, m: number): number[] {
  const b = levelBits(a, m);
  return b.w.map((w, i) => stateIndex(w, b.x[i]!));
}

/** Name of the sense source of (die d, cell c, state s). */
export function senseName(d: number, c: number, s: number): string {
  return `vs${d}_${c}_${s}`;
}

/** Solver options added on the retry of a failed batch. */
export const TIGHT_OPTIONS = '.options method=gear reltol=5e-4 itl1=500 itl2=200 itl4=100 gminsteps=20 srcsteps=20';

/** Number of sweep points of the quasi-static deck (0..V_th inclusive): the integration rule's grid. */
export { QS_POINTS };

/**
 * Quasi-static deck: for each die d (its ArrayVariation) and cell c, one copy of the cell per input state with its own
 * sense source; `.dc vml 0 V_th` in QS_POINTS−1 steps. Output: `i(vs<d>_<c>_<s>)` (A, positive into the ML) vs `v(mls)`.
 */
export function qsDeck(p: CircuitParams, dies: readonly ArrayVariation[], opts: { rawPath?: string; tight?: boolean; points?: number } = {}): string {
  const points = opts.points ?? QS_POINTS;
  // the rule's name in the title keys cached integrals to the rule that computed them
  const lines = deckPreamble(p, `capmin quasi-static sweep (${dies.length} dies x ${p.a} cells x 4 states, J rule ${QS_RULE})`);
  if (opts.tight) lines.push(TIGHT_OPTIONS);
  lines.push('vml mls 0 dc 0');
  const saves: string[] = [];
  dies.forEach((v, d) => {
    for (let c = 0; c < p.a; c++) {
      CELL_STATES.forEach((st, s) => {
        const o = `o${d}_${c}_${s}`;
        lines.push(...cellNetlist(c, st, p, v[c], { supply: 'v0', ml: o, hi: 'hi', lo: '0', bulk: '0', suffix: `_${d}_${s}` }));
        lines.push(`${senseName(d, c, s)} ${o} mls dc 0`);
        saves.push(`i(${senseName(d, c, s)})`);
      });
    }
  });
  const step = p.vth / (points - 1);
  lines.push(`.save ${saves.join(' ')}`, `.dc vml 0 ${spiceNumber(p.vth)} ${spiceNumber(step)}`);
  lines.push('.control', 'set filetype=binary', 'run', `write ${checkRawPath(opts.rawPath ?? 'qs.raw')}`, 'quit', '.endc', '.end', '');
  return lines.join('\n');
}

/** Which instance parameters the transient batch alters (only those with a non-zero sigma). */
function alteredParams(s: VariationSigmas): Array<'delvto' | 'mulu0' | 'w' | 'l'> {
  const out: Array<'delvto' | 'mulu0' | 'w' | 'l'> = [];
  if (s.delvto > 0 || s.globalDelvto > 0) out.push('delvto');
  if (s.mulu0 > 0 || s.globalMulu0 > 0) out.push('mulu0');
  if (s.dW > 0) out.push('w');
  if (s.dL > 0) out.push('l');
  return out;
}

/**
 * Batched transient deck for one level: the nominal array with C_mem, then per sample `alter`s of every transistor,
 * `tran tStep window` (ended by `stop when v(ml) > 1.02·V_th`) and `write` of v(ml), appended to one raw file.
 * `tMax` (levels that do not fire nominally) lets ngspice take steps up to tMax instead of tStep.
 */
export function tranBatchDeck(
  p: CircuitParams,
  level: number,
  variations: readonly ArrayVariation[],
  sigmas: VariationSigmas,
  opts: { window: number; rawPath?: string; tight?: boolean; tMax?: number },
): string {
  const bits = levelBits(p.a, level);
  const lines = deckPreamble(p, `capmin batched transient (level ${level}, ${variations.length} samples)`);
  if (opts.tight) lines.push(TIGHT_OPTIONS);
  for (let c = 0; c < p.a; c++) lines.push(...cellNetlist(c, { w: bits.w[c]!, x: bits.x[c]! }, p));
  lines.push(`cmem ml 0 ${spiceNumber(p.cMem)}`, '.ic v(ml)=0', '.save v(ml)');
  const raw = checkRawPath(opts.rawPath ?? 'tran.raw');
  const tStep = opts.tight ? p.tStep / 4 : p.tStep;
  const ctl = ['.control', 'set filetype=binary', 'set appendwrite', `stop when v(ml) > ${spiceNumber(p.vth * 1.02)}`];
  const params = alteredParams(sigmas);
  for (const v of variations) {
    for (let c = 0; c < p.a; c++) {
      for (let t = 0; t < devicesPerCell(p); t++) {
        const dv = v[c]![t]!;
        // flat cell: `mc<c>_<t>`; a circuit file's cell: the flattened subcircuit device, only its mapped quantities
        const dev = alterTarget(p, c, t);
        for (const k of params) {
          if (!dev.has(k)) continue;
          const val = k === 'delvto' ? dv.delvto : k === 'mulu0' ? dv.mulu0 : k === 'w' ? dev.wNom + dv.dW : dev.lNom + dv.dL;
          ctl.push(`alter @${dev.name}[${k}]=${spiceNumber(val)}`);
        }
      }
    }
    // tMax relaxes ngspice's internal step cap (min(tstep, span/50)) for slow, non-firing ramps; the retry keeps it tight
    const tran = opts.tMax !== undefined && !opts.tight ? `tran ${spiceNumber(tStep)} ${spiceNumber(opts.window)} 0 ${spiceNumber(opts.tMax)}` : `tran ${spiceNumber(tStep)} ${spiceNumber(opts.window)}`;
    ctl.push(tran, `write ${raw} v(ml)`, 'destroy all');
  }
  ctl.push('quit', '.endc');
  lines.push(...ctl, '.end', '');
  return lines.join('\n');
}
