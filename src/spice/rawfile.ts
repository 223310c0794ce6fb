/**
 * ngspice raw-file reader: binary and ASCII, real and complex, several plots per file. Detects a run killed before
 * ngspice rewrote `No. Points` (left at 0 or larger than the data) from the byte count and flags the plot `truncated`.
 * `readRawFile` reads large binary files in fixed-size chunks (bounded extra memory); `parseRaw` works on a buffer.
 */
import { closeSync, readSync } from 'node:fs';
import { openUserFile } from '../util/readfile.js';
import { SpiceError } from './runner.js';

export interface RawVariable {
  name: string;
  type: string;
}

export interface RawPlot {
  title: string;
  plotname: string;
  flags: 'real' | 'complex';
  variables: RawVariable[];
  /** points actually present */
  points: number;
  /** `No. Points` as written in the header (0 after a killed run) */
  declaredPoints: number;
  /** true when the data ends before the declared points, or the header count was never rewritten */
  truncated: boolean;
  /** one array per variable; complex plots store interleaved re, im (length 2·points) */
  data: Float64Array[];
  /** other header lines (Date, Command, Option, ...) */
  header?: Record<string, string>;
}

interface Header {
  title: string;
  plotname: string;
  flags: 'real' | 'complex';
  variables: RawVariable[];
  declaredPoints: number;
  binary: boolean;
  header: Record<string, string>;
}

const BIN_MARK = 'Binary:\n';
const BLOCK_BYTES = 256 * 1024;
let scratch = new ArrayBuffer(BLOCK_BYTES + 4096);
const ASC_MARK = 'Values:\n';

function bad(detail: string): SpiceError {
  return new SpiceError('no-output', `raw file: ${detail}`);
}

/** Most variables a raw file may declare (capmin's decks save a handful). */
const MAX_VARIABLES = 100_000;
/** Longest header searched for the Binary:/Values: marker. */
const MAX_HEADER_BYTES = 64 * 1024 * 1024;
/** Largest ASCII raw file parsed (ngspice writes binary unless told; ASCII is for tests and small runs). */
const MAX_ASCII_BYTES = 256 * 1024 * 1024;
/** Words ngspice, Spice3 and LTspice write on the `Flags:` line besides real/complex. */
const FLAG_WORDS = new Set(['forward', 'log', 'stepped', 'fastaccess', 'double', 'padded', 'unpadded']);

/** `Flags:` must say real or complex (absent = real); any other word is refused. */
function parseFlags(text: string | undefined): 'real' | 'complex' {
  if (text === undefined) return 'real';
  const words = text.toLowerCase().split(/\s+/).filter(Boolean);
  const kinds = words.filter((w) => w === 'real' || w === 'complex');
  const other = words.find((w) => w !== 'real' && w !== 'complex' && !FLAG_WORDS.has(w));
  if (kinds.length !== 1 || other !== undefined) throw bad(`bad 'Flags' '${text.slice(0, 40)}' (expected real or complex)`);
  return kinds[0] as 'real' | 'complex';
}

