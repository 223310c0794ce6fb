/**
 * P_map files (paper Eq. 6) through every reader — `capmin eval` (src/bnn/pmap.ts), `capmin merge`
 * (src/capmin/io.ts) and pmap.csv round trips (src/errormodel/pmapio.ts) — all validated by one function.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { saveCheckpoint } from '../../src/bnn/checkpoint.js';
import { readPMap } from '../../src/bnn/pmap.js';
import { randomModel } from '../../src/bnn/random.js';
import { readPmapFile } from '../../src/capmin/io.js';
import { encodeNpy } from '../../src/data/npy.js';
import { parsePmapCsv } from '../../src/errormodel/pmapio.js';
import { parsePmapBytes, parsePmapText, PMAP_ROW_TOLERANCE } from '../../src/errormodel/pmapfile.js';
import { FUZZ, mkfifo, oneLineError, resultOrOneLineError, runCapmin, tempDir } from './helpers.js';

const { dir, cleanup } = tempDir('capmin-readers-pmap-');
afterAll(cleanup);
const A = 32;

function file(name: string, body: string | Uint8Array): string {
  const p = join(dir, name);
  writeFileSync(p, body);
  return p;
}

/** A valid (n)×(n) P_map indexed by level: mostly diagonal, spread to the neighbours. */
function spread(n: number): number[][] {
  return Array.from({ length: n }, (_, m) => {
    const r = new Array<number>(n).fill(0);
    const q = 0.02 * (m % 4);
    r[m] = 1 - q;
    r[Math.min(m + 1, n - 1)]! += q / 2;
    r[Math.max(m - 1, 0)]! += q / 2;
    return r;
  });
}

/** numpy's '%.18e' (two-digit exponent). */
function fmt18e(v: number): string {
  return v.toExponential(18).replace(/e([+-])(\d)$/, 'e$10$2');
}

/** The three file readers on one file: results (or one-line errors) of each. */
function allReaders(path: string): { eval: () => unknown; merge: () => unknown } {
  return { eval: () => readPMap(path, A), merge: () => readPmapFile(path) };
}

describe('P_map: what is not a P_map is refused by every reader with one line', () => {
  it('a bare 32×32 JSON matrix is not taken as levels 0..31', () => {
    const f = file('bare32.json', JSON.stringify(spread(32)));
    const r = allReaders(f);
    oneLineError(r.eval, /bare32\.json/, /32×32 without a list of its levels/, /33×33/);
    oneLineError(r.merge, /--pmap/, /32×32 without a list of its levels/);
    oneLineError(() => parsePmapCsv(JSON.stringify(spread(32))), /32×32 without a list of its levels/);
    // with its levels it is a P_map over levels 0..31
    const g = file('levels32.json', JSON.stringify({ levels: Array.from({ length: 32 }, (_, i) => i), matrix: spread(32) }));
    expect(readPmapFile(g).levels).toHaveLength(32);
    expect(readPMap(g, A)[32]![32]).toBe(1);
  });

  it('null, true, 0x1 and strings are not numbers (JSON and CSV)', () => {
    for (const bad of [null, true, '0x1', '0.5', 'x', '']) {
      const m = spread(33);
      (m[4] as unknown[])[4] = bad;
      const f = file('bad.json', JSON.stringify(m));
      for (const read of Object.values(allReaders(f))) oneLineError(read, /P_map entry \[4\]\[4\]/, /is not a finite number/);
    }
    for (const bad of ['0x1', 'true', 'null', 'NaN', 'Infinity', '1e999', '', '1,5'.slice(1)]) {
      const rows = spread(33).map((r) => r.map(String));
      rows[2]![3] = bad;
      const f = file('bad.csv', ['level,' + rows.map((_, i) => i).join(','), ...rows.map((r, i) => `${i},${r.join(',')}`)].join('\n'));
      for (const read of Object.values(allReaders(f))) {
        const e = oneLineError(read);
        expect(e.message).toMatch(/row 4 column 5 .* is not a number|has \d+ cells|not a finite number|sums to/);
      }
    }
    for (const top of ['null', 'true', '0x1', '"matrix"', '7']) oneLineError(() => readPMap(file('top.json', top), A), /top\.json/);
  });

  it('entries outside [0, 1] and rows not summing to 1 are refused, naming the tolerance', () => {
    const m = spread(33);
    m[7] = m[7]!.map((v) => v * 0.99);
    oneLineError(() => readPMap(file('sum.json', JSON.stringify(m)), A), /row 7 sums to 0\.99/, new RegExp(`within ${PMAP_ROW_TOLERANCE}`));
    const n = spread(33);
    n[3]![3] = 1.5;
    n[3]![4] = -0.5;
    oneLineError(() => readPmapFile(file('range.json', JSON.stringify(n))), /\[3\]\[3\] = 1\.5 is not a probability in \[0, 1\]/);
    // within the tolerance: accepted (and renormalized by the evaluator)
    const ok = spread(33);
    ok[5]![5]! -= PMAP_ROW_TOLERANCE / 2;
    const p = readPMap(file('tol.json', JSON.stringify(ok)), A);
    expect(p[5]!.reduce((s, v) => s + v, 0)).toBeCloseTo(1, 14);
  });

  it('a FIFO or /dev/zero as --pmap is a one-line error at once', () => {
    const fifo = join(dir, 'pmap.fifo');
    mkfifo(fifo);
    for (const path of [fifo, '/dev/zero']) {
      const t0 = Date.now();
      oneLineError(() => readPMap(path, A), /--pmap/, /regular file/);
      oneLineError(() => readPmapFile(path), /--pmap/, /regular file/);
      expect(Date.now() - t0).toBeLessThan(2000);
    }
  });
});

