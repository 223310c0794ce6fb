/**
 * ngspice deck generator for the paper's Fig. 2 neuron (Sec. II-B): `a` SRAM-style XNOR cells, each two branches of
 * two series NMOS from V0 to the shared match line ML; branch 1 gated by W and X̄, branch 2 by W̄ and X, so a cell
 * conducts iff its weight and input differ. The ML current charges C_mem from 0 V; a comparator at V_th feeds a
 * flip-flop clocked at f_clk (XSPICE adc_bridge + d_dff) in the clocked deck.
 *
 * Naming (stable, used by the Monte-Carlo engine for `alter` and its own batched decks):
 *   - MOSFET instance `mc<cell>_<t>`: t = 0 branch-1 upper (drain V0, gate W), 1 branch-1 lower (gate X̄, source ML),
 *     2 branch-2 upper (drain V0, gate W̄), 3 branch-2 lower (gate X, source ML); bulk at ground.
 *   - internal nodes `c<cell>a` (branch 1) and `c<cell>b` (branch 2); supply node `v0` (source `vsup`),
 *     gate-high node `hi` (source `vhi`, = VDD), gate low = `0`; match line `ml`; C_mem `cmem`.
 *   - op / dcsweep decks hold ML with the 0 V source `vml` (current into ML = `i(vml)`, positive).
 *   - clocked deck: clock source `vclk` (node `clk`), comparator output `dcmp`, flip-flop output bridged to the
 *     analog node `spk` (0..VDD).
 * Output vectors in the raw file: tran `time, v(ml)` (+ `v(spk)` clocked); op `i(vml)`; dcsweep `v(ml), i(vml)`.
 */
import { inputError } from '../util/errors.js';
import { spiceNumber } from '../util/units.js';
import { checkCircuitFiles, pelgromScale, type PortRole } from './circuitfile.js';
import { checkModelCard, type CircuitParams } from './params.js';
import { assertDeckPath } from './safety.js';
import { isNominal, type ArrayVariation, type DeviceVariation, TRANSISTORS_PER_CELL } from './variation.js';

/** Options of `buildDeck`. Give either `level` (the first `level` cells conduct) or explicit `bits`. */
export interface DeckOptions {
  /** number of conducting cells m (0..a): cells 0..m-1 store w=1, x=0; the rest w=1, x=1 */
  level?: number;
  /** explicit weight and input bits per cell (length a each) */
  bits?: { w: boolean[]; x: boolean[] };
  /** per-instance variation [cell][transistor] */
  variation?: ArrayVariation;
  /** `tran`: ML charges C_mem from 0 V; `op`: ML held at 0 V (I_init); `dcsweep`: ML swept 0..V_th (I(V)) */
  analysis: 'tran' | 'op' | 'dcsweep';
  /** tran only: include the comparator + 2 GHz flip-flop chain inside the simulation */
  clocked?: boolean;
  /** raw file written by the deck's control block (relative to ngspice's cwd); default `out.raw` */
  rawPath?: string;
  /** title line (checked) */
  title?: string;
  /** tran only: end the transient right after the spike (`stop when`); default true */
  stopAfterSpike?: boolean;
  /** tran only: also print `.meas`-style `tcross` (crossing of V_th) to stdout; default false */
  measure?: boolean;
  /** dcsweep step [V]; default 1 mV */
  dcStep?: number;
  /** dcsweep end [V]; default V_th */
  dcStop?: number;
  /** raw file format; default binary */
  rawFormat?: 'binary' | 'ascii';
}