/** Parse the text header (without the Binary:/Values: line). */
function parseHeader(text: string): Omit<Header, 'binary'> {
  const lines = text.split('\n');
  const header: Record<string, string> = {};
  const variables: RawVariable[] = [];
  let nVars = -1;
  let i = 0;
  for (; i < lines.length; i++) {
    const line = lines[i]!.replace(/\r$/, '');
    if (line === '') continue;
    if (/^Variables:/i.test(line)) {
      i++;
      break;
    }
    const c = line.indexOf(':');
    if (c < 0) throw bad(`bad header line '${line.slice(0, 60)}'`);
    header[line.slice(0, c).trim()] = line.slice(c + 1).trim();
  }
  const nvText = header['No. Variables'] ?? '';
  nVars = /^\d{1,9}$/.test(nvText) ? Number(nvText) : NaN;
  if (!(nVars >= 1 && nVars <= MAX_VARIABLES)) throw bad(`bad 'No. Variables' '${nvText.slice(0, 30)}' (allowed 1..${MAX_VARIABLES})`);
  for (; i < lines.length && variables.length < nVars; i++) {
    const line = lines[i]!.replace(/\r$/, '');
    if (line.trim() === '') continue;
    const parts = line.trim().split(/\s+/);
    if (parts.length < 3 || parts[0] !== String(variables.length)) throw bad(`bad variable line '${line.slice(0, 60)}' (expected: ${variables.length} <name> <type>)`);
    variables.push({ name: parts[1]!, type: parts[2]! });
  }
  if (variables.length !== nVars) throw bad(`${variables.length} variables listed, header says ${nVars}`);
  const flags = parseFlags(header['Flags']);
  const npText = header['No. Points'] ?? '0';
  const declaredPoints = /^\d{1,15}$/.test(npText) ? Number(npText) : NaN;
  if (!Number.isSafeInteger(declaredPoints)) throw bad(`bad 'No. Points' '${npText.slice(0, 30)}' (a non-negative integer)`);
  const title = header['Title'] ?? '';
  const plotname = header['Plotname'] ?? '';
  for (const k of ['Title', 'Plotname', 'Flags', 'No. Variables', 'No. Points']) delete header[k];
  return { title, plotname, flags, variables, declaredPoints, header };
}

/** Find the end of the header starting at `offset`: position of the Binary:/Values: marker. */
function findMarker(buf: Buffer, offset: number): { pos: number; binary: boolean } | null {
  const b = buf.indexOf(BIN_MARK, offset, 'latin1');
  const a = buf.indexOf(ASC_MARK, offset, 'latin1');
  if (b < 0 && a < 0) return null;
  if (a < 0 || (b >= 0 && b < a)) return { pos: b, binary: true };
  return { pos: a, binary: false };
}

/** Transpose `rows` rows of `width` doubles (little-endian, from `src` at byte `start`) into `out` from row `row0`. */
function transposeInto(src: Buffer, start: number, rows: number, width: number, out: Float64Array[], complex: boolean, row0: number): void {
  const n = rows * width;
  let f: Float64Array;
  if ((src.byteOffset + start) % 8 === 0) f = new Float64Array(src.buffer, src.byteOffset + start, n);
  else {
    if (scratch.byteLength < n * 8) scratch = new ArrayBuffer(n * 8);
    new Uint8Array(scratch, 0, n * 8).set(src.subarray(start, start + n * 8));
    f = new Float64Array(scratch, 0, n);
  }
  if (!complex) {
    const nv = width;
    if (nv === 1) {
      out[0]!.set(f, row0);
      return;
    }
    for (let v = 0; v < nv; v++) {
      const o = out[v]!;
      for (let r = 0, k = v; r < rows; r++, k += nv) o[row0 + r] = f[k]!;
    }
  } else {
    const nv = width / 2;
    for (let v = 0; v < nv; v++) {
      const o = out[v]!;
      for (let r = 0, k = 2 * v, j = 2 * row0; r < rows; r++, k += width, j += 2) {
        o[j] = f[k]!;
        o[j + 1] = f[k + 1]!;
      }
    }
  }
}

/** Parse every plot of a raw file held in memory (binary or ASCII). */
export function parseRaw(buf: Buffer): RawPlot[] {
  const plots: RawPlot[] = [];
  let offset = 0;
  while (offset < buf.length) {
    // skip blank lines between plots
    while (offset < buf.length && (buf[offset] === 0x0a || buf[offset] === 0x0d || buf[offset] === 0x20)) offset++;
    if (offset >= buf.length) break;
    const mk = findMarker(buf, offset);
    if (!mk) {
      if (plots.length > 0) {
        const last = plots[plots.length - 1]!;
        throw new SpiceError('truncated', `raw file: ${buf.length - offset} bytes after plot '${last.plotname}' hold no Binary:/Values: header (cut off, or its 'No. Points' ${last.declaredPoints} is wrong)`);
      }
      if (buf.length - offset < 4096) throw new SpiceError('truncated', 'raw file: header ends before Binary:/Values:');
      throw bad('no Binary: or Values: section');
    }
    if (mk.pos - offset > MAX_HEADER_BYTES) throw bad(`plot header of ${mk.pos - offset} bytes; at most ${MAX_HEADER_BYTES} are allowed`);
    const h = parseHeader(buf.toString('latin1', offset, mk.pos));
    const dataStart = mk.pos + (mk.binary ? BIN_MARK.length : ASC_MARK.length);
    const r = mk.binary ? readBinaryPlot(buf, dataStart, h) : readAsciiPlot(buf, dataStart, h);
    plots.push(r.plot);
    offset = r.end;
  }
  if (plots.length === 0) throw new SpiceError('no-output', 'raw file is empty');
  return plots;
}

