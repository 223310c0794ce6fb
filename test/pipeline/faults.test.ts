/**
 * The pipeline's run folder and its BNN worker pool fail with one-line CapminErrors: a dataset folder without the
 * training files, a missing checkpoint, a truncated manifest, a folder another run holds.
 */
import { describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EvalPool, checkEvalSource } from '../../src/pipeline/evalpool.js';
import { defaultConfig, runPipeline } from '../../src/pipeline/run.js';
import { CapminError } from '../../src/util/errors.js';
import { acquireLock, LOCK_FILE } from '../../src/util/lock.js';

function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'capmin-pipe-faults-'));
}

async function caught(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected a rejection');
}

describe('EvalPool errors', () => {
  it('a dataset folder without the training files: a one-line CapminError from the workers, no unhandled rejection', async () => {
    const dir = tmp();
    try {
      const pool = new EvalPool({ model: { random: { arch: 'vgg3', seed: 1 } }, dataset: { name: 'fashion', dir, split: 'train' } }, 2);
      const e = await caught(pool.evaluate({ hist: true }));
      expect(e).toBeInstanceOf(CapminError);
      expect(e.message).toBe(
        `BNN evaluation (fashion train): train images: none of train-images-idx3-ubyte.gz, train-images-idx3-ubyte, train-images.idx3-ubyte found in ${dir}`,
      );
      // the pool is broken for good: later requests fail the same way, at once
      expect((await caught(pool.evaluate({})))!.message).toBe(e.message);
      await pool.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a missing checkpoint or data folder is refused before any worker starts', () => {
    const dir = tmp();
    try {
      expect(() => checkEvalSource({ model: { checkpoint: join(dir, 'nope.safetensors') }, dataset: { name: 'fashion', dir, split: 'test' } })).toThrow(
        `--model: ${join(dir, 'nope.safetensors')} not found; pass a safetensors checkpoint`,
      );
      expect(
        () => new EvalPool({ model: { random: { arch: 'vgg3', seed: 1 } }, dataset: { name: 'fashion', dir: join(dir, 'missing'), split: 'test' } }),
      ).toThrow(`--data-dir: ${join(dir, 'missing')} not found; pass the folder holding the fashion files`);
      writeFileSync(join(dir, 'file'), 'x');
      expect(() =>
        checkEvalSource({ model: { random: { arch: 'vgg3', seed: 1 } }, dataset: { name: 'fashion', dir: join(dir, 'file'), split: 'test' } }),
      ).toThrow(/is not a folder/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('capmin run folder', () => {
  const quick = (dataDir: string) => {
    const cfg = defaultConfig(true);
    Object.assign(cfg, { dataDir, ks: [33, 16], phis: [1], trainLimit: 20, testLimit: 20, runs: 1, mcSamples: 2, crosscheckSamples: 0 });
    return cfg;
  };

  it('run --quick --data-dir on a folder without training files: one-line CapminError, lock released', async () => {
    const base = tmp();
    try {
      const data = join(base, 'empty');
      mkdirSync(data);
      const out = join(base, 'run');
      const e = await caught(runPipeline(quick(data), out));
      expect(e).toBeInstanceOf(CapminError);
      expect(e.message).toMatch(new RegExp(`^BNN evaluation \\(fashion train\\): train images: none of .* found in ${data}$`));
      expect(e.message).not.toMatch(/\n/);
      expect(existsSync(join(out, LOCK_FILE))).toBe(false);
    } finally {
      rmSync(base, { recursive: true, force: true });
    }
  }, 120_000);

  it('a truncated manifest and a folder in use are one-line errors naming the path', async () => {
    const base = tmp();
    try {
      const out = join(base, 'run');
      mkdirSync(out);
      writeFileSync(join(out, 'manifest.json'), '{"tool": "capmin", "command": "run", "invoc');
      const e = await caught(runPipeline(quick(join(base, 'nodata')), out));
      expect(e).toBeInstanceOf(CapminError);
      expect(e.message).toMatch(new RegExp(`^${join(out, 'manifest.json')}: not valid JSON \\(truncated or edited\\); move it away`));
      rmSync(join(out, 'manifest.json'));
      const lock = acquireLock(out, { what: 'run directory', command: 'run' });
      try {
        const e2 = await caught(runPipeline(quick(join(base, 'nodata')), out));
        expect(e2).toBeInstanceOf(CapminError);
        expect(e2.message).toBe(
          `run directory ${out} is in use by pid ${process.pid} since ${lock.info.since} (capmin run); wait for it to finish or choose another --out`,
        );
      } finally {
        lock.release();
      }
    } finally {
      rmSync(base, { recursive: true, force: true });
    }
  }, 120_000);
});
