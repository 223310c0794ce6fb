import { afterEach, describe, expect, it } from 'vitest';
import { Writable } from 'node:stream';
import { checkPlainName, editDistance, parseCommand, suggestOption } from '../../src/cli/options.js';
import { Progress } from '../../src/util/progress.js';
import { CapminError } from '../../src/util/errors.js';
import { parseCommandArgs } from '../../src/util/args.js';
import { describeFsError } from '../../src/cli/fserror.js';

const err = (f: () => unknown): CapminError => {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(CapminError);
    expect((e as CapminError).message).not.toContain('\n');
    return e as CapminError;
  }
  throw new Error('expected a CapminError');
};

describe('did you mean', () => {
  it('answers old names with the option that replaced them', () => {
    const cases: Array<[string, string[], string]> = [
      ['deck', ['--model', 'x.pm'], 'model-card'],
      ['pmap', ['--model', 'x.pm'], 'model-card'],
      ['spikes', ['--fclk', '2G'], 'f-clk'],
      ['spikes', ['--jobs', '2'], 'workers'],
      ['eval', ['--threads', '2'], 'workers'],
      ['eval', ['--array-size', '16'], 'cells'],
      ['merge', ['--a', '6'], 'cells'],
      ['merge', ['--toward', 'lower'], 'merge-toward'],
      ['run', ['--toward-lower', 'off'], 'single-direction'],
      ['train', ['--state-dir', 'd'], 'out'],
      ['train', ['--limit', '10'], 'train-limit'],
      ['pmap', ['--sampels', '10'], 'samples'],
      ['pmap', ['--seeed', '1'], 'seed'],
      ['sweep-cap', ['--step', '3'], 'steps'],
    ];
    for (const [cmd, argv, want] of cases) {
      const e = err(() => parseCommand(cmd as 'deck', argv));
      expect(e.message).toMatch(new RegExp(`^unknown option ${argv[0]}; did you mean --${want}\\?`));
      expect(e.exitCode).toBe(2);
    }
  });

  it('suggests nothing for a name far from every option, or a short one', () => {
    expect(suggestOption('deck', 'V')).toBeUndefined();
    expect(err(() => parseCommand('deck', ['-V'])).message).toBe('unknown option -V (capmin deck --help lists the options)');
    expect(suggestOption('levels', 'zzzzzzzz')).toBeUndefined();
    expect(err(() => parseCommand('levels', ['--zzzzzzzz'])).message).not.toContain('did you mean');
    expect(editDistance('kitten', 'sitting')).toBe(3);
  });

  it('sweep-cap and size do not take --cap (they choose C_mem themselves)', () => {
    expect(err(() => parseCommand('sweep-cap', ['--cap', '5p'])).message).toMatch(/unknown option --cap/);
    expect(err(() => parseCommand('size', ['--cap', '5p', '--levels', '1..3'])).message).toMatch(/unknown option --cap/);
  });
});