function makePlot(h: Omit<Header, 'binary'>, points: number, truncated: boolean, data: Float64Array[]): RawPlot {
  return {
    title: h.title,
    plotname: h.plotname,
    flags: h.flags,
    variables: h.variables,
    points,
    declaredPoints: h.declaredPoints,
    truncated,
    data,
    header: h.header,
  };
}

function readBinaryPlot(buf: Buffer, start: number, h: Omit<Header, 'binary'>): { plot: RawPlot; end: number } {
  const width = h.variables.length * (h.flags === 'complex' ? 2 : 1);
  const rowBytes = width * 8;
  const avail = Math.floor((buf.length - start) / rowBytes);
  let points = h.declaredPoints;
  let truncated = false;
  if (points === 0 || points > avail) {
    // killed run: `No. Points` never rewritten (0) or more promised than written
    const partial = (buf.length - start) % rowBytes !== 0;
    truncated = h.declaredPoints > avail || partial || (h.declaredPoints === 0 && avail > 0) || h.declaredPoints === 0;
    points = avail;
  }
  const per = h.flags === 'complex' ? 2 * points : points;
  const data = h.variables.map(() => new Float64Array(per));
  // transpose in blocks of ~256 kB so the row-major source stays in cache while it is scattered to the columns
  const block = Math.max(1, Math.floor(BLOCK_BYTES / rowBytes));
  for (let r = 0; r < points; r += block) transposeInto(buf, start + r * rowBytes, Math.min(block, points - r), width, data, h.flags === 'complex', r);
  const end = truncated ? buf.length : start + points * rowBytes;
  return { plot: makePlot(h, points, truncated, data), end };
}

const NONFINITE = /^[+-]?(?:nan|inf|infinity)(?:\([^)]*\))?$/i;
const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/** One ASCII raw value: a decimal, or nan/inf as C's printf writes them (kept, for `assertFinite`); else an error. */
function asciiValue(tok: string, p: number, name: string): number {
  if (DECIMAL.test(tok)) return Number(tok);
  if (NONFINITE.test(tok)) return /nan/i.test(tok) ? NaN : tok.startsWith('-') ? -Infinity : Infinity;
  throw bad(`ASCII point ${p}: value '${tok.slice(0, 30)}' of ${name.slice(0, 40)} is not a number`);
}

/** Whitespace-separated tokens of `buf[start, end)`, one at a time (no copy of the whole section). */
function* asciiTokens(buf: Buffer, start: number, end: number): Generator<string> {
  let i = start;
  for (;;) {
    while (i < end && (buf[i] === 0x20 || buf[i] === 0x09 || buf[i] === 0x0a || buf[i] === 0x0d)) i++;
    if (i >= end) return;
    const t0 = i;
    while (i < end && !(buf[i] === 0x20 || buf[i] === 0x09 || buf[i] === 0x0a || buf[i] === 0x0d)) i++;
    if (i - t0 > 200) throw bad(`ASCII token of ${i - t0} characters at byte ${t0}`);
    yield buf.toString('latin1', t0, i);
  }
}

