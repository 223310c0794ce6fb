/**
 * Every way an ngspice run fails gets its true cause and a fitting hint: fake ngspice scripts for crashes, hangs and
 * deck errors; a real 64 KiB tmpfs for a full disk (deck and raw file) and a read-only one for an unwritable TMPDIR.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildDeck } from '../../src/circuit/deck.js';
import { validateCircuit } from '../../src/circuit/params.js';
import {
  assertFiniteValues,
  checkNgspice,
  cleanStaleWorkDirs,
  isRetryable,
  runNgspice,
  runNgspiceFile,
  SPICE_ERROR_KINDS,
  SpiceError,
  spiceErrorFromRecord,
  SpiceQueue,
} from '../../src/spice/runner.js';
import { fakeNgspice, gone, mountTmpfs, pidsIn, waitFor } from './fake.js';

const work = mkdtempSync(join(tmpdir(), 'capmin-faults-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

async function failure(p: Promise<unknown>): Promise<SpiceError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(SpiceError);
    const err = e as SpiceError;
    expect(err.message).not.toContain('\n');
    expect(err.message).not.toMatch(/\bat .*\.[jt]s:\d+/); // no stack frames in the message
    return err;
  }
  throw new Error('expected a SpiceError, the run succeeded');
}

const tinyDeck = 't\nr1 a 0 1k\nv1 a 0 dc 1\n.control\nop\nwrite out.raw\n.endc\n.end\n';

describe('failure kinds and retryability', () => {
  it('every kind has a retry decision; faults are retryable, user-side problems are not', () => {
    const want: Record<string, boolean> = {
      timeout: true,
      crash: true,
      'disk-full': true,
      'no-output': true,
      truncated: true,
      'non-finite': true,
      convergence: true,
      'not-installed': false,
      'too-old': false,
      syntax: false,
      'not-writable': false,
      aborted: false,
    };
    expect([...SPICE_ERROR_KINDS].sort()).toEqual(Object.keys(want).sort());
    for (const k of SPICE_ERROR_KINDS) {
      const e = new SpiceError(k, 'x');
      expect(e.retryable).toBe(want[k]);
      expect(isRetryable(k)).toBe(want[k]);
      expect(e.toRecord()).toEqual({ kind: k, detail: 'x', retryable: want[k] });
      expect(e.message).toMatch(new RegExp(`^ngspice ${k}: x; \\S`));
    }
    const back = spiceErrorFromRecord({ kind: 'timeout', detail: 'no result after 3.0 s' }, 'nominal transient of level 4');
    expect(back).toMatchObject({ kind: 'timeout', retryable: true, detail: 'nominal transient of level 4: no result after 3.0 s' });
    expect(spiceErrorFromRecord({ kind: 'parse', detail: 'bad' }).kind).toBe('crash');
    const ctx = new SpiceError('crash', 'killed by SIGSEGV', '/w', 'o', 'e').withContext('level m=3');
    expect(ctx).toMatchObject({ kind: 'crash', detail: 'level m=3: killed by SIGSEGV', workDir: '/w', stdout: 'o', stderr: 'e' });
  });
});

describe('fake ngspice faults', () => {
  it('a segfault is a crash naming the signal, not non-convergence', async () => {
    const bin = fakeNgspice(join(work, 'segv'), 'echo "doAnalyses: TRAN:  Timestep too small"; kill -SEGV $$');
    const e = await failure(runNgspiceFile(tinyDeck, 'out.raw', { bin }));
    expect(e.kind).toBe('crash');
    expect(e.message).toMatch(/killed by SIGSEGV/);
    expect(e.retryable).toBe(true);
    expect(existsSync(e.workDir!)).toBe(false); // scratch removed on failure too
  });

  it('a hang is a timeout; the fake is killed', async () => {
    const pids = join(work, 'hang.pids');
    const bin = fakeNgspice(join(work, 'hang'), `echo $$ >> ${pids}; exec /bin/sleep 1000`);
    const e = await failure(runNgspiceFile(tinyDeck, 'out.raw', { bin, timeoutMs: 1000 }));
    expect(e.kind).toBe('timeout');
    expect(e.message).toMatch(/timeout: no result after 1\.0 s; .*raise the timeout/);
    expect(e.message).not.toMatch(/convergence|tStep/);
    expect(pidsIn(pids)).toHaveLength(1);
    expect(await waitFor(() => gone(pidsIn(pids)[0]!), 2000)).toBe(true);
  });

  it('a deck error carries the ngspice line and is not retryable', async () => {
    const bin = fakeNgspice(
      join(work, 'deckerr'),
      [
        "echo \"warning, can't find model 'nomodel' from line\"",
        'echo "    m1 a a 0 0 nomodel w=1u l=1u"',
        'echo "Error on line 3 or its substitute:" >&2',
        'echo "  m1 a a 0 0 nomodel w=1u l=1u" >&2',
        'echo "could not find a valid modelname" >&2',
        'exit 1',
      ].join('\n'),
    );
    const e = await failure(runNgspiceFile(tinyDeck, 'out.raw', { bin }));
    expect(e.kind).toBe('syntax');
    expect(e.detail).toBe('Error on line 3 or its substitute: m1 a a 0 0 nomodel w=1u l=1u: could not find a valid modelname');
    expect(e.retryable).toBe(false);
  });

  it('real ngspice deck errors name the netlist line', async () => {
    const expr = 'bad\nr1 a 0 1k\nv1 a 0 dc {1+}\n.control\nop\nwrite out.raw\n.endc\n.end\n';
    const e = await failure(runNgspiceFile(expr, 'out.raw'));
    expect(e.kind).toBe('syntax');
    expect(e.detail).toMatch(/Netlist line no\. 3: Expression err: 1\+\}/);
  });

  it('missing, non-executable and silent binaries', async () => {
    const missing = await failure(runNgspice(tinyDeck, { bin: join(work, 'nope', 'ngspice') }));
    expect(missing).toMatchObject({ kind: 'not-installed', retryable: false });
    const noX = join(work, 'nox');
    writeFileSync(noX, '#!/bin/sh\nexit 0\n', { mode: 0o644 });
    expect((await failure(runNgspice(tinyDeck, { bin: noX }))).kind).toBe('not-installed');
    const silent = fakeNgspice(join(work, 'silent'), 'exit 0');
    const e = await failure(runNgspiceFile(tinyDeck, 'out.raw', { bin: silent }));
    expect(e).toMatchObject({ kind: 'no-output', retryable: true });
    expect(e.message).toMatch(/out\.raw was not written/);
  });

  it('checkNgspice says a hanging or crashing `ngspice -v` is a timeout or a crash', async () => {
    const hang = join(work, 'vhang', 'ngspice');
    mkdirSync(join(work, 'vhang'));
    writeFileSync(hang, '#!/bin/sh\nexec /bin/sleep 1000\n', { mode: 0o755 });
    const t = await failure(checkNgspice(hang, { timeoutMs: 1000 }));
    expect(t.kind).toBe('timeout');
    expect(t.message).toMatch(/-v' did not answer within 1 s/);
    const segv = join(work, 'vsegv');
    writeFileSync(segv, '#!/bin/sh\nkill -SEGV $$\n', { mode: 0o755 });
    expect((await failure(checkNgspice(segv, { timeoutMs: 5000 }))).message).toMatch(/killed by SIGSEGV/);
    expect((await checkNgspice(fakeNgspice(join(work, 'v42'), 'exit 0'))).version).toBe(42);
  });
});

describe('scratch folders', () => {
  it('live in the work root, are named after the owner pid and removed afterwards', async () => {
    const root = join(work, 'root1', 'scratch'); // created when missing
    const bin = fakeNgspice(join(work, 'pwd'), 'pwd; echo data > out.raw');
    const q = new SpiceQueue(1, { workRoot: root });
    const r = await q.runFile(tinyDeck, 'out.raw', { bin });
    const dir = r.stdout.trim();
    expect(basename(dir)).toMatch(new RegExp(`^capmin-spice-${process.pid}-[A-Za-z0-9]{6}$`));
    expect(join(dir, '..')).toBe(root);
    expect(readdirSync(root)).toEqual([]);
  });

  it('folders of dead processes are removed on the next start, nothing else', async () => {
    const root = join(work, 'root2');
    mkdirSync(root);
    const dead = spawnSync('/bin/sh', ['-c', 'echo $$'], { encoding: 'utf8' });
    const deadPid = Number(dead.stdout.trim());
    expect(gone(deadPid)).toBe(true);
    const names = {
      dead: `capmin-spice-${deadPid}-AbC123`,
      deadFile: `capmin-spice-${deadPid}-XyZ789`,
      alive: `capmin-spice-1-QwErTy`,
      self: `capmin-spice-${process.pid}-Self00`,
      legacy: 'capmin-spice-aB3dE6',
      other: 'unrelated',
    };
    for (const [k, n] of Object.entries(names)) {
      if (k === 'deadFile') writeFileSync(join(root, n), 'x');
      else {
        mkdirSync(join(root, n));
        writeFileSync(join(root, n, 'deck.cir'), 'x');
      }
    }
    const bin = fakeNgspice(join(work, 'ok'), 'echo data > out.raw');
    await runNgspiceFile(tinyDeck, 'out.raw', { bin, workRoot: root });
    expect(readdirSync(root).sort()).toEqual([names.alive, names.self, names.legacy, names.deadFile, names.other].sort());
    // explicit sweep: idempotent
    expect(cleanStaleWorkDirs(root)).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Real filesystems: a 64 KiB tmpfs that fills up, a read-only tmpfs

const small = mountTmpfs('size=64k');
const ro = mountTmpfs('ro,size=64k');
afterAll(() => {
  for (const m of [small, ro]) if ('unmount' in m) m.unmount();
});
const smallWhy = 'error' in small ? ` (skipped: cannot mount a tmpfs: ${small.error})` : '';
const roWhy = 'error' in ro ? ` (skipped: cannot mount a read-only tmpfs: ${ro.error})` : '';

/** Fill the filesystem of `dir` so that exactly `leave` bytes stay free. */
function fillTo(dir: string, leave: number): string {
  const s = statfsSync(dir);
  const free = s.bfree * s.bsize;
  const f = join(dir, 'fill');
  rmSync(f, { force: true });
  writeFileSync(f, Buffer.alloc(Math.max(0, free - leave)));
  return f;
}

