/**
 * ngspice raw files (src/spice/rawfile.ts): strict headers and values, bounded memory, and non-finite simulator
 * output as an error (also end to end: `capmin spikes` with an ngspice that writes NaN).
 */
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { assertComplete, assertFinite, parseRaw, readRawFile, type RawPlot } from '../../src/spice/rawfile.js';
import { SpiceError } from '../../src/spice/runner.js';
import { FUZZ, mkfifo, oneLineError, resultOrOneLineError, runCapmin, tempDir } from './helpers.js';

const { dir, cleanup } = tempDir('capmin-readers-raw-');
afterAll(cleanup);

interface RawSpec {
  names?: string[];
  points: number;
  values?: (v: number, p: number) => number;
  flags?: string;
  declared?: number | string;
  nVars?: number | string;
}

function header(s: RawSpec, marker: 'Binary:' | 'Values:'): string {
  const names = s.names ?? ['time', 'v(ml)', 'i(vml)'];
  const lines = ['Title: capmin test', 'Date: now', 'Plotname: Transient Analysis', `Flags: ${s.flags ?? 'real'}`];
  lines.push(`No. Variables: ${s.nVars ?? names.length}`, `No. Points: ${s.declared ?? s.points}`, 'Variables:');
  names.forEach((n, i) => lines.push(`\t${i}\t${n}\t${i === 0 ? 'time' : 'voltage'}`));
  return lines.join('\n') + `\n${marker}\n`;
}

/** A binary real raw file. */
function binaryRaw(s: RawSpec): Buffer {
  const nv = (s.names ?? ['time', 'v(ml)', 'i(vml)']).length;
  const data = new Float64Array(nv * s.points);
  for (let p = 0; p < s.points; p++) for (let v = 0; v < nv; v++) data[p * nv + v] = s.values ? s.values(v, p) : p * 1e-9 + v;
  return Buffer.concat([Buffer.from(header(s, 'Binary:'), 'latin1'), Buffer.from(data.buffer)]);
}

/** An ASCII real raw file in ngspice's layout (index, then one tab-indented value per line). */
function asciiRaw(s: RawSpec, cell?: (v: number, p: number) => string): Buffer {
  const nv = (s.names ?? ['time', 'v(ml)', 'i(vml)']).length;
  const out: string[] = [];
  for (let p = 0; p < s.points; p++) {
    for (let v = 0; v < nv; v++) {
      const text = cell ? cell(v, p) : (s.values ? s.values(v, p) : p * 1e-9 + v).toExponential(15);
      out.push(v === 0 ? `${p}\t${text}` : `\t${text}`);
    }
  }
  return Buffer.from(header(s, 'Values:') + out.join('\n') + '\n', 'latin1');
}