describe('parser rules', () => {
  afterEach(() => {
    process.env.CAPMIN_QUIET = '1';
  });

  it('refuses a repeated option', () => {
    const e = err(() => parseCommand('eval', ['--model', 'm', '--runs', '3', '--runs', '5']));
    expect(e.message).toBe('--runs given more than once; give it once');
    expect(err(() => parseCommand('deck', ['--cap=1p', '--cap', '2p'])).message).toMatch(/^--cap given more than once/);
    expect(err(() => parseCommand('deck', ['--clocked', '--clocked'])).message).toMatch(/^--clocked given more than once/);
  });

  it('collects an option declared multiple instead of refusing it', () => {
    const v = parseCommandArgs(['--tag', 'a', '--tag', 'b', '--one', 'x'], { tag: { type: 'string', multiple: true }, one: { type: 'string' } }, { command: 't' });
    expect(v.tag).toEqual(['a', 'b']);
    expect(() => parseCommandArgs(['--one', 'x', '--one', 'y'], { one: { type: 'string' } }, { command: 't' })).toThrow(/^--one given more than once/);
  });

  it('refuses positionals, missing values and missing required options', () => {
    expect(err(() => parseCommand('deck', ['stray'])).message).toMatch(/^unexpected argument 'stray'/);
    expect(err(() => parseCommand('deck', ['--cap'])).exitCode).toBe(2);
    expect(err(() => parseCommand('levels', [])).message).toMatch(/^--fmac: required/);
    expect(err(() => parseCommand('merge', ['--pmap', 'p', '--spikes', 's'])).message).toMatch(/^--phi: required/);
  });

  it('fills defaults from the table and keeps parseArgs types', () => {
    const { values } = parseCommand('pmap', []);
    const samples: string = values.samples;
    expect(samples).toBe('1000');
    expect(values.cap).toBeUndefined(); // circuit defaults come from the library (defaultCircuit)
    expect(values.engine).toBe('quasistatic');
    expect(values['model-card']).toBeUndefined();
    expect(parseCommand('crosscheck', []).values.samples).toBe('20');
    expect(parseCommand('eval', ['--model', 'm']).values.split).toBe('test');
    expect(parseCommand('fmac', ['--model', 'm']).values.split).toBe('train');
  });

  it('--quiet sets CAPMIN_QUIET', () => {
    delete process.env.CAPMIN_QUIET;
    parseCommand('deck', ['--quiet']);
    expect(process.env.CAPMIN_QUIET).toBe('1');
  });

  it('confines --raw to a plain file name', () => {
    for (const bad of ['../../x.raw', '/tmp/x.raw', 'a/b.raw', 'a\\b.raw', '..', '', 'x\n.raw']) {
      expect(err(() => parseCommand('deck', ['--raw', bad])).message).toMatch(/^--raw: /);
    }
    expect(parseCommand('deck', ['--raw', 'op.raw']).values.raw).toBe('op.raw');
    expect(checkPlainName('--raw', 'a.b-c_1.raw')).toBe('a.b-c_1.raw');
  });
});

describe('file-system errors at the top level', () => {
  it('become one line naming the path and what to do; anything else stays an internal error', () => {
    const e = (code: string, path?: string, syscall = 'open') => Object.assign(new Error(`${code}: x`), { code, path, syscall });
    expect(describeFsError(e('ENOSPC', '/tmp/run/x.json', 'write'))).toEqual([1, '/tmp/run/x.json: no space left on the device (ENOSPC in write); free space there or choose another folder (--out, TMPDIR); --resume continues the run']);
    expect(describeFsError(e('EACCES', '/ro/out'))?.[0]).toBe(2);
    expect(describeFsError(e('EROFS', '/ro/out'))?.[1]).toMatch(/^\/ro\/out: read-only file system/);
    expect(describeFsError(e('ENOENT', '/no/such'))?.[0]).toBe(2);
    expect(describeFsError(new TypeError('x is undefined'))).toBeUndefined();
    expect(describeFsError(Object.assign(new Error('odd'), { code: 'ENOENT' }))).toBeUndefined();
  });
});

describe('progress', () => {
  it('piped: never prints the same line twice, also not at finish', () => {
    const lines: string[] = [];
    const stream = new Writable({
      write(chunk, _enc, cb) {
        lines.push(...String(chunk).split('\n').filter(Boolean));
        cb();
      },
    }) as unknown as NodeJS.WriteStream;
    const p = new Progress('x', 3, 'items', { quiet: false, intervalMs: 1e9, stream });
    p.tick();
    p.tick();
    p.tick();
    p.tick(0);
    p.finish();
    p.finish();
    expect(lines.length).toBe(2); // the first tick (interval elapsed since 0) and the end
    expect(lines[1]).toContain('3/3');
    expect(new Set(lines).size).toBe(lines.length);
  });
});
