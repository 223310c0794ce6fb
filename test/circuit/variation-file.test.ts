import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { buildDeck } from '../../src/circuit/deck.js';
import { defaultCircuit } from '../../src/circuit/params.js';
import { DEVICE_VARIATION_KEYS, parseVariation, parseVariationJson, readVariationFile, zeroVariation } from '../../src/circuit/variation.js';
import { defaultSigmas, validateSigmas } from '../../src/montecarlo/variation.js';
import { CapminError } from '../../src/util/errors.js';

const tmp = mkdtempSync(join(tmpdir(), 'capmin-varfile-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const A = 32;
function file(name: string, data: unknown): string {
  const p = join(tmp, name);
  writeFileSync(p, typeof data === 'string' ? data : JSON.stringify(data));
  return p;
}

describe('variation files', () => {
  it('reads values (numbers or SPICE strings), defaults absent keys to nominal', () => {
    const v = zeroVariation(A) as unknown as Array<Array<Record<string, unknown>>>;
    v[3]![1] = { delvto: '30m', mulu0: 0.9 };
    v[0]![0] = {};
    v[5]![2] = { dW: 1e-9, dL: -1e-9 };
    const r = readVariationFile(file('ok.json', v), A);
    expect(r[3]![1]).toEqual({ delvto: 0.03, mulu0: 0.9, dW: 0, dL: 0 });
    expect(r[0]![0]).toEqual({ delvto: 0, mulu0: 1, dW: 0, dL: 0 });
    expect(r[5]![2]).toEqual({ delvto: 0, mulu0: 1, dW: 1e-9, dL: -1e-9 });
  });

  it('refuses a typo like delVto, naming the path and the allowed keys', () => {
    const v = zeroVariation(A) as unknown as Array<Array<Record<string, unknown>>>;
    v[3]![1] = { delVto: 0.03 };
    const p = file('typo.json', v);
    expect(() => readVariationFile(p, A)).toThrow(`variation[3][1].delVto: unknown key (in ${p}); allowed keys: delvto, mulu0, dW, dL`);
  });

  it('refuses every malformed shape with a one-line error naming the path', () => {
    const base = () => zeroVariation(A) as unknown as unknown[][];
    const cases: Array<[unknown, RegExp]> = [
      [{}, /^variation: must be an array of 32 cells/],
      [base().slice(1), /^variation: must be an array of 32 cells, got 31/],
      [
        (() => {
          const v = base();
          v[2] = [{}, {}];
          return v;
        })(),
        /^variation\[2\]: must list 4 transistors/,
      ],
      [
        (() => {
          const v = base();
          v[2]![3] = null;
          return v;
        })(),
        /^variation\[2\]\[3\]: must be an object/,
      ],
      [
        (() => {
          const v = base();
          v[2]![3] = [0.1];
          return v;
        })(),
        /^variation\[2\]\[3\]: must be an object/,
      ],
      [
        (() => {
          const v = base();
          v[2]![3] = { delvto: null };
          return v;
        })(),
        /^variation\[2\]\[3\]\.delvto: must be a number or a SPICE value/,
      ],
      [
        (() => {
          const v = base();
          v[2]![3] = { delvto: true };
          return v;
        })(),
        /^variation\[2\]\[3\]\.delvto: must be a number/,
      ],
      [
        (() => {
          const v = base();
          v[2]![3] = { mulu0: '1'.repeat(5000) };
          return v;
        })(),
        /^variation\[2\]\[3\]\.mulu0: .*longer than 100 characters/,
      ],
      [
        (() => {
          const v = base();
          v[2]![3] = { delvto: 2 };
          return v;
        })(),
        /^variation\[2\]\[3\]\.delvto: 2 V is out of range; allowed range -1 V \.\. 1 V/,
      ],
      [
        (() => {
          const v = base();
          v[2]![3] = { dW: '1e999' };
          return v;
        })(),
        /^variation\[2\]\[3\]\.dW: must be finite/,
      ],
      [
        (() => {
          const v = base();
          v[2]![3] = JSON.parse('{"__proto__": {"delvto": 0.5}}');
          return v;
        })(),
        /^variation\[2\]\[3\]\.__proto__: unknown key/,
      ],
    ];
    cases.forEach(([data, re], i) => {
      const e = (() => {
        try {
          parseVariation(data, A, 'f.json');
        } catch (err) {
          return err as Error;
        }
        throw new Error(`case ${i} accepted`);
      })();
      expect(e, String(i)).toBeInstanceOf(CapminError);
      expect(e.message, String(i)).toMatch(re);
      expect(e.message).not.toContain('\n');
    });
    expect(() => parseVariationJson('[1,', A, 'x.json')).toThrow(/^variation: cannot read x\.json as JSON/);
    expect(() => readVariationFile('/dev/zero', A)).toThrow(/^--variation: \/dev\/zero is a device; a regular file is required/);
    expect(() => readVariationFile(join(tmp, 'missing.json'), A)).toThrow(/^--variation: .*no such file/);
    const fifo = join(tmp, 'fifo');
    execFileSync('mkfifo', [fifo]);
    expect(() => readVariationFile(fifo, A)).toThrow(/a FIFO; a regular file is required/);
  });

  it('capmin deck --variation refuses the typo (one line, exit 2)', async () => {
    const v = zeroVariation(A) as unknown as Array<Array<Record<string, unknown>>>;
    v[3]![1] = { delVto: 0.03 };
    const p = file('typo2.json', v);
    const { main } = await import('../../src/commands/deck.js');
    const out = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    try {
      const e = await main(['--variation', p]).then(
        () => null,
        (err: unknown) => err as CapminError,
      );
      expect(e).toBeInstanceOf(CapminError);
      expect(e!.exitCode).toBe(2);
      expect(e!.message).toContain('variation[3][1].delVto: unknown key');
    } finally {
      out.mockRestore();
    }
  });

  it('fuzz: any JSON gives a valid variation or a one-line error, fast; accepted values reach the deck as numbers only', () => {
    const p = defaultCircuit();
    const device = fc.dictionary(
      fc.oneof(fc.constantFrom(...DEVICE_VARIATION_KEYS), fc.string({ maxLength: 8 })),
      fc.oneof(
        fc.double(),
        fc.string({ maxLength: 20 }),
        fc.constantFrom('30m', '-0.01', '1e-9', '2', '\n.control', '{1}', '1;shell'),
        fc.constant(null),
        fc.boolean(),
        fc.integer(),
      ),
      { maxKeys: 4 },
    );
    const valid = fc.record(
      { delvto: fc.double({ min: -0.1, max: 0.1, noNaN: true }), mulu0: fc.double({ min: 0.5, max: 1.5, noNaN: true }), dW: fc.constantFrom(0, 1e-9, '2n') },
      { requiredKeys: [] },
    );
    const spot = <T>(arb: fc.Arbitrary<T>) => fc.tuple(fc.nat(A - 1), fc.nat(3), arb);
    const near = fc.tuple(fc.array(spot(valid), { maxLength: 6 }), fc.array(spot(device), { maxLength: 1 })).map(([good, bad]) => {
      const v = zeroVariation(A) as unknown as unknown[][];
      for (const [c, t, d] of [...good, ...bad]) v[c]![t] = d;
      return v;
    });
    const anyJson = fc.oneof(
      near,
      fc.jsonValue(),
      near.map((v) => JSON.parse(JSON.stringify(v)) as unknown),
    );
    let accepted = 0;
    fc.assert(
      fc.property(anyJson, (data) => {
        const t0 = performance.now();
        let r: ReturnType<typeof parseVariationJson>;
        try {
          r = parseVariationJson(JSON.stringify(data) ?? 'null', A, 'fuzz.json');
        } catch (e) {
          expect(e).toBeInstanceOf(CapminError);
          expect((e as Error).message).not.toContain('\n');
          expect((e as Error).message).toMatch(/^variation(\[\d+\](\[\d+\](\.\w+|\[".*"\])?)?)?: /);
          return;
        } finally {
          expect(performance.now() - t0).toBeLessThan(500);
        }
        accepted++;
        for (const cell of r) for (const d of cell) expect(Object.keys(d).sort()).toEqual(['dL', 'dW', 'delvto', 'mulu0']);
        const deck = buildDeck(p, { analysis: 'op', level: 3, variation: r });
        for (const line of deck.split('\n').filter((l) => l.startsWith('mc'))) {
          expect(line).toMatch(/^mc\d+_\d [a-z0-9_]+ [a-z0-9_]+ [a-z0-9_]+ 0 nfet w=[-0-9.e]+ l=[-0-9.e]+( delvto=[-0-9.e]+ mulu0=[-0-9.e]+)?$/);
        }
      }),
      { numRuns: 400, seed: 12 },
    );
    expect(accepted).toBeGreaterThan(0);
  });
});

describe('variation sigmas', () => {
  it('refuse unknown keys (a typo would leave that variation off)', () => {
    expect(() => validateSigmas({ ...defaultSigmas(), delVto: 0.05 } as never)).toThrow(
      /^sigma\.delVto: unknown key; allowed keys: delvto, mulu0, dW, dL, globalDelvto, globalMulu0$/,
    );
    expect(() => validateSigmas({ ...defaultSigmas(), toString: 1 } as never)).toThrow(/^sigma\.toString: unknown key/);
    expect(validateSigmas(defaultSigmas())).toEqual(defaultSigmas());
  });
});
