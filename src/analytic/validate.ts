/**
 * The analytic check of `capmin validate`: per level, the SPICE transient crossing time against paper Eq. 5 with the
 * extracted I_init (V0 = circuit V0) and against the quasi-static integral t = (C + C_par) ∫₀^Vth dV / I(V); plus the
 * R_eq / effective V0 that make Eq. 5 exact and a least-squares fit of Eq. 2 to the waveform.
 */
import type { CircuitParams } from '../circuit/params.js';
import type { SpiceQueue } from '../spice/runner.js';
import { registerSpike, runLevelTransient } from '../spikes/spikes.js';
import { Progress } from '../util/progress.js';
import { effectiveV0, eq5SpikeTime, fitReqV0 } from './equations.js';
import { fitParasitic, inverseCurrentIntegral, QS_POINTS } from './quasistatic.js';
import { extractIinit, sweepIV } from '../spikes/extract.js';

export interface ValidateRow {
  level: number;
  /** ML current at V(ML) = 0 from ngspice op [A] */
  iInit: number;
  /** ML current at V(ML) = 0 from the DC sweep (consistency check) [A] */
  iSweep0: number;
  /** SPICE transient crossing of V_th (interpolated) [s] */
  tSpice: number | null;
  /** ngspice's own `meas tran ... when v(ml)=vth` [s] */
  tMeas: number | null;
  /** registered spike time (next rising clock edge) and its cycle */
  tSpike: number | null;
  clockCycle: number | null;
  /** paper Eq. 5 with V0 and the extracted I_init [s] */
  tEq5: number | null;
  /** (tEq5 − tSpice) / tSpice */
  relErr: number | null;
  /** quasi-static integral with C_mem only [s] */
  tQs: number | null;
  qsRelErr: number | null;
  /** quasi-static integral with C_mem + fitted ML parasitic C_par [s] */
  tQsPar: number | null;
  qsParRelErr: number | null;
  /** V0 that makes Eq. 5 reproduce tSpice with I_init, and R_eq = vEff / I_init */
  vEff: number | null;
  rEq: number | null;
  /** least-squares fit of Eq. 2 to V(t) on [0, tSpice]: R_eq, V0 and RMS residual */
  fitReq: number | null;
  fitV0: number | null;
  fitRms: number | null;
  /** ngspice wall time of the three runs [ms] */
  simMs: number;
}

export interface ValidateResult {
  params: CircuitParams;
  /** ML parasitic capacitance fitted from t_SPICE ≈ (C + C_par) ∫dV/I over all firing levels [F] */
  cPar: number;
  rows: ValidateRow[];
  /** summary over firing levels */
  summary: { eq5RelErrMin: number; eq5RelErrMax: number; qsRelErrMaxAbs: number; qsParRelErrMaxAbs: number; measDiffMaxAbs: number };
}

/** Run op + DC sweep + transient for each level and compare (simulations in parallel on `queue`). */
export async function validateLevels(p: CircuitParams, levels: number[], queue: SpiceQueue, opts: { progress?: boolean } = {}): Promise<ValidateResult> {
  const prog = opts.progress === false ? null : new Progress('validate', levels.length, 'levels');
  const partial = await Promise.all(
    levels.map(async (level) => {
      const t0 = performance.now();
      const [iInit, iv, tr] = await Promise.all([
        extractIinit(p, level, queue),
        // the Monte-Carlo engine's grid and rule, so this checks the numerics the pipeline uses
        sweepIV(p, level, queue, { dcStep: p.vth / (QS_POINTS - 1), dcStop: p.vth }),
        runLevelTransient(p, level, { queue, measure: true }),
      ]);
      prog?.tick(1, `m=${level}`);
      const j = inverseCurrentIntegral(iv.v, iv.i, p.vth); // ∫ dV / I
      const ivIntegral = Number.isFinite(j) ? j : null;
      return { level, iInit, iv, tr, ivIntegral, simMs: performance.now() - t0 };
    }),
  );
  prog?.finish();
  // C_par by least squares over the firing levels, as the Monte-Carlo engine fits it
  const cPar = fitParasitic(p.cMem, partial.map((r) => r.ivIntegral ?? Infinity), partial.map((r) => r.tr.tCross ?? Infinity));
  const rel = (a: number | null, b: number | null): number | null => (a === null || b === null ? null : (a - b) / b);
  const rows: ValidateRow[] = partial.map((r) => {
    const tSpice = r.tr.tCross;
    const reg = tSpice === null ? null : registerSpike(tSpice, p.fClk);
    const tEq5 = eq5SpikeTime(p.cMem, p.v0, p.vth, r.iInit);
    const tQs = r.ivIntegral === null ? null : p.cMem * r.ivIntegral;
    const tQsPar = r.ivIntegral === null ? null : (p.cMem + cPar) * r.ivIntegral;
    const vEff = tSpice === null ? null : effectiveV0(tSpice, p.cMem, p.vth, r.iInit);
    let fit: { req: number; v0: number; rms: number } | null = null;
    if (tSpice !== null) {
      try {
        fit = fitReqV0(r.tr.t, r.tr.v, p.cMem, tSpice);
      } catch {
        fit = null;
      }
    }
    return {
      level: r.level,
      iInit: r.iInit,
      iSweep0: r.iv.i[0]!,
      tSpice,
      tMeas: r.tr.tCrossMeas ?? null,
      tSpike: reg?.tSpike ?? null,
      clockCycle: reg?.clockCycle ?? null,
      tEq5: tSpice === null ? null : tEq5,
      relErr: rel(tEq5, tSpice),
      tQs: tSpice === null ? null : tQs,
      qsRelErr: rel(tQs, tSpice),
      tQsPar: tSpice === null ? null : tQsPar,
      qsParRelErr: rel(tQsPar, tSpice),
      vEff,
      rEq: vEff === null ? null : vEff / r.iInit,
      fitReq: fit?.req ?? null,
      fitV0: fit?.v0 ?? null,
      fitRms: fit?.rms ?? null,
      simMs: r.simMs,
    };
  });
  const vals = (f: (r: ValidateRow) => number | null): number[] => rows.map(f).filter((x): x is number => x !== null);
  const e5 = vals((r) => r.relErr);
  const qs = vals((r) => r.qsRelErr).map(Math.abs);
  const qsp = vals((r) => r.qsParRelErr).map(Math.abs);
  const md = vals((r) => (r.tMeas === null || r.tSpice === null ? null : Math.abs(r.tMeas - r.tSpice)));
  return {
    params: p,
    cPar,
    rows,
    summary: {
      eq5RelErrMin: e5.length ? Math.min(...e5) : NaN,
      eq5RelErrMax: e5.length ? Math.max(...e5) : NaN,
      qsRelErrMaxAbs: qs.length ? Math.max(...qs) : NaN,
      qsParRelErrMaxAbs: qsp.length ? Math.max(...qsp) : NaN,
      measDiffMaxAbs: md.length ? Math.max(...md) : NaN,
    },
  };
}
