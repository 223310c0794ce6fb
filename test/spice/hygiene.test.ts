/**
 * Process hygiene: a hung ngspice dies with capmin even when capmin is killed with -9 (kernel parent-death signal
 * through setpriv; a watchdog where setpriv is missing), the death signal is not fired by the exit of some other
 * thread, and the scratch folders a kill leaves behind are removed by the next run. capmin runs as a real child
 * process (`node --import tsx src/cli.ts`); ngspice is a fake script that hangs (`exec sleep`, so the pid it records
 * is the process that must die).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { capminChild, exited, fakeNgspice, gone, mountTmpfs, pidsIn, repo, tsx, waitFor } from './fake.js';

const work = mkdtempSync(join(tmpdir(), 'capmin-hygiene-'));
const children: ChildProcess[] = [];
const strays: number[] = [];
afterAll(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  for (const pid of strays) {
    try {
      process.kill(pid, 'SIGKILL'); // only fakes this file started, by pid, should a test fail half-way
    } catch {
      /* gone, as it should be */
    }
  }
  rmSync(work, { recursive: true, force: true });
});

/** cmdlines of processes (for finding the watchdog) */
function cmdlines(): { pid: number; argv: string[] }[] {
  const out: { pid: number; argv: string[] }[] = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      out.push({ pid: Number(e), argv: readFileSync(`/proc/${e}/cmdline`, 'utf8').split('\0').filter(Boolean) });
    } catch {
      /* gone */
    }
  }
  return out;
}

function capmin(args: string[], env: { PATH: string; TMPDIR: string }): ReturnType<typeof capminChild> {
  const c = capminChild(args, env, work);
  children.push(c);
  return c;
}

const spikeArgs = ['spikes', '--cap', '2p', '--levels', '16', '--no-cache'];

describe('a hung ngspice dies with capmin', () => {
  it('through the kernel parent-death signal (setpriv); the next run removes the scratch it left', async () => {
    const dir = join(work, 'pdeath');
    const pids = join(dir, 'pids');
    fakeNgspice(join(dir, 'bin'), `echo $$ >> ${pids}; exec /bin/sleep 1000`);
    const tmp = join(dir, 'tmp');
    mkdirSync(tmp);
    const env = { PATH: `${join(dir, 'bin')}:${process.env.PATH}`, TMPDIR: tmp };
    const c = capmin(spikeArgs, env);
    // level 16: an operating point and a transient, both hanging
    expect(await waitFor(() => pidsIn(pids).length === 2, 30_000)).toBe(true);
    const hung = pidsIn(pids);
    strays.push(...hung);
    await new Promise((r) => setTimeout(r, 300));
    expect(hung.map(gone)).toEqual([false, false]);
    const left = readdirSync(tmp).filter((n) => n.startsWith(`capmin-spice-${c.pid}-`));
    expect(left).toHaveLength(2);
    c.kill('SIGKILL');
    await exited(c);
    expect(await waitFor(() => hung.every(gone), 3000)).toBe(true);
    expect(readdirSync(tmp).filter((n) => n.startsWith('capmin-spice-'))).toEqual(left); // what a kill leaves
    // the next capmin start (here: one whose ngspice writes nothing) removes the dead owner's folders
    const quick = join(dir, 'bin2');
    fakeNgspice(quick, 'exit 0');
    const c2 = capmin(spikeArgs, { PATH: `${quick}:${process.env.PATH}`, TMPDIR: tmp });
    expect(await exited(c2)).toBe(1);
    expect(c2.err.join('')).toMatch(/^capmin( spikes)?: ngspice no-output: level m=16: .*out\.raw was not written/);
    expect(readdirSync(tmp).filter((n) => n.startsWith('capmin-spice-'))).toEqual([]);
  });

  it('SIGTERM: capmin kills its ngspice jobs and removes its scratch folders before it goes', async () => {
    const dir = join(work, 'term');
    const pids = join(dir, 'pids');
    fakeNgspice(join(dir, 'bin'), `echo $$ >> ${pids}; exec /bin/sleep 1000`);
    const tmp = join(dir, 'tmp');
    mkdirSync(tmp);
    const c = capmin(spikeArgs, { PATH: `${join(dir, 'bin')}:${process.env.PATH}`, TMPDIR: tmp });
    expect(await waitFor(() => pidsIn(pids).length === 2, 30_000)).toBe(true);
    strays.push(...pidsIn(pids));
    expect(readdirSync(tmp).filter((n) => n.startsWith('capmin-spice-'))).toHaveLength(2);
    c.kill('SIGTERM');
    await exited(c);
    expect(await waitFor(() => pidsIn(pids).every(gone), 3000)).toBe(true);
    expect(readdirSync(tmp).filter((n) => n.startsWith('capmin-spice-'))).toEqual([]);
  });

  it('through the watchdog where setpriv is missing (PATH without util-linux)', async () => {
    const dir = join(work, 'watchdog');
    const pids = join(dir, 'pids');
    fakeNgspice(join(dir, 'bin'), `echo $$ >> ${pids}; exec /bin/sleep 1000`);
    const tmp = join(dir, 'tmp');
    mkdirSync(tmp);
    expect(existsSync(join(dir, 'bin', 'setpriv'))).toBe(false);
    const c = capmin(spikeArgs, { PATH: join(dir, 'bin'), TMPDIR: tmp });
    expect(await waitFor(() => pidsIn(pids).length === 2, 30_000)).toBe(true);
    const hung = pidsIn(pids);
    strays.push(...hung);
    // the fallback really is in use: one watchdog per hung ngspice, watching this capmin
    const watching = () => cmdlines().filter((p) => p.argv.includes('capmin-watchdog') && p.argv.includes(String(c.pid)));
    // a watchdog starts right after its ngspice: on a loaded machine the second one may lag the pid file
    await waitFor(() => watching().length === hung.length, 10_000);
    const dogs = watching();
    expect(dogs.map((d) => Number(d.argv.at(-1))).sort()).toEqual([...hung].sort());
    strays.push(...dogs.map((d) => d.pid));
    c.kill('SIGKILL');
    await exited(c);
    expect(await waitFor(() => hung.every(gone), 4000)).toBe(true);
    expect(await waitFor(() => dogs.every((d) => gone(d.pid)), 2000)).toBe(true);
  });

  it('the death signal is tied to the spawning (main) thread: a worker thread exiting does not fire it', async () => {
    const dir = join(work, 'thread');
    const pids = join(dir, 'pids');
    const bin = fakeNgspice(join(dir, 'bin'), `echo $$ >> ${pids}; exec /bin/sleep 1000`);
    const driver = join(dir, 'driver.mts'); // .mts: ESM outside the package
    writeFileSync(
      driver,
      [
        "import { Worker } from 'node:worker_threads';",
        `import { runNgspice, parentDeathGuard } from ${JSON.stringify(join(repo, 'src', 'spice', 'runner.ts'))};`,
        "console.log('guard ' + parentDeathGuard());",
        // a worker that starts and ends while ngspice (spawned on the main thread) runs
        "const w = new Worker('setTimeout(() => {}, 300)', { eval: true });",
        `runNgspice('t\\n.end\\n', { bin: ${JSON.stringify(bin)}, timeoutMs: 600000 }).catch(() => {});`,
        "w.on('exit', () => console.log('worker exited'));",
        'setInterval(() => {}, 1000);',
      ].join('\n'),
    );
    const c = spawn(process.execPath, ['--import', tsx, driver], { cwd: repo, stdio: ['ignore', 'pipe', 'inherit'] });
    children.push(c);
    let out = '';
    c.stdout.on('data', (d) => (out += String(d)));
    expect(await waitFor(() => pidsIn(pids).length === 1 && out.includes('worker exited'), 30_000)).toBe(true);
    expect(out).toContain('guard setpriv');
    const [pid] = pidsIn(pids);
    strays.push(pid!);
    await new Promise((r) => setTimeout(r, 500));
    expect(gone(pid!)).toBe(false); // survived the worker thread's exit
    c.kill('SIGKILL');
    expect(await waitFor(() => gone(pid!), 3000)).toBe(true);
  });
});