describe('raw files: strict values and headers', () => {
  it('non-numeric ASCII values are refused (they used to become NaN)', () => {
    for (const bad of ['abc', '0x10', '1.0.0', '--1', '1e', '']) {
      const buf = asciiRaw({ points: 3 }, (v, p) => (v === 1 && p === 1 ? bad || 'x' : '1.5e-3'));
      oneLineError(() => parseRaw(buf), /ASCII point 1: value '.*' of v\(ml\) is not a number/);
    }
    const ok = parseRaw(asciiRaw({ points: 2 }))[0]!;
    expect(Array.from(ok.data[1]!)).toEqual([1, 1 + 1e-9]);
  });

  it('Flags: garbage is refused; real/complex with known words are accepted', () => {
    for (const f of ['garbage', 'real complex', '', 'rea1']) oneLineError(() => parseRaw(binaryRaw({ points: 2, flags: f })), /bad 'Flags'/);
    expect(parseRaw(binaryRaw({ points: 2, flags: 'real forward' }))[0]!.flags).toBe('real');
  });

  it('absurd or malformed variable and point counts are one-line errors', () => {
    oneLineError(() => parseRaw(binaryRaw({ points: 2, nVars: 1e9 })), /bad 'No\. Variables' '1000000000' \(allowed 1\.\.100000\)/);
    oneLineError(() => parseRaw(binaryRaw({ points: 2, nVars: '3e0' })), /bad 'No\. Variables'/);
    oneLineError(() => parseRaw(binaryRaw({ points: 2, nVars: 5 })), /3 variables listed, header says 5|bad variable line/);
    oneLineError(() => parseRaw(binaryRaw({ points: 2, declared: '-1' })), /bad 'No\. Points'/);
    oneLineError(() => parseRaw(binaryRaw({ points: 2, declared: '0x2' })), /bad 'No\. Points'/);
    // ASCII with more points than declared
    oneLineError(() => parseRaw(asciiRaw({ points: 4, declared: 2 })), /ASCII data has 4 points, header 'No\. Points' says 2/);
    // binary with fewer points declared than written: the rest is no plot
    oneLineError(() => parseRaw(binaryRaw({ points: 4, declared: 2 })), /bytes after plot 'Transient Analysis' hold no Binary:\/Values: header.*'No\. Points' 2 is wrong/);
    const few = join(dir, 'few.raw');
    writeFileSync(few, binaryRaw({ points: 4, declared: 2 }));
    oneLineError(() => readRawFile(few), /48 bytes after plot 'Transient Analysis' hold no Binary:\/Values: header.*'No\. Points' 2 is wrong/);
  });

  it('truncated files are flagged and refused by assertComplete', () => {
    const full = binaryRaw({ points: 5 });
    const cut = parseRaw(full.subarray(0, full.length - 12));
    expect(cut[0]!.truncated).toBe(true);
    oneLineError(() => assertComplete(cut, 'tran'), /tran: plot 'Transient Analysis' has 4 of 5 points/);
    const asc = asciiRaw({ points: 3 });
    expect(parseRaw(asc.subarray(0, asc.length - 10))[0]!.truncated).toBe(true);
  });

  it('a FIFO or /dev/zero named as a raw file is refused at once', () => {
    const fifo = join(dir, 'r.fifo');
    mkfifo(fifo);
    oneLineError(() => readRawFile(fifo), /a FIFO; a regular file is required/);
    oneLineError(() => readRawFile('/dev/zero'), /a device; a regular file is required/);
  });
});

describe('raw files: non-finite simulator output is an error', () => {
  it('binary NaN / Infinity: parsed, then refused by assertFinite and assertComplete (opt-out available)', () => {
    for (const bad of [NaN, Infinity, -Infinity]) {
      const plots = parseRaw(binaryRaw({ points: 4, values: (v, p) => (v === 2 && p === 3 ? bad : 1) }));
      const e = oneLineError(() => assertComplete(plots, 'op'), new RegExp(`op: plot 'Transient Analysis' vector i\\(vml\\) is ${bad} at point 3`));
      expect(e).toBeInstanceOf(SpiceError);
      oneLineError(() => assertFinite(plots), /non-finite simulator output/);
      expect(assertComplete(plots, 'op', { allowNonFinite: true })).toBe(plots);
    }
  });

  it('ASCII nan / inf tokens (as C printf writes them) are non-finite values, refused the same way', () => {
    for (const tok of ['nan', '-nan', 'inf', '-inf', 'NaN', '-nan(ind)']) {
      const plots = parseRaw(asciiRaw({ points: 2 }, (v, p) => (v === 1 && p === 1 ? tok : '1.0e+00')));
      oneLineError(() => assertComplete(plots), /vector v\(ml\) is (NaN|-?Infinity) at point 1/);
    }
  });

  it('readRawFile from disk gives the same plots (chunked)', () => {
    const p = join(dir, 'nan.raw');
    writeFileSync(p, binaryRaw({ points: 7, values: (v, q) => (q === 5 && v === 1 ? NaN : q) }));
    const plots = readRawFile(p, { chunkBytes: 50 });
    expect(plots[0]!.points).toBe(7);
    oneLineError(() => assertComplete(plots), /v\(ml\) is NaN at point 5/);
  });

  it('`capmin spikes` with an ngspice that writes NaN fails with one line instead of printing "NaN A no spike"', () => {
    const raw = join(dir, 'all-nan.raw');
    writeFileSync(raw, binaryRaw({ points: 3, values: () => NaN }));
    const bin = join(dir, 'fakebin');
    mkdirSync(bin, { recursive: true });
    const fake = join(bin, 'ngspice');
    writeFileSync(
      fake,
      `#!/bin/sh\nif [ "$1" = "-v" ]; then echo "******"; echo "** ngspice-42 : Circuit level simulation program"; exit 0; fi\nfor a in "$@"; do :; done\ncp '${raw}' out.raw\nexit 0\n`,
    );
    chmodSync(fake, 0o755);
    const r = runCapmin(['spikes', '--cap', '2p', '--levels', '3', '--no-cache'], { env: { PATH: `${bin}:${process.env.PATH}` }, timeoutMs: 60_000 });
    expect(r.stdout).not.toMatch(/NaN/);
    expect(r.code, r.stderr).not.toBe(0);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/is NaN at point 0.*non-finite simulator output/);
  });
});

