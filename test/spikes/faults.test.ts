/**
 * The nominal spike sweep passes the true cause of a failed ngspice run through (never "convergence … try a smaller
 * tStep" for a timeout or a crash), and a raw file with NaN values is an error, never "no spike".
 */
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { validateCircuit } from '../../src/circuit/params.js';
import { SpiceError } from '../../src/spice/runner.js';
import { extractIinit, sweepIV } from '../../src/spikes/extract.js';
import { nominalSpikeTimes, runLevelTransient, spikeCacheKey } from '../../src/spikes/spikes.js';
import { CapminError } from '../../src/util/errors.js';
import { capminChild, exited, fakeNgspice, rawBinary } from '../spice/fake.js';

const work = mkdtempSync(join(tmpdir(), 'capmin-spike-faults-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const p = validateCircuit({ tStop: '30n' });

/** A fake ngspice that copies `raw` to out.raw and exits 0, as ngspice does with NaN in its vectors. */
function rawFake(name: string, raw: Buffer): string {
  const file = join(work, `${name}.raw`);
  writeFileSync(file, raw);
  return fakeNgspice(join(work, name), `/bin/cp ${file} out.raw`);
}

const time = [0, 1e-9, 2e-9, 3e-9];
const nanFake = rawFake('nan', rawBinary({ time, 'v(ml)': [NaN, NaN, NaN, NaN], 'i(vml)': [NaN, NaN, NaN, NaN] }));

/**
 * A non-finite failure: either the raw reader refused the file (its finiteness check names the vector and point) or
 * the extraction's own check on the vector it uses did; both are retryable SpiceErrors, never a result.
 */
function expectNonFinite(e: SpiceError, vec: string, bad: 'NaN' | 'Infinity', point1: number): void {
  expect(e.kind).toBe('non-finite');
  expect(e.retryable).toBe(true);
  const name = vec.replace(/[()]/g, '\\$&');
  // the extraction names the vector it uses (1-based point); the raw reader checks every vector of the plot first,
  // so it may name another bad one (0-based point)
  expect(e.detail).toMatch(new RegExp(`(${name} is ${bad} at point ${point1} of \\d+$)|(vector \\S+ is ${bad} at point ${point1 - 1} \\(non-finite simulator output\\))`));
}

async function failure(pr: Promise<unknown>): Promise<SpiceError> {
  try {
    await pr;
  } catch (e) {
    expect(e).toBeInstanceOf(SpiceError);
    expect((e as Error).message).not.toContain('\n');
    return e as SpiceError;
  }
  throw new Error('expected a SpiceError, the sweep succeeded');
}

describe('nominal sweep: the true cause of a failure', () => {
  it('a hanging ngspice is a timeout of that level, not non-convergence', async () => {
    const bin = fakeNgspice(join(work, 'hang'), 'exec /bin/sleep 1000');
    const e = await failure(nominalSpikeTimes(p, [16], { progress: false, run: { bin, timeoutMs: 1000 } }));
    expect(e.kind).toBe('timeout');
    expect(e.retryable).toBe(true);
    expect(e.message).toMatch(/^ngspice timeout: level m=16: no result after 1\.0 s; /);
    expect(e.message).not.toMatch(/convergence|tStep/);
  });

  it('a segfault is a crash naming the signal', async () => {
    const bin = fakeNgspice(join(work, 'segv'), 'kill -SEGV $$');
    const e = await failure(nominalSpikeTimes(p, [3], { progress: false, run: { bin } }));
    expect(e.kind).toBe('crash');
    expect(e.message).toMatch(/level m=3: killed by SIGSEGV/);
    expect(e.message).not.toMatch(/convergence|tStep/);
  });

  it('a raw file full of NaN is a non-finite error, in every extraction', async () => {
    const e = await failure(nominalSpikeTimes(p, [16], { progress: false, run: { bin: nanFake } }));
    expect(e.message).toMatch(/level m=16: /);
    expectNonFinite(e, e.detail.includes('i(vml)') ? 'i(vml)' : 'v(ml)', 'NaN', 1);
    expectNonFinite(await failure(extractIinit(p, 16, undefined, { bin: nanFake })), 'i(vml)', 'NaN', 1);
    expectNonFinite(await failure(runLevelTransient(p, 16, { run: { bin: nanFake } })), 'v(ml)', 'NaN', 1);
    expectNonFinite(await failure(sweepIV(p, 16, undefined, { bin: nanFake })), 'v(ml)', 'NaN', 1);
  });

  it('one NaN in the middle of a waveform is an error, not "no spike"', async () => {
    const bin = rawFake('nan-mid', rawBinary({ time, 'v(ml)': [0, 0.1, NaN, 0.3], 'i(vml)': [1e-3, 1e-3, 1e-3, 1e-3] }));
    expectNonFinite(await failure(runLevelTransient(p, 16, { run: { bin } })), 'v(ml)', 'NaN', 3);
    // the same waveform without the NaN fires: the check is on the data, not on the fake
    const ok = rawFake('fine', rawBinary({ time, 'v(ml)': [0, 0.1, 0.2, 0.3], 'i(vml)': [1e-3, 1e-3, 1e-3, 1e-3] }));
    expect((await runLevelTransient(p, 16, { run: { bin: ok } })).tCross).toBeCloseTo(2.25e-9, 20);
    const inf = rawFake('inf', rawBinary({ time, 'v(ml)': [0, 0.1, 0.2, 0.3], 'i(vml)': [Infinity, 1, 1, 1] }, 'Operating Point'));
    expectNonFinite(await failure(extractIinit(p, 16, undefined, { bin: inf })), 'i(vml)', 'Infinity', 1);
  });

  it('capmin spikes on NaN output exits non-zero with one line, never "NaN A  no spike"', async () => {
    const c = capminChild(['spikes', '--cap', '2p', '--levels', '16', '--no-cache'], { PATH: `${join(work, 'nan')}:${process.env.PATH}`, TMPDIR: work }, work);
    expect(await exited(c)).toBe(1);
    const err = c.err.join('');
    expect(err.trim().split('\n')).toHaveLength(1);
    expect(err).toMatch(/ngspice non-finite: level m=16: .*NaN at point .*non-finite/);
    expect(c.out.join('')).not.toMatch(/NaN|no spike/);
  });
});

describe('spike cache', () => {
  it('a stored row without finite values is recomputed, not returned', async () => {
    const dir = join(work, 'cache');
    mkdirSync(dir);
    const key = spikeCacheKey(p, 32);
    writeFileSync(join(dir, `${key}.json`), JSON.stringify({ level: 32, iInit: null, tCross: null, tSpike: null, clockCycle: null }));
    const [row] = await nominalSpikeTimes(p, [32], { cacheDir: dir, progress: false });
    expect(row!.iInit).toBeGreaterThan(1e-3);
    expect(row!.tCross).toBeGreaterThan(2.5e-9);
    expect(readdirSync(dir)).toEqual([`${key}.json`]);
  });

  it('an unwritable cache folder is a one-line error naming it', async () => {
    const file = join(work, 'not-a-folder');
    writeFileSync(file, 'x');
    const dir = join(file, 'cache');
    await expect(nominalSpikeTimes(p, [32], { cacheDir: dir, progress: false })).rejects.toSatisfy(
      (e: unknown) => e instanceof CapminError && !(e instanceof SpiceError) && e.message.includes(dir) && !e.message.includes('\n'),
    );
  });
});
