/**
 * The deck-safety rule: every file or text that ends up in an ngspice deck (model cards, and whatever a deck reaches
 * through `.include` / `.lib FILE SECTION`) passes this check first, because ngspice treats a deck as a program:
 * `.control` blocks and `*#` lines run as interactive commands (`shell`, `source`, `write`, …).
 *
 * The scanner follows ngspice 39+'s own reader (src/frontend/inpcom.c, inp.c) line by line:
 *   - every CR is deleted and leading spaces/tabs and a UTF-8 byte-order mark are dropped before a line is looked at
 *     (so `*\r#`, `\t*#` and `<BOM>*#` are all `*#` lines);
 *   - a line starting with `#` becomes a `*` comment (current ngspice), so `##` is a `*#` line;
 *   - `*#` lines and everything between `.control` and `.endc` (prefix match, any case) are commands;
 *   - a line ending in `\\` continues on the next line, even if that one starts with `*`;
 *   - end-of-line comments start at `;` or `//` (and ` $`); text inside quotes is not a comment;
 *   - `{…}` and `'…'` are numparam expressions.
 * Whenever the scanner's reading could differ from ngspice's, it reads more text as live than ngspice does (never
 * less), so nothing can hide in what it takes for a comment.
 */
import { createHash } from 'node:crypto';
import { realpathSync } from 'node:fs';
import { dirname, isAbsolute, normalize, resolve } from 'node:path';
import { CapminError } from '../util/errors.js';
import { MAX_BYTES, readUserFile } from '../util/readfile.js';

const MAX_BYTES_SPICE = MAX_BYTES.spice;

/** What a file may contain besides what the rule refuses everywhere. */
export type DeckProfile =
  /** device models only: `.model` cards and their `+` lines, `.include`, `.lib`/`.endl`, `.end` */
  | 'models'
  /** a netlist fragment (cells): additionally `.subckt`/`.ends`, `.param`, `.global` and element lines */
  | 'netlist';

/** A file reached by a deck, with the content hash a cache key needs. */
export interface ReachedFile {
  path: string;
  sha256: string;
}

/** A `.model NAME TYPE` card found in the part of the files a deck actually uses. */
export interface ModelDef {
  name: string;
  type: string;
  file: string;
  line: number;
}

/** Longest physical line accepted [characters]. */
export const MAX_LINE_LENGTH = 8192;
/** Longest `{…}` / `'…'` expression accepted [characters]. */
export const MAX_EXPRESSION_LENGTH = 2000;
/** Deepest `.include` / `.lib` nesting accepted. */
export const MAX_CHAIN_DEPTH = 16;
/** Most distinct files one chain may reach. */
export const MAX_CHAIN_FILES = 256;
/** Most bytes (over all distinct files) one chain may reach. */
export const MAX_CHAIN_BYTES = 64 * 1024 * 1024;
/** Most lines the expanded chain may have (bounds diamonds of includes). */
const MAX_EXPANDED_LINES = 4_000_000;

/**
 * ngspice front-end commands (ngspice 39–45 command table, control-flow keywords and the `exit`/`acct` aliases of the
 * shipped spinit) plus `exec`/`system`. A line whose first word is one of them is refused anywhere, so nothing that
 * could run as a command survives even if a future construct made ngspice read it as one.
 */
const CONTROL_COMMANDS = new Set(
  (
    'ac acct alias alter altermod alterparam asciiplot aspice bltplot break bug cd cdump check_ifparm circbyline ' +
    'codemodel compose continue cross cutout dc define deftype delete destroy devhelp diff display disto dowhile dump ' +
    'echo edisplay edit else end eprint eprvcd esave exec exit fclose fft fopen foreach fourier fread getcwd gnuplot ' +
    'goto hardcopy help history if inventory iplot jobs label let linearize listing load mc_source mdump meas measure ' +
    'mrdump newhelp noise oldhelp op option options optran osdi plot print psd pss pyplot pz quit rehash remcirc ' +
    'removecirc remzerovec repeat reset reshape resume rspice run rusage save sens set setcirc setcs setplot setscale ' +
    'setseed settype shell shift show showmod sndparam sndprint snload snsave source sp spec state status step stop ' +
    'strcmp strslice strstr sysinfo system tf trace tran transpose tutorial unalias undefine unlet unset use version ' +
    'where while wrdata write wrnodev wrs2p'
  ).split(' '),
);

