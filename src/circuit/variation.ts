/**
 * Per-transistor-instance process variation written into the deck as BSIM4 instance parameters (ngspice 39:
 * `delvto`, `mulu0`, `w`, `l`). Draw the values outside ngspice (src/util/rng.ts) so decks are deterministic.
 */
import { inputError } from '../util/errors.js';
import { readUserText } from '../util/readfile.js';
import { parseSpiceValue, type Unit } from '../util/units.js';

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

/** Keys a device entry of a variation file may have (SI units: V, relative, m, m). */
export const DEVICE_VARIATION_KEYS: readonly (keyof DeviceVariation)[] = ['delvto', 'mulu0', 'dW', 'dL'];

/** Allowed range of each per-device value in a variation file (the deck writer's limits). */
const DEVICE_RANGES: Record<keyof DeviceVariation, { unit: Unit; min: number; max: number; dflt: number }> = {
  delvto: { unit: 'V', min: -1, max: 1, dflt: 0 },
  mulu0: { unit: '', min: 1e-3, max: 10, dflt: 1 },
  dW: { unit: '', min: -1e-6, max: 1e-6, dflt: 0 },
  dL: { unit: '', min: -1e-6, max: 1e-6, dflt: 0 },
};

/** A key from a user file as a path step (`.key` or `["odd key"]`), short and printable for a one-line error. */
function keyStep(k: string): string {
  if (/^[A-Za-z_][A-Za-z0-9_]{0,39}$/.test(k)) return `.${k}`;
  const t = k.length > 40 ? `${k.slice(0, 37)}...` : k;
  return `[${JSON.stringify(t.replace(/[^\x20-\x7e]/g, '?'))}]`;
}

/**
 * Check parsed variation data: an array of `a` cells, each an array of TRANSISTORS_PER_CELL device objects whose
 * only keys are DEVICE_VARIATION_KEYS (absent = nominal), each a finite number (or a SPICE value string such as
 * `30m`, at most 100 characters) in its range. Unknown keys (a typo like `delVto`) are errors naming the path
 * `variation[c][t].key` and the allowed keys. `where` names the source for the message (e.g. the file).
 */
export function parseVariation(data: unknown, a: number, where = '', devices = TRANSISTORS_PER_CELL): ArrayVariation {
  const at = where ? ` (in ${where})` : '';
  if (!Array.isArray(data) || data.length !== a) {
    throw inputError('variation', `must be an array of ${a} cells${Array.isArray(data) ? `, got ${data.length}` : ''}${at}`);
  }
  return data.map((cell: unknown, i) => {
    if (!Array.isArray(cell) || cell.length !== devices) throw inputError(`variation[${i}]`, `must list ${devices} transistors${at}`);
    return cell.map((d: unknown, t) => {
      const path = `variation[${i}][${t}]`;
      if (d === null || typeof d !== 'object' || Array.isArray(d)) throw inputError(path, `must be an object with keys ${DEVICE_VARIATION_KEYS.join(', ')}${at}`);
      for (const k of Object.keys(d)) {
        if (!(DEVICE_VARIATION_KEYS as readonly string[]).includes(k)) {
          throw inputError(`${path}${keyStep(k)}`, `unknown key${at}; allowed keys: ${DEVICE_VARIATION_KEYS.join(', ')}`);
        }
      }
      const rec = d as Record<string, unknown>;
      const out = nominalDevice();
      for (const k of DEVICE_VARIATION_KEYS) {
        const v = rec[k];
        if (v === undefined) continue;
        const spec = DEVICE_RANGES[k];
        if (typeof v !== 'number' && typeof v !== 'string') throw inputError(`${path}.${k}`, `must be a number or a SPICE value such as 30m${at}`);
        out[k] = parseSpiceValue(`${path}.${k}`, v, spec);
      }
      return out;
    });
  });
}

/** {@link parseVariation} of JSON text; a syntax error is a one-line error naming `where`. */
export function parseVariationJson(text: string, a: number, where = 'variation JSON', devices = TRANSISTORS_PER_CELL): ArrayVariation {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw inputError('variation', `cannot read ${where} as JSON (${String((e as Error).message).split('\n')[0]!.slice(0, 120)})`);
  }
  return parseVariation(data, a, where, devices);
}

/**
 * Read a per-instance variation file (`--variation FILE.json`, [cell][transistor] of {delvto, mulu0, dW, dL}) through
 * readUserText (regular files only, the `table` size cap) and check it with {@link parseVariation}.
 */
export function readVariationFile(path: string, a: number, field = '--variation', devices = TRANSISTORS_PER_CELL): ArrayVariation {
  return parseVariationJson(readUserText(path, { field, kind: 'table' }), a, path.slice(0, 200), devices);
}
