/**
 * Per-simulation overhead of runNgspice (temp dir, execa, process group, classification, raw read + cleanup) against
 * running the same deck by hand (`ngspice -b -n deck.cir` via child_process.spawnSync in a prepared directory),
 * interleaved in the same run. Two decks: an `op` (ngspice start-up dominated) and a level-16 transient.
 *   npx tsx bench/runner.ts [--n 20]
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildDeck } from '../src/circuit/deck.js';
import { validateCircuit } from '../src/circuit/params.js';
import { runNgspiceFile } from '../src/spice/runner.js';

const nArg = process.argv.indexOf('--n');
const N = nArg > 0 ? Number(process.argv[nArg + 1]) : 20;
const p = validateCircuit({});

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : 0.5 * (s[s.length / 2 - 1]! + s[s.length / 2]!);
}

async function bench(label: string, deck: string): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'capmin-bench-'));
  writeFileSync(join(dir, 'deck.cir'), deck);
  const ours: number[] = [];
  const hand: number[] = [];
  // warm-up (page cache, code models)
  await runNgspiceFile(deck, 'out.raw');
  spawnSync('ngspice', ['-b', '-n', 'deck.cir'], { cwd: dir, stdio: 'ignore' });
  for (let i = 0; i < N; i++) {
    let t0 = performance.now();
    const r = await runNgspiceFile(deck, 'out.raw');
    ours.push(performance.now() - t0);
    if (r.data.length === 0) throw new Error('no raw');
    t0 = performance.now();
    const h = spawnSync('ngspice', ['-b', '-n', 'deck.cir'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 1 << 28 });
    const raw = readFileSync(join(dir, 'out.raw'));
    hand.push(performance.now() - t0);
    if (h.status !== 0 || raw.length === 0) throw new Error(`by hand: exit ${h.status}`);
  }
  rmSync(dir, { recursive: true, force: true });
  const mo = median(ours);
  const mh = median(hand);
  console.log(
    `${label.padEnd(22)} runNgspice ${mo.toFixed(1)} ms  by hand ${mh.toFixed(1)} ms  overhead ${(mo - mh).toFixed(1)} ms/sim  ratio ${(mo / mh).toFixed(3)}  (median of ${N}, ${(1000 / mo).toFixed(1)} sims/s)`,
  );
}

await bench('op m=16', buildDeck(p, { analysis: 'op', level: 16 }));
await bench('tran m=16 (10 pF)', buildDeck(p, { analysis: 'tran', level: 16 }));
