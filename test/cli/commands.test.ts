/**
 * Commands are option parsing plus a library call: the parsed defaults give the library's own defaults (so a run on
 * the defaults is the same run as before), and the CapMin-V options reach the library.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseCommand } from '../../src/cli/options.js';
import { runConfigFromArgs } from '../../src/commands/run.js';
import { main as mergeMain } from '../../src/commands/merge.js';
import { defaultConfig } from '../../src/pipeline/run.js';

const dir = mkdtempSync(join(tmpdir(), 'capmin-cli-cmd-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function stdout(f: () => Promise<unknown>): Promise<string> {
  const chunks: string[] = [];
  const orig = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((s: string) => {
    chunks.push(String(s));
    return true;
  }) as typeof process.stdout.write;
  try {
    await f();
  } finally {
    process.stdout.write = orig;
  }
  return chunks.join('');
}

describe('capmin run options', () => {
  it('no options give exactly defaultConfig (same settings, same run folder hash as before)', () => {
    expect(runConfigFromArgs(parseCommand('run', []).values)).toEqual(defaultConfig(false));
    expect(runConfigFromArgs(parseCommand('run', ['--quick']).values)).toEqual(defaultConfig(true));
  });
  it('maps the CapMin-V options onto the pipeline fields', () => {
    const cfg = runConfigFromArgs(parseCommand('run', ['--merge-toward', 'higher', '--pad', 'bound', '--single-direction', '--samples', '300', '--seed', '4294967295']).values);
    expect(cfg).toMatchObject({ mergeToward: 'higher', pad: 'bound', compareToward: false, mcSamples: 300, seed: 4294967295 });
    expect(() => runConfigFromArgs(parseCommand('run', ['--pad', 'zeros']).values)).toThrow(/^--pad: 'zeros' must be paper or bound/);
    expect(() => runConfigFromArgs(parseCommand('run', ['--seed', '4294967296']).values)).toThrow(/^--seed: /);
  });
});

describe('capmin merge --pad and --merge-toward reach Alg. 1', () => {
  const p = join(dir, 'pm.json');
  const s = join(dir, 'sp.json');
  writeFileSync(p, JSON.stringify({ levels: [1, 2, 3, 4], matrix: [[0.9, 0.1, 0, 0], [0.1, 0.8, 0.1, 0], [0, 0.1, 0.7, 0.2], [0, 0, 0.4, 0.6]] }));
  writeFileSync(s, JSON.stringify({ rows: [1, 2, 3, 4].map((m) => ({ level: m, tSpike: (5 - m) * 1e-9, tCross: (5 - m) * 1e-9 })) }));
  const merge = async (extra: string[]) => JSON.parse(await stdout(() => mergeMain(['--pmap', p, '--spikes', s, '--phi', '1', '--cells', '6', '--json', ...extra])));

  it('clipped rows: one-hot on the bound (paper) or the bound’s error row (bound)', async () => {
    const paper = await merge([]);
    const bound = await merge(['--pad', 'bound']);
    expect(paper).toMatchObject({ schemaVersion: 1, command: 'merge', pad: 'paper' });
    expect(bound.pad).toBe('bound');
    // level 0 lies below the clip range [1, 4]: paper reads it exactly as the bound, bound gives it level 1's row
    const one = paper.padded[0] as number[];
    expect(one.filter((x) => x !== 0)).toEqual([1]);
    expect(bound.padded[0]).toEqual(bound.padded[1]);
    expect((bound.padded[0] as number[]).filter((x) => x !== 0).length).toBeGreaterThan(1);
  });

  it('the merge direction is the library field, lower by default', async () => {
    expect((await merge([])).mergeToward).toBe('lower');
    expect((await merge(['--merge-toward', 'higher'])).mergeToward).toBe('higher');
    await expect(mergeMain(['--pmap', p, '--spikes', s, '--phi', '1', '--merge-toward', 'up'])).rejects.toThrow(/^--merge-toward: /);
  });
});
