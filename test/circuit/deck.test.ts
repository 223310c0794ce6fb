import { mkdtempSync, writeFileSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { assertSafeForDeck, buildDeck, cellNetlist, conductingCells, levelBits, transistorName } from '../../src/circuit/deck.js';
import { defaultCircuit, validateCircuit } from '../../src/circuit/params.js';
import { zeroVariation } from '../../src/circuit/variation.js';
import { circuitFromArgs } from '../../src/circuit/cli-options.js';
import { main as deckMain } from '../../src/commands/deck.js';
import { sha256 } from '../../src/util/hash.js';

const tmp = mkdtempSync(join(tmpdir(), 'capmin-deck-test-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('buildDeck', () => {
  const p = validateCircuit({});
  it('is deterministic and depends on every input', () => {
    const a = buildDeck(p, { analysis: 'tran', level: 7 });
    const b = buildDeck(validateCircuit({}), { analysis: 'tran', level: 7 });
    expect(a).toBe(b);
    expect(sha256(a)).toBe(sha256(b));
    expect(buildDeck(p, { analysis: 'tran', level: 8 })).not.toBe(a);
    expect(buildDeck(validateCircuit({ cMem: '9.6p' }), { analysis: 'tran', level: 7 })).not.toBe(a);
    const v = zeroVariation(p.a);
    v[3]![1] = { delvto: 0.03, mulu0: 0.9, dW: 1e-9, dL: 0 };
    const withVar = buildDeck(p, { analysis: 'tran', level: 7, variation: v });
    expect(withVar).not.toBe(a);
    expect(withVar).toContain(`${transistorName(3, 1)} c3a hi ml 0 nfet w=6.5e-8 l=1.6e-8 delvto=3e-2 mulu0=9e-1`);
    // nominal variation writes the same deck as no variation
    expect(buildDeck(p, { analysis: 'tran', level: 7, variation: zeroVariation(p.a) })).toBe(a);
  });

  it('emits the measured circuit: 4 NMOS per cell, m conducting, .ic without uic, one thread, only v(ml) saved', () => {
    const d = buildDeck(p, { analysis: 'tran', level: 5 });
    const mos = d.split('\n').filter((l) => /^mc\d+_\d /.test(l));
    expect(mos).toHaveLength(4 * p.a);
    expect(mos.every((l) => / nfet w=6\.4e-8 l=1\.6e-8$/.test(l))).toBe(true);
    expect((d.match(/ conducting$/gm) ?? []).length).toBe(5);
    expect(d).toContain('.ic v(ml)=0');
    expect(d).not.toMatch(/\buic\b/);
    expect(d).toContain('.options num_threads=1');
    expect(d).toContain('.save v(ml)\n');
    expect(d).toMatch(/^stop when v\(ml\) > /m);
    expect(d).toContain(`cmem ml 0 1e-11`);
    const c = buildDeck(p, { analysis: 'tran', level: 5, clocked: true });
    expect(c).toContain('d_dff');
    expect(c).toContain('.save v(ml) v(spk)');
    expect(buildDeck(p, { analysis: 'dcsweep', level: 5 })).toContain('.dc vml 0 2.25e-1 1e-3');
    expect(buildDeck(p, { analysis: 'op', level: 5 })).toContain('vml ml 0 dc 0');
  });

  it('wires a cell to conduct iff weight != input', () => {
    for (const w of [false, true]) {
      for (const x of [false, true]) {
        const lines = cellNetlist(0, { w, x }, p);
        // a branch conducts when both its gates are at the high node
        const gate = (l: string) => l.split(' ')[2];
        const b1 = gate(lines[0]!) === 'hi' && gate(lines[1]!) === 'hi';
        const b2 = gate(lines[2]!) === 'hi' && gate(lines[3]!) === 'hi';
        expect(b1 || b2).toBe(w !== x);
      }
    }
    expect(conductingCells(levelBits(32, 13))).toBe(13);
  });
});

describe('injection and range checks', () => {
  it('refuses deck-unsafe strings with a one-line error naming the field', () => {
    for (const bad of ['x\n.control', '.control', 'a shell rm', 'x$y', 'a`b`', '.include /etc/passwd', 'a\rb', "it's"]) {
      expect(() => assertSafeForDeck('title', bad)).toThrow(/^title: must not contain/);
    }
    expect(assertSafeForDeck('title', 'capmin run 3')).toBe('capmin run 3');
    const p = defaultCircuit();
    expect(() => buildDeck(p, { analysis: 'tran', title: 'ok\n.control\nshell rm -rf /\n.endc' })).toThrow(/^title: /);
    expect(() => buildDeck(p, { analysis: 'tran', rawPath: 'out.raw\nshell ls' })).toThrow(/^rawPath: /);
  });

  it('refuses a newline in a value and out-of-range values, naming field and range', () => {
    expect(() => validateCircuit({ cMem: '10p\n.control' })).toThrow(/^cMem: .*not a number/);
    expect(() => validateCircuit({ cMem: '1' })).toThrow(/^cMem: 1 F is out of range; allowed range 1 fF \.\. 10 nF$/);
    expect(() => validateCircuit({ fClk: '2T' })).toThrow(/^fClk: .*allowed range 1 MHz \.\. 100 GHz/);
    expect(() => validateCircuit({ vth: '0.9' })).toThrow(/^vth: .*below v0/);
    expect(() => validateCircuit({ a: '2.5' })).toThrow(/^a: must be an integer/);
    expect(() => validateCircuit({ tempC: '1k' })).toThrow(/^tempC: .*out of range/);
    expect(() => circuitFromArgs({ cap: '5n0' })).toThrow(/^--cap \(cMem\): /);
    expect(validateCircuit({ cMem: '9.6p', fClk: '2G', wN: '64nm' })).toMatchObject({ cMem: 9.6e-12, fClk: 2e9, wN: 64e-9 });
  });

  it('checks the model card path and content', () => {
    const good = join(tmp, 'good.pm');
    writeFileSync(good, readFileSync(defaultCircuit().modelCard));
    expect(validateCircuit({ modelCard: good }).modelCard).toBe(good);
    const cases: Array<[string, RegExp]> = [
      ['.control\nshell touch /tmp/pwned\n.endc\n.model nfet nmos level=54\n', /modelCard: line 1 .*only \.model cards/],
      ['.model nfet nmos level=54\nshell ls\n', /modelCard: line 2/],
      ['.include /etc/passwd\n.model nfet nmos level=54\n', /modelCard: line 1/],
      ['.model pfet pmos level=54\n', /does not define '\.model nfet nmos'/],
      ['.model nfet nmos level=54\n+vth0={v(1)+2}\n', /modelCard: line 2 .*not one of the allowed math functions/],
    ];
    cases.forEach(([text, re], i) => {
      const f = join(tmp, `bad${i}.pm`);
      writeFileSync(f, text);
      expect(() => validateCircuit({ modelCard: f })).toThrow(re);
    });
    expect(() => validateCircuit({ modelCard: join(tmp, 'missing.pm') })).toThrow(/modelCard: .*does not exist/);
    expect(() => validateCircuit({ modelCard: tmp })).toThrow(/modelCard: .*not a regular file/);
    expect(() => validateCircuit({ modelCard: `${good}\n.control` })).toThrow(/modelCard: path must not contain newlines/);
    expect(() => validateCircuit({ modelCard: `${good}"` })).toThrow(/modelCard: path must not contain/);
  });

  it('capmin deck writes the same deck as buildDeck and refuses injection', async () => {
    const out = join(tmp, 'd.cir');
    await deckMain(['--level', '4', '--cap', '10p', '--out', out]);
    expect(readFileSync(out, 'utf8')).toBe(buildDeck(validateCircuit({ tStop: '200n' }), { analysis: 'tran', level: 4 }));
    await expect(deckMain(['--cap', '10p\n.control'])).rejects.toThrow(/--cap \(cMem\)/);
    await expect(deckMain(['--model-card', '/etc/passwd'])).rejects.toThrow(/modelCard\): line 1/);
    await expect(deckMain(['--level', '33'])).rejects.toThrow(/level: .*allowed range 0 \.\. 32/);
  });
});

