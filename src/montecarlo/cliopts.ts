/**
 * Command-line options shared by `capmin pmap`, `crosscheck`, `sweep-cap` and `size`: circuit overrides, variation
 * sigmas, seed/samples/levels/engine/workers. Every value is parsed and range-checked (one-line errors).
 */
import { availableParallelism } from 'node:os';
import type { ParseArgsConfig } from 'node:util';
import { validateCircuit, type CircuitParams } from '../circuit/params.js';
import { inputError } from '../util/errors.js';
import { parseLevelRange, parseSpiceValue } from '../util/units.js';
import { defaultSigmas, validateSigmas, type Correlation, type VariationSigmas } from './variation.js';
import type { Engine } from './engine.js';

type Opts = NonNullable<ParseArgsConfig['options']>;
type Values = Record<string, string | boolean | string[] | boolean[] | undefined>;

export const CIRCUIT_OPTIONS: Opts = {
  cap: { type: 'string' },
  'model-card': { type: 'string' },
  temp: { type: 'string' },
  vth: { type: 'string' },
  'f-clk': { type: 'string' },
  'tstep': { type: 'string' },
};

export const CIRCUIT_HELP = `circuit:
  --cap C            membrane capacitor C_mem (e.g. 12.27p)
  --model-card PATH  BSIM4 card defining .model nfet (default models/ptm16hp-nmos.pm)
  --temp DEGC        temperature (default 27)
  --vth V            comparator threshold (default 0.225)
  --f-clk HZ         flip-flop clock (default 2G)
  --tstep S          transient step, also caps the internal step (default 100p)`;

export const MC_OPTIONS: Opts = {
  samples: { type: 'string' },
  seed: { type: 'string' },
  levels: { type: 'string' },
  workers: { type: 'string' },
  engine: { type: 'string' },
  correlation: { type: 'string' },
  'batch-size': { type: 'string' },
  timeout: { type: 'string' },
  'sigma-vth': { type: 'string' },
  'sigma-mu': { type: 'string' },
  'sigma-w': { type: 'string' },
  'sigma-l': { type: 'string' },
  'global-vth': { type: 'string' },
  'global-mu': { type: 'string' },
};

export const MC_HELP = `Monte-Carlo:
  --samples N        samples per level (default 1000)
  --seed N           random seed (default 1); same seed -> identical results with any --workers
  --levels 9..24     levels m (conducting cells) to simulate; default 0..a
  --workers N        parallel ngspice processes (default: cores)
  --engine E         quasistatic (fast, default) | transient (reference)
  --correlation C    die (sample = one array shared by all levels, default) | level (independent per level)
  --batch-size N     transient samples per ngspice process (default 25)
  --timeout S        wall-clock limit per batch in seconds (default 60 + 10/sample)
variation (Gaussian, per transistor instance):
  --sigma-vth V      threshold (delvto) sigma, default 30m (Pelgrom, A_VT = 1 mV*um at 64n x 16n)
  --sigma-mu X       relative mobility (mulu0) sigma, default 0.03
  --sigma-w M        width sigma, default 0.4n      --sigma-l M   length sigma, default 0.4n
  --global-vth V     die-to-die threshold sigma, default 0   --global-mu X  die-to-die mobility sigma, default 0`;

function str(v: Values, k: string): string | undefined {
  const x = v[k];
  return typeof x === 'string' ? x : undefined;
}

/** Circuit from the shared options (defaults elsewhere; `cap` default given by the command). */
export function circuitFromArgs(v: Values, capDefault?: string): CircuitParams {
  const o: Record<string, string> = {};
  const cap = str(v, 'cap') ?? capDefault;
  if (cap !== undefined) o.cMem = cap;
  if (str(v, 'model-card')) o.modelCard = str(v, 'model-card')!;
  if (str(v, 'temp')) o.tempC = str(v, 'temp')!;
  if (str(v, 'vth')) o.vth = str(v, 'vth')!;
  if (str(v, 'f-clk')) o.fClk = str(v, 'f-clk')!;
  if (str(v, 'tstep')) o.tStep = str(v, 'tstep')!;
  return validateCircuit(o);
}

/** Variation sigmas from the shared options. */
export function sigmasFromArgs(v: Values): VariationSigmas {
  const d = defaultSigmas();
  const g = (k: string, field: string, unit: 'V' | '' , max: number, dflt: number): number =>
    str(v, k) === undefined ? dflt : parseSpiceValue(field, str(v, k)!, { unit, min: 0, max });
  return validateSigmas({
    delvto: g('sigma-vth', '--sigma-vth', 'V', 0.2, d.delvto),
    mulu0: g('sigma-mu', '--sigma-mu', '', 0.3, d.mulu0),
    dW: g('sigma-w', '--sigma-w', '', 10e-9, d.dW),
    dL: g('sigma-l', '--sigma-l', '', 4e-9, d.dL),
    globalDelvto: g('global-vth', '--global-vth', 'V', 0.2, d.globalDelvto),
    globalMulu0: g('global-mu', '--global-mu', '', 0.3, d.globalMulu0),
  });
}

export interface McArgs {
  samples: number;
  seed: number;
  levels: number[];
  workers: number;
  engine: Engine;
  correlation: Correlation;
  batchSize: number;
  timeoutMs?: number;
}

/** Monte-Carlo settings from the shared options. */
export function mcFromArgs(v: Values, a: number, defaults: { samples?: number; engine?: Engine } = {}): McArgs {
  const engine = (str(v, 'engine') ?? defaults.engine ?? 'quasistatic') as Engine;
  if (engine !== 'quasistatic' && engine !== 'transient') throw inputError('--engine', `'${String(engine).slice(0, 20)}' unknown; allowed: quasistatic, transient`);
  const correlation = (str(v, 'correlation') ?? 'die') as Correlation;
  if (correlation !== 'die' && correlation !== 'level') throw inputError('--correlation', `'${String(correlation).slice(0, 20)}' unknown; allowed: die, level`);
  const timeout = str(v, 'timeout');
  return {
    samples: str(v, 'samples') ? parseSpiceValue('--samples', str(v, 'samples')!, { min: 1, max: 1_000_000, integer: true }) : (defaults.samples ?? 1000),
    seed: str(v, 'seed') ? parseSpiceValue('--seed', str(v, 'seed')!, { min: 0, max: 2 ** 32 - 1, integer: true }) : 1,
    levels: str(v, 'levels') ? parseLevelRange('--levels', str(v, 'levels')!, 0, a) : Array.from({ length: a + 1 }, (_, i) => i),
    workers: str(v, 'workers') ? parseSpiceValue('--workers', str(v, 'workers')!, { min: 1, max: 64, integer: true }) : Math.max(1, availableParallelism()),
    engine,
    correlation,
    batchSize: str(v, 'batch-size') ? parseSpiceValue('--batch-size', str(v, 'batch-size')!, { min: 1, max: 1000, integer: true }) : 25,
    timeoutMs: timeout ? parseSpiceValue('--timeout', timeout, { unit: 's', min: 0.01, max: 86400 }) * 1000 : undefined,
  };
}
