/**
 * Circuit quantities for the analytic check, measured with ngspice: I_init per level from an operating point with ML
 * held at 0 V, and I(V) per level from a DC sweep of a voltage source on ML (0 .. V_th).
 */
import { buildDeck } from '../circuit/deck.js';
import type { CircuitParams } from '../circuit/params.js';
import { assertComplete, parseRaw, vector } from '../spice/rawfile.js';
import { assertFiniteValues, runNgspiceFile, SpiceError, type RunOptions, type SpiceQueue } from '../spice/runner.js';

type Runner = (deck: string, file: string, opts?: RunOptions) => Promise<{ data: Buffer }>;

function runnerOf(queue?: SpiceQueue): Runner {
  return queue ? (d, f, o) => queue.runFile(d, f, o) : runNgspiceFile;
}

/** I_init of level m: the current into ML with ML held at 0 V (ngspice `op`) [A]; a non-finite value is an error. */
export async function extractIinit(p: CircuitParams, level: number, queue?: SpiceQueue, opts: RunOptions = {}): Promise<number> {
  const deck = buildDeck(p, { analysis: 'op', level, title: `capmin iinit m=${level}` });
  const { data } = await runnerOf(queue)(deck, 'out.raw', { timeoutMs: 60_000, ...opts });
  const plot = assertComplete(parseRaw(data), 'op')[0]!;
  const i = vector(plot, 'i(vml)');
  if (i.length === 0) throw new SpiceError('no-output', `operating point m=${level}: i(vml) has no value`);
  assertFiniteValues(i, `operating point m=${level}: i(vml)`);
  return i[0]!;
}

/**
 * I(V) of level m: ML current at ML voltages 0..dcStop (default V_th) in steps of dcStep (default 1 mV); non-finite
 * values are an error.
 */
export async function sweepIV(
  p: CircuitParams,
  level: number,
  queue?: SpiceQueue,
  opts: RunOptions & { dcStep?: number; dcStop?: number } = {},
): Promise<{ v: Float64Array; i: Float64Array }> {
  const deck = buildDeck(p, { analysis: 'dcsweep', level, dcStep: opts.dcStep, dcStop: opts.dcStop, title: `capmin iv m=${level}` });
  const { data } = await runnerOf(queue)(deck, 'out.raw', { timeoutMs: 120_000, ...opts });
  const plot = assertComplete(parseRaw(data), 'dc sweep')[0]!;
  const v = vector(plot, 'v(ml)');
  const i = vector(plot, 'i(vml)');
  assertFiniteValues(v, `dc sweep m=${level}: v(ml)`);
  assertFiniteValues(i, `dc sweep m=${level}: i(vml)`);
  return { v, i };
}
