import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { cornerSetFromArgs } from '../../src/circuit/cli-options.js';
import { main as sizeMain } from '../../src/commands/size.js';
import { main as validateMain } from '../../src/commands/validate.js';
import { readFileSync } from 'node:fs';

const tmp = mkdtempSync(join(tmpdir(), 'capmin-corners-test-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Run a command's main with stdout captured; returns the exit code and what it printed. */
async function capture(run: () => Promise<number | void>): Promise<{ code: number | void; out: string }> {
  let out = '';
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => {
    out += String(s);
    return true;
  });
  try {
    return { code: await run(), out };
  } finally {
    spy.mockRestore();
  }
}

describe('corner sets', () => {
  it('expand --corners all / a list, --temps and a --v0 list as a cross product, each through the one-point parser', () => {
    const all = cornerSetFromArgs({ corners: 'all' });
    expect(all.map((c) => c.label)).toEqual(['tt', 'ff', 'ss']);
    const x = cornerSetFromArgs({ corners: 'tt,ss', temps: '-40,125', v0: '0.7,0.8' });
    expect(x.map((c) => c.label)).toEqual(['tt/T=-40/V0=0.7', 'tt/T=-40/V0=0.8', 'tt/T=125/V0=0.7', 'tt/T=125/V0=0.8', 'ss/T=-40/V0=0.7', 'ss/T=-40/V0=0.8', 'ss/T=125/V0=0.7', 'ss/T=125/V0=0.8']);
    expect(x[2]!.p.tempC).toBe(125);
    expect(x[2]!.p.v0).toBe(0.7);
    expect(x[4]!.p.circuit!.models[0]!).toMatchObject({ kind: 'lib', section: 'ss' });
    // without a set: the single point of the plain options (the built-in cell)
    const one = cornerSetFromArgs({});
    expect(one).toHaveLength(1);
    expect(one[0]!.p.circuit).toBeUndefined();
    expect(() => cornerSetFromArgs({ corners: 'tt,zz' })).toThrow(/^--corner: 'zz' is not a corner/);
    expect(() => cornerSetFromArgs({ corners: 'tt', corner: 'ss' })).toThrow(/^--corners: give either/);
    expect(() => cornerSetFromArgs({ temps: '27,,85' })).toThrow(/^--temps: /);
    expect(() => cornerSetFromArgs({ temps: '27,500' })).toThrow(/^--temp \(tempC\): /);
  });

  it('size --corners: the worst case is at least every corner’s C_mem and equals the largest (real ngspice)', async () => {
    const { code, out } = await capture(() => sizeMain(['--corners', 'all', '--cells', '6', '--levels', '2..5', '--mapping', 'natural', '--verify', 'quasistatic', '--json']));
    expect(code).toBe(0);
    const r = JSON.parse(out) as { corners: Array<{ label: string; baseline: { cMem: number }; targets: Array<{ cMem: number }> }>; worst: { baseline: { cMem: number; corner: string }; targets: Array<{ cMem: number; corner: string }> } };
    expect(r.corners.map((c) => c.label)).toEqual(['tt', 'ff', 'ss']);
    for (const c of r.corners) {
      expect(r.worst.baseline.cMem).toBeGreaterThanOrEqual(c.baseline.cMem);
      expect(r.worst.targets[0]!.cMem).toBeGreaterThanOrEqual(c.targets[0]!.cMem);
    }
    expect(r.worst.targets[0]!.cMem).toBe(Math.max(...r.corners.map((c) => c.targets[0]!.cMem)));
    // more current (ff) needs a larger capacitor to keep the levels apart than less current (ss)
    const by = Object.fromEntries(r.corners.map((c) => [c.label, c.targets[0]!.cMem]));
    expect(by.ff!).toBeGreaterThan(by.ss!);
    writeFileSync(join(tmp, 'size.json'), out);
  }, 120_000);

  it('validate --corners: one folder per corner, each a full validate run, and a summary (real ngspice)', async () => {
    const out = join(tmp, 'val');
    const { code, out: text } = await capture(() => validateMain(['--corners', 'tt,ss', '--cells', '4', '--cap', '1p', '--levels', '1..2', '--fig-levels', '2', '--out', out, '--json']));
    expect(code).toBe(0);
    const r = JSON.parse(text) as { corners: Array<{ label: string; folder: string; eq5RelErrMin: number }> };
    expect(r.corners.map((c) => c.label)).toEqual(['tt', 'ss']);
    const rows = (f: string) => (JSON.parse(readFileSync(join(out, f, 'validate.json'), 'utf8')) as { rows: Array<{ level: number; tSpice: number }> }).rows;
    expect(rows('ss')[0]!.tSpice).toBeGreaterThan(rows('tt')[0]!.tSpice);
    const manifest = JSON.parse(readFileSync(join(out, 'ss', 'manifest.json'), 'utf8')) as { inputs: { params: { circuit: { corner: string; files: unknown[] } } } };
    expect(manifest.inputs.params.circuit.corner).toBe('ss');
    expect(manifest.inputs.params.circuit.files.length).toBeGreaterThanOrEqual(3);
    expect(readFileSync(join(out, 'summary.csv'), 'utf8').split('\n')[0]).toMatch(/^label,tempC,v0,vdd,eq5RelErrMin/);
  }, 120_000);
});
