import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { checkSpiceChain, checkSpiceText, expressionProblem, MAX_LINE_LENGTH } from '../../src/circuit/safety.js';
import { buildDeck, modelInclude } from '../../src/circuit/deck.js';
import { checkModelCard, defaultCircuit, defaultModelCard, modelCardSha256, validateCircuit } from '../../src/circuit/params.js';
import { CapminError } from '../../src/util/errors.js';

// ngspice lower-cases deck text (also `*#` lines), so marker paths must be lower case
const base = tmpdir() === tmpdir().toLowerCase() ? tmpdir() : '/tmp';
const made = mkdtempSync(join(base, 'capmin-safety-'));
const tmp = made.replace(/[^/]*$/, (n) => n.toLowerCase());
mkdirSync(tmp, { recursive: true });
afterAll(() => {
  rmSync(tmp, { recursive: true, force: true });
  rmSync(made, { recursive: true, force: true });
});

const CARD = readFileSync(defaultModelCard(), 'latin1');
/** 1-based line of the card holding `text`. */
const lineOf = (text: string) => CARD.split('\n').findIndex((l) => l.includes(text)) + 1;
let seq = 0;
function fresh(name: string): string {
  const d = join(tmp, `${name}-${seq++}`);
  mkdirSync(d, { recursive: true });
  return d;
}

/** One hostile variant: files to write (relative to its folder), the root card, and the file:line the error must name. */
interface Variant {
  name: string;
  files: (dir: string, marker: string) => Record<string, string>;
  /** file (relative) and line the error names */
  at: [string, number];
  /** true when the installed ngspice runs the command if the card reaches it unchecked */
  runsInNgspice?: boolean;
}

const shell = (m: string) => `shell touch ${m}`;
const VARIANTS: Variant[] = [
  { name: 'star-hash at the start', files: (_d, m) => ({ 'card.pm': `*# ${shell(m)}\n${CARD}` }), at: ['card.pm', 1], runsInNgspice: true },
  { name: 'star-hash after leading spaces', files: (_d, m) => ({ 'card.pm': `   *# ${shell(m)}\n${CARD}` }), at: ['card.pm', 1], runsInNgspice: true },
  {
    name: 'star-hash after a tab',
    files: (_d, m) => ({ 'card.pm': `${CARD}\t*# ${shell(m)}\n` }),
    at: ['card.pm', CARD.split('\n').length],
    runsInNgspice: true,
  },
  {
    name: 'star-hash as the last line without newline',
    files: (_d, m) => ({ 'card.pm': `${CARD}*# ${shell(m)}` }),
    at: ['card.pm', CARD.split('\n').length],
    runsInNgspice: true,
  },
  { name: 'star-CR-hash (ngspice drops every CR)', files: (_d, m) => ({ 'card.pm': `*\r# ${shell(m)}\n${CARD}` }), at: ['card.pm', 1], runsInNgspice: true },
  { name: 'hash-hash (ngspice turns # into *)', files: (_d, m) => ({ 'card.pm': `## ${shell(m)}\n${CARD}` }), at: ['card.pm', 1] },
  { name: 'BOM before star-hash', files: (_d, m) => ({ 'card.pm': `${CARD}\xef\xbb\xbf*# ${shell(m)}\n` }), at: ['card.pm', CARD.split('\n').length] },
  {
    name: '.control block',
    files: (_d, m) => ({ 'card.pm': `${CARD}.control\n${shell(m)}\n.endc\n` }),
    at: ['card.pm', CARD.split('\n').length],
    runsInNgspice: true,
  },
  {
    name: 'upper-case indented .CONTROL',
    files: (_d, m) => ({ 'card.pm': `  .CONTROL\n${shell(m)}\n.ENDC\n${CARD}` }),
    at: ['card.pm', 1],
    runsInNgspice: true,
  },
  { name: 'shell line', files: (_d, m) => ({ 'card.pm': `${CARD}${shell(m)}\n` }), at: ['card.pm', CARD.split('\n').length] },
  {
    name: '{…} on a .model line',
    files: () => ({ 'card.pm': CARD.replace('.model  nfet  nmos  level = 54', '.model  nfet  nmos  level = {54+v(x)}') }),
    at: ['card.pm', lineOf('.model  nfet')],
  },
  { name: '{…} on a + line', files: () => ({ 'card.pm': CARD.replace('+xl      = -6.5e-9', '+xl      = {agauss(0,1,3)}') }), at: ['card.pm', lineOf('+xl ')] },
  {
    name: "'…' expression on a + line",
    files: () => ({ 'card.pm': CARD.replace('+xl      = -6.5e-9', "+xl      = 'def(x)'") }),
    at: ['card.pm', lineOf('+xl ')],
  },
  {
    name: 'backslash continuation hiding a comment line',
    files: () => ({ 'card.pm': CARD.replace('+xl      = -6.5e-9', '+xl      = -6.5e-9 \\\\\n* {v(1)}') }),
    at: ['card.pm', lineOf('+xl ')],
  },
  {
    name: "star-hash in an .include'd file",
    files: (d, m) => ({ 'card.pm': `.include "${join(d, 'sub', 'evil.inc')}"\n${CARD}`, 'sub/evil.inc': `* ok\n*# ${shell(m)}\n` }),
    at: ['sub/evil.inc', 2],
    runsInNgspice: true,
  },
  {
    name: 'star-hash two includes deep, relative path',
    files: (_d, m) => ({ 'card.pm': `.inc sub/a.inc\n${CARD}`, 'sub/a.inc': '.include b.inc\n', 'sub/b.inc': `.control\n${shell(m)}\n.endc\n` }),
    at: ['sub/b.inc', 1],
    runsInNgspice: true,
  },
  {
    name: 'star-hash in a .lib FILE SECTION file',
    files: (d, m) => ({ 'card.pm': `.lib '${join(d, 'corners.lib')}' tt\n`, 'corners.lib': `.lib tt\n${CARD}.endl tt\n.lib ss\n  *# ${shell(m)}\n.endl\n` }),
    at: ['corners.lib', CARD.split('\n').length + 3],
  },
];

