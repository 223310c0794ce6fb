/**
 * The analytic-check stage: per level, the SPICE crossing time against Eq. 5 and the quasi-static integral with the
 * fitted C_par — the table of the report.
 */
import type { CircuitParams } from '../circuit/params.js';
import type { SpiceQueue } from '../spice/runner.js';
import { validateLevels } from './validate.js';

/** One level of the analytic table; times in s, current in A. */
export interface AnalyticTableRow {
  level: number;
  /** ML current at V(ML) = 0 (ngspice op) [A] */
  iInit: number;
  /** SPICE transient crossing of V_th [s] */
  tSpice: number | null;
  /** Eq. 5 with V0 and I_init [s] */
  tEq5: number | null;
  /** (tEq5 − tSpice) / tSpice */
  relErr: number | null;
  /** quasi-static integral with C_mem + C_par [s] */
  tQuasiStatic: number | null;
}

/** SPICE vs Eq. 5 vs quasi-static for `levels` (src/analytic/validate.ts). Cache: none (`capmin run` caches it as 'analytic'). */
export async function analyticTable(p: CircuitParams, levels: number[], queue: SpiceQueue, opts: { progress?: boolean } = {}): Promise<AnalyticTableRow[]> {
  const r = await validateLevels(p, levels, queue, opts);
  return r.rows.map((x) => ({ level: x.level, iInit: x.iInit, tSpice: x.tSpice, tEq5: x.tEq5, relErr: x.relErr, tQuasiStatic: x.tQsPar }));
}
