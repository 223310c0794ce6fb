import { inputError } from './errors.js';

/** SPICE magnitude suffixes (case-insensitive, as ngspice reads them). */
const SUFFIX: Record<string, number> = {
  t: 1e12, g: 1e9, meg: 1e6, k: 1e3, mil: 25.4e-6, m: 1e-3, u: 1e-6, n: 1e-9, p: 1e-12, f: 1e-15, a: 1e-18,
};

/** Unit letters a value may carry after its suffix (`10pF`, `0.8V`, `2GHz`). */
export type Unit = 'F' | 'V' | 'A' | 's' | 'Hz' | 'Ohm' | 'degC' | '';

/** Longest SPICE value text accepted (after trimming blanks) [characters]. */
export const MAX_VALUE_LENGTH = 100;
/** Longest level list (`--levels 0..4,7,9..22`) accepted [characters]. */
export const MAX_LEVELS_LENGTH = 4096;

const SUFFIX_CHARS = 'tgkmunpfa';

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/**
 * Split `[+-](digits[.digits]|.digits)[e[+-]digits][suffix][letters]` in one left-to-right pass (linear time; ASCII
 * digits only, so full-width digits are not numbers). The suffix is `meg`, `mil` or one of t g k m u n p f a, the
 * remaining letters are the unit. Returns null when the text is not of that form.
 */
function scanSpiceNumber(s: string): { num: string; suffix: string; tail: string } | null {
  let i = 0;
  const n = s.length;
  if (i < n && (s[i] === '+' || s[i] === '-')) i++;
  let digits = 0;
  while (i < n && isDigit(s.charCodeAt(i))) {
    i++;
    digits++;
  }
  if (i < n && s[i] === '.') {
    i++;
    while (i < n && isDigit(s.charCodeAt(i))) {
      i++;
      digits++;
    }
  }
  if (digits === 0) return null;
  if (i < n && (s[i] === 'e' || s[i] === 'E')) {
    let j = i + 1;
    if (j < n && (s[j] === '+' || s[j] === '-')) j++;
    if (j < n && isDigit(s.charCodeAt(j))) {
      while (j < n && isDigit(s.charCodeAt(j))) j++;
      i = j;
    }
  }
  const num = s.slice(0, i);
  const rest = s.slice(i);
  const low = rest.slice(0, 3).toLowerCase();
  const suffix = low === 'meg' || low === 'mil' ? rest.slice(0, 3) : rest.length > 0 && SUFFIX_CHARS.includes(rest[0]!.toLowerCase()) ? rest[0]! : '';
  const tail = rest.slice(suffix.length);
  if (!/^[a-z]*$/i.test(tail)) return null;
  return { num, suffix, tail };
}

/**
 * Parse a SPICE-style number (`9.6p`, `2G`, `1e-12`, `10pF`) into SI base units, in linear time.
 * Throws a one-line error naming `field` when the text is longer than MAX_VALUE_LENGTH, is not a finite number,
 * carries a unit other than `unit`, or falls outside [min, max].
 */
export function parseSpiceValue(
  field: string,
  text: string | number,
  opts: { unit?: Unit; min?: number; max?: number; integer?: boolean } = {},
): number {
  const { unit = '', min = -Infinity, max = Infinity, integer = false } = opts;
  const range = `allowed range ${fmtRange(min, max, unit)}`;
  let value: number;
  if (typeof text === 'number') {
    value = text;
  } else {
    const s = String(text).trim();
    if (s.length > MAX_VALUE_LENGTH) throw inputError(field, `'${clip(s)}' is longer than ${MAX_VALUE_LENGTH} characters; ${range}`);
    const m = scanSpiceNumber(s);
    if (!m) throw inputError(field, `'${clip(s)}' is not a number (use e.g. 9.6p, 2G, 1e-12); ${range}`);
    const mult = m.suffix ? SUFFIX[m.suffix.toLowerCase()]! : 1;
    if (m.tail && !unitMatches(m.tail, unit)) {
      throw inputError(field, `'${clip(s)}' has unit '${m.tail}', expected ${unit || 'a plain number'}; ${range}`);
    }
    value = Number(m.num) * mult;
  }
  if (!Number.isFinite(value)) throw inputError(field, `must be finite; ${range}`);
  if (integer && !Number.isInteger(value)) throw inputError(field, `must be an integer; ${range}`);
  if (value < min || value > max) throw inputError(field, `${formatSi(value, unit)} is out of range; ${range}`);
  return value;
}

