/**
 * Circuit files: the user's own XNOR cell (a `.subckt` with its ports mapped to the roles capmin drives), the device
 * models (`.include` files and `.lib FILE SECTION` entries), which subcircuit parameters carry the per-instance
 * mismatch, and named PVT corners. YAML or JSON, checked with a zod schema; every file the circuit brings into a deck
 * passes the deck-safety rule (src/circuit/safety.ts). Relative paths resolve against the circuit file's folder.
 *
 * The result is a plain-data `CircuitSpec` held in `CircuitParams.circuit`, so everything that hashes the circuit
 * parameters (cache keys, manifests) also sees the cell, the model files' hashes, the corner and its overrides.
 */
import { createHash } from 'node:crypto';
import { dirname, isAbsolute, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { CapminError, inputError } from '../util/errors.js';
import { shippedFile } from '../util/paths.js';
import { readUserText } from '../util/readfile.js';
import { parseSpiceValue } from '../util/units.js';
import { checkSpiceChain, type ReachedFile } from './safety.js';

/** Roles a cell port can take: what capmin connects it to. */
export const PORT_ROLES = ['ml', 'v0', 'w', 'wb', 'x', 'xb', 'gnd', 'bulk', 'vdd'] as const;
export type PortRole = (typeof PORT_ROLES)[number];

/** Quantities drawn per device by the variation model, each written into the subcircuit parameter the file names. */
export const DEVICE_QUANTITIES = ['delvto', 'mulu0', 'w', 'l'] as const;

/** One device of the cell that carries mismatch: its instance name inside the subcircuit and the parameter names. */
export interface DeviceMap {
  /** instance name inside the subcircuit (for `alter @m.x<cell>.<instance>[…]` in batched transients) */
  instance: string;
  /** subcircuit parameter receiving the threshold shift [V] */
  delvto?: string;
  /** subcircuit parameter receiving the mobility factor */
  mulu0?: string;
  /** subcircuit parameter receiving the width [m] (nominal + drawn offset) */
  w?: string;
  /** subcircuit parameter receiving the length [m] (nominal + drawn offset) */
  l?: string;
  /** nominal width [m] of this device (default: the circuit's wN) */
  wNom?: number;
  /** nominal length [m] of this device (default: the circuit's lN) */
  lNom?: number;
}

/** A model reference as written into the deck. */
export type ModelRef = { kind: 'include'; file: string } | { kind: 'lib'; file: string; section: string };

/** The checked, resolved content of a circuit file for one corner (plain data: part of CircuitParams). */
export interface CircuitSpec {
  /** circuit name (from the file, or the file name) */
  name: string;
  /** absolute path and SHA-256 of the circuit file */
  file: string;
  sha256: string;
  /** selected corner name */
  corner: string;
  /** all corner names of the file, in file order */
  corners: string[];
  cell: {
    file: string;
    subckt: string;
    /** role of each subcircuit port, in the subcircuit's port order */
    roles: PortRole[];
    /** subcircuit parameters receiving the circuit's wN / lN on every instance */
    sizeW?: string;
    sizeL?: string;
  };
  /** devices carrying per-instance mismatch, in draw order (the variation's transistor index) */
  devices: DeviceMap[];
  /** Pelgrom scaling: per device, σ(delvto) and σ(mulu0) are multiplied by sqrt(refW·refL / (W·L)) */
  pelgrom?: { refW: number; refL: number };
  /** models in deck order: the file's `models`, then the corner's `lib` sections */
  models: ModelRef[];
  /** subcircuit parameter overrides of the corner, written on every cell instance (sorted by name) */
  params: Array<[string, number]>;
  /** corner values (absent: the circuit default) */
  tempC?: number;
  v0?: number;
  vdd?: number;
  /** every file the deck reaches through the cell and the models, with its SHA-256 (cell chain first) */
  files: ReachedFile[];
}

const NUMPARAM_FUNCTIONS = new Set(
  'abs sqrt sqr exp ln log log10 sin cos tan asin acos atan atan2 sinh cosh tanh asinh acosh atanh min max pow pwr sgn sign floor ceil int nint hypot gauss agauss unif aunif limit ternary_fcn if'.split(' '),
);
const NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;
const name = (what: string) => z.string().regex(NAME, `must be a plain ${what} name (letters, digits, _; at most 64)`);
const spiceValue = z.union([z.number(), z.string().max(40)]);
const pathStr = z.string().min(1).max(1024);
const libRef = z.object({ file: pathStr, section: z.string().regex(/^[A-Za-z0-9_.+-]{1,64}$/, 'must be a plain section name') }).strict();
const modelEntry = z.union([
  z.object({ include: pathStr }).strict(),
  z.object({ lib: pathStr, section: z.string().regex(/^[A-Za-z0-9_.+-]{1,64}$/, 'must be a plain section name') }).strict(),
]);

const SCHEMA = z
  .object({
    name: z.string().max(100).regex(/^[\x20-\x7e]*$/, 'must be printable ASCII').optional(),
    cell: z
      .object({
        file: pathStr,
        subckt: name('subcircuit'),
        ports: z.record(name('port'), z.enum(PORT_ROLES)),
        size: z.object({ w: name('parameter').optional(), l: name('parameter').optional() }).strict().optional(),
      })
      .strict(),
    models: z.array(modelEntry).max(64).default([]),
    variation: z
      .object({
        devices: z
          .array(
            z
              .object({
                instance: name('instance'),
                delvto: name('parameter').optional(),
                mulu0: name('parameter').optional(),
                w: name('parameter').optional(),
                l: name('parameter').optional(),
                wNom: spiceValue.optional(),
                lNom: spiceValue.optional(),
              })
              .strict(),
          )
          .max(64)
          .default([]),
        pelgrom: z.object({ refW: spiceValue, refL: spiceValue }).strict().optional(),
      })
      .strict()
      .default({ devices: [] }),
    corners: z
      .record(
        name('corner'),
        z
          .object({
            lib: z.array(libRef).max(16).default([]),
            params: z.record(name('parameter'), spiceValue).default({}),
            temp: spiceValue.optional(),
            v0: spiceValue.optional(),
            vdd: spiceValue.optional(),
          })
          .strict(),
      )
      .default({}),
    corner: name('corner').optional(),
  })
  .strict();

/** Key path of a zod issue as `a.b[2].c`. */
function keyPath(path: readonly PropertyKey[]): string {
  let s = '';
  for (const k of path) s += typeof k === 'number' ? `[${k}]` : /^[A-Za-z_][A-Za-z0-9_]*$/.test(String(k)) ? `${s ? '.' : ''}${String(k)}` : `[${JSON.stringify(String(k).slice(0, 40))}]`;
  return s || '(top level)';
}

/** One line for the first schema problem: the key path, what is wrong and what is allowed. */
function issueText(issue: z.core.$ZodIssue): string {
  const where = keyPath(issue.path);
  const i = issue as z.core.$ZodIssue & { keys?: string[]; values?: unknown[]; expected?: string };
  switch (issue.code) {
    case 'unrecognized_keys':
      return `${where === '(top level)' ? '' : `${where}.`}${(i.keys ?? []).join(', ')}: unknown key`;
    case 'invalid_value':
      return `${where}: must be one of ${(i.values ?? []).map(String).join(', ')}`;
    case 'invalid_union':
      return `${where}: must be one of { include: FILE } or { lib: FILE, section: NAME }`;
    default:
      return `${where}: ${issue.message}`;
  }
}

/** Allowed keys per object, to name them next to an unknown key. */
const ALLOWED_KEYS: Record<string, string> = {
  '': 'name, cell, models, variation, corners, corner',
  cell: 'file, subckt, ports, size',
  variation: 'devices, pelgrom',
};

const MAX_CIRCUIT_FILE = 1024 * 1024;

/** The shipped default circuit file (today's 4-transistor cell on the PTM card, corners tt/ff/ss). */
export function defaultCircuitFile(): string {
  return shippedFile('netlists', 'circuits', 'default.yaml');
}

interface SubcktHeader {
  ports: string[];
  params: Map<string, string>;
  instances: Set<string>;
}

/**
 * Find `.subckt NAME ports… params: k=v …` (with `+` continuation lines) in already safety-checked SPICE text and
 * the instance names of its body. Returns null when the subcircuit is not defined in this text.
 */
export function parseSubcktHeader(text: string, subckt: string): SubcktHeader | null {
  const logical: string[] = [];
  for (const raw of text.replace(/\r/g, '').split('\n')) {
    let s = raw.replace(/^[\s\ufeff]+/, '');
    if (s === '' || s[0] === '*' || s[0] === '#' || s.startsWith('//')) continue;
    s = s.replace(/(;|\/\/|\s\$).*$/, '');
    if (s.startsWith('+') && logical.length > 0) logical[logical.length - 1] += ` ${s.slice(1)}`;
    else logical.push(s);
  }
  const want = subckt.toLowerCase();
  for (let i = 0; i < logical.length; i++) {
    const toks = logical[i]!.replace(/\s*=\s*/g, '=').trim().split(/\s+/);
    if (toks[0]!.toLowerCase() !== '.subckt' || toks[1]?.toLowerCase() !== want) continue;
    const ports: string[] = [];
    const params = new Map<string, string>();
    let inParams = false;
    for (const t of toks.slice(2)) {
      if (/^params:/i.test(t)) {
        inParams = true;
        const rest = t.slice(7);
        if (rest) {
          const [k, v] = rest.split('=');
          params.set(k!.toLowerCase(), v ?? '');
        }
      } else if (inParams || t.includes('=')) {
        inParams = true;
        const [k, v] = t.split('=');
        params.set(k!.toLowerCase(), v ?? '');
      } else ports.push(t.toLowerCase());
    }
    const instances = new Set<string>();
    for (let j = i + 1; j < logical.length; j++) {
      const w = logical[j]!.trim().split(/\s+/)[0]!.toLowerCase();
      if (w === '.ends') break;
      if (!w.startsWith('.')) instances.add(w);
    }
    return { ports, params, instances };
  }
  return null;
}

/** Check one chain with the netlist profile (cells and PDK files may hold .subckt, .param and elements). */
function checkChain(root: string, field: string, section?: string): ReachedFile[] {
  return checkSpiceChain(root, { field, profile: 'netlist', ...(section !== undefined ? { section } : {}) }).files;
}

/**
 * Check every file a circuit spec brings into a deck with the deck-safety rule (cell chain, each model chain) and
 * return them. Called again right before the deck is written, so a file edited after loading is checked again; a
 * file whose content no longer matches the loaded hash is an error (the run's cache keys would be stale).
 */
export function checkCircuitFiles(spec: CircuitSpec): ReachedFile[] {
  const files: ReachedFile[] = [];
  const seen = new Set<string>();
  const add = (fs: ReachedFile[]) => {
    for (const f of fs) {
      if (seen.has(f.path)) continue;
      seen.add(f.path);
      files.push(f);
    }
  };
  add(checkChain(spec.cell.file, 'cell.file'));
  spec.models.forEach((m, i) => add(checkChain(m.file, `models[${i}]`, m.kind === 'lib' ? m.section : undefined)));
  const sig = files.map((f) => `${f.path} ${f.sha256}`).join('\n');
  const want = spec.files.map((f) => `${f.path} ${f.sha256}`).join('\n');
  if (spec.files.length > 0 && sig !== want) {
    throw new CapminError(`--circuit: a file of circuit '${spec.name}' changed since it was loaded (${spec.file}); run the command again`, 'EINPUT', 2);
  }
  return files;
}

function spiceNum(field: string, v: string | number, spec: { unit: '' | 'V' | 'degC'; min: number; max: number }): number {
  return parseSpiceValue(field, typeof v === 'number' ? v : v.replace(/m$/i, (s) => (/\dm$/i.test(v) ? s : '')), spec);
}

/**
 * Read and check a circuit file (YAML or JSON) for one corner (default: the file's `corner`, else its first corner,
 * else none). Errors are one line naming the file and the key path. Every referenced file passes the deck-safety rule
 * with the netlist profile (cells and PDK files may hold `.subckt`, `.param`, `.model`, element lines; never
 * `.control`, `*#`, commands or unsafe expressions).
 */
export function loadCircuitFile(path: string, corner?: string, field = '--circuit'): CircuitSpec {
  const abs = resolve(path);
  const text = readUserText(abs, { field, kind: 'table', maxBytes: MAX_CIRCUIT_FILE });
  const where = abs.slice(-200);
  let data: unknown;
  try {
    data = /\.json$/i.test(abs) ? JSON.parse(text) : parseYaml(text, { maxAliasCount: 100 });
  } catch (e) {
    throw inputError(field, `cannot read ${where} as ${/\.json$/i.test(abs) ? 'JSON' : 'YAML'} (${String((e as Error).message).split('\n')[0]!.slice(0, 120)})`);
  }
  const parsed = SCHEMA.safeParse(data ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    let msg = issueText(issue);
    if (issue.code === 'unrecognized_keys') {
      const parent = issue.path.length === 0 ? '' : String(issue.path[0]);
      const allowed = ALLOWED_KEYS[issue.path.length <= 1 ? parent : ''];
      if (allowed && issue.path.length <= 1) msg += `; allowed keys: ${allowed}`;
    }
    throw inputError(`${field} ${where}`, msg);
  }
  const f = parsed.data;
  const base = dirname(abs);
  const rel = (p: string, key: string): string => {
    if (/[\x00-\x1f\x7f"'`$\\;]/.test(p)) throw inputError(`${field} ${where}`, `${key}: path must not contain quotes, $, \`, \\, ; or control characters`);
    return isAbsolute(p) ? p : resolve(base, p);
  };
  const bad = (key: string, msg: string): never => {
    throw inputError(`${field} ${where}`, `${key}: ${msg}`);
  };
  const num = (key: string, v: string | number, spec: { unit: '' | 'V' | 'degC'; min: number; max: number }): number => {
    try {
      return spiceNum(key, v, spec);
    } catch (e) {
      throw e instanceof CapminError ? inputError(`${field} ${where}`, e.message) : e;
    }
  };

  // cell: the subcircuit, its ports and parameters
  const cellFile = rel(f.cell.file, 'cell.file');
  const cellFiles = checkChain(cellFile, 'cell.file');
  const header = parseSubcktHeader(readUserText(cellFile, { field: 'cell.file', kind: 'spice' }), f.cell.subckt);
  if (!header) bad('cell.subckt', `'.subckt ${f.cell.subckt}' is not defined in ${cellFile}`);
  const h = header!;
  const roleOf = new Map(Object.entries(f.cell.ports).map(([k, v]) => [k.toLowerCase(), v]));
  for (const k of roleOf.keys()) if (!h.ports.includes(k)) bad(`cell.ports.${k}`, `not a port of ${f.cell.subckt}; its ports: ${h.ports.join(', ')}`);
  const roles = h.ports.map((p) => roleOf.get(p) ?? bad(`cell.ports.${p}`, `port of ${f.cell.subckt} has no role; allowed roles: ${PORT_ROLES.join(', ')}`));
  for (const need of ['ml', 'v0'] as const) if (!roles.includes(need)) bad('cell.ports', `no port has role '${need}' (the match line and the branch supply are required)`);
  if (!roles.some((r) => r === 'w' || r === 'wb') || !roles.some((r) => r === 'x' || r === 'xb')) bad('cell.ports', 'the cell needs a weight port (w or wb) and an input port (x or xb)');
  const declared = (key: string, p: string | undefined): string | undefined => {
    if (p === undefined) return undefined;
    // ngspice's expression parser reads these names as functions, so `ln={…}` on an instance line is a syntax error
    if (NUMPARAM_FUNCTIONS.has(p.toLowerCase())) bad(key, `'${p}' is an ngspice function name; rename the subcircuit parameter`);
    if (!h.params.has(p.toLowerCase())) bad(key, `'${p}' is not a parameter of ${f.cell.subckt} (declare it after params:); declared: ${[...h.params.keys()].join(', ') || 'none'}`);
    return p.toLowerCase();
  };
  const sizeW = declared('cell.size.w', f.cell.size?.w);
  const sizeL = declared('cell.size.l', f.cell.size?.l);

  const devices: DeviceMap[] = f.variation.devices.map((d, i) => {
    const k = `variation.devices[${i}]`;
    if (!h.instances.has(d.instance.toLowerCase())) bad(`${k}.instance`, `'${d.instance}' is not an instance of ${f.cell.subckt}; instances: ${[...h.instances].join(', ')}`);
    const out: DeviceMap = { instance: d.instance.toLowerCase() };
    for (const q of DEVICE_QUANTITIES) {
      const p = declared(`${k}.${q}`, d[q]);
      if (p !== undefined) out[q] = p;
    }
    if (d.wNom !== undefined) out.wNom = num(`${k}.wNom`, d.wNom, { unit: '', min: 5e-9, max: 100e-6 });
    if (d.lNom !== undefined) out.lNom = num(`${k}.lNom`, d.lNom, { unit: '', min: 5e-9, max: 100e-6 });
    return out;
  });
  const pelgrom = f.variation.pelgrom
    ? {
        refW: num('variation.pelgrom.refW', f.variation.pelgrom.refW, { unit: '', min: 5e-9, max: 100e-6 }),
        refL: num('variation.pelgrom.refL', f.variation.pelgrom.refL, { unit: '', min: 5e-9, max: 100e-6 }),
      }
    : undefined;

  // corner
  const corners = Object.keys(f.corners);
  const chosen = corner ?? f.corner ?? corners[0];
  if (f.corner !== undefined && !corners.includes(f.corner)) bad('corner', `'${f.corner}' is not a corner of this file; corners: ${corners.join(', ') || 'none'}`);
  if (chosen !== undefined && !corners.includes(chosen)) {
    throw inputError('--corner', `'${String(chosen).slice(0, 40)}' is not a corner of ${where}; allowed: ${corners.join(', ') || 'none (the file defines no corners)'}`);
  }
  const c = chosen !== undefined ? f.corners[chosen]! : undefined;
  const models: ModelRef[] = [
    ...f.models.map((m, i): ModelRef => ('include' in m ? { kind: 'include', file: rel(m.include, `models[${i}].include`) } : { kind: 'lib', file: rel(m.lib, `models[${i}].lib`), section: m.section })),
    ...(c?.lib ?? []).map((l, i): ModelRef => ({ kind: 'lib', file: rel(l.file, `corners.${chosen}.lib[${i}].file`), section: l.section })),
  ];
  if (models.length === 0) bad('models', `no model file for corner '${chosen ?? '-'}'; name .include files in models or .lib sections in the corner`);
  const params: Array<[string, number]> = Object.entries(c?.params ?? {})
    .map(([k, v]): [string, number] => [declared(`corners.${chosen}.params.${k}`, k)!, num(`corners.${chosen}.params.${k}`, v, { unit: '', min: -1e12, max: 1e12 })])
    .sort((a, b) => (a[0] < b[0] ? -1 : 1));
  const mapped = new Set(devices.flatMap((d) => DEVICE_QUANTITIES.map((q) => d[q]).filter((x) => x !== undefined)));
  for (const [k] of params) if (mapped.has(k) || k === sizeW || k === sizeL) bad(`corners.${chosen}.params.${k}`, 'is written by capmin (size or mismatch parameter); override another parameter');

  const spec: CircuitSpec = {
    name: f.name ?? abs.replace(/^.*\//, ''),
    file: abs,
    sha256: createHash('sha256').update(text).digest('hex'),
    corner: chosen ?? 'default',
    corners,
    cell: { file: cellFiles[0]!.path, subckt: f.cell.subckt.toLowerCase(), roles, ...(sizeW ? { sizeW } : {}), ...(sizeL ? { sizeL } : {}) },
    devices,
    ...(pelgrom ? { pelgrom } : {}),
    models,
    params,
    ...(c?.temp !== undefined ? { tempC: num(`corners.${chosen}.temp`, c.temp, { unit: 'degC', min: -55, max: 175 }) } : {}),
    ...(c?.v0 !== undefined ? { v0: num(`corners.${chosen}.v0`, c.v0, { unit: 'V', min: 0.05, max: 3 }) } : {}),
    ...(c?.vdd !== undefined ? { vdd: num(`corners.${chosen}.vdd`, c.vdd, { unit: 'V', min: 0.05, max: 3 }) } : {}),
    files: [],
  };
  spec.files = checkCircuitFiles(spec);
  return spec;
}

/** The corner names of a circuit file (for `--corners all`). */
export function circuitCorners(path: string): string[] {
  return loadCircuitFile(path).corners;
}

/**
 * Per-device σ multipliers of the Pelgrom rule σ ∝ 1/sqrt(W·L) relative to the reference area (1 without Pelgrom
 * scaling), in the spec's device order.
 */
export function pelgromScale(spec: CircuitSpec, wN: number, lN: number): number[] {
  return spec.devices.map((d) => (spec.pelgrom ? Math.sqrt((spec.pelgrom.refW * spec.pelgrom.refL) / ((d.wNom ?? wN) * (d.lNom ?? lN))) : 1));
}
