/**
 * F_MAC and spike-time files (src/capmin/io.ts, read by `capmin levels` and `capmin merge`): bounded, strict,
 * never hang.
 */
import { closeSync, ftruncateSync, openSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { readFmacFile, readSpikesFile } from '../../src/capmin/io.js';
import { FUZZ, mkfifo, oneLineError, resultOrOneLineError, runCapmin, tempDir } from './helpers.js';

const { dir, cleanup } = tempDir('capmin-readers-fmac-');
afterAll(cleanup);

function file(name: string, body: string): string {
  const p = join(dir, name);
  writeFileSync(p, body);
  return p;
}

describe('F_MAC and spike files: special files', () => {
  it('/dev/zero and a FIFO are refused at once, by the reader and by `capmin levels --fmac`', () => {
    const fifo = join(dir, 'fmac.fifo');
    mkfifo(fifo);
    for (const path of ['/dev/zero', fifo]) {
      oneLineError(() => readFmacFile(path), /^--fmac: /, /is a (device|FIFO); a regular file is required/);
      oneLineError(() => readSpikesFile(path), /^--spikes: /, /regular file/);
      const r = runCapmin(['levels', '--fmac', path, '--k', '3'], { timeoutMs: 20_000 });
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(/--fmac: .*(device|FIFO).*regular file/);
      expect(r.ms).toBeLessThan(15_000);
    }
  });

  it('a file over the size cap is refused before it is read', () => {
    const big = join(dir, 'big.json');
    // a sparse file: its size, not its content, is over the cap
    writeFileSync(big, '');
    const fd = openSync(big, 'r+');
    ftruncateSync(fd, 17 * 1024 * 1024);
    closeSync(fd);
    oneLineError(() => readFmacFile(big), /--fmac: .*big\.json is 17825792 bytes; at most 16777216/);
  });
});

describe('F_MAC values are strict', () => {
  it('null, true, hex, empty and numeric strings in JSON are refused; CSV cells must be decimals', () => {
    for (const v of ['null', 'true', '"0x1"', '"5"', '""', '1e999']) {
      oneLineError(() => readFmacFile(file('v.json', `{"total":[1,${v},3]}`)), /--fmac: level 1: .* is not a finite number/);
    }
    for (const v of ['0x1', 'true', '', 'NaN', '1e999']) {
      oneLineError(() => readFmacFile(file('v.csv', `level,count\n0,1\n1,${v}\n`)), /--fmac: count of level 1: .* is not a finite number/);
    }
    expect(readFmacFile(file('ok.csv', 'level,count\n0,1.5e3\n1,2\n'))).toEqual([1500, 2]);
  });

  it('spike tables: null / empty / inf mean no spike; other non-numbers are refused', () => {
    const s = readSpikesFile(file('s.csv', 'level,tSpike\n0,\n1,inf\n2,1.5e-9\n'));
    expect([...s.values()]).toEqual([Infinity, Infinity, 1.5e-9]);
    oneLineError(() => readSpikesFile(file('s2.csv', 'level,tSpike\n0x1,1e-9\n')), /row 0 level: '0x1' is not a finite number/);
    oneLineError(() => readSpikesFile(file('s3.json', '[{"level":true,"tSpike":1e-9}]')), /row 0 level: true is not a finite number/);
  });
});

describe('F_MAC / spike fuzz: a valid table or one line', () => {
  const cell = fc.oneof(fc.double(), fc.nat(1e6), fc.constantFrom(null, true, '', '0x1', '7', 'inf', -1), fc.string({ maxLength: 6 }));

  it('F_MAC JSON', () => {
    fc.assert(
      fc.property(fc.oneof(fc.array(cell, { maxLength: 40 }), fc.record({ total: fc.array(cell, { maxLength: 40 }) }), fc.anything()), (v) => {
        const f = file('fz.json', JSON.stringify(v) ?? 'null');
        const r = resultOrOneLineError(() => readFmacFile(f));
        if (r) {
          expect(r.length).toBeGreaterThanOrEqual(2);
          expect(r.every((x) => Number.isFinite(x) && x >= 0)).toBe(true);
          expect(r.some((x) => x > 0)).toBe(true);
        }
      }),
      { ...FUZZ, numRuns: 250 },
    );
  });

  it('F_MAC CSV (valid tables with corruption, and arbitrary text)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.nat(1000), { minLength: 2, maxLength: 34 }),
        fc.option(fc.tuple(fc.nat(400), fc.string({ maxLength: 3 })), { nil: undefined }),
        fc.string({ maxLength: 120 }),
        fc.boolean(),
        (counts, corrupt, junk, useJunk) => {
          let text = 'level,count\n' + counts.map((c, m) => `${m},${c}`).join('\n');
          if (corrupt) {
            const at = corrupt[0] % (text.length + 1);
            text = text.slice(0, at) + corrupt[1] + text.slice(at + 1);
          }
          const f = file('fz.csv', useJunk ? junk : text);
          const r = resultOrOneLineError(() => readFmacFile(f));
          if (r) expect(r.every((x) => Number.isFinite(x) && x >= 0)).toBe(true);
          if (!corrupt && !useJunk && counts.some((c) => c > 0)) expect(r).toEqual(counts);
        },
      ),
      { ...FUZZ, numRuns: 250 },
    );
  });

  it('spike tables (JSON and CSV)', () => {
    fc.assert(
      fc.property(fc.array(fc.record({ level: cell, tSpike: cell }, { requiredKeys: [] }), { maxLength: 6 }), fc.string({ maxLength: 100 }), (rows, junk) => {
        for (const [name, body] of [['sp.json', JSON.stringify(rows)], ['sp.csv', junk]] as const) {
          const r = resultOrOneLineError(() => readSpikesFile(file(name, body)));
          if (r) for (const [m, t] of r) expect(Number.isInteger(m) && m >= 0 && t >= 0).toBe(true);
        }
      }),
      { ...FUZZ, numRuns: 150 },
    );
  });
});
