/**
 * What every command prints: one JSON object under `--json` (with `schemaVersion` and capmin's version), and the
 * default output folders, which live under ./runs/ in the current directory — never in the installed package.
 */
import { resolve } from 'node:path';
import { packageVersion } from '../util/paths.js';
import type { CommandName } from './options.js';

/** Version of the `--json` envelope; bumped when a field changes meaning or goes away. */
export const SCHEMA_VERSION = 1;

let version: string | undefined;

/** capmin's version from the package's package.json. */
export function capminVersion(): string {
  if (version === undefined) {
    try {
      version = packageVersion();
    } catch {
      version = 'unknown';
    }
  }
  return version;
}

/** The `--json` object of a command: schemaVersion, capmin version, command, then the command's fields. */
export function jsonEnvelope(command: CommandName | 'capmin', body: Record<string, unknown>): Record<string, unknown> {
  return { schemaVersion: SCHEMA_VERSION, capmin: capminVersion(), command, ...body };
}

/** Print the `--json` object of a command on stdout. */
export function printJson(command: CommandName, body: Record<string, unknown>): void {
  process.stdout.write(JSON.stringify(jsonEnvelope(command, body), null, 2) + '\n');
}

/** A default output folder: ./runs/<name> under the current directory. */
export function defaultOutDir(...name: string[]): string {
  return resolve(process.cwd(), 'runs', ...name);
}
