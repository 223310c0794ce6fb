/**
 * ngspice raw-file reader: binary and ASCII, real and complex, several plots per file. Detects a run killed before
 * ngspice rewrote `No. Points` (left at 0 or larger than the data) from the byte count and flags the plot `truncated`.
 * `readRawFile` reads large binary files in fixed-size chunks (bounded extra memory); `parseRaw` works on a buffer.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
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
  nVars = Number(header['No. Variables']);
  if (!Number.isInteger(nVars) || nVars <= 0) throw bad(`bad 'No. Variables' '${header['No. Variables'] ?? ''}'`);
  for (; i < lines.length && variables.length < nVars; i++) {
    const line = lines[i]!.replace(/\r$/, '');
    if (line.trim() === '') continue;
    const parts = line.trim().split(/\s+/);
    if (parts.length < 3) throw bad(`bad variable line '${line.slice(0, 60)}'`);
    variables.push({ name: parts[1]!, type: parts[2]! });
  }
  if (variables.length !== nVars) throw bad(`${variables.length} variables listed, header says ${nVars}`);
  const flagText = (header['Flags'] ?? 'real').toLowerCase();
  const declaredPoints = Number(header['No. Points'] ?? '0');
  if (!Number.isInteger(declaredPoints) || declaredPoints < 0) throw bad(`bad 'No. Points' '${header['No. Points']}'`);
  const title = header['Title'] ?? '';
  const plotname = header['Plotname'] ?? '';
  for (const k of ['Title', 'Plotname', 'Flags', 'No. Variables', 'No. Points']) delete header[k];
  return { title, plotname, flags: flagText.includes('complex') ? 'complex' : 'real', variables, declaredPoints, header };
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
      if (plots.length > 0 || buf.length - offset < 4096) throw new SpiceError('truncated', 'raw file: header ends before Binary:/Values:');
      throw bad('no Binary: or Values: section');
    }
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

function readAsciiPlot(buf: Buffer, start: number, h: Omit<Header, 'binary'>): { plot: RawPlot; end: number } {
  // the data section ends at the next plot's Title: line or the end of the buffer
  let end = buf.indexOf('\nTitle:', start - 1, 'latin1');
  end = end < 0 ? buf.length : end + 1;
  const text = buf.toString('latin1', start, end);
  const nv = h.variables.length;
  const complex = h.flags === 'complex';
  const tokens = text.split(/\s+/).filter((s) => s.length > 0);
  const perPoint = nv + 1;
  let points = Math.floor(tokens.length / perPoint);
  let truncated = tokens.length % perPoint !== 0;
  if (h.declaredPoints === 0 || h.declaredPoints > points) truncated = true;
  else if (h.declaredPoints < points) points = h.declaredPoints;
  const data = h.variables.map(() => new Float64Array(complex ? 2 * points : points));
  let k = 0;
  for (let p = 0; p < points; p++) {
    const idx = Number(tokens[k++]);
    if (idx !== p) throw bad(`ASCII point ${p} labelled '${tokens[k - 1]}'`);
    for (let v = 0; v < nv; v++) {
      const tok = tokens[k++]!;
      if (complex) {
        const c = tok.indexOf(',');
        data[v]![2 * p] = Number(c < 0 ? tok : tok.slice(0, c));
        data[v]![2 * p + 1] = c < 0 ? 0 : Number(tok.slice(c + 1));
      } else {
        data[v]![p] = Number(tok);
      }
    }
  }
  return { plot: makePlot(h, points, truncated, data), end };
}

/**
 * Read a raw file from disk. Binary plots are read in chunks of about `chunkBytes` (so a large file needs only the
 * output arrays plus one chunk of memory); ASCII plots are parsed from text.
 */
export function readRawFile(path: string, opts: { chunkBytes?: number } = {}): RawPlot[] {
  const chunkBytes = opts.chunkBytes ?? 1024 * 1024;
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
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
      while (!mk && got === hbuf.length && offset + got < size) {
        hbuf = Buffer.allocUnsafe(hbuf.length * 2);
        got = readSync(fd, hbuf, 0, Math.min(hbuf.length, size - offset), offset);
        mk = findMarker(hbuf.subarray(0, got), lead);
      }
      if (!mk) throw new SpiceError('truncated', `raw file ${path}: header ends before Binary:/Values:`);
      const h = parseHeader(hbuf.toString('latin1', lead, mk.pos));
      const dataStart = offset + mk.pos + (mk.binary ? BIN_MARK.length : ASC_MARK.length);
      if (!mk.binary) {
        // ASCII: parse the rest from text (ASCII files are small in practice)
        const rest = Buffer.allocUnsafe(size - offset);
        readSync(fd, rest, 0, rest.length, offset);
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

/** Throw a 'truncated' SpiceError when any plot is truncated (use for runs that should have completed). */
export function assertComplete(plots: RawPlot[], what = 'raw file'): RawPlot[] {
  const t = plots.find((p) => p.truncated);
  if (t) throw new SpiceError('truncated', `${what}: plot '${t.plotname}' has ${t.points} of ${t.declaredPoints || '?'} points`);
  return plots;
}
