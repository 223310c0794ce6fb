/**
 * Monte-Carlo settings from the command line (`capmin pmap`, `crosscheck`; options declared in src/cli/options.ts):
 * variation sigmas, seed, samples, levels, engine, correlation, batch size, timeout, workers. Every value is parsed
 * and range-checked (one-line errors naming the option).
 */
import { availableParallelism } from 'node:os';
import { inputError } from '../util/errors.js';
import { parseLevelRange, parseSpiceValue } from '../util/units.js';
import { defaultSigmas, validateSigmas, type Correlation, type VariationSigmas } from './variation.js';
import type { Engine } from './engine.js';

/** The variation options as parsed (absent = the default sigma). */
export interface SigmaOptionValues {
  'sigma-vth'?: string;
  'sigma-mu'?: string;
  'sigma-w'?: string;
  'sigma-l'?: string;
  'global-vth'?: string;
  'global-mu'?: string;
}

/** Variation sigmas from the variation options. */
export function sigmasFromArgs(v: SigmaOptionValues): VariationSigmas {
  const d = defaultSigmas();
  const g = (text: string | undefined, field: string, unit: 'V' | '', max: number, dflt: number): number =>
    text === undefined ? dflt : parseSpiceValue(field, text, { unit, min: 0, max });
  return validateSigmas({
    delvto: g(v['sigma-vth'], '--sigma-vth', 'V', 0.2, d.delvto),
    mulu0: g(v['sigma-mu'], '--sigma-mu', '', 0.3, d.mulu0),
    dW: g(v['sigma-w'], '--sigma-w', '', 10e-9, d.dW),
    dL: g(v['sigma-l'], '--sigma-l', '', 4e-9, d.dL),
    globalDelvto: g(v['global-vth'], '--global-vth', 'V', 0.2, d.globalDelvto),
    globalMulu0: g(v['global-mu'], '--global-mu', '', 0.3, d.globalMulu0),
  });
}

/** The Monte-Carlo options as parsed. */
export interface McOptionValues {
  samples?: string;
  seed?: string;
  levels?: string;
  workers?: string;
  engine?: string;
  correlation?: string;
  'batch-size'?: string;
  timeout?: string;
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

/** Parse `--seed` (one range for every command: 0..2^32−1). */
export function parseSeed(text: string): number {
  return parseSpiceValue('--seed', text, { min: 0, max: 2 ** 32 - 1, integer: true });
}

/** Parse `--workers` (1..64). */
export function parseWorkers(text: string): number {
  return parseSpiceValue('--workers', text, { min: 1, max: 64, integer: true });
}

/** Monte-Carlo settings; absent options take the library defaults. */
export function mcFromArgs(v: McOptionValues, a: number): McArgs {
  const engine = (v.engine ?? 'quasistatic') as Engine;
  if (engine !== 'quasistatic' && engine !== 'transient') throw inputError('--engine', `'${String(engine).slice(0, 20)}' unknown; allowed: quasistatic, transient`);
  const correlation = (v.correlation ?? 'die') as Correlation;
  if (correlation !== 'die' && correlation !== 'level') throw inputError('--correlation', `'${String(correlation).slice(0, 20)}' unknown; allowed: die, level`);
  return {
    samples: parseSpiceValue('--samples', v.samples ?? '1000', { min: 1, max: 1_000_000, integer: true }),
    seed: parseSeed(v.seed ?? '1'),
    levels: v.levels !== undefined ? parseLevelRange('--levels', v.levels, 0, a) : Array.from({ length: a + 1 }, (_, i) => i),
    workers: v.workers !== undefined ? parseWorkers(v.workers) : Math.max(1, availableParallelism()),
    engine,
    correlation,
    batchSize: parseSpiceValue('--batch-size', v['batch-size'] ?? '25', { min: 1, max: 1000, integer: true }),
    timeoutMs: v.timeout !== undefined ? parseSpiceValue('--timeout', v.timeout, { unit: 's', min: 0.01, max: 86400 }) * 1000 : undefined,
  };
}
