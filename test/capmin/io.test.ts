import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { readFmacFile, readPmapFile, readSpikesFile, subsetPmap } from '../../src/capmin/io.js';
import { main as levelsMain } from '../../src/commands/levels.js';
import { main as mergeMain } from '../../src/commands/merge.js';

const dir = mkdtempSync(join(tmpdir(), 'capmin-io-'));
const file = (name: string, text: string) => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};

async function capture(fn: () => Promise<number>): Promise<{ code: number; out: string }> {
  let out = '';
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => {
    out += String(s);
    return true;
  });
  try {
    const code = await fn();
    return { code, out };
  } finally {
    spy.mockRestore();
  }
}
afterEach(() => vi.restoreAllMocks());

describe('F_MAC files', () => {
  it('reads JSON under total or fMac, a bare array, and CSV level,count', () => {
    expect(readFmacFile(file('a.json', JSON.stringify({ total: [1, 2, 3], layers: [] })))).toEqual([1, 2, 3]);
    expect(readFmacFile(file('b.json', JSON.stringify({ fMac: [0, 5] })))).toEqual([0, 5]);
    expect(readFmacFile(file('c.json', '[4,5,6]'))).toEqual([4, 5, 6]);
    expect(readFmacFile(file('d.csv', 'level,count\n1,20\n0,10\n2,30\n'))).toEqual([10, 20, 30]);
    expect(readFmacFile(file('e.csv', 'level,conv2,fc1,total\n0,1,2,3\n1,4,5,9\n'))).toEqual([3, 9]);
  });
  it('rejects bad files with one line naming the problem', () => {
    expect(() => readFmacFile(file('f.json', '{"x":[1,2]}'))).toThrow(/--fmac: .*'total' or 'fMac'/);
    expect(() => readFmacFile(file('g.json', '{"total":[1,-2]}'))).toThrow(/negative/);
    expect(() => readFmacFile(file('h.json', '{"total":[1,"x"]}'))).toThrow(/not a finite number/);
    expect(() => readFmacFile(file('i.csv', 'level,count\n0,1\n0,2\n'))).toThrow(/twice/);
    expect(() => readFmacFile(file('j.csv', 'a,b\n0,1\n'))).toThrow(/level,count/);
    expect(() => readFmacFile(join(dir, 'missing.json'))).toThrow(/cannot read/);
    expect(() => readFmacFile(file('k.json', '{'))).toThrow(/not valid JSON/);
  });
});

describe('P_map and spike files', () => {
  it('reads CSV with row labels, JSON with levels, and subsets', () => {
    const p = readPmapFile(file('p.csv', 'level,9,10\n9,0.75,0.25\n10,0.5,0.5\n'));
    expect(p).toEqual({ levels: [9, 10], matrix: [[0.75, 0.25], [0.5, 0.5]] });
    const q = readPmapFile(file('p.json', JSON.stringify({ levels: [1, 2, 3], matrix: [[1, 0, 0], [0.2, 0.6, 0.2], [0, 0, 1]] })));
    const sub = subsetPmap(q, [2, 3]).matrix;
    expect(sub[0]![0]).toBeCloseTo(0.75, 12);
    expect(sub[0]![1]).toBeCloseTo(0.25, 12);
    expect(sub[1]).toEqual([0, 1]);
    expect(() => readPmapFile(file('bad.json', '[[0.5,0.4],[0,1]]'))).toThrow(/sums to/);
    expect(() => readPmapFile(file('rag.json', '[[1,0],[1]]'))).toThrow(/square/);
  });
  it('reads spike tables with no-spike levels', () => {
    const s = readSpikesFile(file('s.json', JSON.stringify([{ level: 0, tSpike: null }, { level: 1, tSpike: 2e-9, tCross: 1.9e-9 }])));
    expect(s.get(0)).toBe(Infinity);
    expect(s.get(1)).toBe(2e-9);
    expect(readSpikesFile(file('s.csv', 'level,tCross,tSpike\n3,1e-9,1.5e-9\n'), 'tCross').get(3)).toBe(1e-9);
    expect(() => readSpikesFile(file('s2.json', '[{"level":1}]'))).toThrow(/tSpike/);
  });
});

describe('commands', () => {
  it('capmin levels --json', async () => {
    const f = file('fm.json', JSON.stringify({ total: [10, 1, 1, 9, 9, 1] }));
    const { code, out } = await capture(() => levelsMain(['--fmac', f, '--k', '3', '--json']));
    expect(code).toBe(0);
    const j = JSON.parse(out);
    expect(j).toMatchObject({ k: 3, lo: 2, hi: 4, topK: [0, 3, 4], contiguous: false });
    await expect(levelsMain(['--fmac', f, '--k', '7'])).rejects.toThrow(/--k: .*1 \.\. 6/);
  });
  it('capmin merge --json', async () => {
    const p = file('pm.json', JSON.stringify({ levels: [1, 2, 3, 4], matrix: [[0.9, 0.1, 0, 0], [0.1, 0.8, 0.1, 0], [0, 0.1, 0.7, 0.2], [0, 0, 0.4, 0.6]] }));
    const s = file('sp.json', JSON.stringify([1, 2, 3, 4].map((m) => ({ level: m, tSpike: (5 - m) * 1e-9 }))));
    const { code, out } = await capture(() => mergeMain(['--pmap', p, '--spikes', s, '--phi', '2', '--cells', '6', '--json']));
    expect(code).toBe(0);
    const j = JSON.parse(out);
    expect(j.survivors).toEqual([3, 1]);
    expect(j.readLevelTable).toEqual([1, 1, 1, 3, 3, 3, 3]);
    expect(j.padded.length).toBe(7);
    await expect(mergeMain(['--pmap', p, '--spikes', s, '--phi', '4', '--cells', '6'])).rejects.toThrow(/--phi/);
  });
});
