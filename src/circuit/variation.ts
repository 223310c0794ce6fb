/**
 * Per-transistor-instance process variation written into the deck as BSIM4 instance parameters (ngspice 39:
 * `delvto`, `mulu0`, `w`, `l`). Draw the values outside ngspice (src/util/rng.ts) so decks are deterministic.
 */

/** Variation of one NMOS instance. */
export interface DeviceVariation {
  /** threshold-voltage shift [V] (instance `delvto`) */
  delvto: number;
  /** mobility multiplier (instance `mulu0`), 1 = nominal */
  mulu0: number;
  /** width offset [m] added to wN */
  dW: number;
  /** length offset [m] added to lN */
  dL: number;
}

/** Variation of the whole array, indexed [cell][transistor 0..3] (see deck.ts for the transistor numbering). */
export type ArrayVariation = DeviceVariation[][];

/** Transistors per XNOR cell. */
export const TRANSISTORS_PER_CELL = 4;

/** Nominal device. */
export function nominalDevice(): DeviceVariation {
  return { delvto: 0, mulu0: 1, dW: 0, dL: 0 };
}

/** All-nominal variation for an `a`-cell array. */
export function zeroVariation(a: number): ArrayVariation {
  return Array.from({ length: a }, () => Array.from({ length: TRANSISTORS_PER_CELL }, nominalDevice));
}

/** True when the device is nominal (its instance line then carries no variation parameters). */
export function isNominal(d: DeviceVariation): boolean {
  return d.delvto === 0 && d.mulu0 === 1 && d.dW === 0 && d.dL === 0;
}
