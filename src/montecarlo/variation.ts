/**
 * Process-variation model of the XNOR array (paper Sec. III-B / IV-C: "current variation" from device variation):
 * per transistor instance a Gaussian threshold shift (`delvto`, the work-function variation), a mobility factor
 * (`mulu0`), and W / L offsets; optionally a global (die-to-die) shift shared by every device of one array.
 *
 * Every number is drawn in TypeScript from `Rng` (src/util/rng.ts), addressed by (seed, level key, sample), so a
 * sample is the same on any machine and with any number of workers. See docs/montecarlo.md for the defaults' sources.
 */
import { Rng } from '../util/rng.js';
import { inputError } from '../util/errors.js';
import { TRANSISTORS_PER_CELL, type ArrayVariation, type DeviceVariation } from '../circuit/variation.js';

/** Standard deviations of the variation model (SI: V, relative, m, m). */
export interface VariationSigmas {
  /** σ of the per-device threshold shift [V] */
  delvto: number;
  /** σ of the per-device relative mobility factor (mulu0 = 1 + σ·N(0,1)) */
  mulu0: number;
  /** σ of the per-device width offset [m] */
  dW: number;
  /** σ of the per-device length offset [m] */
  dL: number;
  /** σ of a die-to-die threshold shift shared by all devices of one sample [V] (0 = off) */
  globalDelvto: number;
  /** σ of a die-to-die relative mobility factor shared by all devices of one sample (0 = off) */
  globalMulu0: number;
}

/**
 * Defaults (docs/montecarlo.md):
 * - σVth = 30 mV: Pelgrom σ = A_VT/√(WL) with A_VT ≈ 1.0 mV·µm (high-k/metal-gate 20–16 nm class) and
 *   W·L = 64 nm × 16 nm → 31 mV; also the figure measured in ../shared/notes/ngspice-39.md.
 * - σ(mulu0) = 3 %: current-factor mismatch A_β ≈ 0.1 %·µm at the same area (assumption; β mismatch is
 *   second to Vth mismatch in deeply scaled devices).
 * - σW = σL = 0.4 nm: line-width roughness, ITRS 3σ LWR ≈ 8 % of a 16 nm feature (≈ 1.3 nm).
 * - die-to-die: off (the paper calibrates device-to-device variation).
 */
export function defaultSigmas(): VariationSigmas {
  return { delvto: 0.03, mulu0: 0.03, dW: 0.4e-9, dL: 0.4e-9, globalDelvto: 0, globalMulu0: 0 };
}

/** All sigmas zero: every sample is the nominal circuit (P_map must be the identity). */
export function zeroSigmas(): VariationSigmas {
  return { delvto: 0, mulu0: 0, dW: 0, dL: 0, globalDelvto: 0, globalMulu0: 0 };
}

/** True when no variation is drawn at all. */
export function sigmasAreZero(s: VariationSigmas): boolean {
  return s.delvto === 0 && s.mulu0 === 0 && s.dW === 0 && s.dL === 0 && s.globalDelvto === 0 && s.globalMulu0 === 0;
}

const SIGMA_LIMITS: Record<keyof VariationSigmas, number> = {
  delvto: 0.2,
  mulu0: 0.3,
  dW: 10e-9,
  dL: 4e-9,
  globalDelvto: 0.2,
  globalMulu0: 0.3,
};

/**
 * Check sigmas: finite, ≥ 0 and below a physical limit, and no key other than the six sigmas (a typo such as
 * `delVto` would otherwise leave that variation off silently). One-line error naming the field.
 */
