import { describe, it, expect, beforeAll } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildAlias, levelTables, parseClip, pMapToCsv, readPMap, type PMap } from '../../src/bnn/pmap.js';
import { Sampler } from '../../src/bnn/kernels.js';
import { encodeNpy } from '../../src/data/npy.js';
import { Rng } from '../../src/util/rng.js';
import { CapminError } from '../../src/util/errors.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'capmin-pmap-'));
});

const A = 32;
/** A P_map indexed by level m with level-dependent spread (rows sum to 1). */
function testPMap(): PMap {
  return Array.from({ length: A + 1 }, (_, m) => {
    const r = new Array<number>(A + 1).fill(0);
    const q = 0.01 * (m % 5);
    r[m] = 1 - q;
    r[Math.min(m + 1, A)]! += q * 0.75;
    r[Math.max(m - 1, 0)]! += q * 0.25;
    return r;
  });
}

describe('P_map files', () => {
  it("reads capmin's CSV (level-labelled header) and JSON, indexed by level m", () => {
    const p = testPMap();
    const csv = join(dir, 'p.csv');
    writeFileSync(csv, pMapToCsv(p));
    const close = (got: PMap) => got.forEach((r, m) => r.forEach((v, j) => expect(v).toBeCloseTo(p[m]![j]!, 14)));
    close(readPMap(csv, A));
    const json = join(dir, 'p.json');
    writeFileSync(json, JSON.stringify({ levels: p.map((_, i) => i), matrix: p }));
    close(readPMap(json, A));
  });

  it('expands a P_map over a subset of levels with identity rows elsewhere', () => {
    const csv = join(dir, 'sub.csv');
    writeFileSync(csv, 'level,9,10,11\n9,0.9,0.1,0\n10,0.05,0.9,0.05\n11,0,0.2,0.8\n');
    const p = readPMap(csv, A);
    expect(p[10]![9]).toBe(0.05);
    expect(p[10]![11]).toBe(0.05);
    expect(p[11]![10]).toBe(0.2);
    expect(p[3]![3]).toBe(1);
    expect(p[20]![20]).toBe(1);
  });

  it("converts SPICE-Torch's 33×33 .npy indexed by popcount = a − m, and its 1-D direct mapping", () => {
    const p = testPMap();
    const byPopcount = new Float64Array(33 * 33);
    for (let m = 0; m <= A; m++) for (let j = 0; j <= A; j++) byPopcount[(A - m) * 33 + (A - j)] = p[m]![j]!;
    const f = join(dir, 'p.npy');
    writeFileSync(f, encodeNpy(byPopcount, [33, 33]));
    const got = readPMap(f, A);
    for (let m = 0; m <= A; m++) for (let j = 0; j <= A; j++) expect(got[m]![j]).toBeCloseTo(p[m]![j]!, 12);
    // direct mapping: popcount pc → pc + 1 (clipped at a), i.e. level m → m − 1
    const map = Float64Array.from({ length: 33 }, (_, pc) => Math.min(pc + 1, A));
    const g = join(dir, 'map.npy');
    writeFileSync(g, encodeNpy(map, [33]));
    const d = readPMap(g, A);
    expect(d[5]![4]).toBe(1);
    expect(d[0]![0]).toBe(1);
  });

  it('rejects bad rows and sizes with one line naming the row', () => {
    const f = join(dir, 'bad.json');
    const p = testPMap();
    p[7] = p[7]!.map((v) => v * 0.5);
    writeFileSync(f, JSON.stringify({ matrix: p }));
    expect(() => readPMap(f, A)).toThrow(CapminError);
    expect(() => readPMap(f, A)).toThrow(/row 7 sums to 0\.5/);
    writeFileSync(f, JSON.stringify({ matrix: [[1]] }));
    expect(() => readPMap(f, A)).toThrow(/1×1 without a list of its levels.*33×33/); // a partial P_map must name its levels
    writeFileSync(f, JSON.stringify({ levels: [0], matrix: [[1]] }));
    expect(() => readPMap(f, A)).not.toThrow(); // one level (0): rest identity
    const n = join(dir, 'bad.npy');
    writeFileSync(n, encodeNpy(new Float64Array(32 * 32), [32, 32]));
    expect(() => readPMap(n, A)).toThrow(/33×33/);
  });

  it('parses --clip', () => {
    expect(parseClip('9,22', 32)).toEqual([9, 22]);
    expect(parseClip('9..22', 32)).toEqual([9, 22]);
    expect(() => parseClip('22,9', 32)).toThrow(/lo 22 > hi 9/);
    expect(() => parseClip('0,33', 32)).toThrow(/0\.\.32/);
  });
});