/** An accepted plot is self-consistent. */
function checkPlots(plots: RawPlot[]): void {
  for (const p of plots) {
    expect(p.data).toHaveLength(p.variables.length);
    for (const d of p.data) expect(d.length).toBe(p.flags === 'complex' ? 2 * p.points : p.points);
  }
}

describe('raw file fuzz: plots or one line, bounded', () => {
  it('mutations of binary and ASCII raw files', () => {
    const files = [binaryRaw({ points: 6 }), asciiRaw({ points: 4 }), Buffer.concat([binaryRaw({ points: 2 }), asciiRaw({ points: 2 })])];
    fc.assert(
      fc.property(
        fc.constantFrom(0, 1, 2),
        fc.array(fc.tuple(fc.nat(2000), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }),
        fc.option(fc.nat(2000), { nil: undefined }),
        fc.option(fc.tuple(fc.nat(2000), fc.string({ maxLength: 8 })), { nil: undefined }),
        (k, edits, cut, insert) => {
          let b = Buffer.from(files[k]!);
          for (const [i, v] of edits) b[i % b.length] = v;
          if (insert) {
            const at = insert[0] % b.length;
            b = Buffer.concat([b.subarray(0, at), Buffer.from(insert[1], 'latin1'), b.subarray(at)]);
          }
          if (cut !== undefined) b = b.subarray(0, cut % (b.length + 1));
          const r = resultOrOneLineError(() => parseRaw(b));
          if (r) {
            checkPlots(r);
            resultOrOneLineError(() => assertComplete(r));
          }
        },
      ),
      { ...FUZZ, numRuns: 1500 },
    );
  });

  it('generated headers (flags, counts, variable lines) over random data', () => {
    fc.assert(
      fc.property(
        fc.record({
          flags: fc.oneof(fc.constantFrom('real', 'complex', 'real padded', 'junk'), fc.string({ maxLength: 8 })),
          nVars: fc.oneof(fc.integer({ min: -1, max: 6 }), fc.constantFrom('1e3', '999999999', 'x')),
          declared: fc.oneof(fc.integer({ min: -1, max: 8 }), fc.constantFrom('1e1', '9007199254740993', '')),
          names: fc.array(fc.constantFrom('time', 'v(ml)', 'i(vml)', 'x y', ''), { minLength: 1, maxLength: 4 }),
        }),
        fc.uint8Array({ maxLength: 200 }),
        fc.boolean(),
        (h, data, binary) => {
          const text = header({ points: 0, ...h }, binary ? 'Binary:' : 'Values:');
          const b = Buffer.concat([Buffer.from(text, 'latin1'), binary ? Buffer.from(data) : Buffer.from(Array.from(data, (x) => (x % 3 === 0 ? '\n' : String(x % 10))).join(''))]);
          const r = resultOrOneLineError(() => parseRaw(b));
          if (r) checkPlots(r);
        },
      ),
      { ...FUZZ, numRuns: 1000 },
    );
  });

  it('readRawFile on random files from disk', () => {
    const p = join(dir, 'fz.raw');
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.boolean(), (bytes, withHeader) => {
        writeFileSync(p, withHeader ? Buffer.concat([Buffer.from(header({ points: 3 }, 'Binary:')), bytes]) : bytes);
        const r = resultOrOneLineError(() => readRawFile(p, { chunkBytes: 40 }));
        if (r) checkPlots(r);
      }),
      { ...FUZZ, numRuns: 200 },
    );
  });
});