function unitMatches(tail: string, unit: Unit): boolean {
  if (!unit) return false;
  const t = tail.toLowerCase();
  const u = unit.toLowerCase();
  return t === u || (unit === 'Ohm' && (t === 'ohm' || t === 'ohms')) || (unit === 's' && t === 'sec');
}

function clip(s: string): string {
  const t = s.length > 40 ? `${s.slice(0, 37)}...` : s;
  return t.replace(/[\r\n]/g, '\\n');
}

function fmtRange(min: number, max: number, unit: Unit): string {
  if (min === -Infinity && max === Infinity) return 'any finite value';
  if (min === -Infinity) return `<= ${formatSi(max, unit)}`;
  if (max === Infinity) return `>= ${formatSi(min, unit)}`;
  return `${formatSi(min, unit)} .. ${formatSi(max, unit)}`;
}

const PREFIXES: Array<[number, string]> = [
  [1e12, 'T'], [1e9, 'G'], [1e6, 'M'], [1e3, 'k'], [1, ''], [1e-3, 'm'], [1e-6, 'u'], [1e-9, 'n'], [1e-12, 'p'], [1e-15, 'f'], [1e-18, 'a'],
];

/** Human-readable SI value (`9.6 pF`, `2 GHz`). */
export function formatSi(value: number, unit: Unit | string = '', digits = 4): string {
  if (!Number.isFinite(value)) return `${value}${unit ? ' ' + unit : ''}`;
  if (value === 0) return `0${unit ? ' ' + unit : ''}`;
  const a = Math.abs(value);
  for (const [scale, p] of PREFIXES) {
    if (a >= scale * 0.9999999) {
      return `${Number((value / scale).toPrecision(digits))} ${p}${unit}`.trim();
    }
  }
  return `${value.toExponential(digits - 1)} ${unit}`.trim();
}

/**
 * Format a number for a SPICE deck: plain exponent notation, no suffix
 * (`m` vs `meg` ambiguity can never arise), and stable across runs.
 */
export function spiceNumber(value: number): string {
  if (!Number.isFinite(value)) throw new Error(`non-finite value ${value} cannot go into a deck`);
  if (value === 0) return '0';
  // 12 significant digits round-trip every value we generate and keep decks deterministic.
  return Number(value.toPrecision(12)).toExponential().replace('e+', 'e');
}

/** Parse an inclusive integer range `9..22` or a single integer, checked against [min, max]. */
export function parseLevelRange(field: string, text: string, min: number, max: number): number[] {
  const s = String(text).trim();
  if (s.length > MAX_LEVELS_LENGTH) throw inputError(field, `'${clip(s)}' is longer than ${MAX_LEVELS_LENGTH} characters; use ranges like 9..22 within ${min}..${max}`);
  const parts = s.split(',').map((p) => p.trim()).filter(Boolean);
  if (parts.length === 0) throw inputError(field, `'${clip(s)}' is empty; use e.g. 9..22 or 3,5,7 within ${min}..${max}`);
  const out = new Set<number>();
  for (const p of parts) {
    const m = /^(\d+)(?:\.\.(\d+))?$/.exec(p);
    if (!m) throw inputError(field, `'${clip(p)}' is not a level or range; use e.g. 9..22 or 3,5,7 within ${min}..${max}`);
    const lo = Number(m[1]);
    const hi = m[2] !== undefined ? Number(m[2]) : lo;
    if (lo > hi) throw inputError(field, `range ${p} is reversed; use lo..hi within ${min}..${max}`);
    if (lo < min || hi > max) throw inputError(field, `${p} is out of range; allowed range ${min}..${max}`);
    for (let v = lo; v <= hi; v++) out.add(v);
  }
  return [...out].sort((a, b) => a - b);
}
