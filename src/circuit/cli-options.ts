/**
 * Command-line options shared by the commands that build decks (`deck`, `spikes`, `validate`, and anyone else):
 * `--cap 10p --v0 0.8 --vdd 0.8 --vth 0.225 --fclk 2G --tstop 200n --tstep 0.5n --temp 27 --model FILE --wn 64n
 * --ln 16n --cells 32`. Every value goes through validateCircuit (suffixes, units, ranges, model card checks).
 */
import type { ParseArgsConfig } from 'node:util';
import { CapminError } from '../util/errors.js';
import { validateCircuit, type CircuitParams } from './params.js';

export const CIRCUIT_OPTIONS = {
  cap: { type: 'string' },
  v0: { type: 'string' },
  vdd: { type: 'string' },
  vth: { type: 'string' },
  fclk: { type: 'string' },
  tstop: { type: 'string' },
  tstep: { type: 'string' },
  temp: { type: 'string' },
  model: { type: 'string' },
  wn: { type: 'string' },
  ln: { type: 'string' },
  cells: { type: 'string' },
} as const satisfies NonNullable<ParseArgsConfig['options']>;

export const CIRCUIT_HELP = `circuit options (SPICE suffixes accepted, e.g. 9.6p, 2G, 500n):
  --cap C        membrane capacitor C_mem (default 10p; 1f..10n)
  --v0 V         branch supply V0 (default 0.8)
  --vdd V        gate drive high level (default 0.8)
  --vth V        comparator threshold V_th (default 0.225, below V0)
  --fclk F       flip-flop clock (default 2G)
  --tstop T      transient window (default max(200n, 20 ns per pF of C_mem))
  --tstep T      transient step, caps the internal step (default 100p)
  --temp C       temperature in degC (default 27)
  --model FILE   BSIM4 model card defining '.model nfet nmos' (default models/ptm16hp-nmos.pm)
  --wn W --ln L  NMOS width / length (default 64n / 16n)
  --cells A      number of XNOR cells a (default 32)`;

/** Default transient window for a capacitor: long enough for m = 1 to fire (≈ 8.3 ns per pF here) with margin. */
export function autoTStop(cMem: number): number {
  return Math.max(200e-9, 20e-9 * (cMem / 1e-12));
}

/** Circuit parameters from parsed command-line values. */
export function circuitFromArgs(values: Record<string, unknown>): CircuitParams {
  const s = (k: string): string | undefined => (typeof values[k] === 'string' ? (values[k] as string) : undefined);
  const raw: Partial<Record<keyof CircuitParams, string>> = {};
  const map: Array<[string, keyof CircuitParams]> = [
    ['cap', 'cMem'], ['v0', 'v0'], ['vdd', 'vdd'], ['vth', 'vth'], ['fclk', 'fClk'], ['tstop', 'tStop'], ['tstep', 'tStep'],
    ['temp', 'tempC'], ['model', 'modelCard'], ['wn', 'wN'], ['ln', 'lN'], ['cells', 'a'],
  ];
  for (const [opt, key] of map) {
    const v = s(opt);
    if (v !== undefined) raw[key] = v;
  }
  try {
    if (raw.tStop === undefined) {
      const c = validateCircuit({ ...raw, tStop: 1e-3 }).cMem;
      raw.tStop = String(autoTStop(c));
    }
    return validateCircuit(raw);
  } catch (e) {
    // name the command-line option next to the parameter
    if (e instanceof CapminError) {
      const hit = map.find(([, key]) => e.message.startsWith(`${key}:`));
      if (hit) throw new CapminError(`--${hit[0]} (${e.message}`.replace(`${hit[1]}:`, `${hit[1]}):`), e.code, e.exitCode);
    }
    throw e;
  }
}
