import { describe, it, expect, beforeAll, vi } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main as fmacMain } from '../../src/commands/fmac.js';
import { main as evalMain } from '../../src/commands/eval.js';
import { randomModel } from '../../src/bnn/random.js';
import { saveCheckpoint } from '../../src/bnn/checkpoint.js';
import { subMacsPerImage } from '../../src/bnn/engine.js';
import { pMapToCsv } from '../../src/bnn/pmap.js';
import { CapminError } from '../../src/util/errors.js';

const FASHION = '/usr/share/datasets/fashion-mnist';

async function capture(fn: () => Promise<unknown>): Promise<string> {
  let out = '';
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out += String(chunk);
    return true;
  });
  try {
    await fn();
  } finally {
    spy.mockRestore();
  }
  return out;
}

let dir: string;
let modelPath: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'capmin-cmd-'));
  modelPath = join(dir, 'vgg3.safetensors');
  saveCheckpoint(modelPath, randomModel('vgg3', { seed: 9 }), { format: 'packbits-le' });
});

describe.skipIf(!existsSync(FASHION))('capmin fmac / eval', () => {
  it('fmac --json writes CSV, JSON, SVG and a manifest, and reuses the result', async () => {
    const out = join(dir, 'fmac');
    const args = ['--model', modelPath, '--split', 'train', '--limit', '40', '--workers', '1', '--out', out, '--json'];
    const j = JSON.parse(await capture(() => fmacMain(args)));
    expect(j.total).toHaveLength(33);
    expect(j.images).toBe(40);
    expect(j.subMacs).toBe(40 * subMacsPerImage(randomModel('vgg3', { seed: 9 })));
    expect(j.cached).toBe(false);
    for (const f of ['fmac.csv', 'fmac.json', 'fmac.svg', 'fmac-layers.svg', 'manifest.json']) expect(existsSync(join(out, f))).toBe(true);
    const csv = readFileSync(join(out, 'fmac.csv'), 'utf8').trim().split('\n');
    expect(csv[0]).toBe('level,mac,total,conv2,fc1,fc2');
    expect(csv).toHaveLength(34);
    expect(csv[1]!.split(',').slice(0, 3).map(Number)).toEqual([0, 32, j.total[0]]);
    expect(readFileSync(join(out, 'fmac.svg'), 'utf8')).toContain('data-kind="bar"');
    const again = JSON.parse(await capture(() => fmacMain(args)));
    expect(again.cached).toBe(true);
    expect(again.total).toEqual(j.total);
  });

  it('eval --json reports mean/min/max with clipping and a P_map file', async () => {
    const p = Array.from({ length: 33 }, (_, m) => Array.from({ length: 33 }, (_, k) => (k === m ? 0.9 : k === Math.min(m + 1, 32) ? 0.1 : 0)).map((v, k) => (m === 32 && k === 32 ? 1 : v)));
    const pm = join(dir, 'p.csv');
    writeFileSync(pm, pMapToCsv(p));
    const args = ['--model', modelPath, '--limit', '30', '--workers', '1', '--clip', '8,24', '--pmap', pm, '--runs', '3', '--seed', '4', '--json'];
    const j = JSON.parse(await capture(() => evalMain(args)));
    expect(j.images).toBe(30);
    expect(j.accuracies).toHaveLength(3);
    expect(j.clip).toEqual([8, 24]);
    expect(j.sampled).toBe(true);
    expect(j.min).toBeLessThanOrEqual(j.mean);
    expect(j.max).toBeGreaterThanOrEqual(j.mean);
    expect(j.imagesPerSecond).toBeGreaterThan(0);
    const text = await capture(() => evalMain(['--model', modelPath, '--limit', '20', '--workers', '1']));
    expect(text).toMatch(/accuracy: \d+\.\d\d% \(deterministic setting/);
  });

  it('bad inputs are one-line CapminErrors', async () => {
    const bad = join(dir, 'bad.safetensors');
    writeFileSync(bad, Buffer.from([1, 2, 3]));
    await expect(evalMain(['--model', bad])).rejects.toThrow(CapminError);
    await expect(evalMain(['--model', modelPath, '--clip', '5'])).rejects.toThrow(/--clip/);
    await expect(evalMain(['--model', modelPath, '--dataset', 'mnist9'])).rejects.toThrow(/allowed: fashion, cifar10, npy/);
    await expect(evalMain(['--model', join(dir, 'none.safetensors')])).rejects.toThrow(/not found/);
    await expect(evalMain(['--model', modelPath, '--dataset', 'cifar10', '--data-dir', dir])).rejects.toThrow(/test_batch\.bin/);
  });
});
