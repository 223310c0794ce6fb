import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { circuitFromArgs } from '../../src/circuit/cli-options.js';
import { defaultCircuitFile, loadCircuitFile } from '../../src/circuit/circuitfile.js';
import { buildDeck, devicesPerCell, variationShape } from '../../src/circuit/deck.js';
import { defaultModelCard, validateCircuit } from '../../src/circuit/params.js';
import { qsDeck, tranBatchDeck } from '../../src/montecarlo/decks.js';
import { sampleArrayVariation, defaultSigmas, zeroSigmas } from '../../src/montecarlo/variation.js';
import { parseRaw, vector } from '../../src/spice/rawfile.js';
import { runNgspiceFile } from '../../src/spice/runner.js';
import { crossingTime, nominalSpikeTimes } from '../../src/spikes/spikes.js';

const tmp = mkdtempSync(join(tmpdir(), 'capmin-circuitfile-test-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const card = readFileSync(defaultModelCard(), 'latin1');
/** The shipped card as a binned model `nch.1` with its threshold shifted by dv [V]. */
function binnedCard(dv: number): string {
  return card
    .replace(/^\.model\s+nfet\s+nmos\s+level\s*=\s*54/m, '.model nch.1 nmos level = 54 lmin = 1e-9 lmax = 1e-5 wmin = 1e-9 wmax = 1e-4')
    .replace(/vth0(\s*)=(\s*)0\.47965/, (_m, a: string, b: string) => `vth0${a}=${b}${(0.47965 + dv).toFixed(5)}`)
    .split('\n')
    .filter((l) => !l.startsWith('*'))
    .join('\n');
}

/** A user cell: other subcircuit name, other port order, separate ground port, binned device `nch`. */
const USER_CELL = `* user cell: ports in another order
.subckt mycell bl vdd_rail gnd sub inb in wgtb wgt vsupply params: vt_a=0 vt_b=0 vt_c=0 vt_d=0
mu1 vsupply wgt n1 sub nch w=64n l=16n delvto={vt_a}
mu2 n1 inb bl sub nch w=64n l=16n delvto={vt_b}
mu3 vsupply wgtb n2 sub nch w=64n l=16n delvto={vt_c}
mu4 n2 in bl sub nch w=64n l=16n delvto={vt_d}
.ends
`;

function write(name: string, text: string): string {
  const p = join(tmp, name);
  mkdirSync(join(p, '..'), { recursive: true });
  writeFileSync(p, text);
  return p;
}

/** A user circuit folder: the cell, a two-section .lib (slow = +50 mV threshold) and the circuit file. */
function userCircuit(dir: string, opts: { cell?: string; lib?: string } = {}): string {
  write(`${dir}/cells/mycell.sp`, opts.cell ?? USER_CELL);
  write(`${dir}/pdk/nch-tt.mdl`, binnedCard(0));
  write(`${dir}/pdk/nch-slow.mdl`, binnedCard(0.05));
  write(`${dir}/pdk/corners.lib`, opts.lib ?? '.lib tt\n.include nch-tt.mdl\n.endl tt\n\n.lib slow\n.include nch-slow.mdl\n.endl slow\n');
  return write(
    `${dir}/circuit.yaml`,
    `name: my cell
cell:
  file: cells/mycell.sp
  subckt: mycell
  ports: { bl: ml, vdd_rail: vdd, gnd: gnd, sub: bulk, inb: xb, in: x, wgtb: wb, wgt: w, vsupply: v0 }
variation:
  devices:
    - { instance: mu1, delvto: vt_a }
    - { instance: mu2, delvto: vt_b }
    - { instance: mu3, delvto: vt_c }
    - { instance: mu4, delvto: vt_d }
corners:
  tt: { lib: [{ file: pdk/corners.lib, section: tt }], temp: 27 }
  slow: { lib: [{ file: pdk/corners.lib, section: slow }], temp: 27 }
corner: tt
`,
  );
}

const LEVELS = [1, 4, 8];
const small = { cells: '8', cap: '1p' };

describe('circuit files (real ngspice)', () => {
  it('a user cell with another name and port order gives the built-in cell’s spike times; its slow section is slower', async () => {
    const file = userCircuit('u1');
    const tt = circuitFromArgs({ ...small, circuit: file });
    const slow = circuitFromArgs({ ...small, circuit: file, corner: 'slow' });
    const flat = circuitFromArgs(small);
    expect(tt.circuit?.corner).toBe('tt');
    expect(slow.circuit?.corner).toBe('slow');
    const deck = buildDeck(tt, { analysis: 'tran', level: 2 });
    expect(deck).toMatch(/^x0 ml hi 0 0 hi 0 0 hi v0 mycell$/m); // port order of mycell, level 2: cell 0 conducts (w=1, x=0)
    expect(deck).toContain(`.lib "${join(tmp, 'u1/pdk/corners.lib')}" tt`);
    const [rt, rs, rf] = await Promise.all([
      nominalSpikeTimes(tt, LEVELS, { progress: false }),
      nominalSpikeTimes(slow, LEVELS, { progress: false }),
      nominalSpikeTimes(flat, LEVELS, { progress: false }),
    ]);
    for (let i = 0; i < LEVELS.length; i++) {
      // same devices (binned copy of the same card), so the same circuit: equal to well under a picosecond
      expect(Math.abs(rt[i]!.tCross! - rf[i]!.tCross!)).toBeLessThan(1e-12);
      expect(rs[i]!.tCross!).toBeGreaterThan(rt[i]!.tCross! * 1.05);
      expect(rs[i]!.iInit).toBeLessThan(rt[i]!.iInit);
    }
  }, 60_000);

  it('the shipped default circuit file reproduces the built-in decks’ nominal spike times at 10 pF', async () => {
    const levels = [0, 1, 2, 16, 31, 32];
    const viaFile = circuitFromArgs({ cap: '10p', circuit: defaultCircuitFile() });
    const builtIn = circuitFromArgs({ cap: '10p' });
    expect(viaFile.circuit?.corner).toBe('tt');
    expect({ ...viaFile, circuit: undefined, modelCard: '' }).toEqual({ ...builtIn, circuit: undefined, modelCard: '' });
    const [a, b] = await Promise.all([nominalSpikeTimes(viaFile, levels, { progress: false }), nominalSpikeTimes(builtIn, levels, { progress: false })]);
    for (let i = 0; i < levels.length; i++) {
      expect(a[i]!.clockCycle).toBe(b[i]!.clockCycle);
      if (b[i]!.tCross === null) expect(a[i]!.tCross).toBeNull();
      else expect(Math.abs(a[i]!.tCross! - b[i]!.tCross!)).toBeLessThan(1e-12);
      expect(Math.abs(a[i]!.iInit - b[i]!.iInit)).toBeLessThanOrEqual(1e-9 * b[i]!.iInit);
    }
    // the shipped ss corner is slower than tt, ff faster
    const ss = circuitFromArgs({ cap: '10p', corner: 'ss' });
    const ff = circuitFromArgs({ cap: '10p', corner: 'ff' });
    const [s16, f16] = await Promise.all([nominalSpikeTimes(ss, [16], { progress: false }), nominalSpikeTimes(ff, [16], { progress: false })]);
    expect(s16[0]!.tCross!).toBeGreaterThan(a[3]!.tCross!);
    expect(f16[0]!.tCross!).toBeLessThan(a[3]!.tCross!);
  }, 60_000);

  it('the 6-transistor cell: batched transient alters the subcircuit devices like instance-line values', async () => {
    const p = circuitFromArgs({ ...small, circuit: join(defaultCircuitFile(), '../xnor6t.yaml') });
    expect(devicesPerCell(p)).toBe(6);
    const s = { ...zeroSigmas(), delvto: 0.03, mulu0: 0.03 };
    const v = sampleArrayVariation(7, 0xffff, 3, p.a, s, variationShape(p));
    expect(v[0]).toHaveLength(6);
    const level = 4;
    const t = async (deck: string, file: string) => {
      const r = await runNgspiceFile(deck, file);
      const plots = parseRaw(r.data);
      return plots.map((pl) => crossingTime(vector(pl, 'time'), vector(pl, 'v(ml)'), p.vth));
    };
    const [written, nominal, batch] = await Promise.all([
      t(buildDeck(p, { analysis: 'tran', level, variation: v }), 'out.raw'),
      t(buildDeck(p, { analysis: 'tran', level }), 'out.raw'),
      t(tranBatchDeck(p, level, [v], s, { window: p.tStop, rawPath: 'tran.raw' }), 'tran.raw'),
    ]);
    expect(batch).toHaveLength(1);
    expect(Math.abs(batch[0]! - written[0]!)).toBeLessThan(1e-13);
    expect(Math.abs(written[0]! - nominal[0]!)).toBeGreaterThan(1e-12); // the variation did reach the devices
    // quasi-static deck: a conducting state carries far more current than a matching one
    const qs = await runNgspiceFile(qsDeck(p, [v], { rawPath: 'qs.raw' }), 'qs.raw');
    const plot = parseRaw(qs.data)[0]!;
    const on = vector(plot, 'i(vs0_0_1)')[0]!;
    const off = vector(plot, 'i(vs0_0_0)')[0]!;
    expect(on).toBeGreaterThan(100 * Math.abs(off));
  }, 60_000);
});

describe('circuit files: checks', () => {
  it('Pelgrom scaling multiplies σ by sqrt(Wref·Lref / (W·L)) and leaves the draws otherwise unchanged', () => {
    const p = validateCircuit({ a: 4 });
    const base = sampleArrayVariation(1, 2, 3, 4, defaultSigmas());
    expect(sampleArrayVariation(1, 2, 3, 4, defaultSigmas(), variationShape(p))).toEqual(base);
    const scaled = sampleArrayVariation(1, 2, 3, 4, { ...defaultSigmas(), mulu0: 0 }, { devices: 4, scale: [2, 2, 2, 2] });
    const plain = sampleArrayVariation(1, 2, 3, 4, { ...defaultSigmas(), mulu0: 0 });
    expect(scaled[1]![2]!.delvto).toBeCloseTo(2 * plain[1]![2]!.delvto, 6);
  });

  it('refuses .control, *# and shell in the cell file and in a file reached through .lib, naming file and line', () => {
    const bad: Array<[string, Parameters<typeof userCircuit>[1], RegExp]> = [
      ['c1', { cell: `${USER_CELL}.control\nshell rm -rf /\n.endc\n` }, /line 8 of .*mycell\.sp: '\.control/],
      ['c2', { cell: USER_CELL.replace('.ends', '*# shell touch /tmp/x\n.ends') }, /line 7 of .*mycell\.sp: '\*#' lines/],
      ['c3', { lib: '.lib tt\n.include nch-tt.mdl\nshell touch /tmp/pwned\n.endl tt\n' }, /line 3 of .*corners\.lib: 'shell' is an ngspice command/],
      ['c4', { lib: '.lib tt\n.include nch-tt.mdl\n.endl tt\n.lib slow\n.control\nrun\n.endc\n.endl slow\n' }, /line 5 of .*corners\.lib: '\.control'/],
    ];
    for (const [dir, opts, re] of bad) {
      const file = userCircuit(dir, opts);
      expect(() => loadCircuitFile(file), dir).toThrow(re);
    }
    // one level further: a model file the .lib section includes
    const deep = userCircuit('c5');
    writeFileSync(join(tmp, 'c5/pdk/nch-slow.mdl'), `${binnedCard(0.05)}\n*# shell touch /tmp/pwned\n`);
    expect(() => loadCircuitFile(deep, 'slow')).toThrow(/line \d+ of .*nch-slow\.mdl: '\*#' lines are run by ngspice as commands/);
    // the injected line in the tt section of c4 is refused even when the tt corner is chosen (the whole file is checked)
    expect(() => circuitFromArgs({ circuit: join(tmp, 'c4/circuit.yaml'), corner: 'tt' })).toThrow(/line 5 of .*corners\.lib/);
  });

  it('a malformed circuit file is a one-line error naming the key path and what is allowed', () => {
    const file = userCircuit('m1');
    const text = readFileSync(file, 'utf8');
    const cases: Array<[string, string, RegExp]> = [
      ['role.yaml', text.replace('bl: ml', 'bl: match'), /cell\.ports\.bl: must be one of ml, v0, w, wb, x, xb, gnd, bulk, vdd$/],
      ['key.yaml', text.replace('variation:', 'variations:'), /variations: unknown key; allowed keys: name, cell, models, variation, corners, corner/],
      ['dev.yaml', text.replace('{ instance: mu2, delvto: vt_b }', '{ instance: mu2, delvto: vt_x }'), /variation\.devices\[1\]\.delvto: 'vt_x' is not a parameter of mycell/],
      ['inst.yaml', text.replace('instance: mu3', 'instance: mu9'), /variation\.devices\[2\]\.instance: 'mu9' is not an instance of mycell/],
      ['port.yaml', text.replace('sub: bulk, ', ''), /cell\.ports\.sub: port of mycell has no role/],
      ['temp.yaml', text.replace('temp: 27 }\n  slow', 'temp: 500 }\n  slow'), /corners\.tt\.temp: .*out of range/],
      ['sub.yaml', text.replace('subckt: mycell', 'subckt: other'), /cell\.subckt: '\.subckt other' is not defined/],
    ];
    for (const [name, t, re] of cases) {
      const f = join(tmp, 'm1', name);
      writeFileSync(f, t);
      let msg = '';
      try {
        loadCircuitFile(f);
      } catch (e) {
        msg = (e as Error).message;
      }
      expect(msg, name).toMatch(re);
      expect(msg, name).toMatch(/^--circuit /);
      expect(msg).not.toContain('\n');
    }
    expect(() => circuitFromArgs({ circuit: file, corner: 'fast' })).toThrow(/^--corner: 'fast' is not a corner of .*; allowed: tt, slow/);
    expect(() => circuitFromArgs({ circuit: file, 'model-card': defaultModelCard() })).toThrow(/^--model-card: cannot be combined/);
    const json = join(tmp, 'm1', 'c.json');
    writeFileSync(json, JSON.stringify({ cell: { file: 'x', subckt: 'a b' } }));
    expect(() => loadCircuitFile(json)).toThrow(/cell\.subckt: must be a plain subcircuit name/);
  });

  it('the circuit is part of the parameters, so cache keys follow the cell, the model files and the corner', () => {
    const file = userCircuit('k1');
    const a = circuitFromArgs({ circuit: file });
    const deckA = buildDeck(a, { analysis: 'op', level: 3 });
    writeFileSync(join(tmp, 'k1/pdk/nch-tt.mdl'), `${binnedCard(0)}\n* edited\n`);
    // the loaded spec no longer matches the edited file: writing a deck from it is refused
    expect(() => buildDeck(a, { analysis: 'op', level: 3 })).toThrow(/changed since it was loaded/);
    const b = circuitFromArgs({ circuit: file });
    expect(b.circuit!.files.map((f) => f.sha256)).not.toEqual(a.circuit!.files.map((f) => f.sha256));
    expect(buildDeck(b, { analysis: 'op', level: 3 })).not.toBe(deckA);
    expect(buildDeck(circuitFromArgs({ circuit: file, corner: 'slow' }), { analysis: 'op', level: 3 })).not.toBe(buildDeck(b, { analysis: 'op', level: 3 }));
    // command-line circuit options override the corner's values
    expect(circuitFromArgs({ circuit: file, temp: '85' }).tempC).toBe(85);
    expect(circuitFromArgs({ circuit: file }).tempC).toBe(27);
  });
});
