/**
 * Corner sets for commands that write one output folder per PVT point (`validate`, `sweep-cap`): the set comes from
 * `cornerSetFromArgs` (`--corners a,b,c|all`, `--temps`, a `--v0` list), and each point runs the command's own
 * single-point code with `--corner/--temp/--v0` set and `--out DIR/<label>`, so a point's results, manifest and
 * caches are exactly those of running it alone.
 */
import { join } from 'node:path';
import { cornerSetFromArgs, type CornerPoint, type CornerSetValues } from '../circuit/cli-options.js';

/** Options that a corner set replaces on each point's command line. */
const SET_OPTIONS = new Set(['--corners', '--temps', '--v0', '--corner', '--temp', '--out']);

/** `argv` without the set options (both `--opt value` and `--opt=value` forms). */
function stripSetOptions(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const eq = a.indexOf('=');
    const name = eq > 0 ? a.slice(0, eq) : a;
    if (!SET_OPTIONS.has(name)) {
      out.push(a);
      continue;
    }
    if (eq < 0) i++; // the value is the next word
  }
  return out;
}

/** A point's folder name: the label with `/` and `=` made file-name safe (`ss/T=125` → `ss_T125`). */
export function cornerFolder(label: string): string {
  return label.replace(/=/g, '').replace(/[^A-Za-z0-9_.+-]/g, '_');
}

/**
 * The PVT points of a command line and, per point, the argv that runs it alone (`--out OUT/<folder>`). Null when
 * the command line names no set (`--corners`, `--temps` or a `--v0` list), so the command runs as before.
 */
export function cornerRuns(argv: readonly string[], values: CornerSetValues & { out?: string }, outDir: string): Array<{ point: CornerPoint; folder: string; argv: string[] }> | null {
  if (values.corners === undefined && values.temps === undefined && !(values.v0 ?? '').includes(',')) return null;
  const points = cornerSetFromArgs(values);
  const base = stripSetOptions(argv);
  return points.map((point) => {
    const folder = cornerFolder(point.label);
    const a = [...base];
    if (point.p.circuit) a.push(`--corner=${point.p.circuit.corner}`);
    a.push(`--temp=${point.p.tempC}`, `--v0=${point.p.v0}`, `--out=${join(outDir, folder)}`);
    return { point, folder, argv: a };
  });
}
