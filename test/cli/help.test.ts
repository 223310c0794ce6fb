import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { COMMAND_NAMES, OPTIONS, commandOptions, helpText, parserConfig, type CommandName } from '../../src/cli/options.js';
import { parseCommandArgs } from '../../src/util/args.js';
import { circuitFromArgs } from '../../src/circuit/cli-options.js';
import { defaultCircuit } from '../../src/circuit/params.js';
import { defaultSigmas } from '../../src/montecarlo/variation.js';
import { sigmasFromArgs } from '../../src/montecarlo/cliopts.js';
import { defaultConfig } from '../../src/pipeline/run.js';
import { DEFAULT_PAD } from '../../src/capmin/merge.js';
import { parseLevelRange, parseSpiceValue } from '../../src/util/units.js';

/** Option blocks of a help text: name → its text (head line plus continuation lines). */
function helpBlocks(text: string): Map<string, string> {
  const blocks = new Map<string, string>();
  let cur: string | undefined;
  for (const line of text.split('\n')) {
    const m = /^ {2}--([a-z0-9-]+)/.exec(line);
    if (m) {
      expect(blocks.has(m[1]!), `--${m[1]} listed twice`).toBe(false);
      cur = m[1]!;
      blocks.set(cur, line);
    } else if (cur && /^ {20,}\S/.test(line)) blocks.set(cur, `${blocks.get(cur)!} ${line.trim()}`);
    else cur = undefined;
  }
  return blocks;
}

describe('every command: --help is generated from the parser', () => {
  for (const cmd of COMMAND_NAMES) {
    it(`${cmd}: every parser option is listed with its real default, nothing else`, () => {
      const text = helpText(cmd);
      const cfg = parserConfig(cmd);
      const blocks = helpBlocks(text);
      const parserNames = Object.keys(cfg).filter((n) => n !== 'help').sort();
      expect([...blocks.keys()].sort()).toEqual(parserNames);
      expect(text).toMatch(/^ {2}-h, --help/m);
      // every --option mentioned anywhere (descriptions, usage line, examples) is one the parser accepts
      for (const m of text.matchAll(/--([a-z][a-z0-9-]*)/g)) expect(Object.keys(cfg), `help of ${cmd} mentions --${m[1]}`).toContain(m[1]);
      for (const o of commandOptions(cmd)) {
        const block = blocks.get(o.name)!;
        const d = cfg[o.name]!.default;
        if (d !== undefined) expect(block, `--${o.name}`).toContain(`default ${d}`);
        else if (o.required) expect(block).toContain('required');
        else if (o.type === 'string') expect(block, `--${o.name} states no default`).toMatch(/default /);
        if (o.unit) expect(block).toContain(`unit ${o.unit}`);
      }
      expect(text).toContain('exit codes: 0 ok, 1 simulation or runtime failure, 2 usage or input error, 3 missing dependency');
    });

    it(`${cmd}: has examples, and each one parses`, () => {
      const text = helpText(cmd);
      const ex = text.split('examples:\n')[1]!.split('\n\n')[0]!.split('\n').filter((l) => l.startsWith('  capmin '));
      expect(ex.length).toBeGreaterThan(0);
      for (const line of ex) {
        const words = line.trim().split(/\s+/);
        expect(words[1]).toBe(cmd);
        const argv = words.slice(2, words.includes('>') ? words.indexOf('>') : undefined);
        expect(() => parseCommandArgs(argv, parserConfig(cmd), { command: cmd })).not.toThrow();
      }
    });
  }

  it('every capmin command line in the README uses current option names', () => {
    const readme = readFileSync(join(__dirname, '..', '..', 'README.md'), 'utf8');
    const lines = [...readme.matchAll(/`capmin ([a-z-]+)((?: [^`]*)?)`/g)];
    expect(lines.length).toBeGreaterThan(2);
    for (const [, cmd, rest] of lines) {
      if (!(COMMAND_NAMES as readonly string[]).includes(cmd!)) continue;
      const names = Object.keys(parserConfig(cmd as CommandName));
      for (const m of rest!.matchAll(/--([a-z][a-z0-9-]*)/g)) expect(names, `README: capmin ${cmd}${rest}`).toContain(m[1]);
    }
  });

  it('one name, one meaning: no old name is accepted anywhere', () => {
    for (const cmd of COMMAND_NAMES) {
      const names = Object.keys(parserConfig(cmd));
      for (const old of ['fclk', 'jobs', 'threads', 'array-size', 'a', 'toward', 'toward-lower', 'state-dir']) expect(names).not.toContain(old);
      // the transistor card is --model-card; --model is only the BNN checkpoint
      if (names.includes('model')) expect(['fmac', 'eval', 'run']).toContain(cmd);
    }
  });

  it('table defaults are the library defaults', () => {
    // circuit: absent options take the library's exact defaults; the defaults stated in help parse to the same values
    const d = defaultCircuit();
    expect(circuitFromArgs({}, { autoStop: false })).toEqual(d);
    expect(circuitFromArgs({}).tStop).toBe(200e-9);
    const circuitOpts = commandOptions('pmap').filter((o) => o.group === 'circuit');
    expect(circuitOpts.every((o) => o.default === undefined)).toBe(true);
    const stated = circuitFromArgs(
      Object.fromEntries(circuitOpts.filter((o) => o.name !== 'model-card').map((o) => [o.name, o.defaultText!])),
      { autoStop: false },
    );
    for (const [k, v] of Object.entries(d)) {
      if (typeof v === 'number') expect(stated[k as keyof typeof stated] as number, k).toBeCloseTo(v, 20);
    }
    // the variation defaults are stated in help; absent, the library's exact values apply
    const sig = commandOptions('pmap').filter((o) => o.group === 'variation');
    expect(sig.every((o) => o.default === undefined)).toBe(true);
    expect(sigmasFromArgs({})).toEqual(defaultSigmas());
    const statedSig = sigmasFromArgs(Object.fromEntries(sig.map((o) => [o.name, o.defaultText!])));
    for (const [k, v] of Object.entries(defaultSigmas())) expect(statedSig[k as keyof typeof statedSig]).toBeCloseTo(v, 15);
    const run = defaultConfig(false);
    const def = (name: string) => commandOptions('run').find((o) => o.name === name)!.default!;
    expect(parseSpiceValue('p', def('phi-from'))).toBe(run.phiFrom);
    expect(parseLevelRange('p', def('phis'), 1, 32)).toEqual(run.phis);
    expect(Number(def('seed'))).toBe(run.seed);
    expect(def('mapping')).toBe(run.mapping);
    expect(def('merge-toward')).toBe(run.mergeToward);
    expect(def('pad')).toBe(run.pad);
    expect(def('pad')).toBe(DEFAULT_PAD);
    expect(run.sizing).toBe('transient');
    expect(def('sizing')).toBe('transient');
  });

  it('a name has one type and one range in every command that takes it', () => {
    for (const name of Object.keys(OPTIONS)) {
      const types = new Set(COMMAND_NAMES.flatMap((cmd: CommandName) => commandOptions(cmd).filter((o) => o.name === name).map((o) => o.type)));
      expect(types.size).toBeLessThanOrEqual(1);
    }
    const seedRanges = new Set(COMMAND_NAMES.flatMap((cmd) => commandOptions(cmd).filter((o) => o.name === 'seed').map((o) => o.range)));
    expect([...seedRanges]).toEqual(['0..4294967295']);
    const caps = new Set(COMMAND_NAMES.flatMap((cmd) => commandOptions(cmd).filter((o) => o.name === 'cap').map((o) => o.defaultText)));
    expect([...caps]).toEqual(['10p']);
  });
});