describe('P_map: what numpy and SPICE-Torch write is read', () => {
  const p = spread(33);

  it('a headerless numeric CSV (numpy.savetxt, delimiter=",") of shape 33×33 is levels 0..32', () => {
    const text = p.map((r) => r.map(fmt18e).join(',')).join('\n') + '\n';
    const f = file('savetxt.csv', text);
    const got = readPMap(f, A);
    got.forEach((r, i) => r.forEach((v, j) => expect(v).toBeCloseTo(p[i]![j]!, 15)));
    const m = readPmapFile(f);
    expect(m.levels).toEqual(Array.from({ length: 33 }, (_, i) => i));
    expect(m.matrix[1]![2]).toBe(p[1]![2]);
  });

  it('also with numpy’s default space delimiter, %.18e, and a # header line', () => {
    const text = '# P_map, rows = true level\n' + p.map((r) => r.map(fmt18e).join(' ')).join('\n') + '\n';
    const got = readPMap(file('savetxt-space.txt', text), A);
    got.forEach((r, i) => r.forEach((v, j) => expect(v).toBeCloseTo(p[i]![j]!, 15)));
    // short decimals and tabs too
    const tabs = p.map((r) => r.map((v) => v.toFixed(4)).join('\t')).join('\r\n');
    expect(readPmapFile(file('tabs.txt', tabs)).matrix[6]![6]).toBe(0.96);
  });

  it('`capmin eval --pmap` takes the headerless numpy.savetxt CSV (it used to ask for a header)', () => {
    const data = join(dir, 'fashion');
    mkdirSync(data, { recursive: true });
    const idx = (shape: number[], bytes: Uint8Array) => {
      const head = Buffer.alloc(4 + 4 * shape.length);
      head[2] = 0x08;
      head[3] = shape.length;
      shape.forEach((d, i) => head.writeUInt32BE(d, 4 + 4 * i));
      return Buffer.concat([head, bytes]);
    };
    writeFileSync(join(data, 't10k-images-idx3-ubyte'), idx([8, 28, 28], Uint8Array.from({ length: 8 * 784 }, (_, i) => (i * 37) % 256)));
    writeFileSync(join(data, 't10k-labels-idx1-ubyte'), idx([8], Uint8Array.from({ length: 8 }, (_, i) => i % 10)));
    const model = join(dir, 'eval.safetensors');
    saveCheckpoint(model, randomModel('vgg3', { seed: 3 }), { format: 'packbits-le' });
    const csv = file('eval-savetxt.csv', p.map((r) => r.map(fmt18e).join(',')).join('\n') + '\n');
    const r = runCapmin(['eval', '--model', model, '--data-dir', data, '--limit', '8', '--pmap', csv, '--runs', '1', '--json'], { timeoutMs: 60_000 });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/"pmap"/);
    const bare = file('eval-bare32.json', JSON.stringify(spread(32)));
    const b = runCapmin(['eval', '--model', model, '--data-dir', data, '--limit', '8', '--pmap', bare, '--runs', '1'], { timeoutMs: 60_000 });
    expect(b.code).toBe(2);
    expect(b.stderr.trim().split('\n')).toHaveLength(1);
    expect(b.stderr).toMatch(/32×32 without a list of its levels/);
  });

  it('a headerless table of the wrong size is refused, naming the required size', () => {
    const text = spread(32).map((r) => r.join(',')).join('\n');
    oneLineError(() => readPMap(file('savetxt32.csv', text), A), /32×32 without a list of its levels/, /33×33/);
  });

  it('a float32 or float64 33×33 .npy is the distribution mapping (row = true popcount, column = read popcount)', () => {
    const byPopcount = (ctor: Float32ArrayConstructor | Float64ArrayConstructor) => {
      const d = new ctor(33 * 33);
      for (let m = 0; m <= A; m++) for (let j = 0; j <= A; j++) d[(A - m) * 33 + (A - j)] = p[m]![j]!;
      return d;
    };
    for (const ctor of [Float32Array, Float64Array]) {
      const f = file(`dist-${ctor.name}.npy`, encodeNpy(byPopcount(ctor), [33, 33]));
      const got = readPMap(f, A);
      for (let m = 0; m <= A; m++) for (let j = 0; j <= A; j++) expect(got[m]![j]).toBeCloseTo(p[m]![j]!, 6);
      const io = readPmapFile(f);
      expect(io.levels).toHaveLength(33);
      expect(io.matrix[10]![11]).toBeCloseTo(p[10]![11]!, 6);
    }
    oneLineError(() => readPMap(file('int.npy', encodeNpy(new Int32Array(33 * 33), [33, 33])), A), /dtype <i4 is not float32\/float64/);
    // SPICE-Torch's direct mapping (popcount → read popcount), e.g. CapMin's clipping to popcounts 10..23
    const direct = file('direct.npy', encodeNpy(Int32Array.from({ length: 33 }, (_, pc) => Math.min(Math.max(pc, 10), 23)), [33]));
    const d = readPmapFile(direct);
    expect(d.matrix[A - 5]![A - 10]).toBe(1); // popcount 5 → 10, i.e. level 27 → 22
    expect(readPMap(direct, A)[16]![16]).toBe(1);
    oneLineError(() => readPMap(file('direct-bad.npy', encodeNpy(Float64Array.from({ length: 33 }, () => 0.5), [33])), A), /direct mapping\[0\] = 0\.5 is not a popcount 0\.\.32/);
    oneLineError(() => readPMap(file('wide.npy', encodeNpy(new Float64Array(33 * 34), [33, 34])), A), /33×33 distribution mapping/);
    const nan = byPopcount(Float64Array);
    nan[5] = NaN;
    oneLineError(() => readPMap(file('nan.npy', encodeNpy(nan, [33, 33])), A), /not a finite number/);
  });

  it('the three readers share one validation: the same bad file gives the same message', () => {
    const m = spread(33);
    m[9]![9] = 0.5;
    const text = JSON.stringify(m);
    const msgs = [
      oneLineError(() => readPMap(file('same.json', text), A)).message,
      oneLineError(() => readPmapFile(file('same.json', text))).message,
      oneLineError(() => parsePmapCsv(text)).message,
    ].map((s) => s.replace(/^.*?: (?=P_map row)/, ''));
    expect(new Set(msgs).size).toBe(1);
    expect(msgs[0]).toMatch(/^P_map row 9 sums to 0\.5\d*; rows must sum to 1 within 0\.001$/);
  });
});

