/**
 * Faults never become results, and a run directory has one writer — with real processes and real ngspice:
 * - a timeout (fake hanging ngspice first in PATH) and a raw file full of NaN are failure records; `--resume` with
 *   the real ngspice retries them and gives exactly the numbers of an uninterrupted run; the manifest says how often
 *   each batch was tried and why each try failed;
 * - an edited value in a saved batch file is re-simulated (counted in the manifest);
 * - two processes into one run directory: one runs, the other names the holder; a killed holder's lock is stale;
 * - a truncated manifest, a full and a read-only run directory are one-line errors naming the path.
 * The runs go through test/montecarlo/fixtures/pmap-driver.ts (the run-directory part of `capmin pmap`).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';
import { openRunDir } from '../../src/montecarlo/rundir.js';
import { CapminError } from '../../src/util/errors.js';
import { LOCK_FILE } from '../../src/util/lock.js';

const root = resolve(__dirname, '..', '..');
const driver = join(__dirname, 'fixtures', 'pmap-driver.ts');
const realNgspice = spawnSync('sh', ['-c', 'command -v ngspice'], { encoding: 'utf8' }).stdout.trim();

interface Outcome {
  code: number | null;
  out: string;
  err: string;
  json?: { stats: Record<string, number>; failures: unknown[]; tCross: number[][] };
}

function run(args: Record<string, unknown>, env: NodeJS.ProcessEnv = {}): { done: Promise<Outcome>; pid: number; child: ReturnType<typeof spawn> } {
  const child = spawn(process.execPath, ['--import', 'tsx', driver, JSON.stringify(args)], {
    cwd: root,
    env: { ...process.env, CAPMIN_QUIET: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const done = new Promise<Outcome>((res) =>
    child.on('close', (code) => {
      const line = out.split('\n').find((l) => l.startsWith('{'));
      res({ code, out, err, ...(line ? { json: JSON.parse(line) } : {}) });
    }),
  );
  return { done, pid: child.pid!, child };
}

const manifest = (dir: string) => JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));

/** A clean error is one line, the CLI's prefix, no stack frames. */
function expectOneLine(err: string): void {
  const lines = err.trim().split('\n');
  expect(lines, err).toHaveLength(1);
  expect(err).toMatch(/^capmin pmap: /);
  expect(err).not.toMatch(/\n\s+at |internal error/);
}

/** A folder with a fake `ngspice` (reports a version for `-v`, then runs `body`), to put first in PATH. */
function fakeNgspice(dir: string, body: string): string {
  const bin = join(dir, 'bin');
  mkdirSync(bin, { recursive: true });
  writeFileSync(join(bin, 'ngspice'), `#!/bin/sh\nif [ "$1" = "-v" ]; then echo "ngspice-42 : fake"; exit 0; fi\n${body}\n`);
  chmodSync(join(bin, 'ngspice'), 0o755);
  return `${bin}${delimiter}${process.env.PATH}`;
}

