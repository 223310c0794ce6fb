import { parseArgs, type ParseArgsConfig } from 'node:util';

/**
 * Thin wrapper over node's parseArgs: strict (unknown options are one-line errors)
 * and prints `help` for --help.
 */
export function parseCommandArgs<T extends NonNullable<ParseArgsConfig['options']>>(
  argv: string[],
  options: T,
  help: string,
): { values: Record<string, string | boolean | string[] | boolean[] | undefined>; positionals: string[]; help: boolean } {
  const parsed = parseArgs({
    args: argv,
    options: { ...options, help: { type: 'boolean', short: 'h' } },
    strict: true,
    allowPositionals: true,
  });
  if ((parsed.values as Record<string, unknown>).help) {
    process.stdout.write(help.trimEnd() + '\n');
    return { values: parsed.values as Record<string, string | boolean | undefined>, positionals: parsed.positionals, help: true };
  }
  return { values: parsed.values as Record<string, string | boolean | undefined>, positionals: parsed.positionals, help: false };
}
