import { describe, expect, it } from 'vitest';
import { capminV, compareMerge, padCapminV, padRebucket, readLevelTable, rebucket } from '../../src/capmin/merge.js';

const close = (a: number[][], b: number[][]) => {
  expect(a.length).toBe(b.length);
  a.forEach((r, i) => r.forEach((v, j) => expect(v).toBeCloseTo(b[i]![j]!, 12)));
};

// Four kept levels 1..4; level 4 conducts most → shortest spike time. Spike-time order: 4, 3, 2, 1.
const LEVELS = [4, 3, 2, 1];
const TIMES = [1, 2, 3, 4];
const P = [
  [0.6, 0.4, 0, 0],
  [0.2, 0.7, 0.1, 0],
  [0, 0.1, 0.8, 0.1],
  [0, 0, 0.1, 0.9],
];

describe('CapMin-V (Alg. 1)', () => {
  it('phi = 0 changes nothing', () => {
    const r = capminV(LEVELS, TIMES, P, 0);
    close(r.merged, P);
    expect(r.survivors).toEqual([4, 3, 2, 1]);
    expect(r.steps).toEqual([]);
  });

  it('boundary merges inward, then a neighbour tie goes to the longer spike time', () => {
    const r = capminV(LEVELS, TIMES, P, 2);
    expect(r.steps).toEqual([
      { step: 1, removed: 4, into: 3, diag: 0.6, direction: 'right', reason: 'boundary' },
      { step: 2, removed: 2, into: 1, diag: 0.8, direction: 'right', reason: 'tie' },
    ]);
    expect(r.survivors).toEqual([3, 1]);
    expect(r.survivorTimes).toEqual([2, 4]);
    close(r.merged, [
      [0.9, 0.1],
      [0, 1],
    ]);
    expect(r.diagonal[0]).toBeCloseTo(0.9, 12);
    expect(r.readLevel).toEqual({ 4: 3, 3: 3, 2: 1, 1: 1 });
  });

  it('level order comes from the spike times, not the input order', () => {
    // Same data given in ascending level order.
    const perm = [3, 2, 1, 0];
    const r = capminV(perm.map((i) => LEVELS[i]!), perm.map((i) => TIMES[i]!), perm.map((i) => perm.map((j) => P[i]![j]!)), 2);
    expect(r.order).toEqual([4, 3, 2, 1]);
    expect(r.survivors).toEqual([3, 1]);
  });

  it('interior merge: into the lower-diagonal neighbour (Alg. 1 line 6, the default) or the higher one', () => {
    const q = [
      [0.7, 0.3, 0],
      [0.25, 0.5, 0.25],
      [0, 0.1, 0.9],
    ];
    const lower = capminV([30, 20, 10], [1, 2, 3], q, 1, { mergeToward: 'lower' });
    expect(capminV([30, 20, 10], [1, 2, 3], q, 1)).toEqual(lower);
    expect(lower.mergeToward).toBe('lower');
    expect(lower.steps[0]).toMatchObject({ removed: 20, into: 30, direction: 'left', reason: 'neighbour-diagonal' });
    close(lower.merged, [
      [1, 0],
      [0.1, 0.9],
    ]);
    const higher = capminV([30, 20, 10], [1, 2, 3], q, 1, { mergeToward: 'higher' });
    expect(higher.steps[0]).toMatchObject({ removed: 20, into: 10, direction: 'right' });
    close(higher.merged, [
      [0.7, 0.3],
      [0, 1],
    ]);
  });

  it('argmin ties pick the shortest spike time; the last spike time merges left', () => {
    const eq = [
      [0.5, 0.5, 0],
      [0.25, 0.5, 0.25],
      [0, 0.5, 0.5],
    ];
    expect(capminV([3, 2, 1], [1, 2, 3], eq, 1).steps[0]).toMatchObject({ removed: 3, into: 2, reason: 'boundary' });
    const last = [
      [0.9, 0.1, 0],
      [0.1, 0.8, 0.1],
      [0, 0.5, 0.5],
    ];
    expect(capminV([3, 2, 1], [1, 2, 3], last, 1).steps[0]).toMatchObject({ removed: 1, into: 2, direction: 'left', reason: 'boundary' });
  });

  it('a level that never spikes (Infinity) is the slowest', () => {
    const q = [
      [0.9, 0.1],
      [0.2, 0.8],
    ];
    const r = capminV([0, 1], [Infinity, 5e-9], q, 1);
    expect(r.order).toEqual([1, 0]);
    expect(r.steps[0]).toMatchObject({ removed: 1, into: 0 });
  });

  it('repeated merges down to one spike time leave probability 1', () => {
    const r = capminV(LEVELS, TIMES, P, 3);
    expect(r.survivors.length).toBe(1);
    close(r.merged, [[1]]);
    expect(() => capminV(LEVELS, TIMES, P, 4)).toThrow(/0\.\.3/);
  });

  it('pads back to the clipped range and beyond (Alg. 1 line 15): clipped rows one-hot on the bound by default', () => {
    const r = capminV(LEVELS, TIMES, P, 2);
    const full = padCapminV(r, 6);
    expect(padCapminV(r, 6, { pad: 'paper' })).toEqual(full);
    expect(full.length).toBe(7);
    const row = (m: number) => full[m]!.map((v) => Number(v.toFixed(12)));
    expect(row(0)).toEqual([0, 1, 0, 0, 0, 0, 0]); // clipped to 1, read as 1
    expect(row(1)).toEqual([0, 1, 0, 0, 0, 0, 0]);
    expect(row(2)).toEqual([0, 1, 0, 0, 0, 0, 0]); // removed, merged into 1
    expect(row(3)).toEqual([0, 0.1, 0, 0.9, 0, 0, 0]);
    expect(row(4)).toEqual(row(3)); // removed, merged into 3
    expect(row(5)).toEqual([0, 0, 0, 1, 0, 0, 0]); // clipped to 4, which reads as 3: one-hot (the "1s" of line 15)
    expect(row(6)).toEqual(row(5));
    full.forEach((r2) => expect(r2.reduce((s, x) => s + x, 0)).toBeCloseTo(1, 12));
    // pad 'bound': a clipped level is read through the bound's spike time, with its error row
    const bound = padCapminV(r, 6, { pad: 'bound' });
    expect(bound[6]).toEqual(full[4]);
    expect(bound[0]).toEqual(full[1]);
    for (let m = 1; m <= 4; m++) expect(bound[m]).toEqual(full[m]);
    expect(() => padCapminV(r, 6, { pad: 'x' as never })).toThrow(/pad/);
    expect(readLevelTable(r, 6)).toEqual([1, 1, 1, 3, 3, 3, 3]);
  });

  it('validates input', () => {
    expect(() => capminV([1, 2], [1], [[1]], 0)).toThrow(/spike times/);
    expect(() => capminV([1, 1], [1, 2], P.slice(0, 2).map((r) => r.slice(0, 2)), 0)).toThrow(/distinct/);
    expect(() => capminV([1, 2], [1, 2], [[1, 0]], 0)).toThrow(/rows/);
    expect(() => capminV([1, 2], [1, NaN], [[1, 0], [0, 1]], 0)).toThrow(/spike time/);
  });
});