describe('per-instance variation reaches ngspice', () => {
  it('a higher V_T (delvto) or lower mobility (mulu0) on the conducting cells lowers I_init', async () => {
    const { extractIinitFromDeck } = await import('./helpers.js');
    const p = validateCircuit({});
    const nominal = await extractIinitFromDeck(buildDeck(p, { analysis: 'op', level: 4 }));
    const slow = zeroVariation(p.a);
    for (let c = 0; c < 4; c++) for (let t = 0; t < 4; t++) slow[c]![t] = { delvto: 0.03, mulu0: 1, dW: 0, dL: 0 };
    const weak = zeroVariation(p.a);
    for (let c = 0; c < 4; c++) for (let t = 0; t < 4; t++) weak[c]![t] = { delvto: 0, mulu0: 0.8, dW: 0, dL: 0 };
    const fast = zeroVariation(p.a);
    for (let c = 0; c < 4; c++) for (let t = 0; t < 4; t++) fast[c]![t] = { delvto: -0.03, mulu0: 1, dW: 0, dL: 0 };
    const [iSlow, iWeak, iFast] = await Promise.all(
      [slow, weak, fast].map((variation) => extractIinitFromDeck(buildDeck(p, { analysis: 'op', level: 4, variation }))),
    );
    expect(iSlow).toBeLessThan(0.97 * nominal);
    expect(iWeak).toBeLessThan(0.97 * nominal);
    expect(iFast).toBeGreaterThan(1.03 * nominal);
  });
});