describe('samplers', () => {
  const chiSquare = (counts: number[], row: number[], N: number) =>
    row.reduce((chi, p, j) => (p > 0 ? chi + (counts[j]! - N * p) ** 2 / (N * p) : chi), 0);

  it('direct bucket sampler reproduces a row, including tiny probabilities (chi-square)', () => {
    const row = new Array<number>(A + 1).fill(0);
    [row[3], row[4], row[5], row[6], row[7]] = [0.001, 0.25, 0.5, 0.2489, 0.0001];
    const p: PMap = Array.from({ length: A + 1 }, (_, m) => (m === 5 ? row : Array.from({ length: A + 1 }, (_, j) => (j === m ? 1 : 0))));
    const t = levelTables(A, undefined, p);
    expect(t.det[5]).toBe(-1);
    expect(t.det[4]).toBe(4);
    const s = new Sampler(t, false);
    const g = new Rng(1);
    s.seed([g.nextU32(), g.nextU32(), g.nextU32(), g.nextU32()]);
    const N = 300_000;
    const counts = new Array<number>(A + 1).fill(0);
    for (let i = 0; i < N; i++) counts[s.draw(5)]!++;
    expect(counts.reduce((x, c, j) => x + (row[j]! === 0 ? c : 0), 0)).toBe(0);
    expect(chiSquare(counts, row, N)).toBeLessThan(25); // 4 degrees of freedom: p < 1e-4
    expect(counts[7]).toBeGreaterThan(5); // 1e-4 · 3e5 = 30 expected: not lost to the 1/1024 slices
  });

  it('alias tables (thinned off-mode draws) reproduce the row probabilities (chi-square)', () => {
    const row = [0, 0.5, 0.25, 0.125, 0.0625, 0.0625, 0];
    const K = row.length;
    const thr = new Float64Array(K);
    const alias = new Int32Array(K);
    buildAlias(row, thr, alias, 0);
    const g = new Rng(2);
    const N = 200_000;
    const counts = new Array<number>(K).fill(0);
    for (let i = 0; i < N; i++) {
      const x = g.nextU32() * K;
      const col = Math.floor(x / 2 ** 32);
      counts[x - col * 2 ** 32 < thr[col]! ? col : alias[col]!]!++;
    }
    expect(counts[0]).toBe(0);
    expect(counts[6]).toBe(0);
    expect(chiSquare(counts, row, N)).toBeLessThan(20);
  });

  it('level tables: clipping first, then the row of the clipped level; thinned parameters', () => {
    const p = testPMap();
    const t = levelTables(A, [10, 20], p);
    expect(t.lut[3]).toBe(10);
    expect(t.lut[25]).toBe(20);
    expect(t.det[10]).toBe(10); // row 10: q = 0 → deterministic
    expect(t.det[11]).toBe(-1);
    expect(t.base[3]).toBe(10); // row of the clipped level 10
    expect(t.qMax).toBeCloseTo(0.04, 12);
    expect(t.accept[14]).toBe(2 ** 32); // q = 0.04 = qMax
    expect(t.accept[12]).toBe(Math.round(0.5 * 2 ** 32));
    expect(levelTables(A).exact).toBe(true);
    expect(levelTables(A, [0, A]).exact).toBe(true);
    expect(levelTables(A, [1, A]).exact).toBe(false);
  });
});
