#!/usr/bin/env node
/**
 * capmin command-line entry: dispatches `capmin <command> [options]` to `src/commands/<command>.ts`.
 * Every command module exports `main(argv)`; user errors surface as one line (a JSON object under `--json`) and the
 * exit codes of src/util/exit.ts; file-system errors name the path and what to do; only a real internal bug prints
 * a stack trace.
 */
import { CapminError } from './util/errors.js';
import { EXIT, EXIT_CODES_TEXT } from './util/exit.js';
import { COMMAND_NAMES, COMMANDS, editDistance, helpText, type CommandName } from './cli/options.js';
import { capminVersion, jsonEnvelope } from './cli/output.js';
import { describeFsError } from './cli/fserror.js';

function usage(): string {
  const w = Math.max(...COMMAND_NAMES.map((n) => n.length));
  return [
    'usage: capmin <command> [options]    (capmin help <command>, or capmin <command> --help, for its options)',
    '       capmin --version | -V',
    '',
    'commands (in data-flow order: circuit -> simulation -> spike times -> error model -> BNN -> CapMin):',
    ...COMMAND_NAMES.map((n) => `  ${n.padEnd(w)}  ${COMMANDS[n].summary}`),
    '',
    'every command takes --json (one JSON object on stdout) and --quiet (no progress on stderr);',
    'outputs go under ./runs/ in the current directory unless --out says otherwise.',
    EXIT_CODES_TEXT,
  ].join('\n');
}

function isCommand(name: string): name is CommandName {
  return (COMMAND_NAMES as readonly string[]).includes(name);
}

function unknownCommand(name: string): string {
  const near = COMMAND_NAMES.map((n) => [n, editDistance(name, n)] as const).sort((x, y) => x[1] - y[1])[0]!;
  const hint = near[1] <= 2 ? `; did you mean ${near[0]}?` : '';
  return `unknown command '${name.slice(0, 40)}'${hint} (allowed: ${COMMAND_NAMES.join(', ')})`;
}

function report(cmd: string, json: boolean, code: string, message: string, exitCode: number): number {
  if (json) process.stderr.write(JSON.stringify(jsonEnvelope(isCommand(cmd) ? cmd : 'capmin', { error: { code, message, exitCode } })) + '\n');
  else process.stderr.write(`capmin${cmd ? ' ' + cmd : ''}: ${message}\n`);
  return exitCode;
}

/** Run one capmin invocation; resolves to the exit code. */
export async function runCli(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  const json = argv.includes('--json');
  if (cmd === '--version' || cmd === '-V') {
    if (json) process.stdout.write(JSON.stringify(jsonEnvelope('capmin', { version: capminVersion() })) + '\n');
    else process.stdout.write(`capmin ${capminVersion()}\n`);
    return EXIT.OK;
  }
  if (!cmd || cmd === '--help' || cmd === '-h' || cmd === 'help') {
    const topic = cmd === 'help' ? rest[0] : undefined;
    if (topic !== undefined) {
      if (!isCommand(topic)) return report('', json, 'EUSAGE', unknownCommand(topic), EXIT.USAGE);
      process.stdout.write(helpText(topic) + '\n');
      return EXIT.OK;
    }
    (cmd ? process.stdout : process.stderr).write(usage() + '\n');
    return cmd ? EXIT.OK : EXIT.USAGE;
  }
  if (!isCommand(cmd)) return report('', json, 'EUSAGE', unknownCommand(cmd), EXIT.USAGE);
  try {
    const mod = (await import(`./commands/${cmd}.js`)) as { main(argv: string[]): Promise<number | void> };
    const code = await mod.main(rest);
    return typeof code === 'number' ? code : EXIT.OK;
  } catch (err) {
    if (err instanceof CapminError) return report(cmd, json, err.code, err.message, err.exitCode);
    const fs = describeFsError(err);
    if (fs) return report(cmd, json, (err as NodeJS.ErrnoException).code!, fs[1], fs[0]);
    throw err;
  }
}

/** The last resort: a real bug. Prints "internal error" with the stack (also under --json, inside the object). */
function internalError(err: unknown): void {
  const text = err instanceof Error ? (err.stack ?? err.message) : String(err);
  if (process.argv.includes('--json')) {
    process.stderr.write(JSON.stringify(jsonEnvelope('capmin', { error: { code: 'EINTERNAL', message: `internal error: ${text}`, exitCode: EXIT.RUNTIME } })) + '\n');
  } else process.stderr.write(`capmin: internal error: ${text}\n`);
  process.exitCode = EXIT.RUNTIME;
}

const isMain = process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href;
if (isMain || process.argv[1]?.endsWith('/capmin')) {
  // errors raised outside the command's promise (stream or worker events) get the same treatment
  const last = (err: unknown): void => {
    const fs = describeFsError(err);
    if (fs) process.exit(report(process.argv[2] ?? '', process.argv.includes('--json'), (err as NodeJS.ErrnoException).code!, fs[1], fs[0]));
    if (err instanceof CapminError) process.exit(report(process.argv[2] ?? '', process.argv.includes('--json'), err.code, err.message, err.exitCode));
    internalError(err);
    process.exit(EXIT.RUNTIME);
  };
  process.on('uncaughtException', last);
  process.on('unhandledRejection', last);
  runCli(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    internalError,
  );
}