export function validateSigmas(s: VariationSigmas): VariationSigmas {
  if (s === null || typeof s !== 'object') throw inputError('sigma', `must be an object with keys ${Object.keys(SIGMA_LIMITS).join(', ')}`);
  for (const k of Object.keys(s)) {
    if (!Object.hasOwn(SIGMA_LIMITS, k)) {
      const name = (k.length > 40 ? `${k.slice(0, 37)}...` : k).replace(/[^\x20-\x7e]/g, '?');
      throw inputError(`sigma.${name}`, `unknown key; allowed keys: ${Object.keys(SIGMA_LIMITS).join(', ')}`);
    }
  }
  for (const k of Object.keys(SIGMA_LIMITS) as (keyof VariationSigmas)[]) {
    const v = s[k];
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || v > SIGMA_LIMITS[k]) {
      throw inputError(`sigma.${k}`, `${v} is out of range; allowed range 0 .. ${SIGMA_LIMITS[k]}`);
    }
  }
  return s;
}

/**
 * How samples of different levels relate.
 * - `die` (default): sample index s is one array instance (die), shared by every level; the quasi-static engine then
 *   needs one DC sweep per sample for all levels. Each row of P_map still sees `samples` independent dies.
 * - `level`: every (level, sample) pair is an independent die (costs one sweep per pair in the quasi-static engine).
 */
export type Correlation = 'die' | 'level';

/** Stream tags so the device draws and the global draws never share a random stream. */
const TAG_DEVICE = 0x4d43_0001;
const TAG_GLOBAL = 0x4d43_0002;
/** Level key used for `die` correlation (outside 0..a). */
export const SHARED_LEVEL_KEY = 0xffff;

/** The level part of the random-stream key of (level, sample) under a correlation mode. */
export function levelKey(level: number, correlation: Correlation): number {
  return correlation === 'die' ? SHARED_LEVEL_KEY : level;
}

/** Clamp the mobility multiplier to a physical range (a 10 σ tail must not make it ≤ 0). */
function clampMulu0(x: number): number {
  return Math.min(3, Math.max(0.1, x));
}

/**
 * Draw the variation of one array instance: `a` cells × 4 transistors, each with its own delvto/mulu0/dW/dL,
 * plus the optional global shift. Fully determined by (seed, lkey, sample): four normals are always drawn per
 * device in a fixed order, so changing one sigma never reshuffles the others.
 */
export function sampleArrayVariation(
  seed: number,
  lkey: number,
  sample: number,
  a: number,
  s: VariationSigmas,
  cell: { devices?: number; scale?: readonly number[] } = {},
): ArrayVariation {
  // `cell`: devices per cell (default 4, the built-in cell) and per-device σ(delvto)/σ(mulu0) multipliers (Pelgrom);
  // the draw order is the same for any count, so the built-in cell's draws are unchanged
  const devices = cell.devices ?? TRANSISTORS_PER_CELL;
  const rng = new Rng(seed, TAG_DEVICE, lkey, sample);
  const g = new Rng(seed, TAG_GLOBAL, lkey, sample);
  const gVth = g.normal() * s.globalDelvto;
  const gMu = g.normal() * s.globalMulu0;
  const out: ArrayVariation = [];
  const scale = cell.scale;
  for (let c = 0; c < a; c++) {
    const row: DeviceVariation[] = [];
    for (let t = 0; t < devices; t++) {
      const n1 = rng.normal();
      const n2 = rng.normal();
      const n3 = rng.normal();
      const n4 = rng.normal();
      const k = scale?.[t] ?? 1;
      row.push({
        delvto: round(n1 * s.delvto * k + gVth, 1e-7),
        mulu0: round(clampMulu0((1 + n2 * s.mulu0 * k) * (1 + gMu)), 1e-7),
        dW: round(n3 * s.dW, 1e-13),
        dL: round(n4 * s.dL, 1e-13),
      });
    }
    out.push(row);
  }
  return out;
}

/**
 * Round to a fixed quantum so the value written into a deck and the value used in TypeScript are the same number
 * (0.1 µV, 1e-7 relative, 0.1 fm — far below any physical effect). `-0` becomes 0.
 */
function round(x: number, q: number): number {
  const r = Math.round(x / q) * q;
  return Number(r.toPrecision(10)) + 0;
}
