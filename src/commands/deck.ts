/**
 * `capmin deck`: print (or write) the ngspice deck for one neuron configuration (paper Fig. 2).
 */
import { readFileSync } from 'node:fs';
import { buildDeck } from '../circuit/deck.js';
import { CIRCUIT_HELP, CIRCUIT_OPTIONS, circuitFromArgs } from '../circuit/cli-options.js';
import { TRANSISTORS_PER_CELL, type ArrayVariation } from '../circuit/variation.js';
import { parseCommandArgs } from '../util/args.js';
import { writeFileAtomic } from '../util/atomic.js';
import { inputError } from '../util/errors.js';
import { parseSpiceValue } from '../util/units.js';

const HELP = `usage: capmin deck [--level M | --w BITS --x BITS] [--analysis tran|op|dcsweep] [--clocked] [--no-stop]
                   [--variation FILE.json] [--raw NAME] [--ascii] [--out FILE] [circuit options]

Writes the ngspice deck (stdout unless --out). Run it with: ngspice -b -n deck.cir
  --level M        number of conducting cells m (0..a; default a)
  --w / --x BITS   explicit weight / input bits, e.g. --w 1011... --x 0011... (a bits each)
  --analysis A     tran (default): ML charges C_mem from 0 V; op: ML held at 0 V (I_init); dcsweep: ML swept 0..V_th
  --clocked        tran: comparator + flip-flop (XSPICE adc_bridge + d_dff) clocked at fclk inside the simulation
  --no-stop        tran: do not stop the transient after the spike
  --variation F    JSON [cell][transistor 0..3] of {delvto, mulu0, dW, dL} (SI units)
  --raw NAME       raw file the deck writes (default out.raw); --ascii for an ASCII raw file
${CIRCUIT_HELP}`;

/** Parse a bit string of length a. */
function parseBits(field: string, text: string, a: number): boolean[] {
  if (!/^[01]+$/.test(text) || text.length !== a) throw inputError(field, `must be ${a} characters of 0/1`);
  return [...text].map((c) => c === '1');
}

/** Read and check a variation JSON file. */
export function readVariation(path: string, a: number): ArrayVariation {
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw inputError('variation', `cannot read '${path.slice(0, 80)}' as JSON (${(e as Error).message.split('\n')[0]})`);
  }
  if (!Array.isArray(data) || data.length !== a) throw inputError('variation', `must be an array of ${a} cells`);
  return data.map((cell, i) => {
    if (!Array.isArray(cell) || cell.length !== TRANSISTORS_PER_CELL) throw inputError('variation', `cell ${i} must list ${TRANSISTORS_PER_CELL} transistors`);
    return cell.map((d: Record<string, unknown>, t: number) => ({
      delvto: parseSpiceValue(`variation[${i}][${t}].delvto`, (d?.delvto ?? 0) as number, { unit: 'V', min: -1, max: 1 }),
      mulu0: parseSpiceValue(`variation[${i}][${t}].mulu0`, (d?.mulu0 ?? 1) as number, { min: 1e-3, max: 10 }),
      dW: parseSpiceValue(`variation[${i}][${t}].dW`, (d?.dW ?? 0) as number, { min: -1e-6, max: 1e-6 }),
      dL: parseSpiceValue(`variation[${i}][${t}].dL`, (d?.dL ?? 0) as number, { min: -1e-6, max: 1e-6 }),
    }));
  });
}

export async function main(argv: string[]): Promise<number | void> {
  const { values, help } = parseCommandArgs(
    argv,
    {
      ...CIRCUIT_OPTIONS,
      level: { type: 'string' },
      w: { type: 'string' },
      x: { type: 'string' },
      analysis: { type: 'string' },
      clocked: { type: 'boolean' },
      'no-stop': { type: 'boolean' },
      variation: { type: 'string' },
      raw: { type: 'string' },
      ascii: { type: 'boolean' },
      out: { type: 'string' },
    },
    HELP,
  );
  if (help) return 0;
  const p = circuitFromArgs(values);
  const analysis = (values.analysis as string | undefined) ?? 'tran';
  if (analysis !== 'tran' && analysis !== 'op' && analysis !== 'dcsweep') throw inputError('analysis', `'${analysis.slice(0, 20)}' unknown; allowed: tran, op, dcsweep`);
  let level: number | undefined;
  let bits: { w: boolean[]; x: boolean[] } | undefined;
  if (values.w !== undefined || values.x !== undefined) {
    if (values.level !== undefined) throw inputError('level', 'give either --level or --w/--x');
    if (values.w === undefined || values.x === undefined) throw inputError('w', '--w and --x go together');
    bits = { w: parseBits('w', values.w as string, p.a), x: parseBits('x', values.x as string, p.a) };
  } else {
    level = values.level === undefined ? p.a : parseSpiceValue('level', values.level as string, { min: 0, max: p.a, integer: true });
  }
  const deck = buildDeck(p, {
    analysis,
    level,
    bits,
    clocked: Boolean(values.clocked),
    stopAfterSpike: !values['no-stop'],
    variation: values.variation ? readVariation(values.variation as string, p.a) : undefined,
    rawPath: values.raw as string | undefined,
    rawFormat: values.ascii ? 'ascii' : 'binary',
  });
  if (values.out) writeFileAtomic(values.out as string, deck);
  else process.stdout.write(deck);
  return 0;
}
