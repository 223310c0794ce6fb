/**
 * `capmin deck`: print (or write) the ngspice deck for one neuron configuration (paper Fig. 2).
 */
import { resolve } from 'node:path';
import { buildDeck, devicesPerCell } from '../circuit/deck.js';
import { circuitFromArgs } from '../circuit/cli-options.js';
import { readVariationFile } from '../circuit/variation.js';
import { parseCommand } from '../cli/options.js';
import { printJson } from '../cli/output.js';
import { EXIT } from '../util/exit.js';
import { writeFileAtomic } from '../util/atomic.js';
import { inputError } from '../util/errors.js';
import { parseSpiceValue } from '../util/units.js';

/** Parse a bit string of length a. */
function parseBits(field: string, text: string, a: number): boolean[] {
  if (!/^[01]+$/.test(text) || text.length !== a) throw inputError(field, `must be ${a} characters of 0/1`);
  return [...text].map((c) => c === '1');
}

/** `capmin deck`: options from src/cli/options.ts, then buildDeck. */
export async function main(argv: string[]): Promise<number | void> {
  const { values, help } = parseCommand('deck', argv);
  if (help) return EXIT.OK;
  const p = circuitFromArgs(values);
  const analysis = values.analysis;
  if (analysis !== 'tran' && analysis !== 'op' && analysis !== 'dcsweep') throw inputError('--analysis', `'${analysis.slice(0, 20)}' unknown; allowed: tran, op, dcsweep`);
  let level: number | undefined;
  let bits: { w: boolean[]; x: boolean[] } | undefined;
  if (values.w !== undefined || values.x !== undefined) {
    if (values.level !== undefined) throw inputError('--level', 'give either --level or --w/--x');
    if (values.w === undefined || values.x === undefined) throw inputError('--w', '--w and --x go together');
    bits = { w: parseBits('--w', values.w, p.a), x: parseBits('--x', values.x, p.a) };
  } else {
    level = values.level === undefined ? p.a : parseSpiceValue('--level', values.level, { min: 0, max: p.a, integer: true });
  }
  const deck = buildDeck(p, {
    analysis,
    level,
    bits,
    clocked: Boolean(values.clocked),
    stopAfterSpike: !values['no-stop'],
    variation: values.variation !== undefined ? readVariationFile(values.variation, p.a, '--variation', devicesPerCell(p)) : undefined,
    rawPath: values.raw,
    rawFormat: values.ascii ? 'ascii' : 'binary',
  });
  const out = values.out !== undefined ? resolve(values.out) : undefined;
  if (out !== undefined) writeFileAtomic(out, deck);
  if (values.json) printJson('deck', { out: out ?? null, raw: values.raw, analysis, level: level ?? null, params: p, deck });
  else if (out === undefined) process.stdout.write(deck);
  return EXIT.OK;
}