describe('disk full and read-only scratch (real tmpfs)', () => {
  const p = validateCircuit({ tStop: '30n' });
  const deck = buildDeck(p, { analysis: 'tran', level: 16, stopAfterSpike: false });
  const deckPages = Math.ceil(Buffer.byteLength(deck) / 4096) * 4096;

  it.skipIf(smallWhy !== '')(`ENOSPC writing the deck is disk-full, naming the path${smallWhy}`, async () => {
    const m = small as { dir: string };
    const f = fillTo(m.dir, 0);
    try {
      const e = await failure(runNgspiceFile(deck, 'out.raw', { workRoot: m.dir }));
      expect(e.kind).toBe('disk-full');
      expect(e.retryable).toBe(true);
      expect(e.message).toContain(m.dir);
      expect(e.message).toMatch(/deck\.cir \(no space left on device, ENOSPC\); free space there, or point TMPDIR/);
    } finally {
      rmSync(f);
    }
    expect(readdirSync(m.dir)).toEqual([]); // the scratch folder did not stay
  });

  it.skipIf(smallWhy !== '')(`ENOSPC writing the raw file (empty or cut short) is disk-full, not a parse error${smallWhy}`, async () => {
    const m = small as { dir: string };
    for (const extra of [0, 4096]) {
      const f = fillTo(m.dir, deckPages + extra); // the deck fits, the raw file (≈ 5 kB) does not
      try {
        const e = await failure(runNgspiceFile(deck, 'out.raw', { workRoot: m.dir }));
        expect(e.kind).toBe('disk-full');
        expect(e.message).toContain(m.dir);
        // empty: never written; one page: ngspice wrote 4096 bytes of it and exited 0
        expect(e.message).toMatch(extra === 0 ? /out\.raw was not written: no space left on device/ : /out\.raw was written with 0 bytes left .* cut short/);
      } finally {
        rmSync(f);
      }
      expect(readdirSync(m.dir)).toEqual([]);
    }
    // with room the same deck runs
    const ok = await runNgspiceFile(deck, 'out.raw', { workRoot: m.dir });
    expect(ok.data.length).toBeGreaterThan(4096);
  });

  it.skipIf(roWhy !== '')(`a read-only TMPDIR is not-writable, naming the path and what to do${roWhy}`, async () => {
    const m = ro as { dir: string };
    const e = await failure(runNgspiceFile(tinyDeck, 'out.raw', { workRoot: m.dir }));
    expect(e.kind).toBe('not-writable');
    expect(e.retryable).toBe(false);
    expect(e.message).toBe(
      `ngspice not-writable: cannot create a scratch folder in ${m.dir} (read-only file system, EROFS); make that folder writable, or point TMPDIR (or the run directory) at one that is`,
    );
    const old = process.env.TMPDIR;
    process.env.TMPDIR = m.dir; // the default root follows TMPDIR
    try {
      const e2 = await failure(runNgspiceFile(tinyDeck, 'out.raw'));
      expect(e2.kind).toBe('not-writable');
      expect(e2.message).toContain(m.dir);
    } finally {
      if (old === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = old;
    }
  });
});

describe('assertFiniteValues', () => {
  it('names the vector, the value and the 1-based point; accepts finite data', () => {
    expect(() => assertFiniteValues(Float64Array.from([0, 1, 2]), 'v(ml)')).not.toThrow();
    expect(() => assertFiniteValues([], 'v(ml)')).not.toThrow();
    for (const [vals, msg] of [
      [[0, NaN, 1], 'v(ml) is NaN at point 2 of 3'],
      [[Infinity], 'v(ml) is Infinity at point 1 of 1'],
      [[0, 0, -Infinity], 'v(ml) is -Infinity at point 3 of 3'],
    ] as const) {
      try {
        assertFiniteValues(vals, 'v(ml)');
        expect.unreachable();
      } catch (e) {
        expect(e).toMatchObject({ kind: 'non-finite', detail: msg, retryable: true });
      }
    }
  });
});