function writeVariant(v: Variant): { dir: string; card: string; marker: string } {
  const dir = fresh('v');
  const marker = join(dir, 'pwned');
  for (const [rel, text] of Object.entries(v.files(dir, marker))) {
    mkdirSync(join(dir, rel, '..'), { recursive: true });
    writeFileSync(join(dir, rel), Buffer.from(text, 'latin1'));
  }
  return { dir, card: join(dir, 'card.pm'), marker };
}

function caught(f: () => unknown): CapminError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(CapminError);
    return e as CapminError;
  }
  throw new Error('expected a CapminError');
}

describe('the deck-safety rule refuses every way a card can carry a command', () => {
  for (const v of VARIANTS) {
    it(`${v.name}: one-line error naming file and line`, () => {
      const { dir, card, marker } = writeVariant(v);
      const e = caught(() => checkModelCard(card));
      expect(e.message).not.toContain('\n');
      expect(e.message).toMatch(new RegExp(`^modelCard: line ${v.at[1]} of ${join(dir, v.at[0]).replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: `));
      expect(e.exitCode).toBe(2);
      expect(existsSync(marker)).toBe(false);
    });
  }

  it('the variants are real: unchecked, the installed ngspice runs the command', () => {
    // guards the tests above: the payloads must be effective for the ngspice capmin uses
    for (const v of VARIANTS.filter((x) => x.runsInNgspice)) {
      const { dir, card, marker } = writeVariant(v);
      const deck = join(dir, 'deck.cir');
      writeFileSync(deck, `probe\n.include "${card}"\nr1 1 0 1k\nv1 1 0 1\n.op\n.end\n`);
      try {
        execFileSync('ngspice', ['-b', '-n', deck], { cwd: dir, stdio: 'ignore', timeout: 30_000 });
      } catch {
        // ngspice may report errors after running the command; the marker decides
      }
      expect(existsSync(marker), v.name).toBe(true);
    }
  });

  it('the shipped card passes, defines nfet, and real ngspice still runs a deck including it', async () => {
    const files = checkModelCard(defaultModelCard());
    expect(files).toHaveLength(1);
    expect(files[0]!.sha256).toMatch(/^[0-9a-f]{64}$/);
    const p = validateCircuit({});
    expect(modelInclude(p)).toBe(`.include "${defaultModelCard()}"`);
    const { extractIinitFromDeck } = await import('./helpers.js');
    const i = await extractIinitFromDeck(buildDeck(p, { analysis: 'op', level: 4 }));
    expect(i).toBeGreaterThan(1e-6);
    expect(i).toBeLessThan(1e-3);
  });

  it('a card edited after validation is checked again before it reaches a deck', () => {
    const dir = fresh('edit');
    const card = join(dir, 'card.pm');
    writeFileSync(card, CARD);
    const p = validateCircuit({ modelCard: card });
    expect(buildDeck(p, { analysis: 'op', level: 1 })).toContain(`.include "${card}"`);
    writeFileSync(card, `${CARD}*# shell touch ${join(dir, 'x')}\n* size changes\n`);
    expect(() => buildDeck(p, { analysis: 'op', level: 1 })).toThrow(/^modelCard: line \d+ of .*card\.pm: '\*#' lines are run by ngspice as commands/);
  });

  it('refuses NUL and control characters, overlong lines, $, backquotes, double quotes, forbidden code models', () => {
    const bad: Array<[string, RegExp]> = [
      [`${CARD}* nul \0 here\n`, /control character U\+0000 \(NUL\)/],
      [`${CARD}\x0b*# x\n`, /control character U\+000B/],
      [`${CARD}+x${'1'.repeat(MAX_LINE_LENGTH)}\n`, /longer than 8192/],
      [`${CARD}+vth0=1$x\n`, /'\$'/],
      [`${CARD}+vth0=\`ls\`\n`, /backquote/],
      [`${CARD}+file="x"\n`, /double-quoted/],
      [`${CARD}.model p1 d_process (process_file="x")\n`, /double-quoted|d_process/],
      [`${CARD}.model p1 filesource\n`, /reads files or starts programs/],
      [`${CARD}.libsave x.lib tt\n`, /\.libsave/],
      [`${CARD}.incpslt x\n`, /not \.include/],
      [`${CARD}.param a=1\n`, /only \.model cards/],
      [`${CARD}m1 d g s b nfet\n`, /not a \.model card/],
      [`+vth0=1\n${CARD}`, /continuation line with no card before it/],
      [`${CARD}@\n`, /stop reading/],
      [`*ng_script\n${CARD}`, /command script/],
      [`${CARD}.endcx\n`, /command block/],
      [`${CARD}pre_osdi x.osdi\n`, /ngspice command/],
    ];
    bad.forEach(([text, re], k) => {
      const e = caught(() => checkSpiceText(text, { file: `/x/${k}.pm`, field: 'modelCard', profile: 'models' }));
      expect(e.message, String(k)).toMatch(re);
      expect(e.message).toMatch(new RegExp(`^modelCard: line \\d+ of /x/${k}\\.pm: `));
    });
  });

  it('reads comments and continuations as ngspice does', () => {
    const ok = (t: string) => checkSpiceText(t, { file: 'f', field: 'f', profile: 'models' });
    expect(ok(`${CARD}+vth0 = 0.4 ; a comment with {braces} and 'quotes'\n`)).toBeTruthy();
    expect(ok(`${CARD}+vth0 = 0.4 // a comment with {braces}\n`)).toBeTruthy();
    expect(ok(`${CARD}* shell is fine in a comment, {also}\n# and here\n\n+ vth0 = {0.4 + 2*dvt}\n`)).toBeTruthy();
    expect(ok(`${CARD}+ k1 = {sqrt(2)*1.5e-3meg}\n`)).toBeTruthy();
    expect(ok(`.model nfet.1 nmos level=54 lmin=1n\n+ vth0 = 0.4 $ inline dollar comment\r\n`)).toBeTruthy();
    // a quote before ';' means ngspice does not take ';' for a comment: the text after it is checked
    expect(() => ok(`${CARD}+vth0 = '1' ; {v(1)}\n`)).toThrow(/not one of the allowed math functions/);
    // a '+' line after comment lines still continues the .model card; after an .include it would continue a hidden card
    expect(() => ok(`.include /x.inc\n+ vth0=1\n`)).toThrow(/continues '\.include'/);
  });
});

