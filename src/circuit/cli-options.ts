/**
 * Circuit parameters from the command line's circuit options (`--cap 10p --v0 0.8 --vdd 0.8 --vth 0.225 --f-clk 2G
 * --tstop 200n --tstep 100p --temp 27 --model-card FILE --wn 64n --ln 16n --cells 32`; declared in src/cli/options.ts).
 * Every value goes through validateCircuit (suffixes, units, ranges, model card checks); an error names the option.
 */
import { CapminError, inputError } from '../util/errors.js';
import { defaultCircuitFile, loadCircuitFile, type CircuitSpec } from './circuitfile.js';
import { validateCircuit, type CircuitParams } from './params.js';

/** The circuit options as parsed (absent = the circuit default). */
export interface CircuitOptionValues {
  cap?: string;
  v0?: string;
  vdd?: string;
  vth?: string;
  'f-clk'?: string;
  tstop?: string;
  tstep?: string;
  temp?: string;
  'model-card'?: string;
  wn?: string;
  ln?: string;
  cells?: string;
  /** circuit file (YAML/JSON): cell subcircuit, models, variation mapping, corners */
  circuit?: string;
  /** named corner of the circuit file (with no --circuit: of the shipped default circuit file) */
  corner?: string;
}

/** Command-line option → circuit parameter. */
export const CIRCUIT_OPTION_FIELDS: ReadonlyArray<[Exclude<keyof CircuitOptionValues, 'circuit' | 'corner'>, Exclude<keyof CircuitParams, 'circuit'>]> = [
  ['cap', 'cMem'], ['v0', 'v0'], ['vdd', 'vdd'], ['vth', 'vth'], ['f-clk', 'fClk'], ['tstop', 'tStop'], ['tstep', 'tStep'],
  ['temp', 'tempC'], ['model-card', 'modelCard'], ['wn', 'wN'], ['ln', 'lN'], ['cells', 'a'],
];

/**
 * Default stop time of a single nominal transient (`deck`, `spikes`, `validate`) when no quasi-static model exists
 * yet to size it: max(200 ns, 20 ns per pF). Level 1, the slowest firing level, crosses after ≈ 8.3 ns per pF on the
 * default card, so this leaves a 2.4× margin. Monte-Carlo, sizing and their checks use `noSpikeWindow`
 * (src/analytic/quasistatic.ts) instead, which scales with the measured level-1 integral.
 */
export function autoTStop(cMem: number): number {
  return Math.max(200e-9, 20e-9 * (cMem / 1e-12));
}

/**
 * Circuit parameters from parsed command-line values; absent options take defaultCircuit(). `--tstop` defaults to
 * autoTStop(C_mem) unless `autoStop` is false (the Monte-Carlo and sizing commands keep the fixed 200 ns bound).
 */
export function circuitFromArgs(values: CircuitOptionValues, opts: { autoStop?: boolean } = {}): CircuitParams {
  const raw: Partial<Record<Exclude<keyof CircuitParams, 'circuit'>, string | number>> & { circuit?: CircuitSpec } = {};
  for (const [opt, key] of CIRCUIT_OPTION_FIELDS) {
    const v = values[opt];
    if (v !== undefined) (raw as Record<string, string>)[key] = v;
  }
  // a circuit file (or a corner of the shipped one); its corner's temperature and supplies yield to the options
  if (values.circuit !== undefined || values.corner !== undefined) {
    if (values['model-card'] !== undefined) throw inputError('--model-card', 'cannot be combined with --circuit or --corner; name the model files in the circuit file');
    const spec = loadCircuitFile(values.circuit ?? defaultCircuitFile(), values.corner);
    if (raw.tempC === undefined && spec.tempC !== undefined) raw.tempC = spec.tempC;
    if (raw.v0 === undefined && spec.v0 !== undefined) raw.v0 = spec.v0;
    if (raw.vdd === undefined && spec.vdd !== undefined) raw.vdd = spec.vdd;
    raw.circuit = spec;
  }
  try {
    if (raw.tStop === undefined && opts.autoStop !== false) {
      const c = validateCircuit({ ...raw, tStop: 1e-3 }).cMem;
      raw.tStop = String(autoTStop(c));
    }
    return validateCircuit(raw);
  } catch (e) {
    // name the command-line option next to the parameter
    if (e instanceof CapminError) {
      const hit = CIRCUIT_OPTION_FIELDS.find(([, key]) => e.message.startsWith(`${key}:`));
      if (hit) throw new CapminError(`--${hit[0]} (${e.message}`.replace(`${hit[1]}:`, `${hit[1]}):`), e.code, e.exitCode);
    }
    throw e;
  }
}

