import { readdirSync, readlinkSync, existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildDeck } from '../../src/circuit/deck.js';
import { validateCircuit } from '../../src/circuit/params.js';
import { checkNgspice, runNgspice, runNgspiceFile, SpiceError, SpiceQueue, removeWorkDir, parseMeasures } from '../../src/spice/runner.js';
import { parseRaw } from '../../src/spice/rawfile.js';

/** Pids of processes whose cwd is `dir` (an ngspice left behind would show up here). */
function processesIn(dir: string): number[] {
  const out: number[] = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      if (readlinkSync(`/proc/${e}/cwd`) === dir) out.push(Number(e));
    } catch {
      /* gone or not ours */
    }
  }
  return out;
}

async function kindOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'ok';
  } catch (e) {
    expect(e).toBeInstanceOf(SpiceError);
    expect((e as Error).message).not.toContain('\n');
    return (e as SpiceError).kind;
  }
}

describe('runNgspice', () => {
  it('finds ngspice >= 39', async () => {
    expect((await checkNgspice()).version).toBeGreaterThanOrEqual(39);
  });

  it('reports a missing binary with the install command', async () => {
    await expect(checkNgspice('ngspice-not-installed-here')).rejects.toThrow(/not-installed: .*apt-get install -y ngspice/);
    expect(await kindOf(runNgspice('t\n.end\n', { bin: 'ngspice-not-installed-here' }))).toBe('not-installed');
  });

  it('runs a real deck and returns the raw file', async () => {
    const p = validateCircuit({});
    const r = await runNgspiceFile(buildDeck(p, { analysis: 'op', level: 3 }), 'out.raw');
    expect(r.durationMs).toBeGreaterThan(0);
    expect(existsSync(r.workDir)).toBe(false); // removed after reading
    const plot = parseRaw(r.data)[0]!;
    expect(plot.plotname).toMatch(/operating point/i);
    expect(plot.data[0]![0]).toBeGreaterThan(100e-6);
  });

  it('classifies syntax errors, non-convergence and missing output', async () => {
    const syntax = 'bad deck\nr1 a 0 1k\nm1 a a 0 0 nomodel w=1u l=1u\n.control\nop\nwrite out.raw\n.endc\n.end\n';
    expect(await kindOf(runNgspice(syntax, { expectFiles: ['out.raw'] }))).toBe('syntax');
    const singular = 'loop\nv1 a 0 dc 1\nv2 a 0 dc 2\nr1 a 0 1k\n.control\nop\nwrite out.raw\n.endc\n.end\n';
    try {
      await runNgspice(singular, { expectFiles: ['out.raw'] });
      expect.unreachable();
    } catch (e) {
      expect((e as SpiceError).kind).toBe('convergence');
      removeWorkDir((e as SpiceError).workDir!);
    }
    const silent = 'quiet\nr1 a 0 1k\nv1 a 0 dc 1\n.control\nop\n.endc\n.end\n';
    expect(await kindOf(runNgspiceFile(silent, 'out.raw'))).toBe('no-output');
  });

  it('kills a hung ngspice at the timeout, whole process group, and says so', async () => {
    const p = validateCircuit({ tStop: '1m', tStep: '1f' });
    const deck = buildDeck(p, { analysis: 'tran', level: 0, stopAfterSpike: false });
    const t0 = Date.now();
    let err: SpiceError | null = null;
    try {
      await runNgspice(deck, { timeoutMs: 2000 });
    } catch (e) {
      err = e as SpiceError;
    }
    const took = Date.now() - t0;
    expect(err?.kind).toBe('timeout');
    expect(err?.message).toMatch(/timeout: no result after 2\.0 s/);
    expect(took).toBeLessThan(6000);
    await new Promise((r) => setTimeout(r, 200));
    expect(processesIn(err!.workDir!)).toEqual([]);
    removeWorkDir(err!.workDir!);
  });

  it('queue runs jobs one per core and abort kills running ones', async () => {
    const p = validateCircuit({});
    const q = new SpiceQueue(2);
    const rs = await Promise.all([1, 2, 3, 4].map((m) => q.runFile(buildDeck(p, { analysis: 'tran', level: 32 - m, measure: true }), 'out.raw')));
    const t = rs.map((r) => parseMeasures(r.stdout).tcross!);
    expect(t[0]).toBeLessThan(t[3]!);
    const slow = validateCircuit({ tStop: '1m', tStep: '1f' });
    const q2 = new SpiceQueue(1);
    const pending = q2.run(buildDeck(slow, { analysis: 'tran', level: 0, stopAfterSpike: false }), { timeoutMs: 60_000 });
    const queued = q2.run(buildDeck(slow, { analysis: 'tran', level: 0, stopAfterSpike: false }), { timeoutMs: 60_000 });
    await new Promise((r) => setTimeout(r, 500));
    q2.abort();
    let e: SpiceError | null = null;
    try {
      await pending;
    } catch (x) {
      e = x as SpiceError;
    }
    expect(e?.kind).toBe('aborted');
    expect(processesIn(e!.workDir!)).toEqual([]);
    removeWorkDir(e!.workDir!);
    await expect(queued).rejects.toMatchObject({ kind: 'aborted' });
    expect(q2.pending).toBe(0);
    // the queue still works after an abort
    const again = await q2.runFile(buildDeck(p, { analysis: 'op', level: 1 }), 'out.raw');
    expect(again.data.length).toBeGreaterThan(0);
  });
});
