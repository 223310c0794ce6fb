/**
 * The Slurm executor against a real one-node cluster (scripts/slurm-cluster.sh: munged, slurmctld, slurmd on this
 * host) and real ngspice: same bytes as local, a cancelled task is resubmitted, a killed orchestrator re-attaches,
 * and a node without ngspice is a one-line error naming the task.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalExecutor } from '../../src/executor/local.js';
import { SlurmExecutor } from '../../src/executor/slurm.js';
import { SpiceError } from '../../src/spice/runner.js';
import { pathToFileURL } from 'node:url';
import { rawBody, rcJobs } from './fixtures/decks.js';

const ROOT = join(import.meta.dirname, '..', '..');
const SCRIPT = join(ROOT, 'scripts', 'slurm-cluster.sh');
const CONF = '/tmp/capmin-slurm/slurm.conf';
let startedHere = false;
let tmp = '';

function clusterUp(): boolean {
  const r = spawnSync('sinfo', ['-h', '-o', '%T'], { env: { ...process.env, SLURM_CONF: CONF }, encoding: 'utf8' });
  return r.status === 0 && /idle|mixed|allocated/.test(r.stdout);
}

/** A wrapper that makes each real ngspice run take `s` seconds longer (so tasks are caught running). */
function slowNgspice(s: number): string {
  const p = join(tmp, `slow-ngspice-${s}`);
  writeFileSync(p, `#!/bin/bash\nsleep ${s}\nexec ngspice "$@"\n`);
  chmodSync(p, 0o755);
  return p;
}

