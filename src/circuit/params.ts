/**
 * Circuit parameters of the paper's Fig. 2 neuron (Sec. II-B): an `a`-cell XNOR match-line array charging C_mem,
 * a comparator at V_th and a flip-flop clocked at f_clk. All values in SI base units.
 */
import { createHash } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { inputError } from '../util/errors.js';
import { packageRoot, shippedFile } from '../util/paths.js';
import { parseSpiceValue, type Unit } from '../util/units.js';
import type { CircuitSpec } from './circuitfile.js';
import { checkSpiceChain, type ReachedFile } from './safety.js';

export interface CircuitParams {
  /** number of XNOR cells in the array (paper: a = 32) */
  a: number;
  /** membrane capacitor C_mem [F] */
  cMem: number;
  /** supply of the cells' branches V0 [V] (paper Eq. 2) */
  v0: number;
  /** gate drive high level [V] */
  vdd: number;
  /** comparator threshold V_th [V] */
  vth: number;
  /** flip-flop clock frequency [Hz] */
  fClk: number;
  /** transient window [s] */
  tStop: number;
  /** transient print step, also caps the internal step [s] */
  tStep: number;
  /** temperature [degC] */
  tempC: number;
  /** path of the BSIM4 model card defining `.model nfet nmos level=54` */
  modelCard: string;
  /** NMOS width [m] */
  wN: number;
  /** NMOS length [m] */
  lN: number;
  /**
   * The user's circuit (cell subcircuit, model files with hashes, corner) from a circuit file; absent = the built-in
   * Fig. 2 cell written as flat MOSFET lines on `modelCard` (today's decks, byte for byte).
   */
  circuit?: CircuitSpec;
}

/** The capmin package directory (alias of `packageRoot` in src/util/paths.ts, kept for existing callers). */
export const projectRoot = packageRoot;

/** The shipped 16nm PTM HP NMOS card. */
export function defaultModelCard(): string {
  return shippedFile('models', 'ptm16hp-nmos.pm');
}

/** Defaults matching the measured circuit (notes/ngspice-39.md): 32 cells, 10 pF, V0 = VDD = 0.8 V, V_th = 0.225 V, 2 GHz. */
export function defaultCircuit(): CircuitParams {
  return {
    a: 32,
    cMem: 10e-12,
    v0: 0.8,
    vdd: 0.8,
    vth: 0.225,
    fClk: 2e9,
    tStop: 200e-9,
    tStep: 100e-12,
    tempC: 27,
    modelCard: defaultModelCard(),
    wN: 64e-9,
    lN: 16e-9,
  };
}

interface FieldSpec {
  unit: Unit;
  min: number;
  max: number;
  integer?: boolean;
}

/** Allowed ranges of the numeric fields (checked by validateCircuit). */
export const CIRCUIT_RANGES: Record<Exclude<keyof CircuitParams, 'modelCard' | 'circuit'>, FieldSpec> = {
  a: { unit: '', min: 1, max: 256, integer: true },
  cMem: { unit: 'F', min: 1e-15, max: 1e-8 },
  v0: { unit: 'V', min: 0.05, max: 3 },
  vdd: { unit: 'V', min: 0.05, max: 3 },
  vth: { unit: 'V', min: 1e-3, max: 3 },
  fClk: { unit: 'Hz', min: 1e6, max: 100e9 },
  tStop: { unit: 's', min: 1e-12, max: 1e-3 },
  tStep: { unit: 's', min: 1e-15, max: 1e-6 },
  tempC: { unit: 'degC', min: -55, max: 175 },
  wN: { unit: '', min: 5e-9, max: 100e-6 },
  lN: { unit: '', min: 5e-9, max: 100e-6 },
};

/**
 * Merge `p` over the defaults, parsing SPICE suffixes (`9.6p`, `2G`) and checking every range; throws a one-line
 * CapminError naming the field and its allowed range. Also checks the model card (see `checkModelCard`).
 */