describe('re-bucketing with merged boundaries', () => {
  it('sorts the raw samples of every kept level into the survivors\' buckets', () => {
    const r = capminV(LEVELS, TIMES, P, 2); // survivors 3 (t=2) and 1 (t=4): boundary at 3
    const samples = new Map<number, number[]>([
      [4, [0.9, 1.1, 2.5, 3.5]],
      [3, [2, 3, 3.2]], // 3 lies on the boundary: half/half
      [2, [2.9, 3.1, 4]],
      [1, []],
    ]);
    const rb = rebucket(r, samples);
    expect(rb.levels).toEqual([1, 2, 3, 4]);
    expect(rb.survivors).toEqual([1, 3]);
    expect(rb.boundaries).toEqual([3]);
    close(rb.matrix, [
      [1, 0], // no samples: its nominal read
      [2 / 3, 1 / 3],
      [0.5, 0.5],
      [0.25, 0.75],
    ]);
    expect(rb.pCorrect.map((x) => Number(x.toFixed(12)))).toEqual([1, Number((2 / 3).toFixed(12)), 0.5, 0.75]);
    expect(rb.readLevel).toEqual([1, 1, 3, 3]);
    const full = padRebucket(rb, 5);
    expect(full[0]).toEqual([0, 1, 0, 0, 0, 0]);
    expect(full[5]).toEqual([0, 0, 0, 1, 0, 0]); // clipped to 4, which reads as 3: one-hot
    const bound = padRebucket(rb, 5, { pad: 'bound' });
    expect(bound[5]![1]).toBeCloseTo(0.25, 12); // the row of level 4
    expect(bound[5]![3]).toBeCloseTo(0.75, 12);
    expect(bound[0]).toEqual(full[1]);

    const c = compareMerge(r, rb, 5, [0, 10, 10, 10, 10, 0]);
    expect(c.levels).toEqual([1, 2, 3, 4]);
    expect(c.readLevel).toEqual([1, 1, 3, 3]);
    c.pCorrectAlg1.forEach((v, i) => expect(v).toBeCloseTo([1, 1, 0.9, 0.9][i]!, 12));
    expect(c.meanAlg1).toBeCloseTo(0.95, 12);
    expect(c.meanRebucket).toBeCloseTo((1 + 2 / 3 + 0.5 + 0.75) / 4, 12);
    expect(c.weightedRebucket).toBeCloseTo(c.meanRebucket, 12);
    expect(c.maxAbsDiff).toBeCloseTo(0.4, 12); // level 3: read 3 with 0.9 (Alg. 1) vs 0.5 (re-bucketed)
    // expected |read − true|: Alg. 1 reads level 2 as 1 and level 4 as 3 (or 1) — P(correct) hides this
    c.absErrAlg1.forEach((v, i) => expect(v).toBeCloseTo([0, 1, 0.2, 1.2][i]!, 12));
    c.absErrRebucket.forEach((v, i) => expect(v).toBeCloseTo([0, 1, 1, 1.5][i]!, 12));
    expect(c.meanAbsErrAlg1).toBeCloseTo(0.6, 12);
    expect(c.meanAbsErrRebucket).toBeCloseTo(0.875, 12);
  });
});