describe.skipIf(!realNgspice)('faults are retried, never results (real ngspice + fake ngspice scripts)', () => {
  let work: string;
  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), 'capmin-faults-'));
  });
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('a timeout of a hanging ngspice is saved as a failure; --resume with the real ngspice recovers the exact result', async () => {
    const out = join(work, 'hang');
    const PATH = fakeNgspice(join(work, 'fake-hang'), 'exec sleep 1000');
    const first = await run({ out, timeoutMs: 1500 }, { PATH }).done;
    expect(first.code).toBe(1);
    expectOneLine(first.err);
    expect(first.err).toMatch(/ngspice timeout: nominal quasi-static sweep failed \(2 tries\): .*--resume tries it again/);
    const m1 = manifest(out);
    expect(m1.status).toBe('failed');
    const [hash, h1] = Object.entries(
      m1.batchHistory as Record<string, { status: string; tries: number; failures: Array<{ kind: string; options: string }> }>,
    )[0]!;
    expect(h1).toMatchObject({ status: 'failed', tries: 2 });
    expect(h1.failures.map((f) => [f.kind, f.options])).toEqual([
      ['timeout', 'default'],
      ['timeout', 'tight'],
    ]);
    expect(JSON.parse(readFileSync(join(out, 'batches', `${hash}.json`), 'utf8')).type).toBe('failure');
    expect(existsSync(join(out, LOCK_FILE))).toBe(false);

    const t0 = Date.now();
    const resumed = await run({ out, timeoutMs: 60_000, resume: true }).done;
    expect(resumed.code, resumed.err).toBe(0);
    expect(Date.now() - t0).toBeGreaterThan(300); // it simulated (the old run "failed again in 0.3 s")
    expect(resumed.json!.stats).toMatchObject({ retriedFailures: 1, recovered: 1, failed: 0 });
    const m2 = manifest(out);
    expect(m2.status).toBe('complete');
    expect(m2.invocations).toHaveLength(2);
    expect(m2.batchHistory[hash]).toMatchObject({ status: 'ok', tries: 3 });
    expect(m2.batchHistory[hash].failures).toHaveLength(2);
    expect(JSON.parse(readFileSync(join(out, 'batches', `${hash}.json`), 'utf8')).type).toBe('result');

    // the same numbers as a run that never saw the fault (the retry used the default options first)
    const clean = await run({ out: join(work, 'clean'), timeoutMs: 60_000 }).done;
    expect(clean.code, clean.err).toBe(0);
    expect(resumed.json!.tCross).toEqual(clean.json!.tCross);
    expect(resumed.json!.tCross[0]!.every(Number.isFinite)).toBe(true);
  }, 120_000);

  it('the reproducer through the CLI: capmin pmap --timeout 3 with a hanging ngspice, then --resume with the real one', async () => {
    const out = join(work, 'cli-hang');
    const PATH = fakeNgspice(join(work, 'fake-hang-cli'), 'exec sleep 1000');
    const cli = (extra: string[], env: NodeJS.ProcessEnv = {}) =>
      new Promise<{ code: number | null; err: string; ms: number }>((res) => {
        const t0 = Date.now();
        const ch = spawn(
          process.execPath,
          ['--import', 'tsx', join(root, 'src', 'cli.ts'), 'pmap', '--cap', '2p', '--samples', '2', '--levels', '16', '--timeout', '3', '--out', out, ...extra],
          {
            cwd: root,
            env: { ...process.env, CAPMIN_QUIET: '1', ...env },
            stdio: ['ignore', 'ignore', 'pipe'],
          },
        );
        let err = '';
        ch.stderr!.on('data', (d: Buffer) => (err += d.toString()));
        ch.on('close', (code) => res({ code, err, ms: Date.now() - t0 }));
      });
    const first = await cli([], { PATH });
    expect(first.code).toBe(1);
    expect(first.err.trim().split('\n'), first.err).toHaveLength(1);
    expect(first.err).toMatch(/timeout/);
    const resumed = await cli(['--resume']);
    expect(resumed.code, resumed.err).toBe(0);
    const m = manifest(out);
    expect(m.status).toBe('complete');
    expect(m.invocations.at(-1).stats).toMatchObject({ retriedFailures: 1, recovered: 1, failed: 0 });
    expect(Object.values(m.batchHistory as Record<string, { status: string; tries: number }>)).toEqual([expect.objectContaining({ status: 'ok', tries: 3 })]);
  }, 120_000);

  it('a raw file full of NaN is a failed batch (not "ok" with nulls); --resume with the real ngspice recovers', async () => {
    const out = join(work, 'nan');
    const patch = `const fs=require("fs");const f=process.argv[1];const b=fs.readFileSync(f);const i=b.indexOf("Binary:\\n");if(i>=0){for(let k=i+8;k+8<=b.length;k+=8)b.writeDoubleLE(NaN,k);fs.writeFileSync(f,b);}`;
    const PATH = fakeNgspice(
      join(work, 'fake-nan'),
      `"${realNgspice}" "$@"\nrc=$?\nfor f in *.raw; do [ -f "$f" ] && "${process.execPath}" -e '${patch}' "$f"; done\nexit $rc`,
    );
    const first = await run({ out }, { PATH }).done;
    expect(first.code).toBe(1);
    expectOneLine(first.err);
    expect(first.err).toMatch(/nominal quasi-static sweep failed \(2 tries\): .*NaN/);
    const recs = readdirSync(join(out, 'batches')).map((f) => JSON.parse(readFileSync(join(out, 'batches', f), 'utf8')));
    expect(recs.length).toBeGreaterThan(0);
    expect(recs.every((r) => r.type === 'failure')).toBe(true);
    const resumed = await run({ out, resume: true }).done;
    expect(resumed.code, resumed.err).toBe(0);
    expect(resumed.json!.stats).toMatchObject({ recovered: 1, failed: 0 });
    expect(resumed.json!.tCross[0]!.every(Number.isFinite)).toBe(true);
  }, 120_000);

  it('an edited value in a saved batch file is re-simulated and counted in the manifest', async () => {
    const out = join(work, 'edit');
    const first = await run({ out }).done;
    expect(first.code, first.err).toBe(0);
    // the die batch of sample 0: its J_16 decides tCross of level 16, sample 0
    const dir = join(out, 'batches');
    const file = readdirSync(dir).find((f) => {
      const v = JSON.parse(readFileSync(join(dir, f), 'utf8')).body.value;
      return v.kind === 'qs' && v.lkey !== -1 && v.samples[0] === 0;
    })!;
    const rec = JSON.parse(readFileSync(join(dir, file), 'utf8'));
    rec.body.value.values[0][16] *= 1.1;
    writeFileSync(join(dir, file), JSON.stringify(rec));

    const again = await run({ out, resume: true }).done;
    expect(again.code, again.err).toBe(0);
    expect(again.json!.stats).toMatchObject({ corrupt: 1, simulated: 1 });
    expect(again.json!.stats.cached).toBe(again.json!.stats.batches! - 1);
    expect(again.json!.tCross).toEqual(first.json!.tCross); // the edit did not reach the result
    const m = manifest(out);
    expect(m.invocations[1].stats.corrupt).toBe(1);
    expect(m.invocations[1].batchStore.corrupt).toBe(1);
    // the record was rewritten and verifies again
    const third = await run({ out, resume: true }).done;
    expect(third.json!.stats).toMatchObject({ corrupt: 0, simulated: 0 });
  }, 120_000);

  it('two runs into one --out, then two concurrent --resume: one writer each time, the other names it; a killed holder is stale', async () => {
    const out = join(work, 'race');
    const a = run({ out, holdMs: 2500 });
    const b = run({ out, holdMs: 2500 });
    const [ra, rb] = await Promise.all([a.done, b.done]);
    const ok = [ra, rb].filter((r) => r.code === 0);
    const refused = [ra, rb].filter((r) => r.code !== 0);
    expect(ok).toHaveLength(1);
    expect(refused).toHaveLength(1);
    const winner = ra.code === 0 ? a.pid : b.pid;
    expect(refused[0]!.code).toBe(1);
    expectOneLine(refused[0]!.err);
    expect(refused[0]!.err).toMatch(new RegExp(`run directory ${out} is in use by pid ${winner} since \\d{4}-[\\d-]+T[\\d:.]+Z \\(capmin pmap\\)`));
    expect(manifest(out).invocations).toHaveLength(1);

    const c = run({ out, holdMs: 2500, resume: true });
    const d = run({ out, holdMs: 2500, resume: true });
    const [rc, rd] = await Promise.all([c.done, d.done]);
    expect([rc, rd].filter((r) => r.code === 0)).toHaveLength(1);
    expect([rc, rd].find((r) => r.code !== 0)!.err).toMatch(/is in use by pid \d+ since /);
    const m = manifest(out);
    expect(m.invocations).toHaveLength(2); // no lost and no doubled invocation
    expect(m.invocations[1].stats.simulated).toBe(0); // the resume found everything; nothing simulated twice

    // kill -9 while holding: the lock stays behind, is stale, and the next --resume takes it over
    const e = run({ out, holdMs: 60_000, resume: true });
    const t0 = Date.now();
    // opened = its invocation is in the manifest (written under the lock)
    while (manifest(out).invocations.length < 3) {
      if (Date.now() - t0 > 30_000) throw new Error('driver did not start');
      await new Promise((r) => setTimeout(r, 50));
    }
    e.child.kill('SIGKILL');
    await e.done;
    expect(existsSync(join(out, LOCK_FILE))).toBe(true);
    const f = await run({ out, resume: true }).done;
    expect(f.code, f.err).toBe(0);
    expect(manifest(out).invocations).toHaveLength(4);
  }, 120_000);

  it('a truncated manifest.json is a one-line error naming it and what to do; following the advice works', async () => {
    const out = join(work, 'trunc');
    expect((await run({ out }).done).code).toBe(0);
    const full = readFileSync(join(out, 'manifest.json'), 'utf8');
    writeFileSync(join(out, 'manifest.json'), full.slice(0, full.length >> 1));
    const r = await run({ out, resume: true }).done;
    expect(r.code).toBe(2);
    expectOneLine(r.err);
    expect(r.err).toContain(
      `${join(out, 'manifest.json')}: not valid JSON (truncated or edited); move it away and run the same command again without --resume`,
    );
    expect(existsSync(join(out, LOCK_FILE))).toBe(false);
    // in-process too: a CapminError, not a SyntaxError
    await expect(openRunDir(out, 'pmap', {}, { resume: true })).rejects.toBeInstanceOf(CapminError);
    // a manifest that is JSON but not a run's
    writeFileSync(join(out, 'manifest.json'), '[1, 2]');
    await expect(openRunDir(out, 'pmap', {}, { resume: true })).rejects.toThrow(/not a capmin run manifest/);
    renameSync(join(out, 'manifest.json'), join(out, 'manifest.broken.json'));
    const fresh = await run({ out }).done;
    expect(fresh.code, fresh.err).toBe(0);
    expect(fresh.json!.stats.simulated).toBe(0); // every verified batch was reused
  }, 120_000);
});