describe('every other text a deck receives', () => {
  it('raw-file names and titles of the Monte-Carlo decks are checked', async () => {
    const { qsDeck, tranBatchDeck } = await import('../../src/montecarlo/decks.js');
    const { deckPreamble } = await import('../../src/circuit/deck.js');
    const { zeroSigmas } = await import('../../src/montecarlo/variation.js');
    const { zeroVariation } = await import('../../src/circuit/variation.js');
    const p = validateCircuit({});
    expect(() => qsDeck(p, [zeroVariation(p.a)], { rawPath: 'qs.raw\nshell touch x' })).toThrow(/^rawPath: /);
    expect(() => tranBatchDeck(p, 3, [zeroVariation(p.a)], zeroSigmas(), { window: 1e-9, rawPath: 'a b' })).toThrow(/^rawPath: /);
    expect(() => deckPreamble(p, 'title\n.control')).toThrow(/^title: /);
    expect(() => deckPreamble(p, 'x'.repeat(6000))).toThrow(/^title: /);
    expect(qsDeck(p, [zeroVariation(p.a)])).toContain('write qs.raw');
    // a card path that cannot be embedded verbatim is refused where the .include line is written
    expect(() => modelInclude({ ...p, modelCard: 'models/ptm16hp-nmos.pm' })).toThrow(/^modelCard: .*must be an absolute path/);
    expect(() => modelInclude({ ...p, modelCard: `${p.modelCard}"\n.control` })).toThrow(/^modelCard: path must not contain/);
  });

  it('a card reaching other files puts their hashes into the deck, so deck-content cache keys follow them', () => {
    const d = fresh('hash');
    writeFileSync(join(d, 'card.pm'), `.include sub.inc\n`);
    writeFileSync(join(d, 'sub.inc'), CARD);
    const p = validateCircuit({ modelCard: join(d, 'card.pm') });
    const a = buildDeck(p, { analysis: 'op', level: 1 });
    const h = modelCardSha256(p.modelCard);
    expect(a).toMatch(/^\* model files: [0-9a-f]{16}$/m);
    writeFileSync(join(d, 'sub.inc'), `${CARD}* edited\n`);
    expect(buildDeck(p, { analysis: 'op', level: 1 })).not.toBe(a);
    expect(modelCardSha256(p.modelCard)).not.toBe(h);
    // a single-file card hashes like the file itself
    expect(modelCardSha256(defaultModelCard())).toBe(createHash('sha256').update(readFileSync(defaultModelCard())).digest('hex'));
    expect(buildDeck(validateCircuit({}), { analysis: 'op', level: 1 })).not.toContain('* model files');
  });
});

