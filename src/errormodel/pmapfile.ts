/**
 * P_map file contents (paper Eq. 6: row = true level m, column = read level): the one validation of a P_map matrix
 * that every reader uses, and the text formats (CSV/JSON) they share.
 *
 * A P_map is an n×n matrix of finite numbers in [0, 1] whose rows sum to 1 within {@link PMAP_ROW_TOLERANCE}
 * (the evaluator renormalizes them; an all-zero row is a level that is never read and becomes the identity row). Without a
 * list of the levels it covers it must be (a+1)×(a+1) (levels 0..a); with one, the levels are distinct integers
 * 0..a in row order. Numbers are plain decimals: `null`, `true`, `0x1`, `''`, `NaN` or `Infinity` are refused.
 */
import { CapminError } from '../util/errors.js';
import { parseNpy } from '../data/npy.js';

/** How far a P_map row sum may stray from 1 before the file is refused (float32 files and rounded text fit). */
export const PMAP_ROW_TOLERANCE = 1e-3;
/** Largest array size a P_map file may describe (levels 0..4096). */
export const PMAP_MAX_A = 4096;

/** A P_map as read from a file: the level of each row/column (ascending or as the file lists them) and the matrix. */
export interface PmapMatrix {
  levels: number[];
  matrix: number[][];
}

/** A decimal number as text: what numpy `savetxt`, `repr` and JavaScript write (no hex, no NaN/Infinity). */
const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/** Parse one number cell strictly (see {@link DECIMAL}); undefined when it is not a finite decimal. */
export function parseDecimal(text: string): number | undefined {
  const s = text.trim();
  if (s.length === 0 || s.length > 64 || !DECIMAL.test(s)) return undefined;
  const v = Number(s);
  return Number.isFinite(v) ? v : undefined;
}

function fail(label: string, why: string): CapminError {
  return new CapminError(`${label}: ${why}`, 'EDATA', 2);
}

/**
 * Check a P_map matrix (Eq. 6 rows are probability vectors) and return it, all-zero rows as identity rows and, with
 * `renormalize`, every row divided by its sum.
 * `levels`: the levels the file says it covers (row order); without them the matrix must be (a+1)×(a+1) and covers
 * levels 0..a. Without `a`, a bare matrix must be 33×33 (the paper's a = 32) and listed levels may reach
 * {@link PMAP_MAX_A}. Throws a one-line CapminError naming the entry or row.
 */
export function validatePmapMatrix(matrix: unknown, opts: { label: string; levels?: unknown; a?: number; renormalize?: boolean }): PmapMatrix {
  const { label } = opts;
  // without a stated array size: a bare matrix is the paper's a = 32, listed levels may go up to PMAP_MAX_A
  const a = opts.a ?? (opts.levels === undefined ? 32 : PMAP_MAX_A);
  if (!Array.isArray(matrix) || matrix.length === 0) throw fail(label, 'no P_map matrix (expected a non-empty square array of rows)');
  const n = matrix.length;
  if (n > PMAP_MAX_A + 1) throw fail(label, `P_map has ${n} rows; at most ${PMAP_MAX_A + 1} are allowed`);
  const rows = matrix.map((row: unknown, i) => {
    if (!Array.isArray(row) || row.length !== n) {
      throw fail(label, `P_map row ${i} has ${Array.isArray(row) ? row.length : 'no'} entries; a P_map is square (${n}×${n})`);
    }
    let s = 0;
    const out = row.map((v: unknown, j) => {
      if (typeof v !== 'number' || !Number.isFinite(v)) throw fail(label, `P_map entry [${i}][${j}] = ${showValue(v)} is not a finite number`);
      if (v < 0 || v > 1 + 1e-9) throw fail(label, `P_map entry [${i}][${j}] = ${v} is not a probability in [0, 1]`);
      s += v;
      return v;
    });
    if (s === 0) return out.map((_, j) => (j === i ? 1 : 0));
    if (Math.abs(s - 1) > PMAP_ROW_TOLERANCE) throw fail(label, `P_map row ${i} sums to ${s.toPrecision(6)}; rows must sum to 1 within ${PMAP_ROW_TOLERANCE}`);
    return opts.renormalize ? out.map((v) => v / s) : out;
  });
  let levels: number[];
  if (opts.levels === undefined) {
    if (n !== a + 1) {
      throw fail(label, `P_map is ${n}×${n} without a list of its levels; a full P_map is ${a + 1}×${a + 1} (levels 0..${a} for a = ${a}), or name the levels it covers (JSON key 'levels', CSV header level,<m>,…)`);
    }
    levels = rows.map((_, i) => i);
  } else {
    const lv = opts.levels;
    if (!Array.isArray(lv) || lv.length !== n) throw fail(label, `levels must list ${n} levels, one per P_map row`);
    levels = lv.map((v: unknown, i) => {
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > a) throw fail(label, `levels[${i}] = ${showValue(v)}; levels are integers 0..${a} (a = ${a})`);
      return v;
    });
    if (new Set(levels).size !== n) throw fail(label, 'levels must be distinct');
  }
  return { levels, matrix: rows };
}