function readAsciiPlot(buf: Buffer, start: number, h: Omit<Header, 'binary'>): { plot: RawPlot; end: number } {
  // the data section ends at the next plot's Title: line or the end of the buffer
  let end = buf.indexOf('\nTitle:', start - 1, 'latin1');
  end = end < 0 ? buf.length : end + 1;
  if (end - start > MAX_ASCII_BYTES) throw bad(`ASCII data section of ${end - start} bytes; at most ${MAX_ASCII_BYTES} are read (write binary raw files)`);
  const nv = h.variables.length;
  const complex = h.flags === 'complex';
  const perPoint = nv + 1;
  // first pass: count tokens, so the arrays are allocated once and never exceed the data present
  let ntok = 0;
  for (const _ of asciiTokens(buf, start, end)) ntok++;
  const points = Math.floor(ntok / perPoint);
  // ngspice ends each value with a newline: a last value without one may have been cut inside its digits
  let truncated = ntok % perPoint !== 0 || (end === buf.length && end > start && buf[end - 1] !== 0x0a);
  if (h.declaredPoints === 0 || h.declaredPoints > points) truncated = true;
  else if (h.declaredPoints < points) throw bad(`ASCII data has ${points} points, header 'No. Points' says ${h.declaredPoints}`);
  const data = h.variables.map(() => new Float64Array(complex ? 2 * points : points));
  const it = asciiTokens(buf, start, end);
  const next = () => it.next().value as string;
  for (let p = 0; p < points; p++) {
    const label = next();
    if (!/^\d{1,15}$/.test(label) || Number(label) !== p) throw bad(`ASCII point ${p} labelled '${label.slice(0, 30)}'`);
    for (let v = 0; v < nv; v++) {
      const tok = next();
      const name = h.variables[v]!.name;
      if (complex) {
        const c = tok.indexOf(',');
        data[v]![2 * p] = asciiValue(c < 0 ? tok : tok.slice(0, c), p, name);
        data[v]![2 * p + 1] = c < 0 ? 0 : asciiValue(tok.slice(c + 1), p, name);
      } else {
        data[v]![p] = asciiValue(tok, p, name);
      }
    }
  }
  return { plot: makePlot(h, points, truncated, data), end };
}

/**
 * Read a raw file from disk (regular files only, at most the raw-file cap). Binary plots are read in chunks of
 * about `chunkBytes` (so a large file needs only the output arrays plus one chunk of memory); ASCII plots are
 * parsed from text (at most 256 MiB).
 */
export function readRawFile(path: string, opts: { chunkBytes?: number; field?: string } = {}): RawPlot[] {
  const chunkBytes = opts.chunkBytes ?? 1024 * 1024;
  const { fd, size } = openUserFile(path, { field: opts.field ?? 'raw file', kind: 'raw' });
  try {
    if (size === 0) throw new SpiceError('no-output', `raw file ${path} is empty`);
    const plots: RawPlot[] = [];
    let offset = 0;
    let hbuf = Buffer.allocUnsafe(64 * 1024);
    while (offset < size) {
      // read enough to hold the header
      let got = readSync(fd, hbuf, 0, Math.min(hbuf.length, size - offset), offset);
      let lead = 0;
      while (lead < got && (hbuf[lead] === 0x0a || hbuf[lead] === 0x0d || hbuf[lead] === 0x20)) lead++;
      if (lead === got && offset + got >= size) break;
      let mk = findMarker(hbuf.subarray(0, got), lead);
      while (!mk && got === hbuf.length && offset + got < size && hbuf.length < MAX_HEADER_BYTES) {
        hbuf = Buffer.allocUnsafe(Math.min(hbuf.length * 2, MAX_HEADER_BYTES));
        got = readSync(fd, hbuf, 0, Math.min(hbuf.length, size - offset), offset);
        mk = findMarker(hbuf.subarray(0, got), lead);
      }
      if (!mk) {
        if (got >= MAX_HEADER_BYTES) throw bad(`${path}: no Binary:/Values: line in the first ${MAX_HEADER_BYTES} bytes of a plot`);
        const last = plots[plots.length - 1];
        if (last) {
          throw new SpiceError('truncated', `raw file ${path}: ${size - offset} bytes after plot '${last.plotname}' hold no Binary:/Values: header (cut off, or its 'No. Points' ${last.declaredPoints} is wrong)`);
        }
        throw new SpiceError('truncated', `raw file ${path}: header ends before Binary:/Values:`);
      }
      const h = parseHeader(hbuf.toString('latin1', lead, mk.pos));
      const dataStart = offset + mk.pos + (mk.binary ? BIN_MARK.length : ASC_MARK.length);
      if (!mk.binary) {
        // ASCII: parse the rest from memory (ASCII files are small in practice)
        if (size - offset > MAX_ASCII_BYTES) throw bad(`${path}: ASCII raw file of ${size - offset} bytes; at most ${MAX_ASCII_BYTES} are read (write binary raw files)`);
        const rest = Buffer.allocUnsafe(size - offset);
        if (readSync(fd, rest, 0, rest.length, offset) !== rest.length) throw new SpiceError('truncated', `raw file ${path}: short read`);
        const sub = parseRaw(rest);
        plots.push(...sub);
        break;
      }
      const width = h.variables.length * (h.flags === 'complex' ? 2 : 1);
      const rowBytes = width * 8;
      const avail = Math.floor((size - dataStart) / rowBytes);
      let points = h.declaredPoints;
      let truncated = false;
      if (points === 0 || points > avail) {
        truncated = true;
        points = avail;
      }
      const data = h.variables.map(() => new Float64Array(h.flags === 'complex' ? 2 * points : points));
      const rowsPerChunk = Math.max(1, Math.floor(chunkBytes / rowBytes));
      const chunk = Buffer.allocUnsafeSlow(Math.min(rowsPerChunk, Math.max(points, 1)) * rowBytes);
      for (let r = 0; r < points; r += rowsPerChunk) {
        const rows = Math.min(rowsPerChunk, points - r);
        const n = readSync(fd, chunk, 0, rows * rowBytes, dataStart + r * rowBytes);
        if (n !== rows * rowBytes) throw new SpiceError('truncated', `raw file ${path}: short read`);
        transposeInto(chunk, 0, rows, width, data, h.flags === 'complex', r);
      }
      plots.push(makePlot(h, points, truncated, data));
      offset = truncated ? size : dataStart + points * rowBytes;
    }
    if (plots.length === 0) throw new SpiceError('no-output', `raw file ${path} has no plots`);
    return plots;
  } finally {
    closeSync(fd);
  }
}

