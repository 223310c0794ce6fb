/**
 * The capmin process as a user runs it (real Node process, real ngspice): version, help, exit codes, the --json
 * envelope on stdout and errors as JSON on stderr, default output folders under ./runs of the current directory,
 * file-system errors as one line.
 */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll } from 'vitest';

const root = resolve(__dirname, '..', '..');
const cli = join(root, 'src', 'cli.ts');
const loader = pathToFileURL(join(root, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;
const version = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version;
const work = mkdtempSync(join(tmpdir(), 'capmin-cli-test-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function capmin(args: string[], cwd = work): { code: number | null; out: string; err: string } {
  const r = spawnSync(process.execPath, ['--import', loader, cli, ...args], { cwd, encoding: 'utf8', env: { ...process.env, CAPMIN_QUIET: '1' }, timeout: 120_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

function envelope(text: string, command: string): Record<string, unknown> {
  const j = JSON.parse(text) as Record<string, unknown>;
  expect(j).toMatchObject({ schemaVersion: 1, capmin: version, command });
  return j;
}

describe('capmin process', () => {
  it('--version, -V, help <cmd>, unknown command', () => {
    for (const v of ['--version', '-V']) {
      const r = capmin([v]);
      expect(r.code).toBe(0);
      expect(r.out).toBe(`capmin ${version}\n`);
    }
    const h = capmin(['help', 'pmap']);
    expect(h.code).toBe(0);
    expect(h.out).toMatch(/^usage: capmin pmap /);
    expect(h.out).toContain('examples:');
    const top = capmin(['--help']);
    expect(top.code).toBe(0);
    expect(top.out).toContain('exit codes: 0 ok');
    const u = capmin(['pmapp']);
    expect(u.code).toBe(2);
    expect(u.err).toBe(`capmin: unknown command 'pmapp'; did you mean pmap? (allowed: deck, spikes, validate, crosscheck, pmap, sweep-cap, size, fmac, eval, train, levels, merge, run)\n`);
  });

  it('exit code 2 and one line for usage errors; a JSON object on stderr under --json', () => {
    const r = capmin(['eval', '--model', 'm.safetensors', '--runs', '3', '--runs', '5']);
    expect(r.code).toBe(2);
    expect(r.err).toBe('capmin eval: --runs given more than once; give it once\n');
    const j = capmin(['deck', '--raw', '../../x.raw', '--json']);
    expect(j.code).toBe(2);
    expect(j.out).toBe('');
    const e = envelope(j.err, 'deck');
    expect(e.error).toMatchObject({ code: 'EINPUT', exitCode: 2 });
    expect(String((e.error as { message: string }).message)).toMatch(/^--raw: /);
    expect(existsSync(join(work, '..', '..', 'x.raw'))).toBe(false);
    const bad = capmin(['deck', '--cap', '1e999']);
    expect(bad.code).toBe(2);
    expect(bad.err.trim().split('\n')).toHaveLength(1);
  });

  it('deck --json: one object with the deck text', () => {
    const r = capmin(['deck', '--level', '4', '--json']);
    expect(r.code).toBe(0);
    const j = envelope(r.out, 'deck');
    expect(String(j.deck)).toContain('.control');
    expect(j.raw).toBe('out.raw');
  });

  it('levels --json: one object', () => {
    const f = join(work, 'fmac.json');
    writeFileSync(f, JSON.stringify({ total: [1, 5, 9, 7, 2, 1, 0] }));
    const r = capmin(['levels', '--fmac', f, '--k', '3', '--json']);
    expect(r.code).toBe(0);
    expect(envelope(r.out, 'levels')).toMatchObject({ k: 3, lo: 1, hi: 3 });
  });

  it('spikes --json with real ngspice at 2 levels; the cache goes under ./runs of the current directory', () => {
    const cwd = mkdtempSync(join(work, 'cwd-'));
    const r = capmin(['spikes', '--cap', '1p', '--levels', '16,32', '--json', '--quiet'], cwd);
    expect(r.code, r.err).toBe(0);
    const j = envelope(r.out, 'spikes');
    const rows = j.rows as Array<{ level: number; tSpike: number | null; tCross: number | null }>;
    expect(rows.map((x) => x.level)).toEqual([16, 32]);
    // more conducting cells charge C_mem faster
    expect(rows[1]!.tCross!).toBeLessThan(rows[0]!.tCross!);
    expect(j.cache).toBe(join(cwd, 'runs', 'cache', 'spikes'));
    expect(existsSync(join(cwd, 'runs', 'cache', 'spikes'))).toBe(true);
  });

  it('pmap without --out writes a run folder under ./runs of the current directory', () => {
    const cwd = mkdtempSync(join(work, 'cwd-'));
    const r = capmin(['pmap', '--cap', '1p', '--samples', '2', '--levels', '1,2', '--workers', '1', '--json'], cwd);
    expect(r.code, r.err).toBe(0);
    const j = envelope(r.out, 'pmap');
    expect(String(j.out).startsWith(join(cwd, 'runs', 'pmap-1pF-'))).toBe(true);
    expect(existsSync(join(String(j.out), 'pmap.csv'))).toBe(true);
    expect(existsSync(join(root, 'runs', String(j.out).split('/').pop()!))).toBe(false);
    // the same command again finds its run and asks for --resume
    const again = capmin(['pmap', '--cap', '1p', '--samples', '2', '--levels', '1,2', '--workers', '1'], cwd);
    expect(again.code).toBe(2);
    expect(again.err).toMatch(/--resume/);
  });

  it('exit code 3 when ngspice is missing', () => {
    const r = spawnSync(process.execPath, ['--import', loader, cli, 'spikes', '--levels', '1', '--json'], { cwd: work, encoding: 'utf8', env: { ...process.env, PATH: '/nonexistent', CAPMIN_QUIET: '1' } });
    expect(r.status).toBe(3);
    expect(envelope(r.stderr, 'spikes').error).toMatchObject({ code: 'ESPICE_NOT_INSTALLED', exitCode: 3 });
  });

  it('a file-system error is one line naming the path, never a stack trace', () => {
    const file = join(work, 'plain-file');
    writeFileSync(file, 'x');
    const r = capmin(['deck', '--out', join(file, 'deck.cir')]);
    expect([1, 2]).toContain(r.code);
    expect(r.err.trim().split('\n')).toHaveLength(1);
    expect(r.err).toContain(file);
    expect(r.err).not.toMatch(/\n\s+at /);
    expect(r.err).not.toContain('internal error');
  });
});
