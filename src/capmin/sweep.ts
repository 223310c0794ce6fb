/**
 * CapMin-V φ sweep (Alg. 1) on k₀'s kept P_map: for each φ, the merge in the configured direction (and optionally the
 * other one), P_maps re-bucketed from the raw Monte-Carlo samples with the merged decision boundaries, the
 * Alg. 1 vs re-bucketed comparison, latency, and the accuracies a caller-supplied evaluator gives.
 */
import { guaranteedResponseTime } from './cost.js';
import { expandKept, type KeptPmap } from './kept.js';
import { capminV, compareMerge, padCapminV, padRebucket, rebucket, type CapminVResult, type MergeToward, type PadMode, type RebucketResult } from './merge.js';

/**
 * CapMin-V at φ toward `dir` on k₀'s P_map (Alg. 1), re-bucketed from its raw samples with the merged boundaries
 * (in clock cycles of `fClk` [Hz]). Pure, no cache.
 */
export function capminVRebucketed(base: KeptPmap, phi: number, dir: MergeToward, fClk: number): { r: CapminVResult; rb: RebucketResult } {
  const r = capminV(base.levels, base.nominal, base.matrix, phi, { mergeToward: dir });
  return { r, rb: rebucket(r, new Map(base.levels.map((m, i) => [m, base.samples[i]!])), { fClk }) };
}

/** One φ of the sweep (`A` = the evaluator's accuracy statistics). */
export interface PhiSweepRow<A> {
  phi: number;
  /** surviving spike times k_V = k₀ − φ */
  kV: number;
  survivors: number[];
  /** level → read level over 0..a (clipped to k₀'s range first, Eq. 4) */
  readLevel: number[];
  meanPCorrectAlg1?: number;
  meanPCorrectRebucket?: number;
  meanAbsErrAlg1?: number;
  meanAbsErrRebucket?: number;
  /** guaranteed response time of the surviving spike times [s] */
  latency?: number;
  accRebucket?: A;
  accAlg1?: A;
  other?: { mergeToward: MergeToward; survivors: number[]; readLevel: number[]; accRebucket?: A; meanAbsErrRebucket?: number; meanPCorrectRebucket?: number };
}

/** Inputs of {@link capminVSweep}. */
export interface CapminVSweepInput {
  /** k₀'s kept P_map with its raw samples */
  base: KeptPmap;
  /** k₀'s clipping bounds (Eq. 4) */
  lo: number;
  hi: number;
  a: number;
  phis: number[];
  mergeToward: MergeToward;
  /** also merge in the other direction (re-bucketed) */
  compareToward: boolean;
  pad: PadMode;
  /** F_MAC over 0..a (weights of the comparison) */
  fMacTotal: readonly number[];
  /** flip-flop clock [Hz] */
  fClk: number;
  /** runs of the re-bucketed evaluations, and of the Alg. 1 P_map (0 = not evaluated) */
  runs: number;
  alg1Runs: number;
}

/**
 * Accuracy of one padded (a+1)×(a+1) P_map over `runs` runs; `variant` names the P_map ('rebucket', 'alg1',
 * 'rebucket-<dir>') for the caller's cache key, `label` for progress.
 */
export type SweepEvaluator<A> = (pMap: number[][], runs: number, phi: number, variant: string, label: string) => Promise<A>;

/**
 * The CapMin-V φ sweep in both directions (Alg. 1; lines 6–11 choose the merge neighbour, line 15 pads). Without an
 * evaluator no accuracies are computed. Cache: none here; the evaluator decides (`capmin run` caches each accuracy by
 * φ and variant).
 */
