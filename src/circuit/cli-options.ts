/**
 * Circuit parameters from the command line's circuit options (`--cap 10p --v0 0.8 --vdd 0.8 --vth 0.225 --f-clk 2G
 * --tstop 200n --tstep 100p --temp 27 --model-card FILE --wn 64n --ln 16n --cells 32`; declared in src/cli/options.ts).
 * Every value goes through validateCircuit (suffixes, units, ranges, model card checks); an error names the option.
 */
import { CapminError } from '../util/errors.js';
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
}

/** Command-line option → circuit parameter. */
export const CIRCUIT_OPTION_FIELDS: ReadonlyArray<[keyof CircuitOptionValues, keyof CircuitParams]> = [
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
  const raw: Partial<Record<keyof CircuitParams, string>> = {};
  for (const [opt, key] of CIRCUIT_OPTION_FIELDS) {
    const v = values[opt];
    if (v !== undefined) raw[key] = v;
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