/** Options of a corner set (commands that run several PVT points). */
export interface CornerSetValues extends CircuitOptionValues {
  /** `a,b,c` or `all`: named corners of the circuit file (without --circuit: of the shipped default circuit file) */
  corners?: string;
  /** temperature list [degC], e.g. `-40,27,125` */
  temps?: string;
}

/** One PVT point of a corner set: a label (`ss`, `ss/T=125`, `tt/V0=0.7`) and its circuit parameters. */
export interface CornerPoint {
  label: string;
  corner: string;
  p: CircuitParams;
}

const MAX_CORNER_POINTS = 64;

/**
 * The PVT points a command runs: the cross product of `--corners` (a list or `all`), `--temps` and a `--v0` list
 * (`0.7,0.8,0.9`); absent parts take the single value `circuitFromArgs` would. Without any of them the set is the
 * one point of `circuitFromArgs(values)`. Every point goes through circuitFromArgs, so the one-line errors are the same.
 */
export function cornerSetFromArgs(values: CornerSetValues, opts: { autoStop?: boolean } = {}): CornerPoint[] {
  const split = (opt: string, text: string): string[] => {
    const parts = text.split(',').map((s) => s.trim());
    if (parts.some((s) => s === '') || parts.length > MAX_CORNER_POINTS) throw inputError(`--${opt}`, `'${text.slice(0, 60)}' must be a comma-separated list of at most ${MAX_CORNER_POINTS} values`);
    return parts;
  };
  if (values.corners !== undefined && values.corner !== undefined) throw inputError('--corners', 'give either --corner or --corners, not both');
  let corners: Array<string | undefined> = [values.corner];
  if (values.corners !== undefined) {
    if (values['model-card'] !== undefined) throw inputError('--model-card', 'cannot be combined with --corners; name the model files in the circuit file');
    corners = values.corners.trim() === 'all' ? loadCircuitFile(values.circuit ?? defaultCircuitFile()).corners : split('corners', values.corners);
    if (corners.length === 0) throw inputError('--corners', 'the circuit file defines no corners');
  }
  const temps: Array<string | undefined> = values.temps !== undefined ? split('temps', values.temps) : [values.temp];
  const v0s: Array<string | undefined> = values.v0 !== undefined ? split('v0', values.v0) : [undefined];
  const n = corners.length * temps.length * v0s.length;
  if (n > MAX_CORNER_POINTS) throw inputError('--corners', `${n} PVT points requested; at most ${MAX_CORNER_POINTS}`);
  const out: CornerPoint[] = [];
  for (const c of corners) {
    for (const t of temps) {
      for (const v of v0s) {
        const { corners: _c, temps: _t, ...single } = values;
        const p = circuitFromArgs({ ...single, corner: c, temp: t, v0: v }, opts);
        const parts = [p.circuit?.corner ?? 'built-in'];
        if (values.temps !== undefined) parts.push(`T=${p.tempC}`);
        if (values.v0 !== undefined && v0s.length > 1) parts.push(`V0=${p.v0}`);
        out.push({ label: parts.join('/'), corner: p.circuit?.corner ?? 'built-in', p });
      }
    }
  }
  return out;
}