/** XSPICE code models that read files or start processes/shared libraries named in their parameters. */
const FORBIDDEN_MODEL_TYPES = new Set(['d_process', 'd_cosim', 'filesource', 'table2d', 'table3d', 'd_state', 'd_source']);

/**
 * Functions an expression may call: deterministic math only. Random draws (`agauss`, `gauss`, `aunif`, `unif`,
 * `limit`, `random`) are refused because every random number comes from capmin's seeded generator.
 */
const EXPRESSION_FUNCTIONS = new Set(
  (
    'abs sqrt sqr exp ln log log10 sin cos tan asin acos atan atan2 sinh cosh tanh asinh acosh atanh min max pow pwr sgn sign floor ceil int nint hypot'
  ).split(' '),
);

const DOT_MODELS_PROFILE = new Set(['.model', '.include', '.inc', '.lib', '.endl', '.end', '.ends']);
const DOT_NETLIST_PROFILE = new Set([...DOT_MODELS_PROFILE, '.subckt', '.param', '.global']);

function fail(field: string, file: string, line: number, what: string): never {
  throw new CapminError(`${field}: line ${line} of ${file}: ${what}`, 'EINPUT', 2);
}

function show(s: string): string {
  const t = s.length > 40 ? `${s.slice(0, 37)}...` : s;
  return `'${t.replace(/[^\x20-\x7e]/g, '?')}'`;
}

// ---------------------------------------------------------------------------------------------------------------
// Expressions

/**
 * Check a numparam expression (the text between `{` `}` or `'` `'`): numbers with SPICE suffixes, identifiers,
 * `+ - * / ^ ** ( ) ,` and calls of the whitelisted math functions. Returns an error text, or null when harmless.
 */