function showValue(v: unknown): string {
  if (typeof v === 'string') return `'${v.slice(0, 20)}'`;
  if (v === undefined) return 'missing';
  try {
    return String(JSON.stringify(v)).slice(0, 20);
  } catch {
    return typeof v;
  }
}

/** True when the text is JSON by name or by its first character. */
export function looksLikeJson(path: string, text: string): boolean {
  return /\.json$/i.test(path) || /^\s*[[{]/.test(text);
}

/** JSON keys that may hold the matrix of a P_map object. */
const MATRIX_KEYS = ['matrix', 'pMap', 'p_map', 'pmap', 'P'] as const;

/**
 * Parse P_map text (capmin CSV, headerless numeric CSV / whitespace table as `numpy.savetxt` writes it, or JSON
 * `{ levels?, matrix | pMap | p_map | pmap | P }` / a bare array) and validate it with {@link validatePmapMatrix}.
 */
export function parsePmapText(text: string, opts: { label: string; path?: string; a?: number }): PmapMatrix {
  const { label } = opts;
  if (looksLikeJson(opts.path ?? '', text)) {
    let j: unknown;
    try {
      j = JSON.parse(text);
    } catch (e) {
      throw fail(label, `not valid JSON (${(e as Error).message.slice(0, 80)})`);
    }
    if (Array.isArray(j)) return validatePmapMatrix(j, { label, a: opts.a });
    if (!j || typeof j !== 'object') throw fail(label, `JSON ${showValue(j)} is not a P_map (expected an object with 'matrix' and 'levels')`);
    const o = j as Record<string, unknown>;
    const key = MATRIX_KEYS.find((k) => k in o);
    if (!key) throw fail(label, "no P_map matrix (expected key 'matrix' or 'pMap' with an array of rows)");
    return validatePmapMatrix(o[key], { label, levels: o.levels, a: opts.a });
  }
  return parsePmapTable(text, opts);
}

/** Split text into rows of cells: comma-separated when the first data line has a comma, else whitespace-separated. */
function tableRows(text: string): string[][] {
  const lines = text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l.length > 0 && !l.startsWith('#'));
  if (lines.length === 0) return [];
  const comma = lines[0]!.includes(',');
  return lines.map((l) => (comma ? l.split(',') : l.split(/\s+/)).map((c) => c.trim().replace(/^"(.*)"$/, '$1')));
}

/** Level named by a header cell: `9`, `m9`, `level9`; undefined when it is not one. */
function levelLabel(cell: string): number | undefined {
  const m = /^[a-zA-Z_]*(\d{1,5})$/.exec(cell.trim());
  return m ? Number(m[1]) : undefined;
}

function parsePmapTable(text: string, opts: { label: string; a?: number }): PmapMatrix {
  const { label } = opts;
  const rows = tableRows(text);
  if (rows.length === 0) throw fail(label, 'empty P_map file');
  if (rows.length > PMAP_MAX_A + 2) throw fail(label, `${rows.length} rows; a P_map has at most ${PMAP_MAX_A + 2}`);
  const cellsToNumbers = (cells: string[], line: number, col0: number): number[] =>
    cells.map((c, j) => {
      const v = parseDecimal(c);
      if (v === undefined) throw fail(label, `row ${line} column ${j + 1 + col0} '${c.slice(0, 20)}' is not a number`);
      return v;
    });
  const first = rows[0]!;
  const allNumeric = first.every((c) => parseDecimal(c) !== undefined);
  // headerless square table: numpy.savetxt(path, p, delimiter=',') or with its default space delimiter
  if (allNumeric && rows.length === first.length) {
    return validatePmapMatrix(rows.map((r, i) => cellsToNumbers(r, i + 1, 0)), { label, a: opts.a });
  }
  // capmin CSV: a header naming the column levels, optionally a first column naming each row's level
  const body = rows.slice(1);
  const labelled = first.length === body.length + 1;
  const colCells = labelled ? first.slice(1) : first;
  const colLevels = colCells.map(levelLabel);
  if (body.length === 0 || colLevels.some((m) => m === undefined)) {
    throw fail(label, `header '${first.join(',').slice(0, 60)}' must name the column levels (e.g. level,0,1,…), or the file is a headerless square table of numbers`);
  }
  const matrix = body.map((r, i) => {
    if (r.length !== first.length) throw fail(label, `row ${i + 2} has ${r.length} cells, the header has ${first.length}`);
    if (labelled && levelLabel(r[0]!) !== colLevels[i]) {
      throw fail(label, `row ${i + 2} is labelled level '${r[0]!.slice(0, 20)}', expected ${colLevels[i]} (rows in the order of the columns)`);
    }
    return cellsToNumbers(labelled ? r.slice(1) : r, i + 2, labelled ? 1 : 0);
  });
  return validatePmapMatrix(matrix, { label, levels: colLevels, a: opts.a });
}

/** A (a+1)×(a+1) matrix indexed by popcount (SPICE-Torch's distribution mapping) re-indexed by level m = a − popcount. */
export function popcountToLevelIndex(p: readonly (readonly number[])[]): number[][] {
  const n = p.length;
  return Array.from({ length: n }, (_, m) => Array.from({ length: n }, (_, m2) => p[n - 1 - m]![n - 1 - m2]!));
}

const NPY_MAGIC = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]);

