import { describe, expect, it } from 'vitest';
import { parseSpiceValue, parseLevelRange, spiceNumber, formatSi } from '../../src/util/units.js';
import { Rng } from '../../src/util/rng.js';
import { stableStringify, sha256 } from '../../src/util/hash.js';

describe('parseSpiceValue', () => {
  it('reads SPICE suffixes into SI units', () => {
    expect(parseSpiceValue('cap', '9.6p', { unit: 'F' })).toBeCloseTo(9.6e-12, 24);
    expect(parseSpiceValue('cap', '10pF', { unit: 'F' })).toBeCloseTo(1e-11, 24);
    expect(parseSpiceValue('f', '2G', { unit: 'Hz' })).toBe(2e9);
    expect(parseSpiceValue('f', '2GHz', { unit: 'Hz' })).toBe(2e9);
    expect(parseSpiceValue('r', '1meg')).toBe(1e6);
    expect(parseSpiceValue('v', '225m', { unit: 'V' })).toBeCloseTo(0.225, 15);
    expect(parseSpiceValue('v', '1e-3')).toBe(1e-3);
  });
  it('refuses garbage, wrong units, out-of-range and injection with the field named', () => {
    expect(() => parseSpiceValue('cap', 'abc', { unit: 'F' })).toThrow(/^cap: .*not a number/);
    expect(() => parseSpiceValue('cap', '10pV', { unit: 'F' })).toThrow(/cap: .*unit 'V'/);
    expect(() => parseSpiceValue('cap', '1', { unit: 'F', min: 1e-15, max: 1e-9 })).toThrow(/cap: .*out of range; allowed range 1 fF \.\. 1 nF/);
    expect(() => parseSpiceValue('cap', '10p\n.control', { unit: 'F' })).toThrow(/^cap: /);
    expect(() => parseSpiceValue('n', '2.5', { integer: true })).toThrow(/n: must be an integer/);
    expect(() => parseSpiceValue('x', Number.NaN)).toThrow(/x: must be finite/);
  });
  it('formats deterministic deck numbers and readable SI text', () => {
    expect(spiceNumber(9.6e-12)).toBe('9.6e-12');
    expect(spiceNumber(0.225)).toBe('2.25e-1');
    expect(spiceNumber(0)).toBe('0');
    expect(formatSi(9.6e-12, 'F')).toBe('9.6 pF');
  });
});

describe('parseLevelRange', () => {
  it('expands ranges and lists', () => {
    expect(parseLevelRange('levels', '9..12', 0, 32)).toEqual([9, 10, 11, 12]);
    expect(parseLevelRange('levels', '3,5,4..5', 0, 32)).toEqual([3, 4, 5]);
    expect(() => parseLevelRange('levels', '30..40', 0, 32)).toThrow(/levels: 30\.\.40 is out of range; allowed range 0\.\.32/);
    expect(() => parseLevelRange('levels', '5..3', 0, 32)).toThrow(/reversed/);
  });
});

describe('Rng', () => {
  it('is determined by its key alone', () => {
    const a = new Rng(1, 16, 7);
    const b = new Rng(1, 16, 7);
    const c = new Rng(1, 16, 8);
    const xa = Array.from({ length: 5 }, () => a.nextU32());
    expect(Array.from({ length: 5 }, () => b.nextU32())).toEqual(xa);
    expect(Array.from({ length: 5 }, () => c.nextU32())).not.toEqual(xa);
  });
  it('draws standard normals with the right moments', () => {
    const r = new Rng(42);
    let s = 0;
    let s2 = 0;
    const n = 200_000;
    for (let i = 0; i < n; i++) {
      const x = r.normal();
      s += x;
      s2 += x * x;
    }
    expect(Math.abs(s / n)).toBeLessThan(0.01);
    expect(Math.abs(s2 / n - 1)).toBeLessThan(0.015);
    const u = new Rng(3);
    for (let i = 0; i < 1000; i++) {
      const v = u.uniform();
      expect(v).toBeGreaterThanOrEqual(0);
      expect(v).toBeLessThan(1);
    }
  });
});

describe('hash', () => {
  it('hashes equal objects equally regardless of key order', () => {
    expect(stableStringify({ b: 1, a: [2, { d: 1, c: 2 }] })).toBe('{"a":[2,{"c":2,"d":1}],"b":1}');
    expect(sha256('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });
});
