/**
 * The results of `capmin run` (written to runs/<id>/results.json) — everything the report renders.
 * Times in s, capacitances in F, energies in J, accuracies as fractions 0..1. Infinity (no spike) is stored as null.
 */
import type { CircuitInfo } from '../circuit/describe.js';
import type { SpotCheckFigures } from '../montecarlo/validated.js';

/** Accuracy over several Monte-Carlo inference runs. */
export interface AccuracyStats {
  mean: number;
  min: number;
  max: number;
  runs: number;
  images: number;
}

/** Cost of one neuron configuration. */
export interface CostRow {
  /** membrane capacitor [F] */
  cMem: number;
  /** guaranteed response time: last representable spike [s] */
  latency: number;
  /** ½·C·V_th² [J] */
  energy: number;
}

/** One k of the CapMin sweep. */
export interface KResult extends Partial<CostRow> {
  k: number;
  lo: number;
  hi: number;
  contiguous: boolean;
  coverage: number;
  /** how C_mem was obtained: 'spice' (bisection verified in SPICE), 'analytic', … */
  cMemSource?: string;
  /** nominal registered spike time per kept level (null = no spike) at cMem, ascending level */
  spikeTimes?: (number | null)[];
  accNoVar?: number;
  accVar?: AccuracyStats;
  /** P_map diagonal over the kept levels at cMem */
  pmapDiag?: number[];
  /** engine that produced the P_map, and the transient spot check of the quasi-static one (same samples) */
  mcEngine?: 'quasistatic' | 'transient';
  crosscheck?: SpotCheck;
}

/** Quasi-static vs transient on the first samples of a P_map run (defined with the policy that computes it). */
export type SpotCheck = SpotCheckFigures;

/** One φ of CapMin-V. */
export interface PhiResult {
  phi: number;
  kV: number;
  survivors: number[];
  /** level → read level over 0..a */
  readLevel: number[];
  /** accuracy under variation, P_map re-bucketed from the raw samples with the merged boundaries */
  accRebucket?: AccuracyStats;
  /** accuracy under variation, Alg. 1's column-merged P_map padded to the clipped range */
  accAlg1?: AccuracyStats;
  /** mean P(correct read) over the kept levels (Alg. 1 / re-bucketed) */
  meanPCorrectAlg1?: number;
  meanPCorrectRebucket?: number;
  /** F_MAC-weighted expected |read − true| level error (Alg. 1 / re-bucketed) */
  meanAbsErrAlg1?: number;
  meanAbsErrRebucket?: number;
  latency?: number;
  /**
   * The same φ merging in the other direction (`mergeToward` names it: toward the neighbour with the lower or the
   * higher diagonal entry), re-bucketed; evaluated next to the pipeline's direction because the two differ a lot on
   * our P_maps.
   */
  other?: { mergeToward: 'lower' | 'higher'; survivors: number[]; readLevel: number[]; accRebucket?: AccuracyStats; meanAbsErrRebucket?: number; meanPCorrectRebucket?: number };
}

/**
 * Accuracy under variation with the pipeline's padding of clipped rows (Alg. 1 line 15) and with the other one, on
 * the same runs: CapMin at k₀ and CapMin-V at the selected φ.
 */
export interface PaddingComparison {
  /** 'paper': clipped rows one-hot on the bound (Alg. 1 line 15); 'bound': the bound's error row */
  pad: 'paper' | 'bound';
  other: 'paper' | 'bound';
  rows: { method: 'CapMin' | 'CapMin-V'; k: number; phi?: number; kV: number; acc: AccuracyStats; accOther: AccuracyStats }[];
}

/** A chosen configuration (smallest capacitor within the accuracy tolerance). */
export interface Selection extends CostRow {
  method: 'baseline' | 'CapMin' | 'CapMin (under variation)' | 'CapMin-V';
  k: number;
  phi?: number;
  accuracy: number;
  note?: string;
}

export interface ChargingCurves {
  cMem: number;
  vth: number;
  fClk: number;
  curves: { level: number; t: number[]; v: number[]; tCross: number | null; tSpike: number | null }[];
}

export interface AnalyticRow {
  level: number;
  iInit: number;
  tSpice: number | null;
  tEq5: number | null;
  relErr: number | null;
  tQuasiStatic?: number | null;
}

export interface PmapFigure {
  label: string;
  levels: number[];
  matrix: number[][];
}

export interface RunResults {
  id: string;
  createdAt: string;
  quick: boolean;
  config: Record<string, unknown>;
  /** the circuit every figure comes from (cell, model card and hash, corner, temperature, supplies, C_mem) */
  circuit?: CircuitInfo;
  /** error-free test accuracy (no clipping, no variation) */
  errorFree?: { accuracy: number; images: number };
  /** tolerance used for the selections (absolute accuracy loss, 0.01 = 1 percentage point) */
  tolerance: number;
  fMac?: { total: number[]; perLayer?: { name: string; counts: number[] }[]; images: number; split: string };
  baseline?: KResult;
  perK: KResult[];
  capminV?: {
    k0: number;
    cMem?: number;
    lo: number;
    hi: number;
    phis: PhiResult[];
    uses: 'rebucket' | 'alg1';
    /** interior merge target of the main series: 'lower' = Alg. 1 lines 6–11 as printed */
    mergeToward: 'lower' | 'higher';
    /** rows of clipped levels in every padded P_map of the run (CapMin and CapMin-V) */
    pad: 'paper' | 'bound';
  };
  padding?: PaddingComparison;
  selections: Selection[];
  charging?: ChargingCurves;
  analytic?: AnalyticRow[];
  pmaps: PmapFigure[];
  /** stage name → seconds (this invocation; cached stages take ~0) */
  timings: Record<string, number>;
  /** what could not be computed and why (upstream pieces missing, failed stages) */
  missing: string[];
  notes: string[];
}
