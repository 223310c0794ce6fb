/**
 * The import graph of src/ follows the data flow: no cycles, and no module imports a later stage.
 * Edges come from TypeScript's own import scanner (static, type-only, re-exports and literal dynamic imports).
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const root = resolve(dirname(new URL(import.meta.url).pathname), '..', '..');
const srcDir = join(root, 'src');

/**
 * The stage order, lowest first. A module may import its own stage and earlier ones only.
 * Keep in step with the architecture section of CONTRIBUTING.md.
 */
const STAGE_ORDER = [
  'util', // errors, units, hashing, RNG, atomic writes, file reading, paths of shipped files
  'plot', // SVG figures (no knowledge of any stage)
  'data', // array file formats (IDX, NPY) and dataset loaders; read by the error model's exports and the BNN
  'circuit', // circuit parameters and the ngspice deck
  'spice', // running ngspice, raw files
  'executor', // where decks run: this machine or a Slurm cluster
  'spikes', // SPICE measurements of the neuron: spike times, I_init, I(V)
  'analytic', // paper Eq. 2/3/5 and the quasi-static integral, checked against the SPICE measurements
  'montecarlo', // process variation and the Monte-Carlo engines
  'errormodel', // P_map from Monte-Carlo samples (Eq. 6)
  'sizing', // capacitor sweep and sizing
  'bnn', // BNN architectures, checkpoints, the evaluator under P_map
  'train', // the trainer
  'capmin', // CapMin (Eq. 4) and CapMin-V (Alg. 1)
  'report', // results.json schema and the HTML report
  'pipeline', // `capmin run`: composition of the stages
  'cli', // the option table and output conventions shared by the commands
  'commands', // one file per CLI command
  'main', // src/cli.ts, the command-line entry
  'index', // src/index.ts, the public API
] as const;

/** Files directly in src/ and their stage. */
const ROOT_FILES: Record<string, string> = { 'cli.ts': 'main', 'index.ts': 'index' };

/** Stage of a source file (path relative to src/): its top folder, or the stage of a file directly in src/. */
function stageOf(rel: string): string {
  const parts = rel.split('/');
  return parts.length > 1 ? parts[0]! : (ROOT_FILES[parts[0]!] ?? parts[0]!);
}

function listTs(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...listTs(p));
    else if (name.endsWith('.ts') && !name.endsWith('.d.ts')) out.push(p);
  }
  return out.sort();
}

/** Relative imports of every .ts file under `dir`, resolved to paths relative to `dir`. Throws on an unresolved import. */
function importGraph(dir: string): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of listTs(dir)) {
    const info = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
    const deps: string[] = [];
    for (const { fileName } of info.importedFiles) {
      if (!fileName.startsWith('.')) continue;
      const target = resolve(dirname(file), fileName.replace(/\.js$/, '.ts'));
      if (!existsSync(target)) throw new Error(`${relative(dir, file)}: import '${fileName}' does not resolve to a .ts file`);
      deps.push(relative(dir, target));
    }
    graph.set(relative(dir, file), [...new Set(deps)].sort());
  }
  return graph;
}

/** Every elementary cycle found by depth-first search (one representative per back edge), as file paths. */
function findCycles(graph: Map<string, string[]>): string[][] {
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const cycles: string[][] = [];
  const visit = (n: string): void => {
    state.set(n, 'open');
    stack.push(n);
    for (const m of graph.get(n) ?? []) {
      const s = state.get(m);
      if (s === 'open') cycles.push([...stack.slice(stack.indexOf(m)), m]);
      else if (s === undefined) visit(m);
    }
    stack.pop();
    state.set(n, 'done');
  };
  for (const n of graph.keys()) if (!state.has(n)) visit(n);
  return cycles;
}

/** Edges that import a later stage, as "from -> to (fromStage -> toStage)"; files of an unknown stage are reported too. */
function layerViolations(graph: Map<string, string[]>, order: readonly string[] = STAGE_ORDER): string[] {
  const rank = (f: string): number => order.indexOf(stageOf(f));
  const out: string[] = [];
  for (const [from, deps] of graph) {
    if (rank(from) < 0) out.push(`${from}: stage '${stageOf(from)}' is not in STAGE_ORDER`);
    for (const to of deps) {
      if (rank(to) > rank(from)) out.push(`${from} -> ${to} (${stageOf(from)} -> ${stageOf(to)})`);
    }
  }
  return out;
}

describe('import graph of src/', () => {
  const graph = importGraph(srcDir);

  it('sees the whole tree', () => {
    // Guard against a scanner that silently finds nothing: every stage folder is present and imports are found.
    const stages = new Set([...graph.keys()].map(stageOf));
    for (const s of STAGE_ORDER) expect(stages, `stage ${s}`).toContain(s);
    const edges = [...graph.values()].reduce((n, d) => n + d.length, 0);
    expect(edges).toBeGreaterThan(200);
    expect(graph.get('index.ts')!.length).toBeGreaterThan(5);
  });

  it('has no import cycles', () => {
    expect(findCycles(graph).map((c) => c.join(' -> '))).toEqual([]);
  });

  it('never imports a later stage', () => {
    expect(layerViolations(graph)).toEqual([]);
  });

  it('the checks detect what they are meant to detect', () => {
    const g = new Map<string, string[]>([
      ['util/a.ts', ['util/b.ts']],
      ['util/b.ts', ['circuit/c.ts']],
      ['circuit/c.ts', ['util/a.ts']],
      ['spice/d.ts', ['util/a.ts']],
    ]);
    expect(findCycles(g)).toEqual([['util/a.ts', 'util/b.ts', 'circuit/c.ts', 'util/a.ts']]);
    expect(layerViolations(g)).toEqual(['util/b.ts -> circuit/c.ts (util -> circuit)']);
    expect(layerViolations(new Map([['nowhere/x.ts', []]]))).toEqual(["nowhere/x.ts: stage 'nowhere' is not in STAGE_ORDER"]);
    expect(
      findCycles(
        new Map([
          ['a.ts', ['b.ts']],
          ['b.ts', []],
        ]),
      ),
    ).toEqual([]);
  });
});