// a read-only TMPDIR seen from the command line: one line naming the path, no stack trace
const ro = mountTmpfs('ro,size=64k');
const full = mountTmpfs('size=64k');
afterAll(() => {
  for (const m of [ro, full]) if ('unmount' in m) m.unmount();
});
const roWhy = 'error' in ro ? ` (skipped: cannot mount a read-only tmpfs: ${ro.error})` : '';
const fullWhy = 'error' in full ? ` (skipped: cannot mount a tmpfs: ${full.error})` : '';

describe('capmin spikes with an unusable TMPDIR', () => {
  it.skipIf(roWhy !== '')(`read-only TMPDIR: one line naming the path and what to do${roWhy}`, async () => {
    const m = ro as { dir: string };
    const c = capmin(spikeArgs, { PATH: process.env.PATH!, TMPDIR: m.dir });
    expect(await exited(c)).toBe(1);
    const err = c.err.join('');
    expect(err.trim().split('\n')).toHaveLength(1);
    expect(err).toContain(`cannot create a scratch folder in ${m.dir} (read-only file system, EROFS)`);
    expect(err).toMatch(/point TMPDIR .* at one that is/);
    expect(err).not.toMatch(/internal error|\n\s+at /);
  });
});

describe('capmin spikes with a full TMPDIR', () => {
  it.skipIf(fullWhy !== '')(`ENOSPC in TMPDIR: one line, disk-full, naming the path and what to do${fullWhy}`, async () => {
    const m = full as { dir: string };
    const s = statfsSync(m.dir);
    writeFileSync(join(m.dir, 'fill'), Buffer.alloc(s.bfree * s.bsize)); // every block taken
    const c = capmin(spikeArgs, { PATH: process.env.PATH!, TMPDIR: m.dir });
    expect(await exited(c)).toBe(1);
    const err = c.err.join('');
    expect(err.trim().split('\n')).toHaveLength(1);
    expect(err).toMatch(
      new RegExp(
        `ngspice disk-full: level m=16: cannot write the deck ${m.dir}/capmin-spice-\\d+-\\w{6}/deck\\.cir \\(no space left on device, ENOSPC\\); free space there, or point TMPDIR`,
      ),
    );
    expect(err).not.toMatch(/internal error|\n\s+at /);
    expect(readdirSync(m.dir)).toEqual(['fill']); // no scratch folder left behind
  });
});
