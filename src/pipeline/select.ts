/**
 * The selections of `capmin run`: the smallest capacitor within the tolerance of the error-free accuracy for the
 * baseline, CapMin (without and under variation) and CapMin-V, with latency (GRT) and energy ½·C·V_th².
 */
import { capEnergy } from '../capmin/cost.js';
import type { KResult, PhiResult, RunResults, Selection } from '../report/results.js';

/** Inputs of {@link selectCapacitors}; accuracies are fractions, `vth` in V. */
export interface SelectionInput {
  perK: KResult[];
  capminV: RunResults['capminV'];
  /** error-free accuracy (undefined: no selection but the baseline's needs it too) */
  errorFree?: number;
  /** allowed accuracy loss (absolute fraction) */
  tolerance: number;
  a: number;
  vth: number;
}

/**
 * Baseline (k = a+1), CapMin (smallest C_mem whose clipping-only accuracy is within the tolerance, as the paper's
 * Fig. 9), CapMin under variation (mean accuracy under variation) and CapMin-V (the best φ within the tolerance under
 * variation, on k₀'s capacitor; the best φ flagged as not within when none is). Pure, no cache; `notes` are the
 * report's remarks on a missing selection.
 */
export function selectCapacitors(i: SelectionInput): { selections: Selection[]; notes: string[] } {
  const selections: Selection[] = [];
  const notes: string[] = [];
  const { perK, tolerance, a } = i;
  const ef = i.errorFree;
  const baseRow = perK.find((r) => r.k === a + 1);
  if (baseRow?.cMem !== undefined && ef !== undefined) {
    selections.push({ method: 'baseline', k: a + 1, cMem: baseRow.cMem, latency: baseRow.latency ?? NaN, energy: baseRow.energy ?? NaN, accuracy: baseRow.accNoVar ?? ef, note: 'all levels, no clipping, no variation' });
  }
  if (ef === undefined) return { selections, notes };
  const ok = perK.filter((r) => r.cMem !== undefined && r.accNoVar !== undefined && r.accNoVar >= ef - tolerance).sort((x, y) => x.cMem! - y.cMem!);
  if (ok[0]) selections.push({ method: 'CapMin', k: ok[0].k, cMem: ok[0].cMem!, latency: ok[0].latency ?? NaN, energy: ok[0].energy ?? NaN, accuracy: ok[0].accNoVar!, note: 'accuracy without variation (clipping only), as the paper\'s Fig. 9' });
  const okV = perK.filter((r) => r.cMem !== undefined && r.accVar && r.accVar.mean >= ef - tolerance).sort((x, y) => x.cMem! - y.cMem!);
  if (okV[0]) selections.push({ method: 'CapMin (under variation)', k: okV[0].k, cMem: okV[0].cMem!, latency: okV[0].latency ?? NaN, energy: okV[0].energy ?? NaN, accuracy: okV[0].accVar!.mean, note: 'mean accuracy under variation' });
  else if (perK.some((r) => r.accVar)) notes.push(`No k keeps the mean accuracy under variation within ${100 * tolerance} pt of error-free.`);
  const capV = i.capminV;
  if (capV && capV.cMem !== undefined) {
    const cands = capV.phis.filter((f) => f.accRebucket);
    const within = cands.filter((f) => f.accRebucket!.mean >= ef - tolerance);
    const best = (within.length ? within : cands).reduce<PhiResult | undefined>((b, f) => (!b || f.accRebucket!.mean > b.accRebucket!.mean ? f : b), undefined);
    if (best) {
      selections.push({
        method: 'CapMin-V',
        k: capV.k0,
        phi: best.phi,
        cMem: capV.cMem,
        latency: best.latency ?? NaN,
        energy: capEnergy(capV.cMem, i.vth),
        accuracy: best.accRebucket!.mean,
        note: within.length ? `best φ under variation (k_V = ${best.kV}); capacitor of k₀ = ${capV.k0}` : `NOT within ${100 * tolerance} pt under variation (best φ shown)`,
      });
    }
  }
  return { selections, notes };
}
