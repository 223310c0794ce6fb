/**
 * What circuit a result comes from, in words a reader checks against a schematic: cell, model card (file and hash),
 * process corner, temperature, supplies, threshold, clock and C_mem. Every figure states it (subtitle or caption) and
 * the report's configuration table lists it. Today the circuit is the one Fig. 2 neuron with nominal devices; the
 * `cell` and `corner` fields are where a future circuit file names its own.
 */
import { basename, resolve } from 'node:path';
import type { CircuitParams } from './params.js';
import { checkModelCard } from './params.js';

/** A circuit described for readers (SI units, as the params hold them). */
export interface CircuitInfo {
  /** cell topology and device size */
  cell: string;
  /** array size a */
  a: number;
  /** model card file name (not its path: the same card in another checkout is the same circuit) */
  modelCard: string;
  /** SHA-256 of the model card file (hex), or null when it could not be read */
  modelCardSha256: string | null;
  /** process corner of the devices */
  corner: string;
  tempC: number;
  v0: number;
  vdd: number;
  vth: number;
  fClk: number;
  cMem: number;
}

/** The Fig. 2 cell as the deck builds it (src/circuit/deck.ts): two series-NMOS branches per XNOR cell. */
function cellName(p: CircuitParams): string {
  return `XNOR cell, 2×2 series NMOS (W/L = ${Math.round(p.wN * 1e9)}/${Math.round(p.lN * 1e9)} nm)`;
}

/**
 * Describe `p` (pure). With a circuit file (`p.circuit`) the cell, model files, their hash and the corner come from
 * it; otherwise `modelCardSha256` is the built-in card's hash (see `circuitInfo` for the one that reads it) and the
 * corner is the nominal devices every built-in deck uses (Monte-Carlo variation is drawn around them).
 */
export function describeCircuit(p: CircuitParams, modelCardSha256: string | null, opts: { corner?: string; cell?: string } = {}): CircuitInfo {
  const spec = p.circuit;
  if (spec) {
    const modelFiles = spec.models.map((m) => resolve(m.file));
    const sha = spec.files.find((f) => modelFiles.includes(resolve(f.path)))?.sha256 ?? null;
    return {
      cell: opts.cell ?? `${spec.cell.subckt} from ${basename(spec.cell.file)} (circuit ${spec.name}, W/L = ${Math.round(p.wN * 1e9)}/${Math.round(p.lN * 1e9)} nm)`,
      a: p.a,
      modelCard: spec.models.map((m) => (m.kind === 'lib' ? `${basename(m.file)} [${m.section}]` : basename(m.file))).join(', '),
      modelCardSha256: sha ?? modelCardSha256,
      corner: opts.corner ?? spec.corner,
      // the values the decks use: the corner's, or the command line's where it overrides them
      ...electrical(p),
    };
  }
  return {
    cell: opts.cell ?? cellName(p),
    a: p.a,
    modelCard: basename(p.modelCard),
    modelCardSha256,
    corner: opts.corner ?? 'nominal (tt)',
    ...electrical(p),
  };
}

/** Temperature, supplies, threshold, clock and capacitor as the decks use them. */
function electrical(p: CircuitParams): Pick<CircuitInfo, 'tempC' | 'v0' | 'vdd' | 'vth' | 'fClk' | 'cMem'> {
  return { tempC: p.tempC, v0: p.v0, vdd: p.vdd, vth: p.vth, fClk: p.fClk, cMem: p.cMem };
}

/** `describeCircuit` with the built-in model card's SHA-256 read through the model-card check (cached per file version). */
export function circuitInfo(p: CircuitParams): CircuitInfo {
  let sha: string | null = null;
  try {
    sha = checkModelCard(p.modelCard)[0]?.sha256 ?? null;
  } catch {
    sha = null;
  }
  return describeCircuit(p, sha);
}

/** A number with up to 4 significant digits (no trailing zeros). */
function g4(x: number): string {
  return String(Number(x.toPrecision(4)));
}

/** The circuit in one line for a figure's subtitle; `cMem` overrides C_mem for figures at another capacitor, `null` omits it. */
export function circuitLine(c: CircuitInfo, cMem: number | null = c.cMem): string {
  const card = `${c.modelCard}${c.modelCardSha256 ? ` #${c.modelCardSha256.slice(0, 8)}` : ''}`;
  const parts = [
    `a = ${c.a}`,
    card,
    c.corner,
    `${g4(c.tempC)} °C`,
    `V0 = ${g4(c.v0)} V`,
    `VDD = ${g4(c.vdd)} V`,
    `V_th = ${g4(c.vth)} V`,
    `${g4(c.fClk / 1e9)} GHz`,
  ];
  if (cMem !== null) parts.push(`C_mem = ${g4(cMem * 1e12)} pF`);
  return parts.join(' · ');
}

/** The circuit as readable (setting, value) rows for a configuration table. */
export function circuitRows(c: CircuitInfo): [string, string][] {
  return [
    ['cell', `${c.cell}, a = ${c.a} cells per array`],
    ['model card', c.modelCard],
    ['model card SHA-256', c.modelCardSha256 ?? 'unknown (card not readable)'],
    ['corner', c.corner],
    ['temperature', `${g4(c.tempC)} °C`],
    ['supplies', `V0 = ${g4(c.v0)} V (cell branches), VDD = ${g4(c.vdd)} V (gate high)`],
    ['comparator threshold V_th', `${g4(c.vth)} V`],
    ['clock f_clk', `${g4(c.fClk / 1e9)} GHz`],
    ['C_mem (charging curves, analytic check)', `${g4(c.cMem * 1e12)} pF`],
  ];
}