const loader = pathToFileURL(join(ROOT, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;

/** The capmin CLI as a user runs it (real Node process). */
function capmin(args: string[]): { code: number | null; out: string; err: string } {
  const r = spawnSync(process.execPath, ['--import', loader, join(ROOT, 'src', 'cli.ts'), ...args], { cwd: tmp, encoding: 'utf8', env: { ...process.env, CAPMIN_QUIET: '1' }, timeout: 170_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

function squeueIds(): string[] {
  return execFileSync('squeue', ['-h', '-r', '-o', '%i|%T'], { encoding: 'utf8' }).split('\n').filter(Boolean);
}

beforeAll(() => {
  process.env.SLURM_CONF = CONF;
  if (!clusterUp()) {
    execFileSync('bash', [SCRIPT, 'start'], { stdio: 'inherit' });
    startedHere = true;
  }
  tmp = mkdtempSync(join(tmpdir(), 'capmin-slurm-test-'));
}, 180_000);

afterAll(() => {
  try {
    execFileSync('scancel', ['--name=capmin'], { stdio: 'ignore' });
  } catch {
    /* nothing left */
  }
  if (startedHere) execFileSync('bash', [SCRIPT, 'stop'], { stdio: 'inherit' });
  rmSync(tmp, { recursive: true, force: true });
});

describe('Slurm executor (real one-node cluster, real ngspice)', () => {
  it('gives the same output bytes as the local executor, probing the node first', async () => {
    const jobs = rcJobs([1000, 1500, 2200]);
    const ex = new SlurmExecutor({ workRoot: join(tmp, 'same'), pollMs: 500, decksPerTask: 2 });
    const rs = await Promise.all(jobs.map((j) => ex.runFile(j)));
    await ex.close();
    const local = new LocalExecutor(2);
    const rl = await Promise.all(jobs.map((j) => local.runFile(j)));
    for (let i = 0; i < jobs.length; i++) expect(rawBody(rs[i]!.data)).toBe(rawBody(rl[i]!.data));
    // probe + one array of 2 tasks (2 decks per task)
    const state = JSON.parse(readFileSync(ex.statePath, 'utf8')) as { arrays: Array<{ tasks: number }>; keys: Record<string, { task: number }> };
    expect(state.arrays.map((a) => a.tasks)).toEqual([1, 2]);
    expect(Object.keys(state.keys)).toHaveLength(3);
  });

  it('resubmits a task cancelled with scancel, and the result is unchanged', async () => {
    const jobs = rcJobs([3300, 4700]);
    const ex = new SlurmExecutor({ workRoot: join(tmp, 'cancel'), pollMs: 500, decksPerTask: 1, taskEnv: { PATH: process.env.PATH!, CAPMIN_NGSPICE: slowNgspice(3) } });
    const all = Promise.all(jobs.map((j) => ex.runFile(j)));
    // wait until task 0 of the array runs, then cancel it
    let victim = '';
    for (let i = 0; i < 120 && !victim; i++) {
      await new Promise((r) => setTimeout(r, 250));
      const arr = JSON.parse(existsSync(ex.statePath) ? readFileSync(ex.statePath, 'utf8') : '{"arrays":[]}') as { arrays: Array<{ job: string; tasks: number }> };
      const a = arr.arrays.find((x) => x.tasks === 2);
      if (a && squeueIds().some((l) => l === `${a.job}_0|RUNNING`)) victim = `${a.job}_0`;
    }
    expect(victim).not.toBe('');
    execFileSync('scancel', [victim]);
    const rs = await all;
    await ex.close();
    expect(ex.status().resubmitted).toBeGreaterThanOrEqual(1);
    const state = JSON.parse(readFileSync(ex.statePath, 'utf8')) as { keys: Record<string, { attempt: number; reasons: string[] }> };
    const k0 = state.keys[jobs[0]!.key]!;
    expect(k0.attempt).toBe(2);
    expect(k0.reasons.join(' ')).toMatch(/CANCELLED/);
    const rl = await Promise.all(jobs.map((j) => new LocalExecutor(2).runFile(j)));
    for (let i = 0; i < jobs.length; i++) expect(rawBody(rs[i]!.data)).toBe(rawBody(rl[i]!.data));
  });

  it('re-attaches after kill -9 of the orchestrator: nothing finished or running is submitted again', async () => {
    const work = join(tmp, 'reattach');
    const wrapper = slowNgspice(4);
    const rs = ['5600', '6800', '8200'];
    const run = (): ReturnType<typeof spawn> =>
      spawn(join(ROOT, 'node_modules', '.bin', 'tsx'), [join(ROOT, 'test/executor/fixtures/orchestrate.ts'), work, wrapper, ...rs], { stdio: ['ignore', 'pipe', 'pipe'], env: process.env });
    const first = run();
    const statePath = join(work, 'slurm', 'state.json');
    // kill as soon as the array is submitted (probe + 1 array) and running
    let submitted: string[] = [];
    for (let i = 0; i < 200; i++) {
      await new Promise((r) => setTimeout(r, 250));
      if (!existsSync(statePath)) continue;
      const s = JSON.parse(readFileSync(statePath, 'utf8')) as { arrays: Array<{ job: string; tasks: number }> };
      const arr = s.arrays.find((a) => a.tasks === 3);
      if (arr && squeueIds().some((l) => l.startsWith(`${arr.job}_`) && l.endsWith('RUNNING'))) {
        submitted = s.arrays.map((a) => a.job);
        break;
      }
    }
    expect(submitted.length).toBe(2);
    first.kill('SIGKILL');
    await new Promise((r) => first.on('exit', r));
    const second = run();
    let out = '';
    second.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    const code = await new Promise((r) => second.on('exit', r));
    expect(code).toBe(0);
    expect(out.trim().split('\n')).toHaveLength(3);
    const s2 = JSON.parse(readFileSync(statePath, 'utf8')) as { arrays: Array<{ job: string }>; keys: Record<string, { attempt: number }> };
    // the same jobs, no new array, every deck submitted exactly once
    expect(s2.arrays.map((a) => a.job)).toEqual(submitted);
    expect(Object.values(s2.keys).map((k) => k.attempt)).toEqual([1, 1, 1]);
  }, 120_000);

  it('a node without ngspice is a one-line error naming the task', async () => {
    // a PATH with the tools the task scripts use but no ngspice (/bin is /usr/bin on Debian, so build one)
    const bin = join(tmp, 'bin-no-ngspice');
    mkdirSync(bin, { recursive: true });
    for (const t of ['bash', 'sh', 'sed', 'cat', 'date', 'timeout', 'mv', 'rm', 'printf', 'hostname', 'grep', 'head']) {
      const src = execFileSync('bash', ['-c', `command -v ${t}`], { encoding: 'utf8' }).trim();
      if (src.startsWith('/')) symlinkSync(src, join(bin, t));
    }
    const ex = new SlurmExecutor({ workRoot: join(tmp, 'nospice'), pollMs: 500, taskEnv: { PATH: bin } });
    const err = await ex.runFile(rcJobs([1200])[0]!).catch((e: unknown) => e);
    await ex.close();
    expect(err).toBeInstanceOf(SpiceError);
    const msg = (err as SpiceError).message;
    expect((err as SpiceError).kind).toBe('not-installed');
    expect(msg).not.toContain('\n');
    expect(msg).toMatch(/slurm task \d+ on \S+: ngspice not found/);
  });

  it('capmin pmap --executor slurm writes byte-identical P_map, samples and .npy to --executor local', () => {
    const args = ['pmap', '--cap', '2p', '--samples', '3', '--levels', '8,16', '--engine', 'quasistatic', '--seed', '7'];
    const loc = capmin([...args, '--out', join(tmp, 'pm-local')]);
    expect(loc.err).toBe('');
    expect(loc.code).toBe(0);
    const sl = capmin([...args, '--out', join(tmp, 'pm-slurm'), '--executor', 'slurm', '--slurm-decks-per-task', '4']);
    expect(sl.err).toBe('');
    expect(sl.code).toBe(0);
    for (const f of ['pmap.csv', 'samples.csv', 'pmap.npy', 'pmap.json']) {
      expect(readFileSync(join(tmp, 'pm-slurm', f)).equals(readFileSync(join(tmp, 'pm-local', f))), f).toBe(true);
    }
    const st = JSON.parse(readFileSync(join(tmp, 'pm-slurm', 'slurm', 'state.json'), 'utf8')) as { arrays: unknown[]; keys: Record<string, unknown> };
    // nominal sweep + calibration transients + 3 dies went through the cluster
    expect(Object.keys(st.keys).length).toBeGreaterThanOrEqual(4);
    const man = JSON.parse(readFileSync(join(tmp, 'pm-slurm', 'manifest.json'), 'utf8')) as { slurm?: { jobs: string[] } };
    expect(man.slurm?.jobs.length).toBe(st.arrays.length);
  }, 180_000);

  it('slurm options without --executor slurm, and a bad executor, are one-line usage errors', () => {
    const a = capmin(['pmap', '--cap', '2p', '--samples', '2', '--levels', '8', '--slurm-partition', 'x', '--out', join(tmp, 'pm-bad')]);
    expect(a.code).toBe(2);
    expect(a.err.trim().split('\n')).toHaveLength(1);
    expect(a.err).toMatch(/--slurm-partition: only with --executor slurm/);
    const b = capmin(['pmap', '--cap', '2p', '--samples', '2', '--levels', '8', '--executor', 'k8s', '--out', join(tmp, 'pm-bad2')]);
    expect(b.code).toBe(2);
    expect(b.err).toMatch(/--executor: 'k8s' unknown; allowed: local, slurm/);
  });
});