export function validateCircuit(
  p: Partial<Record<Exclude<keyof CircuitParams, 'circuit'>, string | number>> & { circuit?: CircuitSpec } = {},
): CircuitParams {
  const d = defaultCircuit();
  const out = { ...d } as CircuitParams;
  for (const key of Object.keys(p) as (keyof CircuitParams)[]) {
    if (key === 'circuit') continue;
    if (!(key in d)) throw inputError(String(key), `unknown circuit parameter; allowed: ${Object.keys(d).join(', ')}`);
  }
  for (const key of Object.keys(CIRCUIT_RANGES) as (keyof typeof CIRCUIT_RANGES)[]) {
    const v = p[key];
    if (v === undefined) continue;
    const spec = CIRCUIT_RANGES[key];
    const text = typeof v === 'number' ? v : String(v).replace(/^\s+|\s+$/g, '');
    // units for W/L may be written in metres (`64n`, `64nm`)
    const t = (key === 'wN' || key === 'lN') && typeof text === 'string' ? text.replace(/m$/i, (s) => (/\dm$/i.test(text) ? s : '')) : text;
    (out as unknown as Record<string, number>)[key] = parseSpiceValue(key, t, spec);
  }
  if (p.modelCard !== undefined) out.modelCard = String(p.modelCard);
  if (p.circuit !== undefined) {
    if (p.modelCard !== undefined) throw inputError('modelCard', 'cannot be combined with a circuit file; name the model files in the circuit file');
    out.circuit = p.circuit;
    // the first model file stands for the circuit where one file is needed (executor staging, relocatable keys)
    out.modelCard = p.circuit.models[0]!.file;
  }
  // cross-field checks
  if (out.vth >= out.v0) throw inputError('vth', `${out.vth} V must be below v0 = ${out.v0} V; allowed range 1 mV .. ${out.v0} V (exclusive)`);
  if (out.tStep > out.tStop / 10) throw inputError('tStep', `${out.tStep} s is too coarse for tStop = ${out.tStop} s; allowed range 1 fs .. tStop/10`);
  if (out.circuit === undefined) checkModelCard(out.modelCard);
  out.modelCard = resolve(out.modelCard);
  return out;
}

const CONTROL_CHARS = /[\u0000-\u001f\u007f"'`$\\;]/;
/** Total bytes a model card and the files it reaches may have. */
const MODEL_CHAIN_BYTES = 16 * 1024 * 1024;
const modelCache = new Map<string, { sig: string; files: ReachedFile[] }>();

/** Identity of the reached files' current versions (cheap: one stat each), so an edited file is checked again. */
function chainSignature(paths: readonly string[]): string | null {
  try {
    return paths.map((p) => {
      const st = statSync(p);
      return `${p}:${st.dev}:${st.ino}:${st.size}:${st.mtimeMs}:${st.ctimeMs}`;
    }).join('|');
  } catch {
    return null;
  }
}

/**
 * Check a BSIM4 model card path before it reaches a deck: the path has no newline, quote or control characters; it
 * is a regular file (< 1 MB); its content and every file it reaches through `.include` / `.lib FILE SECTION` pass the
 * deck-safety rule (src/circuit/safety.ts: no `.control`, `*#`, commands, unprovable `{…}`) with the `models`
 * profile (only `.model` cards, their `+` lines and includes); the chain defines `.model nfet nmos` (or binned
 * `nfet.N`). Returns the reached files with their SHA-256. Cached per file version.
 */
export function checkModelCard(path: string): ReachedFile[] {
  const field = 'modelCard';
  if (typeof path !== 'string' || path.length === 0) throw inputError(field, 'must be a file path to a BSIM4 model card');
  if (CONTROL_CHARS.test(path)) throw inputError(field, 'path must not contain newlines, quotes, control characters, $, `, \\ or ;');
  if (path.length > 1024) throw inputError(field, 'path longer than 1024 characters');
  const abs = resolve(path);
  const hit = modelCache.get(abs);
  if (hit && chainSignature(hit.files.map((f) => f.path)) === hit.sig) return hit.files;
  if (!existsSync(abs)) throw inputError(field, `'${path.slice(0, 80)}' does not exist; give a BSIM4 model card file`);
  const st = statSync(abs);
  if (!st.isFile()) throw inputError(field, `'${path.slice(0, 80)}' is not a regular file`);
  if (st.size > 1_000_000) throw inputError(field, `'${path.slice(0, 80)}' is larger than 1 MB; expected a model card`);
  const chain = checkSpiceChain(abs, { field, profile: 'models', maxBytes: MODEL_CHAIN_BYTES });
  if (!chain.models.some((m) => m.type === 'nmos' && /^nfet(\.\d+)?$/.test(m.name))) {
    throw inputError(field, `'${path.slice(0, 80)}' does not define '.model nfet nmos'`);
  }
  const sig = chainSignature(chain.files.map((f) => f.path));
  if (sig !== null) modelCache.set(abs, { sig, files: chain.files });
  return chain.files;
}

/**
 * Content hash of a model card for cache keys and manifests: the card's own SHA-256 when it reaches no other file
 * (the same value as hashing the file), else the SHA-256 of the reached files' `path sha256` lines, so editing an
 * included file changes it. Checks the card (see `checkModelCard`).
 */
export function modelCardSha256(path: string): string {
  const files = checkModelCard(path);
  if (files.length === 1) return files[0]!.sha256;
  return createHash('sha256').update(files.map((f) => `${f.path} ${f.sha256}\n`).join('')).digest('hex');
}