describe('expressions', () => {
  it('allows plain arithmetic and whitelisted math only', () => {
    for (const e of ['1', '1.5e-9', '10meg', '-a+b*c/d^2', '(a)', 'max(1,min(2,3))', 'sqrt(w*l)**0.5', ' 1 + 2 ']) expect(expressionProblem(e), e).toBeNull();
    for (const e of ['', 'v(1)', 'agauss(0,1,3)', 'a b', '1+', 'a=1', '"x"', 'a;b', '((((1)', 'temper>1?1:0', 'shell(1)', '1 2'])
      expect(expressionProblem(e), e).not.toBeNull();
    expect(expressionProblem('('.repeat(500) + '1' + ')'.repeat(500))).toMatch(/nested too deeply/);
    expect(expressionProblem('1+'.repeat(1500) + '1')).toMatch(/longer than/);
  });
});

describe('include chains', () => {
  it('follows .include and .lib FILE SECTION relative to the including file and returns every file with its hash', () => {
    const d = fresh('chain');
    mkdirSync(join(d, 'lib'));
    writeFileSync(join(d, 'top.pm'), `* top\n.include "lib/a.inc"\n.lib ${join(d, 'lib', 'c.lib')} ss\n`);
    writeFileSync(join(d, 'lib', 'a.inc'), `.include b.inc\n.include 'b.inc'\n`); // a diamond is no cycle
    writeFileSync(join(d, 'lib', 'b.inc'), '.model nfet nmos level=54\n');
    writeFileSync(
      join(d, 'lib', 'c.lib'),
      `.lib common\n.model pfet pmos level=54\n.endl\n.lib ss\n.lib c.lib common\n.model nss nmos level=54\n.endl\n.lib ff\n.lib missing.lib x\n.endl\n`,
    );
    const r = checkSpiceChain(join(d, 'top.pm'), { field: '--model-card', profile: 'models' });
    expect(r.files.map((f) => f.path)).toEqual(['top.pm', 'lib/a.inc', 'lib/b.inc', 'lib/c.lib'].map((f) => join(d, f)));
    expect(r.files.every((f) => /^[0-9a-f]{64}$/.test(f.sha256))).toBe(true);
    // models of the selected sections only (ff's missing file is never read, as in ngspice)
    expect(r.models.map((m) => m.name).sort()).toEqual(['nfet', 'nfet', 'nss', 'pfet']);
    // the root reached as `.lib FILE SECTION`
    expect(
      checkSpiceChain(join(d, 'lib', 'c.lib'), { field: 'f', profile: 'models', section: 'SS' })
        .models.map((m) => m.name)
        .sort(),
    ).toEqual(['nss', 'pfet']);
    expect(() => checkSpiceChain(join(d, 'lib', 'c.lib'), { field: 'f', profile: 'models', section: 'ff' })).toThrow(
      /^f: line 9 of .*c\.lib: .*missing\.lib does not exist/,
    );
    expect(() => checkSpiceChain(join(d, 'lib', 'c.lib'), { field: 'f', profile: 'models', section: 'xx' })).toThrow(/^f: section 'xx' not found/);
  });

  it('detects include and section cycles, bounds depth, files and bytes, and refuses ambiguous paths', () => {
    const d = fresh('cyc');
    writeFileSync(join(d, 'a.inc'), '.include b.inc\n');
    writeFileSync(join(d, 'b.inc'), '.include a.inc\n');
    expect(() => checkSpiceChain(join(d, 'a.inc'), { field: 'f', profile: 'models' })).toThrow(/^f: line 1 of .*b\.inc: \.include cycle/);
    writeFileSync(join(d, 's.lib'), `.lib x\n.lib s.lib y\n.endl\n.lib y\n.lib s.lib x\n.endl\n`);
    expect(() => checkSpiceChain(join(d, 's.lib'), { field: 'f', profile: 'models', section: 'x' })).toThrow(/\.lib cycle/);
    for (let k = 0; k < 20; k++) writeFileSync(join(d, `n${k}.inc`), `.include n${k + 1}.inc\n`);
    writeFileSync(join(d, 'n20.inc'), '* end\n');
    expect(() => checkSpiceChain(join(d, 'n0.inc'), { field: 'f', profile: 'models' })).toThrow(/nesting deeper than 16/);
    expect(() => checkSpiceChain(join(d, 'n0.inc'), { field: 'f', profile: 'models', maxFiles: 3 })).toThrow(/more than 3 files/);
    writeFileSync(join(d, 'big.inc'), `${'* x\n'.repeat(1000)}`);
    expect(() => checkSpiceChain(join(d, 'big.inc'), { field: 'f', profile: 'models', maxBytes: 100 })).toThrow(/^f: /);
    writeFileSync(join(d, 'r.inc'), '.lib rel.lib tt\n');
    expect(() => checkSpiceChain(join(d, 'r.inc'), { field: 'f', profile: 'models' })).toThrow(/relative; ngspice resolves it against its working folder/);
    writeFileSync(join(d, 'w.inc'), '.include deck.cir\n');
    expect(() => checkSpiceChain(join(d, 'w.inc'), { field: 'f', profile: 'models' })).toThrow(/capmin's own file/);
    writeFileSync(join(d, 'e.inc'), '.include $HOME/x.inc\n');
    expect(() => checkSpiceChain(join(d, 'e.inc'), { field: 'f', profile: 'models' })).toThrow(/line 1 of .*e\.inc: .*\$/);
    writeFileSync(join(d, 'fifo-like.inc'), '.include /dev/zero\n');
    expect(() => checkSpiceChain(join(d, 'fifo-like.inc'), { field: 'f', profile: 'models' })).toThrow(/a device; a regular file is required/);
  });

  it('a netlist profile allows cells but keeps the rule', () => {
    const t = (s: string) => checkSpiceText(s, { file: 'c.sp', field: 'cell', profile: 'netlist' });
    expect(t('.subckt xnor ml v0 w wb x xb gnd params: dvt_a=0\nm1 v0 w a gnd nfet w=64n l=16n delvto={dvt_a}\n.ends\n.param k = {2*a} b = 3\n')).toHaveLength(
      0,
    );
    expect(() => t('cd 1 0 1p\n')).toThrow(/'cd' is an ngspice command; refused \(rename the element/);
    expect(() => t('.param a = v(1)\n')).toThrow(/\.param a: .*allowed math functions/);
    expect(() => t('.control\n')).toThrow(/command block/);
  });
});

describe('fuzz: model-card checking', () => {
  it('any text gives a result or a one-line CapminError, fast, and never runs a command', () => {
    const marker = join(tmp, 'fuzz-marker');
    const pieces = [
      '*#',
      '#',
      '*',
      ' ',
      '\t',
      '\r',
      '\n',
      '\0',
      '+',
      '.control',
      '.endc',
      '.model nfet nmos',
      '.include',
      '.lib',
      '{',
      '}',
      "'",
      '"',
      ';',
      '$',
      '//',
      '\\\\',
      `shell touch ${marker}`,
      'v(1)',
      'sqrt(2)',
      '1e-9',
      '\xef\xbb\xbf',
      'set',
      '.param',
      '@',
    ];
    const text = fc.oneof(
      fc.string({ maxLength: 200 }),
      fc.array(fc.constantFrom(...pieces), { maxLength: 40 }).map((a) => a.join('')),
    );
    fc.assert(
      fc.property(text, (t) => {
        const t0 = Date.now();
        try {
          checkSpiceText(t, { file: '/f.pm', field: 'modelCard', profile: 'models' });
        } catch (e) {
          expect(e).toBeInstanceOf(CapminError);
          expect((e as Error).message).not.toContain('\n');
          expect((e as Error).message).toMatch(/^modelCard: line \d+ of \/f\.pm: /);
        }
        expect(Date.now() - t0).toBeLessThan(500);
        return true;
      }),
      { numRuns: 3000, seed: 10 },
    );
    expect(existsSync(marker)).toBe(false);
  });

  it('checkModelCard on fuzzed files (with includes): a file list or a one-line CapminError', () => {
    const d = fresh('fzc');
    writeFileSync(join(d, 'ok.inc'), CARD);
    writeFileSync(join(d, 'bad.inc'), '*# shell touch x\n');
    const pieces = [
      '.include ok.inc\n',
      '.include bad.inc\n',
      '.include nothere.inc\n',
      `.lib ${join(d, 'ok.inc')} tt\n`,
      '.include card.pm\n',
      '* c\n',
      '+ a=1\n',
      '{',
      "'",
      '\n',
      CARD,
    ];
    let k = 0;
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...pieces), { maxLength: 6 }), (a) => {
        const card = join(d, `card${k++ % 5}.pm`);
        writeFileSync(card, a.join(''));
        try {
          const files = checkModelCard(card);
          expect(files[0]!.path).toBe(card);
        } catch (e) {
          expect(e).toBeInstanceOf(CapminError);
          expect((e as Error).message).not.toContain('\n');
          expect((e as Error).message).toMatch(/^modelCard: /);
        }
      }),
      { numRuns: 300, seed: 13 },
    );
  });

  it('accepted fuzz cards never create the marker when ngspice reads them', () => {
    const d = fresh('fz');
    const marker = join(d, 'ran');
    const pieces = ['*# ', '#', '* ', ' ', '\t', '\r', '\n', '+ vth0=1', '.control\n', '.endc\n', `shell touch ${marker}\n`, ';', '$ ', '{1}', '\\\\\n'];
    let accepted = 0;
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...pieces), { maxLength: 12 }), (a) => {
        const text = `.model nfet nmos level=54\n${a.join('')}\n`;
        try {
          checkSpiceText(text, { file: 'f', field: 'f', profile: 'models' });
        } catch {
          return true;
        }
        if (!text.includes('shell') || accepted >= 30) return true;
        accepted++;
        const card = join(d, 'c.pm');
        writeFileSync(card, text);
        writeFileSync(join(d, 'deck.cir'), `probe\n.include "${card}"\nr1 1 0 1k\nv1 1 0 1\n.op\n.end\n`);
        try {
          execFileSync('ngspice', ['-b', '-n', 'deck.cir'], { cwd: d, stdio: 'ignore', timeout: 30_000 });
        } catch {
          // errors are fine; only the marker matters
        }
        expect(existsSync(marker), JSON.stringify(text)).toBe(false);
        return true;
      }),
      { numRuns: 150, seed: 11 },
    );
    // the accepted ones are those with the command inside a comment or a continuation line
    expect(accepted).toBeGreaterThan(0);
  });
});

