/**
 * Where the files shipped with capmin live (models/, netlists/, package.json), found from this module's own location
 * so that a source checkout, dist/, a dependency install and a global install all work from any directory.
 * Nothing is ever written here: outputs go under the caller's directory (./runs by default in the CLI).
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let root: string | undefined;

/**
 * The capmin package directory: the nearest ancestor of this module holding a package.json named "capmin"
 * (this file is src/util/paths.ts in a checkout, dist/src/util/paths.js when built or installed).
 */
export function packageRoot(): string {
  if (root !== undefined) return root;
  const here = dirname(fileURLToPath(import.meta.url));
  for (let dir = here; ; dir = dirname(dir)) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg)) {
      try {
        if ((JSON.parse(readFileSync(pkg, 'utf8')) as { name?: unknown }).name === 'capmin') {
          root = dir;
          return dir;
        }
      } catch {
        /* not ours: keep walking */
      }
    }
    if (dirname(dir) === dir) throw new Error(`capmin: no package.json named "capmin" above ${here}`);
  }
}

/** Absolute path of a file shipped in the package, e.g. `shippedFile('models', 'ptm16hp-nmos.pm')`. Not checked for existence. */
export function shippedFile(...segments: string[]): string {
  return join(packageRoot(), ...segments);
}

/** The package version from the shipped package.json (recorded in run manifests). */
export function packageVersion(): string {
  return (JSON.parse(readFileSync(shippedFile('package.json'), 'utf8')) as { version: string }).version;
}