/** Can this process mount a tmpfs (root in a container with CAP_SYS_ADMIN)? */
function canMount(): boolean {
  if (process.getuid?.() !== 0) return false;
  const d = mkdtempSync(join(tmpdir(), 'capmin-mnt-probe-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', d], { stdio: 'ignore' });
    execFileSync('umount', [d], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  } finally {
    rmSync(d, { recursive: true, force: true });
  }
}

describe.skipIf(!realNgspice || !canMount())('full and read-only run directories (tmpfs)', () => {
  let base: string;
  const mounts: string[] = [];
  const mount = (opts: string): string => {
    const d = join(base, `m${mounts.length}`);
    mkdirSync(d);
    execFileSync('mount', ['-t', 'tmpfs', '-o', opts, 'tmpfs', d]);
    mounts.push(d);
    return d;
  };
  beforeAll(() => {
    base = mkdtempSync(join(tmpdir(), 'capmin-fs-'));
  });
  afterAll(() => {
    for (const d of mounts.reverse()) spawnSync('umount', [d]);
    rmSync(base, { recursive: true, force: true });
  });

  /** Fill a tmpfs until `leave` bytes remain (page-granular). */
  const fill = (dir: string, leave: number): void => {
    const st = execFileSync('df', ['-B1', '--output=avail', dir], { encoding: 'utf8' }).trim().split('\n').pop()!;
    const avail = Number(st);
    try {
      writeFileSync(join(dir, 'filler'), Buffer.alloc(Math.max(0, avail - leave)));
    } catch {
      /* full already */
    }
  };

  it('ENOSPC on --out: a one-line error naming the path, before or during the run', async () => {
    const full = mount('size=64k');
    fill(full, 0);
    const r1 = await run({ out: join(full, 'run') }).done;
    expect(r1.code).toBe(1);
    expectOneLine(r1.err);
    expect(r1.err).toMatch(
      new RegExp(`^capmin pmap: ${full}/run/\\S+: no space left on the device \\(cannot [a-z ]+\\); free space there or choose another --out$`, 'm'),
    );

    const some = mount('size=64k');
    fill(some, 12 * 1024); // room for the lock and the manifest, not for the batches
    const r2 = await run({ out: join(some, 'run'), samples: 4 }).done;
    expect(r2.code).toBe(1);
    expectOneLine(r2.err);
    expect(r2.err).toMatch(
      new RegExp(
        `^capmin pmap: ${some}/run/batches/[0-9a-f]{64}\\.json: no space left on the device \\(cannot write\\); free space there or choose another --out$`,
        'm',
      ),
    );
    expect(existsSync(join(some, 'run', LOCK_FILE))).toBe(false); // released at exit
    // no half-written temp files are left behind
    const left = spawnSync('find', [join(some, 'run'), '-name', '*.tmp'], { encoding: 'utf8' }).stdout.trim();
    expect(left).toBe('');
  }, 120_000);

  it('read-only --out: a one-line error naming the path (new folder and existing folder)', async () => {
    const ro = mount('ro,size=64k');
    const r1 = await run({ out: join(ro, 'run') }).done;
    expect(r1.code).toBe(2);
    expectOneLine(r1.err);
    expect(r1.err.trim()).toBe(`capmin pmap: ${join(ro, 'run')}: read-only file system (cannot create the folder); choose a writable --out`);
    const r2 = await run({ out: ro }).done;
    expect(r2.code).toBe(2);
    expectOneLine(r2.err);
    expect(r2.err.trim()).toBe(`capmin pmap: ${join(ro, LOCK_FILE)}: read-only file system (cannot create the lock file); choose a writable --out`);
  }, 60_000);
});