export async function capminVSweep<A>(i: CapminVSweepInput, evaluate?: SweepEvaluator<A>): Promise<PhiSweepRow<A>[]> {
  const { a, base } = i;
  const otherToward: MergeToward = i.mergeToward === 'lower' ? 'higher' : 'lower';
  const clippedReadLevels = (readLevel: Record<number, number>) => Array.from({ length: a + 1 }, (_, m) => readLevel[Math.min(Math.max(m, i.lo), i.hi)]!);
  const rows: PhiSweepRow<A>[] = [];
  for (const phi of i.phis) {
    const { r, rb } = capminVRebucketed(base, phi, i.mergeToward, i.fClk);
    const cmp = compareMerge(r, rb, a, i.fMacTotal);
    const res: PhiSweepRow<A> = {
      phi,
      kV: r.survivors.length,
      survivors: r.survivors,
      readLevel: clippedReadLevels(r.readLevel),
      meanPCorrectAlg1: cmp.weightedAlg1 ?? cmp.meanAlg1,
      meanPCorrectRebucket: cmp.weightedRebucket ?? cmp.meanRebucket,
      meanAbsErrAlg1: cmp.meanAbsErrAlg1,
      meanAbsErrRebucket: cmp.meanAbsErrRebucket,
      latency: guaranteedResponseTime(r.survivorTimes),
    };
    if (evaluate) {
      res.accRebucket = await evaluate(padRebucket(rb, a, { pad: i.pad }), i.runs, phi, 'rebucket', 're-bucketed');
      if (i.alg1Runs > 0) res.accAlg1 = await evaluate(padCapminV(r, a, { pad: i.pad }), i.alg1Runs, phi, 'alg1', 'Alg. 1 P_map');
    }
    if (i.compareToward) {
      const o = capminVRebucketed(base, phi, otherToward, i.fClk);
      const cmpO = compareMerge(o.r, o.rb, a, i.fMacTotal);
      res.other = {
        mergeToward: otherToward,
        survivors: o.r.survivors,
        readLevel: clippedReadLevels(o.r.readLevel),
        meanAbsErrRebucket: cmpO.meanAbsErrRebucket,
        meanPCorrectRebucket: cmpO.weightedRebucket ?? cmpO.meanRebucket,
      };
      if (evaluate) res.other.accRebucket = await evaluate(padRebucket(o.rb, a, { pad: i.pad }), i.runs, phi, `rebucket-${otherToward}`, `toward ${otherToward}, re-bucketed`);
    }
    rows.push(res);
  }
  return rows;
}

/**
 * The re-bucketed CapMin-V P_map at φ laid out over k₀'s kept levels (columns of merged-away levels are 0), for the
 * report's heatmaps. Pure, no cache.
 */
export function rebucketedOverKept(base: KeptPmap, phi: number, dir: MergeToward, fClk: number): number[][] {
  const { rb } = capminVRebucketed(base, phi, dir, fClk);
  return rb.levels.map((_, i) => base.levels.map((n) => { const j = rb.survivors.indexOf(n); return j < 0 ? 0 : rb.matrix[i]![j]!; }));
}

/** Accuracy with the other padding, for the stage of {@link paddingComparison}: CapMin at k₀ or CapMin-V at φ. */
export type PaddingEvaluator<A> = (which: 'capmin' | 'capmin-v', pMap: number[][], phi: number | undefined, label: string) => Promise<A>;

/**
 * Accuracy under variation with the run's padding of clipped rows (Alg. 1 line 15) against the other padding, on the
 * same runs: CapMin at k₀ and, when one was selected, CapMin-V at that φ (re-bucketed). Cache: none of its own.
 */
export async function paddingComparison<A>(
  i: { base: KeptPmap; k0: number; a: number; pad: PadMode; mergeToward: MergeToward; fClk: number; accK0: A; selected?: { phi: number; kV: number; acc: A } },
  evaluate: PaddingEvaluator<A>,
) {
  const other: PadMode = i.pad === 'paper' ? 'bound' : 'paper';
  const rows: { method: 'CapMin' | 'CapMin-V'; k: number; phi?: number; kV: number; acc: A; accOther: A }[] = [
    { method: 'CapMin', k: i.k0, kV: i.k0, acc: i.accK0, accOther: await evaluate('capmin', expandKept(i.base.levels, i.base.matrix, i.a, other), undefined, `k=${i.k0} (pad ${other})`) },
  ];
  const s = i.selected;
  if (s) {
    const { rb } = capminVRebucketed(i.base, s.phi, i.mergeToward, i.fClk);
    rows.push({ method: 'CapMin-V', k: i.k0, phi: s.phi, kV: s.kV, acc: s.acc, accOther: await evaluate('capmin-v', padRebucket(rb, i.a, { pad: other }), s.phi, `CapMin-V φ=${s.phi} (pad ${other})`) });
  }
  return { pad: i.pad, other, rows };
}