/** Vector `name` of a plot (case-insensitive; `v(ml)` also matches `ml`), or throws 'no-output'. */
export function vector(plot: RawPlot, name: string): Float64Array {
  const n = name.toLowerCase();
  const bare = n.replace(/^v\((.*)\)$/, '$1');
  let i = plot.variables.findIndex((v) => v.name.toLowerCase() === n);
  if (i < 0) i = plot.variables.findIndex((v) => v.name.toLowerCase() === bare || v.name.toLowerCase() === `v(${bare})`);
  if (i < 0) throw new SpiceError('no-output', `vector ${name} not in plot '${plot.plotname}' (${plot.variables.map((v) => v.name).join(', ')})`);
  return plot.data[i]!;
}

/**
 * Throw a SpiceError when a vector of any plot holds NaN or ±Infinity: non-finite simulator output is a failed
 * run, never a result. Names the plot, the vector and the first bad point.
 */
export function assertFinite(plots: RawPlot[], what = 'raw file'): RawPlot[] {
  for (const p of plots) {
    for (let v = 0; v < p.data.length; v++) {
      const d = p.data[v]!;
      for (let i = 0; i < d.length; i++) {
        if (!Number.isFinite(d[i]!)) {
          const point = p.flags === 'complex' ? i >> 1 : i;
          throw new SpiceError('non-finite', `${what}: plot '${p.plotname}' vector ${p.variables[v]!.name} is ${d[i]} at point ${point} (non-finite simulator output)`);
        }
      }
    }
  }
  return plots;
}

/**
 * Check the plots of a run that should have completed: a 'truncated' SpiceError when any plot is truncated, and
 * (unless `allowNonFinite`) the {@link assertFinite} check, so callers never take NaN/Infinity for a measurement.
 */
export function assertComplete(plots: RawPlot[], what = 'raw file', opts: { allowNonFinite?: boolean } = {}): RawPlot[] {
  const t = plots.find((p) => p.truncated);
  if (t) throw new SpiceError('truncated', `${what}: plot '${t.plotname}' has ${t.points} of ${t.declaredPoints || '?'} points`);
  return opts.allowNonFinite ? plots : assertFinite(plots, what);
}
