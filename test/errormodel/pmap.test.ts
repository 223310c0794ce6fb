import { describe, expect, it } from 'vitest';
import { buildPmap, bucketOf, expandPmap, makeBuckets, pmapDiagonal, toPopcountIndex } from '../../src/errormodel/pmap.js';
import { encodeNpyF64 } from '../../src/errormodel/npy.js';
import { parsePmapCsv, pmapCsv, pmapHeatmapSvg, pmapNpy } from '../../src/errormodel/pmapio.js';
import { parseNpy } from '../../src/data/npy.js';
import { Rng } from '../../src/util/rng.js';

// nominal spike times fall with the level m (more conducting cells → more current → earlier spike)
const nominal = [Infinity, 10, 6, 4, 3]; // levels 0..4

describe('buildPmap (paper Eq. 6, Sec. IV-C)', () => {
  it('is the identity when every sample equals its nominal time', () => {
    const samples = nominal.map((t) => [t, t, t]);
    const p = buildPmap(nominal, samples, [0, 1, 2, 3, 4]);
    expect(p.matrix).toEqual([0, 1, 2, 3, 4].map((i) => [0, 1, 2, 3, 4].map((j) => (i === j ? 1 : 0))));
    expect(pmapDiagonal(p)).toEqual([1, 1, 1, 1, 1]);
  });

  it('puts boundaries midway between neighbours, first and last buckets open, Infinity in the no-spike bucket', () => {
    const b = makeBuckets([10, 6, 4]); // levels 1, 2, 3
    expect(b.times).toEqual([4, 6, 10]);
    expect(b.boundaries).toEqual([5, 8]);
    expect(bucketOf(b, 0)).toEqual([[0, 1]]); // open first bucket
    expect(bucketOf(b, 4.99)).toEqual([[0, 1]]);
    expect(bucketOf(b, 5)).toEqual([[0, 0.5], [1, 0.5]]); // exactly on a boundary: split
    expect(bucketOf(b, 7.9)).toEqual([[1, 1]]);
    expect(bucketOf(b, 8.1)).toEqual([[2, 1]]);
    expect(bucketOf(b, 1e9)).toEqual([[2, 1]]); // open last bucket
    expect(bucketOf(b, Infinity)).toEqual([[2, 1]]);
    const withNone = makeBuckets([Infinity, 10, 6]);
    expect(withNone.boundaries).toEqual([8, Infinity]);
    expect(bucketOf(withNone, 1e9)).toEqual([[1, 1]]);
    expect(bucketOf(withNone, Infinity)).toEqual([[2, 1]]);
  });

  it('hand-computed rows for a subset of levels', () => {
    // levels 1..3 (nominal 10, 6, 4): level-2 samples 5.5 (→2), 8.5 (→1), 4.5 (→3), 6 (→2)
    const p = buildPmap(nominal, new Map([[1, [10, 9, 7]], [2, [5.5, 8.5, 4.5, 6]], [3, [4, 4, 4, 5]]]), [3, 1, 2]);
    expect(p.levels).toEqual([1, 2, 3]);
    expect(p.matrix[0]).toEqual([2 / 3, 1 / 3, 0]);
    expect(p.matrix[1]).toEqual([0.25, 0.5, 0.25]);
    expect(p.matrix[2]).toEqual([0, 0.125, 0.875]); // 5 is on the 4|6 boundary: half a count each
    expect(p.samples).toEqual([3, 4, 4]);
  });

  it('rows always sum to 1 (random samples, ties, no-spike samples)', () => {
    const rng = new Rng(7, 1, 2);
    const nom = [Infinity, 10, 6, 6, 3]; // levels 2 and 3 tie: they share a bucket and split it
    const samples = nom.map((t) => Array.from({ length: 500 }, () => (rng.uniform() < 0.02 ? Infinity : (Number.isFinite(t) ? t : 12) * (1 + 0.3 * rng.normal()))));
    const p = buildPmap(nom, samples, [0, 1, 2, 3, 4]);
    for (const row of p.matrix) expect(row.reduce((x, y) => x + y, 0)).toBeCloseTo(1, 12);
    expect(p.matrix[2]![2]).toBeCloseTo(p.matrix[2]![3]!, 12);
    expect(p.matrix[2]![2]).toBeLessThanOrEqual(0.5);
  });

  it('an empty row becomes the identity and is reported', () => {
    const p = buildPmap(nominal, new Map([[1, [10]]]), [1, 2]);
    expect(p.matrix[1]).toEqual([0, 1]);
    expect(p.emptyRows).toEqual([2]);
  });
});

describe('P_map files', () => {
  const p = buildPmap(nominal, new Map([[1, [10, 9, 7]], [2, [5.5, 8.5, 4.5, 6]], [3, [4, 4, 4, 5]]]), [1, 2, 3]);

  it('CSV has a header row and one row per true level, and round-trips', () => {
    const csv = pmapCsv(p);
    expect(csv.split('\n')[0]).toBe('level,1,2,3');
    expect(csv.split('\n')[2]).toBe('2,0.25,0.5,0.25');
    expect(parsePmapCsv(csv)).toEqual({ levels: [1, 2, 3], matrix: p.matrix });
  });

  it('NPY v1.0: 33×33 float64, header padded to 64 bytes, re-indexed by popcount = a − m', () => {
    const a = 32;
    const buf = pmapNpy(p, a);
    expect([...buf.subarray(0, 8)]).toEqual([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
    const hlen = buf.readUInt16LE(8);
    expect((10 + hlen) % 64).toBe(0);
    expect(buf[10 + hlen - 1]).toBe(0x0a);
    const arr = parseNpy(buf);
    expect(arr.dtype).toBe('<f8');
    expect(arr.shape).toEqual([33, 33]);
    const at = (i: number, j: number): number => arr.data[i * 33 + j]!;
    // true level 2 (popcount 30) read as level 1 (popcount 31) with p = 0.25
    expect(at(30, 31)).toBe(0.25);
    expect(at(30, 30)).toBe(0.5);
    expect(at(29, 29)).toBe(0.875);
    // levels not simulated: identity rows
    expect(at(0, 0)).toBe(1);
    expect(at(32, 32)).toBe(1);
    for (let i = 0; i < 33; i++) expect([...arr.data.subarray(i * 33, i * 33 + 33)].reduce((x, y) => x + y, 0)).toBeCloseTo(1, 12);
  });

  it('popcount re-indexing is an involution and expandPmap keeps kept rows', () => {
    const full = expandPmap(p, 4);
    expect(full[2]).toEqual([0, 0.25, 0.5, 0.25, 0]);
    expect(toPopcountIndex(toPopcountIndex(full, 4), 4)).toEqual(full);
    expect(toPopcountIndex(full, 4)[2]).toEqual([0, 0.25, 0.5, 0.25, 0].reverse());
  });

  it('encodes exact doubles and the heatmap is SVG', () => {
    const b = encodeNpyF64([[0.1, 1 / 3]]);
    expect(b.readDoubleLE(b.length - 8)).toBe(1 / 3);
    const svg = pmapHeatmapSvg(p, 'test <P_map>');
    expect(svg).toContain('data-kind="heatmap"');
    expect(svg).toContain('test &lt;P_map&gt;');
    expect((svg.match(/<rect /g) ?? []).length).toBeGreaterThanOrEqual(9);
  });
});
