import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, readdirSync, readlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildDeck } from '../../src/circuit/deck.js';
import { validateCircuit } from '../../src/circuit/params.js';
import { assertComplete, parseRaw, readRawFile, vector } from '../../src/spice/rawfile.js';
import { runNgspice, runNgspiceFile } from '../../src/spice/runner.js';

const tmp = mkdtempSync(join(tmpdir(), 'capmin-raw-test-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const RC = (ctl: string) => `rc test\nv1 in 0 dc 0 ac 1 pulse(0 1 0 1n 1n 1 2)\nr1 in out 1k\nc1 out 0 1n\n.control\n${ctl}\nquit\n.endc\n.end\n`;

describe('parseRaw on real ngspice output', () => {
  const p = validateCircuit({});
  it('binary and ASCII transients agree, and the chunked reader matches', async () => {
    const bin = await runNgspiceFile(buildDeck(p, { analysis: 'tran', level: 16 }), 'out.raw');
    const asc = await runNgspiceFile(buildDeck(p, { analysis: 'tran', level: 16, rawFormat: 'ascii' }), 'out.raw');
    expect(asc.data.includes('Values:')).toBe(true);
    expect(bin.data.includes('Binary:')).toBe(true);
    const b = assertComplete(parseRaw(bin.data))[0]!;
    const a = assertComplete(parseRaw(asc.data))[0]!;
    expect(b.plotname).toMatch(/transient/i);
    expect(b.flags).toBe('real');
    expect(b.variables.map((v) => v.name)).toEqual(['time', 'v(ml)']);
    expect(b.points).toBe(b.declaredPoints);
    expect(a.points).toBe(b.points);
    const tb = vector(b, 'time');
    for (let i = 1; i < tb.length; i++) expect(tb[i]!).toBeGreaterThan(tb[i - 1]!);
    expect(vector(b, 'v(ml)')[0]).toBe(0);
    for (let i = 0; i < b.points; i++) {
      expect(Math.abs(a.data[1]![i]! - b.data[1]![i]!)).toBeLessThanOrEqual(1e-14 * Math.abs(b.data[1]![i]!) + 1e-300);
    }
    const f = join(tmp, 'bin.raw');
    writeFileSync(f, bin.data);
    const c = readRawFile(f, { chunkBytes: 100 })[0]!; // several chunks, rows not aligned to chunk size
    expect(Array.from(c.data[1]!)).toEqual(Array.from(b.data[1]!));
  });

  it('complex AC data matches the RC closed form, in binary and ASCII, several plots in one file', async () => {
    const r = await runNgspice(RC('ac dec 5 1k 10meg\nop\ntran 1n 20n\nwrite multi.raw ac1.all op1.all tran1.all\nset filetype=ascii\nwrite ac.txt ac1.all'), {
      expectFiles: ['multi.raw', 'ac.txt'],
    });
    const plots = readRawFile(join(r.workDir, 'multi.raw'));
    const ascii = parseRaw(readFileSync(join(r.workDir, 'ac.txt')));
    rmSync(r.workDir, { recursive: true, force: true });
    expect(plots.map((q) => q.plotname)).toEqual(['AC Analysis', 'Operating Point', 'Transient Analysis']);
    expect(plots.every((q) => !q.truncated)).toBe(true);
    for (const ac of [plots[0]!, ascii[0]!]) {
      expect(ac.flags).toBe('complex');
      expect(ac.points).toBe(21);
      const f = vector(ac, 'frequency');
      const out = vector(ac, 'v(out)');
      expect(f.length).toBe(2 * ac.points);
      for (let k = 0; k < ac.points; k++) {
        const w = 2 * Math.PI * f[2 * k]!;
        const x = w * 1e3 * 1e-9; // H = 1 / (1 + jωRC)
        const d = 1 + x * x;
        expect(out[2 * k]!).toBeCloseTo(1 / d, 9);
        expect(out[2 * k + 1]!).toBeCloseTo(-x / d, 9);
      }
    }
    const tr = plots[2]!;
    const t = vector(tr, 'time');
    const vout = vector(tr, 'v(out)');
    // RC charging after the 1 ns ramp: v(out) < 1 - exp(-(t-1n)/1us) + small
    expect(vout[vout.length - 1]!).toBeGreaterThan(0);
    expect(vout[vout.length - 1]!).toBeLessThan(1 - Math.exp(-t[t.length - 1]! / 1e-6) + 1e-3);
  });

  it('detects truncation: No. Points left at 0, short data, and a really killed ngspice', async () => {
    const bin = (await runNgspiceFile(buildDeck(p, { analysis: 'tran', level: 8 }), 'out.raw')).data;
    const full = parseRaw(bin)[0]!;
    const text = bin.toString('latin1');
    const m = /No\. Points: *(\d+) */.exec(text)!;
    const zeroed = Buffer.from(text.replace(m[0], m[0].replace(/\d+/, (s) => '0'.padEnd(s.length, ' '))), 'latin1');
    const z = parseRaw(zeroed)[0]!;
    expect(z.declaredPoints).toBe(0);
    expect(z.truncated).toBe(true);
    expect(z.points).toBe(full.points);
    const cut = bin.subarray(0, bin.length - 16 * 3 - 5); // three rows and a bit missing
    const c = parseRaw(cut)[0]!;
    expect(c.truncated).toBe(true);
    expect(c.points).toBe(full.points - 4);
    expect(Array.from(c.data[1]!)).toEqual(Array.from(full.data[1]!.subarray(0, full.points - 4)));
    expect(() => assertComplete([c])).toThrow(/truncated: .*has \d+ of \d+ points/);
    const f = join(tmp, 'cut.raw');
    writeFileSync(f, cut);
    expect(readRawFile(f)[0]!.points).toBe(full.points - 4);

    // a real killed run: `ngspice -b -r` streams the raw file and rewrites No. Points only at the end
    const slow = validateCircuit({ tStop: '1m', tStep: '10f' });
    const deck = buildDeck(slow, { analysis: 'tran', level: 0, stopAfterSpike: false }).replace(/\.control[\s\S]*\.endc\n/, '');
    const dir = mkdtempSync(join(tmp, 'killed-'));
    writeFileSync(join(dir, 'deck.cir'), deck);
    const child = spawn('ngspice', ['-b', '-n', '-r', 'k.raw', 'deck.cir'], { cwd: dir, stdio: 'ignore', detached: true });
    await new Promise((r) => setTimeout(r, 1500));
    process.kill(-child.pid!, 'SIGKILL');
    await new Promise((r) => child.on('exit', r));
    const k = readRawFile(join(dir, 'k.raw'))[0]!;
    expect(k.declaredPoints).toBe(0);
    expect(k.truncated).toBe(true);
    expect(k.points).toBeGreaterThan(10);
    const kt = vector(k, 'time');
    for (let i = 1; i < k.points; i++) expect(kt[i]!).toBeGreaterThan(kt[i - 1]!);
  });
});

describe('no orphan after Ctrl-C', () => {
  it('SIGINT to capmin kills the running ngspice group', async () => {
    const dir = mkdtempSync(join(tmp, 'sigint-'));
    const script = `
      import { buildDeck } from '${process.cwd()}/src/circuit/deck.ts';
      import { validateCircuit } from '${process.cwd()}/src/circuit/params.ts';
      import { runNgspice } from '${process.cwd()}/src/spice/runner.ts';
      const p = validateCircuit({ tStop: '1m', tStep: '1f' });
      process.stdout.write('start\\n');
      await runNgspice(buildDeck(p, { analysis: 'tran', level: 0, stopAfterSpike: false }), { cwd: ${JSON.stringify(dir)}, timeoutMs: 60000 });
    `;
    const f = join(dir, 'run.mts');
    writeFileSync(f, script);
    const child = spawn(join(process.cwd(), 'node_modules/.bin/tsx'), [f], { stdio: ['ignore', 'pipe', 'ignore'] });
    await new Promise<void>((res) => child.stdout!.on('data', () => res()));
    const inDir = (): number[] =>
      readdirSync('/proc').filter((e) => /^\d+$/.test(e)).filter((e) => {
        try {
          return readlinkSync(`/proc/${e}/cwd`) === dir;
        } catch {
          return false;
        }
      }).map(Number);
    for (let i = 0; i < 50 && inDir().length === 0; i++) await new Promise((r) => setTimeout(r, 100));
    expect(inDir().length).toBeGreaterThan(0); // ngspice is running
    child.kill('SIGINT');
    await new Promise((r) => child.on('exit', r));
    await new Promise((r) => setTimeout(r, 300));
    expect(inDir()).toEqual([]);
  });
});
