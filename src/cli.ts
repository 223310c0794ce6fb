#!/usr/bin/env node
/**
 * capmin command-line entry: dispatches `capmin <command> [options]` to `src/commands/<command>.ts`.
 * Every command module exports `main(argv)`; user errors surface as one line and a non-zero exit.
 */
import { CapminError } from './util/errors.js';

/** Commands in data-flow order: circuit → simulation → spike times → error model → BNN → CapMin. */
const COMMANDS: Array<[name: string, summary: string]> = [
  ['deck', 'write the ngspice deck for one neuron configuration'],
  ['spikes', 'nominal spike time of every MAC level at a capacitor value'],
  ['validate', 'SPICE transient vs paper Eq. 5 vs the quasi-static integral, per level'],
  ['crosscheck', 'transient vs quasi-static Monte-Carlo on the same samples'],
  ['pmap', 'Monte-Carlo error model P_map (paper Eq. 6)'],
  ['sweep-cap', 'spike times, distinct levels, latency and energy over capacitor values'],
  ['size', 'smallest C_mem that represents a set of levels'],
  ['fmac', 'MAC-level histogram F_MAC of a BNN over a dataset'],
  ['eval', 'BNN test accuracy with clipping and/or a P_map error model'],
  ['train', 'train a binarized network (VGG3 on Fashion-MNIST by default)'],
  ['levels', 'CapMin: the k most frequent levels and clipping bounds (Eq. 4)'],
  ['merge', 'CapMin-V: merge spike times phi times (Alg. 1)'],
  ['run', 'the end-to-end CapMin / CapMin-V pipeline and report'],
];

function usage(): string {
  const w = Math.max(...COMMANDS.map(([n]) => n.length));
  return [
    'usage: capmin <command> [options]    (capmin <command> --help for its options)',
    '',
    ...COMMANDS.map(([n, s]) => `  ${n.padEnd(w)}  ${s}`),
  ].join('\n');
}

export async function runCli(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  if (!cmd || cmd === '--help' || cmd === '-h' || cmd === 'help') {
    process.stdout.write(usage() + '\n');
    return cmd ? 0 : 2;
  }
  if (!COMMANDS.some(([n]) => n === cmd)) {
    process.stderr.write(`capmin: unknown command '${cmd.slice(0, 40)}'; allowed: ${COMMANDS.map(([n]) => n).join(', ')}\n`);
    return 2;
  }
  try {
    const mod = (await import(`./commands/${cmd}.js`)) as { main(argv: string[]): Promise<number | void> };
    const code = await mod.main(rest);
    return typeof code === 'number' ? code : 0;
  } catch (err) {
    if (err instanceof CapminError) {
      process.stderr.write(`capmin ${cmd}: ${err.message}\n`);
      return err.exitCode;
    }
    const code = err instanceof Error && 'code' in err ? String((err as Error & { code: unknown }).code) : '';
    if (code.startsWith('ERR_PARSE_ARGS')) {
      // node:util parseArgs: unknown option, missing value, unexpected positional.
      process.stderr.write(`capmin ${cmd}: ${(err as Error).message.split('\n')[0]}\n`);
      return 2;
    }
    throw err;
  }
}

const isMain = process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href;
if (isMain || process.argv[1]?.endsWith('/capmin')) {
  runCli(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`capmin: internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