describe('through the command line', () => {
  /** The command's own entry (in-process): its CapminError and exit code, as the CLI prints them. */
  const inProcess = async (cmd: 'spikes' | 'pmap' | 'deck', argv: string[]): Promise<{ code: number; err: string }> => {
    const mod =
      cmd === 'spikes'
        ? await import('../../src/commands/spikes.js')
        : cmd === 'pmap'
          ? await import('../../src/commands/pmap.js')
          : await import('../../src/commands/deck.js');
    const out = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      await mod.main(argv);
      return { code: 0, err: '' };
    } catch (e) {
      expect(e).toBeInstanceOf(CapminError);
      return { code: (e as CapminError).exitCode, err: (e as Error).message };
    } finally {
      out.mockRestore();
      err.mockRestore();
    }
  };
  /** A real `capmin` process (src/cli.ts through tsx). */
  const cli = (argv: string[]): { code: number; err: string } => {
    const r = spawnSync(process.execPath, [join(root, 'node_modules', 'tsx', 'dist', 'cli.mjs'), join(root, 'src', 'cli.ts'), ...argv], {
      encoding: 'utf8',
      timeout: 120_000,
      env: { ...process.env, CAPMIN_QUIET: '1' },
    });
    return { code: r.status ?? -1, err: r.stderr };
  };
  const root = join(defaultModelCard(), '..', '..');

  for (const v of VARIANTS) {
    it(`${v.name}: spikes and pmap refuse it with file and line, exit 2, no marker`, async () => {
      const { dir, card, marker } = writeVariant(v);
      const where = `line ${v.at[1]} of ${join(dir, v.at[0])}`;
      const s = await inProcess('spikes', ['--cap', '2p', '--levels', '16', '--model-card', card, '--no-cache']);
      expect(s.code).toBe(2);
      expect(s.err).not.toContain('\n');
      expect(s.err).toContain(where);
      const p = await inProcess('pmap', ['--cap', '2p', '--samples', '2', '--levels', '16', '--model-card', card, '--out', join(dir, 'run')]);
      expect(p.code).toBe(2);
      expect(p.err).toContain(where);
      expect(existsSync(marker)).toBe(false);
    });
  }

  it('a real capmin process prints one line and exits 2 (start of file, .include, .lib section)', () => {
    for (const v of [VARIANTS[0]!, VARIANTS.find((x) => x.name.includes(".include'd"))!, VARIANTS.find((x) => x.name.includes('.lib FILE'))!]) {
      const { dir, card, marker } = writeVariant(v);
      for (const argv of [
        ['spikes', '--cap', '2p', '--levels', '16', '--model-card', card, '--no-cache'],
        ['pmap', '--cap', '2p', '--samples', '2', '--levels', '16', '--model-card', card, '--out', join(dir, 'run')],
      ]) {
        const r = cli(argv);
        expect(r.code, r.err).toBe(2);
        expect(r.err.trim().split('\n'), r.err).toHaveLength(1);
        expect(r.err).toContain(`line ${v.at[1]} of ${join(dir, v.at[0])}`);
        expect(r.err).not.toMatch(/\bat .*\.ts:\d+/);
      }
      expect(existsSync(marker)).toBe(false);
    }
  }, 240_000);

  it('a real capmin process with the shipped card simulates (exit 0)', () => {
    const r = cli(['spikes', '--cap', '2p', '--levels', '16', '--model-card', defaultModelCard(), '--no-cache', '--json']);
    expect(r.code, r.err).toBe(0);
  }, 120_000);

  it('the deck command refuses a card path that cannot be embedded', async () => {
    const r = await inProcess('deck', ['--model-card', `${defaultCircuit().modelCard}"\n.control`]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/modelCard\).*path must not contain/);
  });
});
