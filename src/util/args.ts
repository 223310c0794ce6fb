import { parseArgs, type ParseArgsConfig } from 'node:util';
import { CapminError } from './errors.js';
import { EXIT } from './exit.js';

type OptionsConfig = NonNullable<ParseArgsConfig['options']>;

/** parseArgs' own result type for a strict parse of `T` (string options with a default are always strings). */
export type StrictValues<T extends OptionsConfig> = ReturnType<typeof parseArgs<{ args: string[]; options: T; strict: true; allowPositionals: false }>>['values'];

const clip = (s: string): string => (s.length > 40 ? `${s.slice(0, 40)}…` : s);

function usageError(message: string): CapminError {
  return new CapminError(message, 'EUSAGE', EXIT.USAGE);
}

/**
 * Strict parse over node's parseArgs, keeping its types. Refuses, each with one line: an unknown option (with
 * `suggest`'s "did you mean"), an option given twice unless declared `multiple`, a positional argument, and
 * parseArgs' own errors (missing value, value for a flag).
 */
export function parseCommandArgs<T extends OptionsConfig>(
  argv: string[],
  options: T,
  opts: { command: string; suggest?: (name: string) => string | undefined },
): StrictValues<T> {
  // a lenient pass first, to name unknown and repeated options precisely
  const loose = parseArgs({ args: argv, options: options as OptionsConfig, strict: false, allowPositionals: true, tokens: true });
  const seen = new Set<string>();
  for (const t of loose.tokens ?? []) {
    if (t.kind === 'positional') throw usageError(`unexpected argument '${clip(t.value)}'; options are named (capmin ${opts.command} --help)`);
    if (t.kind !== 'option') continue;
    const spec = options[t.name];
    if (!spec) {
      const s = opts.suggest?.(t.name);
      throw usageError(`unknown option ${clip(t.rawName)}${s ? `; did you mean --${s}?` : ''} (capmin ${opts.command} --help lists the options)`);
    }
    if (seen.has(t.name) && !spec.multiple) throw usageError(`--${t.name} given more than once; give it once`);
    seen.add(t.name);
  }
  try {
    return parseArgs({ args: argv, options, strict: true, allowPositionals: false }).values as StrictValues<T>;
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS')) throw usageError((e as Error).message.split('\n')[0]!);
    throw e;
  }
}
