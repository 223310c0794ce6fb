/**
 * Resume after kill -9 of a real `capmin pmap` run: nothing that finished is simulated again and the P_map files are
 * byte-identical to an uninterrupted run (which also uses a different number of workers).
 */
import { describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const root = resolve(__dirname, '..', '..');
const cli = join(root, 'src', 'cli.ts');
const args = ['pmap', '--cap', '4p', '--samples', '24', '--levels', '1,16,32', '--seed', '5'];

function start(extra: string[]): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', cli, ...args, ...extra], { cwd: root, env: { ...process.env, CAPMIN_QUIET: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
}

function finish(ch: ChildProcess): Promise<{ code: number | null; err: string }> {
  let err = '';
  ch.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  ch.stdout!.resume();
  return new Promise((res) => ch.on('close', (code) => res({ code, err })));
}

function batchFiles(dir: string): Map<string, number> {
  const d = join(dir, 'batches');
  if (!existsSync(d)) return new Map();
  return new Map(readdirSync(d).filter((f) => f.endsWith('.json')).map((f) => [f, statSync(join(d, f)).mtimeMs]));
}

describe('resumable pmap run (real ngspice, real kill -9)', () => {
  it('resume re-simulates nothing finished and yields byte-identical P_map files', async () => {
    const a = mkdtempSync(join(tmpdir(), 'capmin-resume-a-'));
    const b = mkdtempSync(join(tmpdir(), 'capmin-resume-b-'));
    try {
      const ch = start(['--out', a, '--workers', '1']);
      const done = finish(ch);
      // wait until some die batches finished (nominal die + 6 calibration transients come first), then kill -9
      const t0 = Date.now();
      while (batchFiles(a).size < 12 && Date.now() - t0 < 60_000) await new Promise((r) => setTimeout(r, 50));
      ch.kill('SIGKILL');
      await done;
      const before = batchFiles(a);
      expect(before.size).toBeGreaterThanOrEqual(12);
      expect(existsSync(join(a, 'pmap.csv'))).toBe(false); // it really was interrupted
      const m0 = JSON.parse(readFileSync(join(a, 'manifest.json'), 'utf8'));
      expect(m0.status).toBe('running');

      // without --resume the directory is refused
      const refused = await finish(start(['--out', a]));
      expect(refused.code).toBe(2);
      expect(refused.err).toMatch(/--resume/);

      const resumed = await finish(start(['--out', a, '--workers', '2', '--resume']));
      expect(resumed.code, resumed.err).toBe(0);
      const m = JSON.parse(readFileSync(join(a, 'manifest.json'), 'utf8'));
      expect(m.status).toBe('complete');
      expect(m.invocations).toHaveLength(2);
      const st = m.invocations[1].stats;
      expect(st.cached).toBe(before.size); // every finished batch came from the cache ...
      expect(st.simulated).toBe(st.batches - before.size); // ... and only the rest was simulated
      const after = batchFiles(a);
      for (const [f, mt] of before) expect(after.get(f)).toBe(mt); // finished batches were not rewritten

      const full = await finish(start(['--out', b, '--workers', '2']));
      expect(full.code, full.err).toBe(0);
      for (const f of ['pmap.csv', 'pmap.json', 'pmap.npy', 'samples.csv', 'pmap.svg']) {
        expect(readFileSync(join(a, f)).equals(readFileSync(join(b, f))), f).toBe(true);
      }
      const mb = JSON.parse(readFileSync(join(b, 'manifest.json'), 'utf8'));
      expect(mb.inputsHash).toBe(m.inputsHash);
      expect(mb.modelCardSha256).toMatch(/^[0-9a-f]{64}$/);
      expect(mb.ngspice).toMatch(/^ngspice-\d+/);
    } finally {
      rmSync(a, { recursive: true, force: true });
      rmSync(b, { recursive: true, force: true });
    }
  });
});
