import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CapminError } from '../../src/util/errors.js';
import { MAX_LEVELS_LENGTH, MAX_VALUE_LENGTH, parseLevelRange, parseSpiceValue, type Unit } from '../../src/util/units.js';

/** The previous (regex, quadratic) reader, kept as the reference for what is accepted and what it means. */
const OLD = /^([+-]?(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?)(meg|mil|[tgkmunpfa])?([a-z]*)$/i;
const SUFFIX: Record<string, number> = { t: 1e12, g: 1e9, meg: 1e6, k: 1e3, mil: 25.4e-6, m: 1e-3, u: 1e-6, n: 1e-9, p: 1e-12, f: 1e-15, a: 1e-18 };
function oldValue(s: string, unit: Unit): number | null {
  const m = OLD.exec(s.trim());
  if (!m) return null;
  const tail = (m[3] ?? '').toLowerCase();
  if (tail && !(unit && (tail === unit.toLowerCase() || (unit === 's' && tail === 'sec')))) return null;
  const v = Number(m[1]) * (m[2] ? SUFFIX[m[2].toLowerCase()]! : 1);
  return Number.isFinite(v) ? v : null;
}

const ALPHABET = [
  '0',
  '1',
  '9',
  '.',
  'e',
  'E',
  '+',
  '-',
  'p',
  'F',
  'meg',
  'mil',
  'M',
  'k',
  'g',
  'Hz',
  'V',
  's',
  'sec',
  'x',
  ' ',
  '\t',
  '\n',
  '１',
  '٣',
  'NaN',
  'Infinity',
  '_',
  ',',
  'ſ',
  'K',
];
const spiceish = fc.array(fc.constantFrom(...ALPHABET), { maxLength: 12 }).map((a) => a.join(''));

function outcome(f: () => number): number | CapminError {
  try {
    return f();
  } catch (e) {
    if (!(e instanceof CapminError)) throw e;
    return e;
  }
}

describe('parseSpiceValue: bounded, linear, strict', () => {
  it('accepts exactly what the previous reader accepted, with the same value', () => {
    fc.assert(
      fc.property(spiceish, fc.constantFrom<Unit>('', 'F', 'Hz', 'V', 's'), (s, unit) => {
        const r = outcome(() => parseSpiceValue('--x', s, { unit }));
        const ref = s.trim().length <= MAX_VALUE_LENGTH ? oldValue(s, unit) : null;
        if (ref === null) expect(r, JSON.stringify(s)).toBeInstanceOf(CapminError);
        else expect(r, JSON.stringify(s)).toBe(ref);
      }),
      { numRuns: 5000, seed: 4 },
    );
  });

  it('any string: a finite value in range or a one-line error naming the field, in bounded time', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 300 }), fc.string({ unit: 'binary', maxLength: 300 }), spiceish), (s) => {
        const t0 = performance.now();
        const r = outcome(() => parseSpiceValue('--cap', s, { unit: 'F', min: 1e-15, max: 1e-8 }));
        expect(performance.now() - t0).toBeLessThan(250); // generous: the machine is shared
        if (typeof r === 'number') {
          expect(Number.isFinite(r)).toBe(true);
          expect(r).toBeGreaterThanOrEqual(1e-15);
          expect(r).toBeLessThanOrEqual(1e-8);
        } else {
          expect(r.message).toMatch(/^--cap: /);
          expect(r.message).not.toContain('\n');
          expect(r.exitCode).toBe(2);
        }
      }),
      { numRuns: 3000, seed: 5 },
    );
  });

  it('the 120 000-digit value of the probe is refused at once, naming the maximum length', () => {
    const t0 = performance.now();
    expect(() => parseSpiceValue('--cap', `${'1'.repeat(120_000)}!`, { unit: 'F' })).toThrow(/^--cap: '1{37}\.\.\.' is longer than 100 characters/);
    expect(() => parseSpiceValue('--cap', `${'1'.repeat(MAX_VALUE_LENGTH - 1)}!`, { unit: 'F' })).toThrow(/not a number/);
    expect(() => parseLevelRange('--levels', '1,'.repeat(10_000), 0, 32)).toThrow(new RegExp(`^--levels: .*longer than ${MAX_LEVELS_LENGTH}`));
    expect(performance.now() - t0).toBeLessThan(1000);
  });

  it('keeps every accepted form and every rejection', () => {
    const ok: Array<[string, Unit, number]> = [
      ['9.6p', 'F', 9.6e-12],
      [' 10pF ', 'F', 1e-11],
      ['2GHz', 'Hz', 2e9],
      ['1meg', '', 1e6],
      ['1MEG', '', 1e6],
      ['1mil', '', 25.4e-6],
      ['.5', '', 0.5],
      ['5.', '', 5],
      ['+1.e3', '', 1000],
      ['-2e-3', '', -2e-3],
      ['1e+2k', '', 1e5],
      ['3sec', 's', 3],
      ['1M', '', 1e-3],
    ];
    for (const [s, unit, v] of ok) expect(parseSpiceValue('x', s, { unit })).toBeCloseTo(v, 20);
    for (const s of ['１０p', '٣', '1e999', 'NaN', 'Infinity', '-Infinity', '0x10', '1_000', '1e', '1.2.3', '', ' ', '10p\n.control', '1 2', 'e5', '.', '+']) {
      expect(() => parseSpiceValue('x', s, { unit: 'F' }), JSON.stringify(s)).toThrow(/^x: /);
    }
    expect(() => parseSpiceValue('x', Number.NaN)).toThrow(/must be finite/);
  });
});