/** A valid result satisfies the P_map invariants. */
function checkInvariants(r: { levels: number[]; matrix: number[][] }): void {
  const n = r.matrix.length;
  expect(r.levels).toHaveLength(n);
  expect(new Set(r.levels).size).toBe(n);
  for (const row of r.matrix) {
    expect(row).toHaveLength(n);
    let s = 0;
    for (const v of row) {
      expect(Number.isFinite(v) && v >= 0 && v <= 1 + 1e-9).toBe(true);
      s += v;
    }
    expect(Math.abs(s - 1)).toBeLessThanOrEqual(PMAP_ROW_TOLERANCE);
  }
}

describe('P_map fuzz: a valid P_map or one line, never another exception', () => {
  const cell = fc.oneof(
    fc.double({ noNaN: false }),
    fc.constantFrom(0, 1, 0.5, null, true, false, '0x1', '1', '', 'NaN', [], {}),
    fc.integer({ min: -2, max: 2 }),
  );

  it('JSON matrices and objects of arbitrary cells', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.array(fc.array(cell, { maxLength: 5 }), { maxLength: 5 }),
          fc.record({ levels: fc.anything(), matrix: fc.array(fc.array(cell, { maxLength: 4 }), { maxLength: 4 }) }, { requiredKeys: [] }),
          fc.anything(),
        ),
        fc.option(fc.integer({ min: 1, max: 6 }), { nil: undefined }),
        (value, a) => {
          const text = JSON.stringify(value) ?? 'undefined';
          const r = resultOrOneLineError(() => parsePmapText(text, { label: 'fuzz.json', path: 'fuzz.json', a }));
          if (r) checkInvariants(r);
        },
      ),
      { ...FUZZ, numRuns: 800 },
    );
  });

  it('CSV / whitespace tables built from P_maps, then corrupted', () => {
    const table = fc.record({
      n: fc.integer({ min: 1, max: 5 }),
      header: fc.constantFrom('none', 'levels', 'labelled'),
      delim: fc.constantFrom(',', ' ', '\t', ', '),
      fmt: fc.constantFrom('e18', 'plain', 'fixed3'),
      corrupt: fc.option(fc.tuple(fc.nat(200), fc.string({ maxLength: 4 })), { nil: undefined }),
    });
    fc.assert(
      fc.property(table, ({ n, header, delim, fmt, corrupt }) => {
        const m = spread(n);
        const f = (v: number) => (fmt === 'e18' ? fmt18e(v) : fmt === 'fixed3' ? v.toFixed(3) : String(v));
        const lv = Array.from({ length: n }, (_, i) => i + 3);
        const lines: string[] = [];
        if (header === 'levels') lines.push(lv.join(delim));
        if (header === 'labelled') lines.push(['level', ...lv].join(delim));
        m.forEach((r, i) => lines.push([...(header === 'labelled' ? [String(lv[i])] : []), ...r.map(f)].join(delim)));
        let text = lines.join('\n');
        if (corrupt) {
          const at = corrupt[0] % (text.length + 1);
          text = text.slice(0, at) + corrupt[1] + text.slice(at + 1);
        }
        const r = resultOrOneLineError(() => parsePmapText(text, { label: 'fuzz.csv', a: n - 1 + (header === 'none' ? 0 : 3) }));
        if (r) checkInvariants(r);
        if (!corrupt && fmt !== 'fixed3') expect(r).toBeDefined();
      }),
      { ...FUZZ, numRuns: 800 },
    );
  });

  it('arbitrary text and bytes (also behind the .npy magic)', () => {
    const magic = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]);
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 300 }), fc.uint8Array({ maxLength: 300 })), fc.boolean(), (x, npy) => {
        const bytes = typeof x === 'string' ? Buffer.from(x) : Buffer.from(x);
        const buf = npy ? Buffer.concat([magic, bytes]) : bytes;
        const r = resultOrOneLineError(() => parsePmapBytes(buf, { label: 'fuzz', path: npy ? 'f.npy' : 'f.txt', a: 2 }));
        if (r) checkInvariants(r);
      }),
      { ...FUZZ, numRuns: 1000 },
    );
  });

  it('.npy distribution mappings with mutated headers and values', () => {
    const valid = (() => {
      const d = new Float32Array(9);
      for (let i = 0; i < 3; i++) d[i * 4] = 1;
      return encodeNpy(d, [3, 3]);
    })();
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(valid.length - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }), fc.nat(valid.length), (edits, cut) => {
        const b = Buffer.from(valid);
        for (const [i, v] of edits) b[i] = v;
        const r = resultOrOneLineError(() => parsePmapBytes(b.subarray(0, Math.max(cut, b.length - 8)), { label: 'fuzz.npy', path: 'fuzz.npy', a: 2 }));
        if (r) checkInvariants(r);
      }),
      { ...FUZZ, numRuns: 1000 },
    );
  });

  it('through the file readers (bounded read + parse) on a few generated files', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), fc.constantFrom('x.csv', 'x.json', 'x.npy', 'x.txt'), (text, name) => {
        const f = file(name, text);
        resultOrOneLineError(() => readPMap(f, 3));
        const r = resultOrOneLineError(() => readPmapFile(f, '--pmap', 3));
        if (r) checkInvariants(r);
      }),
      { ...FUZZ, numRuns: 100 },
    );
  });
});