const FORBIDDEN: Array<[RegExp, string]> = [
  [/[\r\n\u2028\u2029]/, 'a newline'],
  [/[\u0000-\u001f\u007f]/, 'a control character'],
  [/\.\s*(control|endc|include|inc|lib|exec|shell)\b/i, 'a dot-command (.control/.include/.lib)'],
  [/\bshell\b/i, "'shell'"],
  [/[$`]/, '$ or a backquote'],
  [/[{}"';\\]/, 'a brace, quote, semicolon or backslash'],
];

/**
 * Refuse a user string that would be written into a deck if it could inject commands: newline/control characters,
 * `.control`, `shell`, `.include`, `$`, backquote, quotes or braces. Throws a one-line error naming `field`.
 */
export function assertSafeForDeck(field: string, text: string): string {
  if (typeof text !== 'string') throw inputError(field, 'must be text');
  for (const [re, what] of FORBIDDEN) {
    if (re.test(text)) throw inputError(field, `must not contain ${what} (it would reach the ngspice deck)`);
  }
  if (text.length > 200) throw inputError(field, 'longer than 200 characters');
  return text;
}

/**
 * A raw-file name written into a deck's `.control` block (`write NAME …`): checked like any deck text, and only
 * letters, digits, `_ . / -` so it is one word of ngspice's command language.
 */
export function checkRawPath(path: string, field = 'rawPath'): string {
  assertSafeForDeck(field, path);
  if (!/^[A-Za-z0-9_./-]+$/.test(path)) throw inputError(field, 'only letters, digits, _ . / - are allowed');
  return path;
}

/**
 * `.include` line for the model card. The card and every file it reaches are checked with the deck-safety rule here
 * (cached per file version, so a card edited after validateCircuit is checked again before it reaches a deck), and
 * the path is one ngspice reads verbatim: absolute, no quote, `$`, `~`, backslash, `;` or control character.
 */
export function modelInclude(p: CircuitParams): string {
  if (p.circuit) {
    // a circuit file: the cell subcircuit, then its models in file order (each chain checked again here)
    const c = p.circuit;
    checkCircuitFiles(c);
    const lines = [`.include "${assertDeckPath('cell.file', c.cell.file)}"`];
    for (const m of c.models) lines.push(m.kind === 'include' ? `.include "${assertDeckPath('models', m.file)}"` : `.lib "${assertDeckPath('models', m.file)}" ${m.section}`);
    return lines.join('\n');
  }
  assertDeckPath('modelCard', p.modelCard);
  checkModelCard(p.modelCard);
  return `.include "${p.modelCard}"`;
}

/**
 * A comment line naming the content of the files the model card reaches (none when it reaches no other file), so
 * deck-content cache keys change when an included file does.
 */
export function modelChainComment(p: CircuitParams): string[] {
  if (p.circuit) {
    // every reached file's content, so keys follow them even where the include lines are replaced by a hash
    const c = p.circuit;
    return [`* circuit ${c.sha256.slice(0, 16)} corner ${c.corner}; files: ${c.files.map((f) => f.sha256.slice(0, 16)).join(' ')}`];
  }
  const files = checkModelCard(p.modelCard);
  if (files.length <= 1) return [];
  return [`* model files: ${files.slice(1).map((f) => f.sha256.slice(0, 16)).join(' ')}`];
}

/** Instance name of transistor `t` (0..3) of cell `cell`. */
export function transistorName(cell: number, t: number): string {
  return `mc${cell}_${t}`;
}

/** Devices per cell that carry variation: 4 for the built-in cell, the circuit file's mismatch devices otherwise. */
export function devicesPerCell(p: CircuitParams): number {
  return p.circuit ? p.circuit.devices.length : TRANSISTORS_PER_CELL;
}

/**
 * What the variation model draws per cell: the number of devices and their σ multipliers (Pelgrom scaling from the
 * circuit file; none for the built-in cell). Pass it to `sampleArrayVariation`.
 */
export function variationShape(p: CircuitParams): { devices: number; scale?: number[] } {
  if (!p.circuit) return { devices: TRANSISTORS_PER_CELL };
  return { devices: p.circuit.devices.length, ...(p.circuit.pelgrom ? { scale: pelgromScale(p.circuit, p.wN, p.lN) } : {}) };
}

/**
 * The instance parameters a batched transient `alter`s for device `t` of cell `cell`: the ngspice name of the device
 * (flat `mc<cell>_<t>`, or `<letter>.x<cell>.<instance>` inside a cell subcircuit) and, per drawn quantity, whether
 * the device receives it. With a circuit file only the quantities the file maps are altered; the alter then sets the
 * device's instance parameter of the same name (`delvto`, `mulu0`, `w`, `l`), which is what the cell passes its
 * subcircuit parameter to.
 */
export function alterTarget(p: CircuitParams, cell: number, t: number): { name: string; has: (k: 'delvto' | 'mulu0' | 'w' | 'l') => boolean; wNom: number; lNom: number } {
  if (!p.circuit) return { name: transistorName(cell, t), has: () => true, wNom: p.wN, lNom: p.lN };
  const d = p.circuit.devices[t]!;
  return { name: `${d.instance[0]}.x${cell}.${d.instance}`, has: (k) => d[k] !== undefined, wNom: d.wNom ?? p.wN, lNom: d.lNom ?? p.lN };
}

/** Cell bits for level m: the first m cells conduct (w=1, x=0), the others match (w=1, x=1). */
export function levelBits(a: number, m: number): { w: boolean[]; x: boolean[] } {
  if (!Number.isInteger(m) || m < 0 || m > a) throw inputError('level', `${m} is out of range; allowed range 0..${a}`);
  return { w: Array.from({ length: a }, () => true), x: Array.from({ length: a }, (_, i) => i >= m) };
}

/** Number of conducting cells (weight ≠ input). */
export function conductingCells(bits: { w: boolean[]; x: boolean[] }): number {
  let m = 0;
  for (let i = 0; i < bits.w.length; i++) if (bits.w[i] !== bits.x[i]) m++;
  return m;
}

/** Nodes a cell connects to; override to build batched decks (e.g. one sense source per cell). */
export interface CellNodes {
  /** branch supply (V0) */
  supply: string;
  /** match line */
  ml: string;
  /** gate-high node (VDD) */
  hi: string;
  /** gate-low node */
  lo: string;
  /** bulk */
  bulk: string;
  /** suffix appended to internal node names and instance names (default '') */
  suffix?: string;
}

export const DEFAULT_NODES: CellNodes = { supply: 'v0', ml: 'ml', hi: 'hi', lo: '0', bulk: '0' };

/** One MOSFET instance line: `mc<cell>_<t>[suffix] d g s b nfet w=.. l=.. [delvto=..] [mulu0=..]`. */
export function mosLine(name: string, d: string, g: string, s: string, b: string, p: CircuitParams, v?: DeviceVariation): string {
  const w = p.wN + (v?.dW ?? 0);
  const l = p.lN + (v?.dL ?? 0);
  if (!(w > 0) || !(l > 0)) throw inputError('variation', `${name}: W/L must stay positive (got W=${w}, L=${l})`);
  let line = `${name} ${d} ${g} ${s} ${b} nfet w=${spiceNumber(w)} l=${spiceNumber(l)}`;
  if (v && !isNominal(v)) {
    if (!Number.isFinite(v.delvto) || Math.abs(v.delvto) > 1) throw inputError('variation', `${name}: delvto ${v.delvto} V out of range; allowed range -1..1 V`);
    if (!Number.isFinite(v.mulu0) || v.mulu0 <= 0 || v.mulu0 > 10) throw inputError('variation', `${name}: mulu0 ${v.mulu0} out of range; allowed range (0, 10]`);
    line += ` delvto=${spiceNumber(v.delvto)} mulu0=${spiceNumber(v.mulu0)}`;
  }
  return line;
}

/**
 * The four MOSFET lines of XNOR cell `cell` with stored weight `w` and input `x` (paper Fig. 2): conducts V0 → ML
 * iff w ≠ x. Gates are tied to `nodes.hi` (logic 1) or `nodes.lo` (logic 0).
 */
export function cellNetlist(
  cell: number,
  bit: { w: boolean; x: boolean },
  p: CircuitParams,
  variation?: DeviceVariation[],
  nodes: CellNodes = DEFAULT_NODES,
): string[] {
  if (p.circuit) return [cellInstance(cell, bit, p, variation, nodes)];
  const sfx = nodes.suffix ?? '';
  const g = (on: boolean) => (on ? nodes.hi : nodes.lo);
  const na = `c${cell}a${sfx}`;
  const nb = `c${cell}b${sfx}`;
  const v = (t: number) => variation?.[t];
  return [
    mosLine(transistorName(cell, 0) + sfx, nodes.supply, g(bit.w), na, nodes.bulk, p, v(0)),
    mosLine(transistorName(cell, 1) + sfx, na, g(!bit.x), nodes.ml, nodes.bulk, p, v(1)),
    mosLine(transistorName(cell, 2) + sfx, nodes.supply, g(!bit.w), nb, nodes.bulk, p, v(2)),
    mosLine(transistorName(cell, 3) + sfx, nb, g(bit.x), nodes.ml, nodes.bulk, p, v(3)),
  ];
}

function checkDevice(name: string, v: DeviceVariation): void {
  if (!Number.isFinite(v.delvto) || Math.abs(v.delvto) > 1) throw inputError('variation', `${name}: delvto ${v.delvto} V out of range; allowed range -1..1 V`);
  if (!Number.isFinite(v.mulu0) || v.mulu0 <= 0 || v.mulu0 > 10) throw inputError('variation', `${name}: mulu0 ${v.mulu0} out of range; allowed range (0, 10]`);
}

/**
 * One cell of a circuit file as a subcircuit instance `x<cell>[suffix] <port nodes> <subckt> k=v …`: each port on
 * the node of its role (weight and input bits as rail voltages, as in the flat cell), the circuit's W/L on the size
 * parameters, every mismatch device's drawn values on the parameters the file maps (W/L always, delvto/mulu0 when the
 * device is varied), then the corner's parameter overrides.
 */
function cellInstance(cell: number, bit: { w: boolean; x: boolean }, p: CircuitParams, variation: DeviceVariation[] | undefined, nodes: CellNodes): string {
  const c = p.circuit!;
  const g = (on: boolean) => (on ? nodes.hi : nodes.lo);
  const node: Record<PortRole, string> = { ml: nodes.ml, v0: nodes.supply, w: g(bit.w), wb: g(!bit.w), x: g(bit.x), xb: g(!bit.x), gnd: '0', bulk: nodes.bulk, vdd: nodes.hi };
  const name = `x${cell}${nodes.suffix ?? ''}`;
  const parts = [name, ...c.cell.roles.map((r) => node[r]), c.cell.subckt];
  if (c.cell.sizeW) parts.push(`${c.cell.sizeW}=${spiceNumber(p.wN)}`);
  if (c.cell.sizeL) parts.push(`${c.cell.sizeL}=${spiceNumber(p.lN)}`);
  c.devices.forEach((d, t) => {
    const v = variation?.[t];
    const w = (d.wNom ?? p.wN) + (v?.dW ?? 0);
    const l = (d.lNom ?? p.lN) + (v?.dL ?? 0);
    if (!(w > 0) || !(l > 0)) throw inputError('variation', `${name}.${d.instance}: W/L must stay positive (got W=${w}, L=${l})`);
    if (d.w) parts.push(`${d.w}=${spiceNumber(w)}`);
    if (d.l) parts.push(`${d.l}=${spiceNumber(l)}`);
    if (v && !isNominal(v)) {
      checkDevice(`${name}.${d.instance}`, v);
      if (d.delvto) parts.push(`${d.delvto}=${spiceNumber(v.delvto)}`);
      if (d.mulu0) parts.push(`${d.mulu0}=${spiceNumber(v.mulu0)}`);
    }
  });
  for (const [k, val] of c.params) parts.push(`${k}=${spiceNumber(val)}`);
  return parts.join(' ');
}

/** Header lines shared by all decks: threads, model, temperature, supplies. */
export function deckPreamble(p: CircuitParams, title: string): string[] {
  // the first line is the title; ngspice (XSPICE) reads it in 5000-byte pieces, so keep it one short line
  if (typeof title !== 'string' || /[\u0000-\u001f\u007f\u2028\u2029]/.test(title) || title.length > 1000) {
    throw inputError('title', 'must be one line of at most 1000 printable characters');
  }
  return [
    title,
    '.options num_threads=1',
    modelInclude(p),
    ...modelChainComment(p),
    `.temp ${spiceNumber(p.tempC)}`,
    `vsup v0 0 dc ${spiceNumber(p.v0)}`,
    `vhi hi 0 dc ${spiceNumber(p.vdd)}`,
  ];
}

/**
 * Clock, comparator and flip-flop (XSPICE): rising clock edges (mid-swing) at t = k / f_clk, k = 1, 2, ...;
 * comparator threshold V_th on ML; flip-flop output bridged to analog node `spk`. Bridge delays are 1 ps each.
 */
export function clockedChain(p: CircuitParams): string[] {
  const per = 1 / p.fClk;
  const tr = per / 20;
  const d = spiceNumber(1e-12);
  return [
    `vclk clk 0 pulse(0 ${spiceNumber(p.vdd)} ${spiceNumber(per - tr / 2)} ${spiceNumber(tr)} ${spiceNumber(tr)} ${spiceNumber(per / 2 - tr)} ${spiceNumber(per)})`,
    'aclk [clk] [dclk] adcclk',
    `.model adcclk adc_bridge(in_low=${spiceNumber(p.vdd / 2)} in_high=${spiceNumber(p.vdd / 2)} rise_delay=${d} fall_delay=${d})`,
    'acmp [ml] [dcmp] adccmp',
    `.model adccmp adc_bridge(in_low=${spiceNumber(p.vth)} in_high=${spiceNumber(p.vth)} rise_delay=${d} fall_delay=${d})`,
    'aff dcmp dclk NULL NULL dq dqb dff1',
    `.model dff1 d_dff(clk_delay=${d} set_delay=${d} reset_delay=${d} rise_delay=${d} fall_delay=${d} ic=0)`,
    'adac [dq] [spk] dacq',
    `.model dacq dac_bridge(out_low=0 out_high=${spiceNumber(p.vdd)} t_rise=${d} t_fall=${d})`,
  ];
}

/**
 * Deterministic ngspice deck text (same inputs → same bytes) for one neuron configuration. The deck ends with a
 * `.control` block (generated here, never from user text) that runs the analysis and writes `rawPath`.
 */
export function buildDeck(p: CircuitParams, opts: DeckOptions): string {
  const rawPath = checkRawPath(opts.rawPath ?? 'out.raw');
  const title = assertSafeForDeck('title', opts.title ?? `capmin ${opts.analysis}${opts.clocked ? ' clocked' : ''}`);
  if (opts.level !== undefined && opts.bits !== undefined) throw inputError('level', 'give either level or bits, not both');
  const bits = opts.bits ?? levelBits(p.a, opts.level ?? p.a);
  if (bits.w.length !== p.a || bits.x.length !== p.a) throw inputError('bits', `need ${p.a} weight and ${p.a} input bits`);
  const per = devicesPerCell(p);
  if (opts.variation && (opts.variation.length !== p.a || opts.variation.some((c) => c.length !== per))) {
    throw inputError('variation', `must be ${p.a} cells x ${per} transistors`);
  }
  const m = conductingCells(bits);
  const lines = deckPreamble(p, `${title} (a=${p.a}, m=${m})`);
  for (let i = 0; i < p.a; i++) {
    lines.push(`* cell ${i}: w=${bits.w[i] ? 1 : 0} x=${bits.x[i] ? 1 : 0}${bits.w[i] !== bits.x[i] ? ' conducting' : ''}`);
    lines.push(...cellNetlist(i, { w: bits.w[i]!, x: bits.x[i]! }, p, opts.variation?.[i]));
  }
  const ctl: string[] = ['.control', `set filetype=${opts.rawFormat ?? 'binary'}`];
  switch (opts.analysis) {
    case 'tran': {
      lines.push(`cmem ml 0 ${spiceNumber(p.cMem)}`, '.ic v(ml)=0');
      const saves = ['v(ml)'];
      if (opts.clocked) {
        lines.push(...clockedChain(p));
        saves.push('v(spk)');
      }
      lines.push(`.save ${saves.join(' ')}`, `.tran ${spiceNumber(p.tStep)} ${spiceNumber(p.tStop)}`);
      if (opts.stopAfterSpike ?? true) {
        ctl.push(opts.clocked ? `stop when v(spk) > ${spiceNumber(p.vdd * 0.9)}` : `stop when v(ml) > ${spiceNumber(p.vth * 1.01)}`);
      }
      ctl.push('run');
      if (opts.measure) ctl.push(`meas tran tcross when v(ml)=${spiceNumber(p.vth)} cross=1`);
      ctl.push(`write ${rawPath} ${saves.join(' ')}`);
      break;
    }
    case 'op':
      lines.push('vml ml 0 dc 0', '.save i(vml)', '.op');
      ctl.push('run', `write ${rawPath} i(vml)`);
      break;
    case 'dcsweep': {
      const step = opts.dcStep ?? 1e-3;
      const stop = opts.dcStop ?? p.vth;
      if (!(step > 0 && step <= stop)) throw inputError('dcStep', `${step} V out of range; allowed range (0, ${stop}] V`);
      if (!(stop > 0 && stop <= 3)) throw inputError('dcStop', `${stop} V out of range; allowed range (0, 3] V`);
      lines.push('vml ml 0 dc 0', '.save v(ml) i(vml)', `.dc vml 0 ${spiceNumber(stop)} ${spiceNumber(step)}`);
      ctl.push('run', `write ${rawPath} v(ml) i(vml)`);
      break;
    }
    default:
      throw inputError('analysis', `'${String(opts.analysis)}' unknown; allowed: tran, op, dcsweep`);
  }
  if (opts.clocked && opts.analysis !== 'tran') throw inputError('clocked', 'only valid with analysis tran');
  ctl.push('quit', '.endc');
  lines.push(...ctl, '.end', '');
  return lines.join('\n');
}