export function expressionProblem(expr: string): string | null {
  if (expr.length > MAX_EXPRESSION_LENGTH) return `expression longer than ${MAX_EXPRESSION_LENGTH} characters`;
  const toks: string[] = [];
  const re = /\s*(?:((?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?[a-z]*)|([a-z_][a-z0-9_]*)|(\*\*|[-+*/^(),]))/iy;
  let pos = 0;
  const s = expr.replace(/\s+$/, '');
  while (pos < s.length) {
    re.lastIndex = pos;
    const m = re.exec(s);
    if (!m) return `expression {${s.slice(0, 60)}} has ${show(s.slice(pos).trimStart().slice(0, 1))}, which is not plain arithmetic`;
    toks.push(m[1] !== undefined ? '#' : m[2] !== undefined ? `@${m[2].toLowerCase()}` : m[3]!);
    pos = re.lastIndex;
  }
  if (toks.length === 0) return 'empty expression';
  let i = 0;
  let depth = 0;
  let problem: string | null = null;
  const peek = () => toks[i];
  const expectTok = (t: string): boolean => {
    if (toks[i] === t) {
      i++;
      return true;
    }
    problem ??= `expression {${s.slice(0, 60)}}: expected '${t}'`;
    return false;
  };
  // expr := term (('+'|'-') term)* ; term := unary (('*'|'/') unary)* ; unary := ('+'|'-') unary | power ;
  // power := primary (('^'|'**') unary)? ; primary := number | ident | func '(' expr (',' expr)* ')' | '(' expr ')'
  const expr_ = (): boolean => {
    if (++depth > 64) {
      problem ??= 'expression nested too deeply';
      return false;
    }
    if (!term()) return false;
    while (peek() === '+' || peek() === '-') {
      i++;
      if (!term()) return false;
    }
    depth--;
    return true;
  };
  const term = (): boolean => {
    if (!unary()) return false;
    while (peek() === '*' || peek() === '/') {
      i++;
      if (!unary()) return false;
    }
    return true;
  };
  const unary = (): boolean => {
    let n = 0;
    while (peek() === '+' || peek() === '-') {
      i++;
      if (++n > 64) {
        problem ??= 'expression nested too deeply';
        return false;
      }
    }
    if (!primary()) return false;
    if (peek() === '^' || peek() === '**') {
      i++;
      if (++depth > 64) {
        problem ??= 'expression nested too deeply';
        return false;
      }
      const ok = unary();
      depth--;
      return ok;
    }
    return true;
  };
  const primary = (): boolean => {
    const t = peek();
    if (t === undefined) {
      problem ??= `expression {${s.slice(0, 60)}} ends early`;
      return false;
    }
    if (t === '#') {
      i++;
      return true;
    }
    if (t === '(') {
      i++;
      return expr_() && expectTok(')');
    }
    if (t.startsWith('@')) {
      i++;
      if (peek() !== '(') return true;
      const name = t.slice(1);
      if (!EXPRESSION_FUNCTIONS.has(name)) {
        problem ??= `expression calls '${name.slice(0, 30)}', which is not one of the allowed math functions (${[...EXPRESSION_FUNCTIONS].join(', ')})`;
        return false;
      }
      i++;
      if (!expr_()) return false;
      while (peek() === ',') {
        i++;
        if (!expr_()) return false;
      }
      return expectTok(')');
    }
    problem ??= `expression {${s.slice(0, 60)}} has '${t}' where a value belongs`;
    return false;
  };
  if (!expr_()) return problem ?? 'malformed expression';
  if (i !== toks.length) return problem ?? `expression {${s.slice(0, 60)}} has '${toks[i]!.replace(/^[@#]/, '')}' after its end`;
  return null;
}

// ---------------------------------------------------------------------------------------------------------------
// One file

/** One logical item of a checked file, in file order (includes are expanded by the chain walker). */
export type SpiceItem =
  | { kind: 'include'; path: string; line: number }
  | { kind: 'libref'; path: string; section: string; line: number }
  | { kind: 'libdef'; section: string; line: number }
  | { kind: 'endl'; line: number }
  | { kind: 'model'; name: string; type: string; line: number };

/** Split the path/section arguments of `.include` / `.lib` as ngspice does (quotes `'` or `"` allowed). */
function pathArgs(rest: string): string[] | string {
  const out: string[] = [];
  let s = rest;
  for (;;) {
    s = s.replace(/^[ \t]+/, '');
    if (s === '') return out;
    const q = s[0];
    if (q === '"' || q === "'") {
      const end = s.indexOf(q, 1);
      if (end < 0) return `unterminated quote in ${show(rest)}`;
      out.push(s.slice(1, end));
      s = s.slice(end + 1);
      if (s !== '' && !/^[ \t]/.test(s)) return `text right after a closing quote in ${show(rest)}`;
    } else {
      const m = /^[^ \t"']+/.exec(s)!;
      out.push(m[0]);
      s = s.slice(m[0].length);
      if (s !== '' && !/^[ \t]/.test(s)) return `a quote inside ${show(rest)}`;
    }
  }
}

/** A path named inside a deck or a checked file: nothing ngspice would expand or that could end the line. */
function pathProblem(p: string): string | null {
  if (p === '') return 'an empty path';
  if (p.length > 1024) return 'a path longer than 1024 characters';
  if (/[\x00-\x1f\x7f"'`$\\;]/.test(p)) return `path ${show(p)} with a quote, $, \`, \\, ; or a control character`;
  if (p.startsWith('~')) return `path ${show(p)} starting with ~ (give the full path)`;
  return null;
}

/** ngspice's end-of-line comment rule, read conservatively: strip at `;` (not first) or `//` only if no quote precedes. */
function liveText(s: string): string {
  let cut = s.length;
  const semi = s.indexOf(';', 1);
  if (semi >= 0) cut = semi;
  const sl = s.indexOf('//');
  if (sl >= 0 && sl < cut) cut = sl;
  const quote = s.search(/["']/);
  if (quote >= 0 && quote < cut) return s;
  return s.slice(0, cut);
}

/**
 * Check the brace and quote expressions of live text; `{…}` and `'…'` must be plain arithmetic (expressionProblem),
 * double quotes are refused. Returns an error text or null.
 */
function expressionsProblem(live: string): string | null {
  for (let k = 0; k < live.length; k++) {
    const c = live[k];
    if (c === '{' || c === "'") {
      const close = c === '{' ? '}' : "'";
      const end = live.indexOf(close, k + 1);
      if (end < 0) return c === '{' ? `an unclosed '{'` : `an unclosed quote '`;
      const inner = live.slice(k + 1, end);
      if (/[{}'"]/.test(inner)) return `a nested brace or quote in ${show(live.slice(k, end + 1))}`;
      const p = expressionProblem(inner);
      if (p) return p;
      k = end;
    } else if (c === '}') {
      return `an unmatched '}'`;
    } else if (c === '"') {
      return 'a double-quoted string (only .include/.lib paths may be quoted)';
    }
  }
  return null;
}

/**
 * Check one SPICE text (a file's content) with the deck-safety rule and the profile's allowed content.
 * Throws a one-line CapminError `field: line N of FILE: what is refused`. Returns the items the chain walker follows.
 */
export function checkSpiceText(text: string, opts: { file: string; field: string; profile: DeckProfile }): SpiceItem[] {
  const { file, field, profile } = opts;
  const items: SpiceItem[] = [];
  const allowedDots = profile === 'models' ? DOT_MODELS_PROFILE : DOT_NETLIST_PROFILE;
  // ngspice's readline drops every CR, wherever it is
  const lines = text.replace(/\r/g, '').split('\n');
  let prevCard: string | null = null; // first word of the last non-comment card, for `+` lines
  for (let i = 0; i < lines.length; i++) {
    const n = i + 1;
    const raw = lines[i]!;
    if (raw.length > MAX_LINE_LENGTH) fail(field, file, n, `line longer than ${MAX_LINE_LENGTH} characters`);
    const cc = /[\x00-\x08\x0a-\x1f\x7f]/.exec(raw);
    if (cc)
      fail(
        field,
        file,
        n,
        `contains the control character U+${cc[0].charCodeAt(0).toString(16).padStart(4, '0').toUpperCase()}${cc[0] === '\0' ? ' (NUL)' : ''}`,
      );
    let s = raw.replace(/^[ \t]+/, '');
    if (s.startsWith('\xef\xbb\xbf')) s = s.slice(3).replace(/^[ \t]+/, '');
    if (s === '') continue;
    const c0 = s[0]!;
    if (c0 !== '*' && c0 !== '$' && /\\\\[ \t]*$/.test(s))
      fail(field, file, n, "ends in '\\\\', which makes ngspice read the next line as a continuation; use a '+' line");
    if (c0 === '*' || c0 === '#') {
      if (s[1] === '#') fail(field, file, n, `'${c0}#' lines are run by ngspice as commands; refused`);
      if (/^\*ng_script/i.test(s)) fail(field, file, n, "'*ng_script' marks an ngspice command script; refused");
      continue; // a comment (ngspice turns '#' lines into '*' comments)
    }
    if (c0 === '@') fail(field, file, n, "a line starting with '@' makes ngspice stop reading the file; refused");
    if (/^\.control/i.test(s) || /^\.endc/i.test(s))
      fail(
        field,
        file,
        n,
        `${show(s.slice(0, 8))} opens or closes an ngspice command block; refused${profile === 'models' ? ' (only .model cards are allowed in a model card)' : ''}`,
      );
    if (s.startsWith('//')) continue; // ngspice turns it into a '*' comment
    const live = liveText(s);
    if (live.trim() === '') continue;
    if (/`/.test(live)) fail(field, file, n, 'contains a backquote');
    // '$' only as an end-of-line comment marker after a blank or comma; the text after it is still checked
    for (let k = live.indexOf('$'); k >= 0; k = live.indexOf('$', k + 1)) {
      if (k === 0 || !/[ \t,]/.test(live[k - 1]!)) fail(field, file, n, "contains '$' (only ' $ comment' is allowed)");
    }
    const word = live.startsWith('+') ? '+' : (/^[^ \t(=,;{<>&|]+/.exec(live)?.[0] ?? '').toLowerCase();
    if (CONTROL_COMMANDS.has(word) || word.startsWith('pre_')) {
      fail(field, file, n, `${show(word)} is an ngspice command; refused${profile === 'netlist' ? ' (rename the element if it is one)' : ''}`);
    }
    if (word === '+') {
      if (prevCard === null) fail(field, file, n, "a '+' continuation line with no card before it in this file");
      if (profile === 'models' && prevCard !== '.model')
        fail(field, file, n, `a '+' line continues ${show(prevCard)}; only .model cards may be continued in a model card`);
      const p = expressionsProblem(live);
      if (p) fail(field, file, n, `${p}; only numeric model parameters and plain arithmetic in {…} are allowed`);
      continue;
    }
    if (word.startsWith('.')) {
      if (word.startsWith('.inc') && word !== '.inc' && word !== '.include') fail(field, file, n, `${show(word)} is not .include; refused`);
      if (word.startsWith('.lib') && word !== '.lib') fail(field, file, n, `${show(word)} is not .lib; refused (.libsave writes files)`);
      if (word.startsWith('.endl') && word !== '.endl') fail(field, file, n, `${show(word)} is not .endl; refused`);
      if (!allowedDots.has(word)) {
        fail(
          field,
          file,
          n,
          profile === 'models'
            ? `${show(word)} is not a .model card or continuation; only .model cards are allowed (no .control, shell, .param, instances)`
            : `${show(word)} is not allowed here (allowed: ${[...allowedDots].join(', ')})`,
        );
      }
    } else if (profile === 'models') {
      fail(
        field,
        file,
        n,
        `${show(live.slice(0, 30))} is not a .model card or continuation; only .model cards are allowed (no instances, .param or commands)`,
      );
    }
    prevCard = word;
    if (word === '.include' || word === '.inc' || word === '.lib' || word === '.endl') {
      const args = pathArgs(live.slice(word.length));
      if (typeof args === 'string') fail(field, file, n, args);
      if (word === '.endl') {
        if (args.length > 1) fail(field, file, n, 'unexpected text after .endl NAME');
        items.push({ kind: 'endl', line: n });
        continue;
      }
      if (args.length === 0) fail(field, file, n, `${word} without a file name`);
      if (word !== '.lib' && args.length > 1) fail(field, file, n, `unexpected text after the ${word} path`);
      if (args.length > 2) fail(field, file, n, 'unexpected text after .lib FILE SECTION');
      if (word === '.lib' && args.length === 1) {
        if (!/^[a-z0-9_.+-]{1,64}$/i.test(args[0]!)) fail(field, file, n, `section name ${show(args[0]!)} is not a plain name`);
        items.push({ kind: 'libdef', section: args[0]!, line: n });
        continue;
      }
      const pp = pathProblem(args[0]!);
      if (pp) fail(field, file, n, `${word} names ${pp}`);
      if (word === '.lib') {
        if (!/^[a-z0-9_.+-]{1,64}$/i.test(args[1]!)) fail(field, file, n, `section name ${show(args[1]!)} is not a plain name`);
        items.push({ kind: 'libref', path: args[0]!, section: args[1]!, line: n });
      } else {
        items.push({ kind: 'include', path: args[0]!, line: n });
      }
      continue;
    }
    const p = expressionsProblem(live);
    if (p) fail(field, file, n, `${p}${profile === 'models' ? '; only numeric model parameters and plain arithmetic in {…} are allowed' : ''}`);
    if (word === '.model') {
      const m = /^\.model[ \t]+([^ \t(]+)[ \t]*([a-z_][a-z0-9_]*)?/i.exec(live);
      if (!m?.[2]) fail(field, file, n, '.model needs a name and a type');
      const type = m[2].toLowerCase();
      if (FORBIDDEN_MODEL_TYPES.has(type)) fail(field, file, n, `model type '${type}' reads files or starts programs; refused`);
      items.push({ kind: 'model', name: m[1]!.toLowerCase(), type, line: n });
    } else if (word === '.param') {
      // .param right-hand sides are expressions even without braces: NAME = VALUE pairs, each plain arithmetic
      const rest = live.slice(word.length).replace(/\{[^}]*\}|'[^']*'/g, ' 0 ');
      const parts = rest.split(/([a-z_][a-z0-9_]*)[ \t]*=(?!=)/i);
      if (parts[0]!.trim() !== '' || parts.length < 3) fail(field, file, n, '.param must be NAME = VALUE pairs');
      for (let j = 2; j < parts.length; j += 2) {
        const q = expressionProblem(parts[j]!);
        if (q) fail(field, file, n, `.param ${parts[j - 1]}: ${q}`);
      }
    }
  }
  return items;
}

// ---------------------------------------------------------------------------------------------------------------
// Include chains

interface FileInfo {
  path: string;
  sha256: string;
  items: SpiceItem[];
}

type Flat = { file: string; item: SpiceItem }[];
type From = { file: string; line: number } | undefined;

/** Options of {@link checkSpiceChain}. */
export interface ChainOptions {
  /** option or field that named the root, for error messages (e.g. `--model-card`) */
  field: string;
  profile: DeckProfile;
  /** the root is reached as `.lib ROOT SECTION` (default: as `.include ROOT`) */
  section?: string;
  /**
   * folder ngspice resolves relative `.lib` paths of `.include`d files against (the deck's folder); without it such
   * paths are refused, since capmin runs ngspice in a scratch folder
   */
  deckDir?: string;
  maxDepth?: number;
  maxFiles?: number;
  maxBytes?: number;
}

/** Result of {@link checkSpiceChain}. */
export interface ChainResult {
  /** every file reached (real paths), root first, each once */
  files: ReachedFile[];
  /** `.model` cards in the part of the chain the deck uses (top level and the selected `.lib` sections) */
  models: ModelDef[];
}

/** Names capmin's ngspice working folder holds; a relative path equal to one would be found there first. */
function shadowedByWorkDir(p: string): boolean {
  const n = normalize(p).toLowerCase();
  return !n.includes('/') && (n === 'deck.cir' || n.endsWith('.raw'));
}

/**
 * Check a file and everything it reaches, as ngspice would read it from a deck: `.include`/`.inc` (resolved against
 * the including file's folder, as ngspice does after its working folder) and `.lib FILE SECTION` (resolved against
 * the folder of the `.lib` file whose section holds the reference). Every line of every reached file passes
 * {@link checkSpiceText}; include and section cycles, depth, file count and total bytes are bounded. Every file is
 * read through readUserFile (regular files, size cap). Returns the reached files with their SHA-256 (cache keys).
 */
export function checkSpiceChain(root: string, opts: ChainOptions): ChainResult {
  const { field, profile } = opts;
  const maxDepth = opts.maxDepth ?? MAX_CHAIN_DEPTH;
  const maxFiles = opts.maxFiles ?? MAX_CHAIN_FILES;
  const maxBytes = opts.maxBytes ?? MAX_CHAIN_BYTES;
  const infos = new Map<string, FileInfo>();
  const order: string[] = [];
  const flats = new Map<string, Flat>();
  let bytes = 0;
  let expanded = 0;
  const failAt = (from: From, what: string): never => {
    if (from) fail(field, from.file, from.line, what);
    throw new CapminError(`${field}: ${what}`, 'EINPUT', 2);
  };

  /** Read and check a file once (keyed by its real path). */
  const load = (path: string, from: From): FileInfo => {
    let real: string;
    try {
      real = realpathSync(path);
    } catch {
      return failAt(from, `${path} does not exist`);
    }
    const known = infos.get(real);
    if (known) return known;
    if (infos.size >= maxFiles) failAt(from, `the chain reaches more than ${maxFiles} files`);
    const buf = readUserFile(real, { field, kind: 'spice', maxBytes: Math.min(MAX_BYTES_SPICE, Math.max(0, maxBytes - bytes)) });
    bytes += buf.length;
    // latin1: one character per byte, so the scanner sees exactly ngspice's bytes
    const items = checkSpiceText(buf.toString('latin1'), { file: real, field, profile });
    const info: FileInfo = { path: real, sha256: createHash('sha256').update(buf).digest('hex'), items };
    infos.set(real, info);
    order.push(real);
    return info;
  };

  const resolveRef = (p: string, baseDir: string | undefined, from: { file: string; line: number }, what: string): string => {
    if (isAbsolute(p)) return p;
    if (shadowedByWorkDir(p)) fail(field, from.file, from.line, `${what} ${show(p)}: ngspice would find capmin's own file of that name first; rename it`);
    if (baseDir === undefined)
      fail(
        field,
        from.file,
        from.line,
        `${what} ${show(p)} is relative; ngspice resolves it against its working folder, not this file's; give an absolute path or reference it from a .lib file`,
      );
    return resolve(baseDir, p);
  };

  /**
   * The file's items with every .include inlined, as ngspice reads a file (includes are inlined whatever section they
   * sit in). `named` is the path as ngspice opens it, `baseDir` the folder its relative includes resolve against.
   */
  const flatten = (named: string, baseDir: string, stack: string[], from: From): Flat => {
    const info = load(named, from);
    const key = `${named}\0${baseDir}`;
    const memo = flats.get(key);
    if (memo) return memo;
    const out: Flat = [];
    for (const item of info.items) {
      if (item.kind !== 'include') {
        out.push({ file: info.path, item });
        continue;
      }
      const at = { file: info.path, line: item.line };
      if (stack.length + 1 >= maxDepth) fail(field, info.path, item.line, `.include nesting deeper than ${maxDepth}`);
      const target = resolveRef(item.path, baseDir, at, '.include');
      const sub = load(target, at);
      if (sub.path === info.path || stack.includes(sub.path)) fail(field, info.path, item.line, `.include cycle: ${sub.path} is already being included`);
      const lines = flatten(target, dirname(target), [...stack, info.path], at);
      expanded += lines.length;
      if (expanded > MAX_EXPANDED_LINES) fail(field, info.path, item.line, 'the include chain expands to too many lines');
      for (const e of lines) out.push(e);
    }
    flats.set(key, out);
    return out;
  };

  const models: ModelDef[] = [];
  const addModel = (e: { file: string; item: SpiceItem }) => {
    if (e.item.kind === 'model') models.push({ name: e.item.name, type: e.item.type, file: e.file, line: e.item.line });
  };
  const doneSections = new Set<string>();

  // `.lib FILE SECTION`: ngspice reads FILE (real path; its includes resolve against the real path's folder), takes
  // the lines from `.lib SECTION` to the first .endl and expands the references among them recursively
  const expandSection = (libPath: string, section: string, from: From, stack: string[]): void => {
    const lib = load(libPath, from);
    const key = `${lib.path}\0${section.toLowerCase()}`;
    if (stack.includes(key)) failAt(from, `.lib cycle: section '${section}' of ${lib.path} is already being expanded`);
    if (stack.length + 1 >= maxDepth) failAt(from, `.lib nesting deeper than ${maxDepth}`);
    if (doneSections.has(key)) return;
    const flat = flatten(lib.path, dirname(lib.path), [], from);
    const start = flat.findIndex((e) => e.item.kind === 'libdef' && e.item.section.toLowerCase() === section.toLowerCase());
    if (start < 0) failAt(from, `section '${section}' not found in ${lib.path}`);
    let k = start + 1;
    for (; k < flat.length && flat[k]!.item.kind !== 'endl'; k++) {
      const e = flat[k]!;
      addModel(e);
      if (e.item.kind === 'libref') {
        const at = { file: e.file, line: e.item.line };
        expandSection(resolveRef(e.item.path, dirname(lib.path), at, '.lib'), e.item.section, at, [...stack, key]);
      }
    }
    if (k >= flat.length) fail(field, lib.path, flat[start]!.item.line, `section '${section}' has no .endl`);
    doneSections.add(key);
  };

  const rootProblem = pathProblem(root);
  if (rootProblem) failAt(undefined, `path must not be ${rootProblem}`);
  const named = resolve(root);
  if (opts.section !== undefined) {
    expandSection(named, opts.section, undefined, []);
  } else {
    // top level: every two-word .lib is a reference; one-word section definitions mean nothing here
    for (const e of flatten(named, dirname(named), [], undefined)) {
      addModel(e);
      if (e.item.kind === 'libdef' || e.item.kind === 'endl') {
        fail(field, e.file, e.item.line, 'a .lib section definition is only meaningful in a file reached through .lib FILE SECTION');
      }
      if (e.item.kind === 'libref') {
        const at = { file: e.file, line: e.item.line };
        expandSection(resolveRef(e.item.path, opts.deckDir, at, '.lib'), e.item.section, at, []);
      }
    }
  }
  return { files: order.map((p) => ({ path: p, sha256: infos.get(p)!.sha256 })), models };
}

/**
 * A path capmin writes into a deck (`.include "PATH"`): absolute, and nothing ngspice would expand or that could
 * end the quoted token or the line. Throws a one-line error naming `field`.
 */
export function assertDeckPath(field: string, path: string): string {
  if (typeof path !== 'string' || path.length === 0) throw new CapminError(`${field}: must be a file path`, 'EINPUT', 2);
  const p = pathProblem(path);
  if (p) throw new CapminError(`${field}: path must not contain newlines, quotes, control characters, $, \`, \\ or ; (got ${p})`, 'EINPUT', 2);
  if (!isAbsolute(path)) throw new CapminError(`${field}: ${show(path)} must be an absolute path inside a deck`, 'EINPUT', 2);
  return path;
}
