/** The analytic check: paper Eq. 2/3/5, the quasi-static integral and the cost model, compared with SPICE. */
export {
  /** Eq. 2: V0·(1 - e^(-t/τ)), the RC charging voltage at t; pure, no cache. */
  eq2Voltage,
  /** Eq. 3: Eq. 2 with R_eq = V0 / I_init, the voltage at t; pure, no cache. */
  eq3Voltage,
  /** Eq. 5: spike time t = -(C·V0/I)·ln(1 - V_th/V0), null when it never fires; pure, no cache. */
  eq5SpikeTime,
  /** ½·C·V_th², the energy per MAC evaluation (Sec. IV-B); pure, no cache. */
  capEnergy,
  /** V0 for which Eq. 5 reproduces a measured spike time; pure, no cache. */
  effectiveV0,
  /** Fit R_eq and V0 of Eq. 2 to a charging waveform; pure, no cache. */
  fitReqV0,
} from './equations.js';
export {
  QS_POINTS,
  /** J = ∫₀^V_th dV / I(V) from a DC sweep (the one quasi-static integral of capmin); pure, no cache. */
  inverseCurrentIntegral,
  /** Quasi-static crossing time (C_mem + C_par)·J, Infinity beyond the window; pure, no cache. */
  qsCrossTime,
  /** Quasi-static spike time straight from a DC sweep, null when it never fires; pure, no cache. */
  quasiStaticTime,
  /** Match-line parasitic C_par fitted to SPICE transient crossing times; pure, no cache. */
  fitParasitic,
  /** Transient span that decides spike or no spike, max(tStop, 3·C_mem·J_1); pure, no cache. */
  noSpikeWindow,
} from './quasistatic.js';
export {
  type ValidateRow,
  type ValidateResult,
  /** The analytic check per level: op, DC sweep and transient in ngspice against Eq. 5 and the quasi-static integral; no cache. */
  validateLevels,
} from './validate.js';
export {
  type AnalyticTableRow,
  /** SPICE vs Eq. 5 vs quasi-static per level (the report's analytic table); no cache. */
  analyticTable,
} from './table.js';