/**
 * Parse the bytes of a P_map file of any supported kind, indexed by level m: capmin CSV/JSON, a headerless numeric
 * table, or SPICE-Torch's `.npy` mappings, which are indexed by popcount = a − m — a float32/float64 (a+1)×(a+1)
 * distribution mapping (row = true popcount, column = read popcount) or a 1-D direct mapping of length a+1
 * (popcount → read popcount, e.g. CapMin's clipping). `.npy` files cover levels 0..a; `a` defaults to 32.
 */
export function parsePmapBytes(buf: Buffer, opts: { label: string; path?: string; a?: number }): PmapMatrix {
  const isNpy = /\.npy$/i.test(opts.path ?? '') || (buf.length >= 6 && buf.subarray(0, 6).equals(NPY_MAGIC));
  if (!isNpy) return parsePmapText(buf.toString('utf8'), opts);
  const { label } = opts;
  const a = opts.a ?? 32;
  const arr = parseNpy(buf, label);
  const vals = arr.data as ArrayLike<number>;
  if (arr.shape.length === 1) {
    if (arr.shape[0] !== a + 1) throw fail(label, `1-D direct mapping has ${arr.shape[0]} entries, expected ${a + 1} (popcounts 0..${a})`);
    const matrix = Array.from({ length: a + 1 }, () => new Array<number>(a + 1).fill(0));
    for (let pc = 0; pc <= a; pc++) {
      const to = Number(vals[pc]);
      if (!Number.isInteger(to) || to < 0 || to > a) throw fail(label, `direct mapping[${pc}] = ${to} is not a popcount 0..${a}`);
      matrix[a - pc]![a - to] = 1;
    }
    return { levels: matrix.map((_, i) => i), matrix };
  }
  if (arr.shape.length !== 2 || arr.shape[0] !== a + 1 || arr.shape[1] !== a + 1) {
    throw fail(label, `expected a ${a + 1}×${a + 1} distribution mapping (or a 1-D direct mapping of ${a + 1}), got shape (${arr.shape.join(',')})`);
  }
  if (!(arr.data instanceof Float32Array || arr.data instanceof Float64Array)) {
    throw fail(label, `distribution mapping dtype ${arr.dtype} is not float32/float64`);
  }
  const n = a + 1;
  const rows = Array.from({ length: n }, (_, i) => Array.from(arr.data.subarray(i * n, (i + 1) * n) as ArrayLike<number>, Number));
  return validatePmapMatrix(popcountToLevelIndex(rows), { label, a });
}
