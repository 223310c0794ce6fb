/**
 * Reading the files `capmin levels` and `capmin merge` work on: F_MAC histograms, P_map matrices and spike-time
 * tables, as written by `capmin fmac`, `capmin pmap` and `capmin spikes` (and close variants: bare arrays, headerless
 * tables, SPICE-Torch's .npy). Files are read through the bounded reader (regular files only, size-capped); numbers
 * are strict (JSON numbers, plain decimals in CSV). Every problem is a one-line error naming the file and what was
 * expected.
 */
import { parse as parseCsv } from 'csv-parse/sync';
import { inputError } from '../util/errors.js';
import { readUserFile, readUserText } from '../util/readfile.js';
import { parseDecimal, parsePmapBytes } from '../errormodel/pmapfile.js';

/** A user-named table file (F_MAC, P_map, spike times): regular files only, size-capped. */
function readText(field: string, path: string): string {
  return readUserText(path, { field, kind: 'table' });
}

function isJson(path: string, text: string): boolean {
  return /\.json$/i.test(path) || /^\s*[[{]/.test(text);
}

function parseJson(field: string, path: string, text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw inputError(field, `'${path.slice(0, 200)}' is not valid JSON (${(e as Error).message.slice(0, 80)})`);
  }
}

function csvRecords(field: string, path: string, text: string): Record<string, string>[] {
  try {
    return parseCsv(text, { columns: (h: string[]) => h.map((c) => c.trim()), skip_empty_lines: true, trim: true, comment: '#' }) as Record<string, string>[];
  } catch (e) {
    throw inputError(field, `'${path.slice(0, 200)}' is not valid CSV (${(e as Error).message.slice(0, 80)})`);
  }
}

/**
 * A number from JSON (a JSON number; strings only from CSV) or a CSV cell (a plain decimal: no hex, no '').
 * With `allowInf`, `null`/empty/`inf`/`nan`/`none`/`-` mean "no spike" (Infinity).
 */
function num(field: string, v: unknown, where: string, allowInf = false): number {
  if (v === null && allowInf) return Infinity;
  let x: number | undefined;
  if (typeof v === 'string') {
    const s = v.trim();
    if (allowInf && (s === '' || /^(inf|infinity|nan|none|null|-)$/i.test(s))) return Infinity;
    x = parseDecimal(s);
  } else if (typeof v === 'number' && Number.isFinite(v)) x = v;
  if (x === undefined) {
    const shown = typeof v === 'string' ? `'${v.slice(0, 30)}'` : v === undefined ? 'missing' : Array.isArray(v) ? 'an array' : v !== null && typeof v === 'object' ? 'an object' : String(v).slice(0, 30);
    throw inputError(field, `${where}: ${shown} is not a ${allowInf ? 'number (or empty/inf for no spike)' : 'finite number'}`);
  }
  return x;
}

/** Validate an F_MAC array: a+1 (2..4097) finite non-negative counts, not all zero. */
export function validateFmac(field: string, arr: unknown): number[] {
  if (!Array.isArray(arr)) throw inputError(field, 'F_MAC must be an array of counts, one per level 0..a');
  if (arr.length < 2 || arr.length > 4097) throw inputError(field, `F_MAC has ${arr.length} bins; expected a+1 in 2..4097 (33 for a = 32)`);
  const out = arr.map((v, m) => {
    // counts are JSON numbers (CSV cells are converted before they get here): "5" in a JSON array is refused
    if (typeof v === 'string') throw inputError(field, `level ${m}: '${v.slice(0, 30)}' is not a finite number (counts are JSON numbers, not strings)`);
    const x = num(field, v, `level ${m}`);
    if (x < 0) throw inputError(field, `level ${m}: count ${x} is negative; counts must be ≥ 0`);
    return x;
  });
  if (out.every((x) => x === 0)) throw inputError(field, 'F_MAC is all zeros');
  return out;
}

/**
 * Read an F_MAC file: JSON (a bare array, or an object with an array under `total`, `fMac` or `counts`), or CSV
 * with columns `level` and `count` (or `total`), one row per level 0..a.
 */
export function readFmacFile(path: string, field = '--fmac'): number[] {
  const text = readText(field, path);
  if (isJson(path, text)) {
    const j = parseJson(field, path, text);
    if (Array.isArray(j)) return validateFmac(field, j);
    if (j && typeof j === 'object') {
      const o = j as Record<string, unknown>;
      for (const key of ['total', 'fMac', 'fmac', 'counts']) if (Array.isArray(o[key])) return validateFmac(field, o[key]);
      if (o.total && typeof o.total === 'object' && Array.isArray((o.total as Record<string, unknown>).counts)) {
        return validateFmac(field, (o.total as Record<string, unknown>).counts);
      }
    }
    throw inputError(field, `'${path.slice(0, 200)}' has no F_MAC array (expected key 'total' or 'fMac' with a+1 counts)`);
  }
  const rows = csvRecords(field, path, text);
  if (rows.length === 0) throw inputError(field, `'${path.slice(0, 200)}' has no rows; expected columns level,count`);
  const cols = Object.keys(rows[0]!);
  const levelCol = cols.find((c) => /^(level|m)$/i.test(c));
  const countCol = cols.find((c) => /^(count|total|fmac|f_mac)$/i.test(c));
  if (!levelCol || !countCol) throw inputError(field, `'${path.slice(0, 200)}' needs columns level,count (found ${cols.join(',').slice(0, 80)})`);
  const out: (number | undefined)[] = new Array(rows.length);
  for (const r of rows) {
    const m = num(field, r[levelCol], `level '${r[levelCol]}'`);
    if (!Number.isInteger(m) || m < 0 || m >= rows.length) throw inputError(field, `level ${m} out of range 0..${rows.length - 1}`);
    if (out[m] !== undefined) throw inputError(field, `level ${m} appears twice`);
    out[m] = num(field, r[countCol], `count of level ${m}`);
  }
  return validateFmac(field, out);
}

/** A P_map read from a file: the matrix and the level of each row/column. */
export interface PmapFile {
  levels: number[];
  matrix: number[][];
}

/**
 * Read a P_map (the shared formats of src/errormodel/pmapfile.ts): JSON `{ levels?, matrix | pMap | pmap }` or a bare
 * (a+1)×(a+1) array, capmin's CSV (a header row of column levels, optionally a first column `level` naming each
 * row), a headerless (a+1)×(a+1) numeric table, or SPICE-Torch's popcount-indexed `.npy`. A matrix without a list
 * of its levels covers levels 0..a (`a` defaults to 32).
 */
export function readPmapFile(path: string, field = '--pmap', a?: number): PmapFile {
  const buf = readUserFile(path, { field, kind: 'table' });
  const p = parsePmapBytes(buf, { label: `${field}: ${path.slice(0, 200)}`, path, a });
  return { levels: p.levels, matrix: p.matrix };
}

/** Restrict a P_map to a subset of its levels (rows and columns), renormalising each row. */
export function subsetPmap(p: PmapFile, levels: readonly number[], field = '--pmap'): PmapFile {
  const pos = new Map(p.levels.map((m, i) => [m, i]));
  for (const m of levels) if (!pos.has(m)) throw inputError(field, `level ${m} is not in the P_map (levels ${p.levels[0]}..${p.levels[p.levels.length - 1]})`);
  const matrix = levels.map((mi) => {
    const row = levels.map((mj) => p.matrix[pos.get(mi)!]![pos.get(mj)!]!);
    const s = row.reduce((a, b) => a + b, 0);
    if (!(s > 0)) throw inputError(field, `level ${mi}: no probability mass on the selected levels`);
    return row.map((x) => x / s);
  });
  return { levels: [...levels], matrix };
}

/**
 * Read a spike-time table: JSON array of `{ level, tSpike, tCross? }` rows (as `capmin spikes --json` prints; also
 * under `rows`/`levels`/`spikes`), or CSV with columns `level` and `tSpike` (or `tCross`). `null`/empty/`inf` = no
 * spike (Infinity). Returns the time per level (sparse array indexed by level).
 */
export function readSpikesFile(path: string, column: 'tSpike' | 'tCross' = 'tSpike', field = '--spikes'): Map<number, number> {
  const text = readText(field, path);
  let rows: Record<string, unknown>[];
  if (isJson(path, text)) {
    const j = parseJson(field, path, text);
    let arr: unknown = j;
    if (j && typeof j === 'object' && !Array.isArray(j)) {
      const o = j as Record<string, unknown>;
      arr = o.rows ?? o.levels ?? o.spikes;
    }
    if (!Array.isArray(arr)) throw inputError(field, `'${path.slice(0, 200)}' has no array of {level, ${column}} rows`);
    rows = arr as Record<string, unknown>[];
  } else {
    rows = csvRecords(field, path, text);
  }
  const out = new Map<number, number>();
  rows.forEach((r, i) => {
    if (!r || typeof r !== 'object') throw inputError(field, `row ${i} is not an object`);
    if (!(column in r)) throw inputError(field, `row ${i} has no '${column}' column`);
    const m = num(field, r.level, `row ${i} level`);
    if (!Number.isInteger(m) || m < 0 || m > 4096) throw inputError(field, `row ${i}: level ${m} must be an integer 0..4096`);
    if (out.has(m)) throw inputError(field, `level ${m} appears twice`);
    const t = num(field, r[column], `level ${m} ${column}`, true);
    if (t < 0) throw inputError(field, `level ${m}: ${column} ${t} is negative`);
    out.set(m, t);
  });
  if (out.size === 0) throw inputError(field, `'${path.slice(0, 200)}' has no rows`);
  return out;
}
