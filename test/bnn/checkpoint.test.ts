import { describe, it, expect, beforeAll } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readSafetensors, writeSafetensors, encodeSafetensors, type TensorInput } from '../../src/bnn/safetensors.js';
import { paramSpecs, DEFAULT_INPUT } from '../../src/bnn/arch.js';
import { loadCheckpoint, saveCheckpoint } from '../../src/bnn/checkpoint.js';
import { Engine } from '../../src/bnn/engine.js';
import { randomModel } from '../../src/bnn/random.js';
import { Rng } from '../../src/util/rng.js';
import { CapminError } from '../../src/util/errors.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'capmin-ckpt-'));
});

function errorOf(fn: () => unknown): CapminError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(CapminError);
    expect((e as Error).message).not.toContain('\n');
    return e as CapminError;
  }
  throw new Error('expected an error');
}

/** A VGG3 state_dict as SPICE-Torch's `safetensors.torch.save_file(model.state_dict())` would write it. */
function spiceTorchVgg3(seed: number): Map<string, TensorInput> {
  const g = new Rng(seed);
  const t = new Map<string, TensorInput>();
  const f32 = (shape: number[], fn: (i: number) => number) => ({ shape, data: Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => fn(i)) });
  t.set('conv1.weight', f32([64, 1, 3, 3], () => g.gauss(0, 0.1)));
  for (const [bn, c] of [['bn1', 64], ['bn2', 64], ['bn3', 2048]] as const) {
    t.set(`${bn}.weight`, f32([c], () => 1 + g.gauss(0, 0.1)));
    t.set(`${bn}.bias`, f32([c], () => g.gauss(0, 0.1)));
    t.set(`${bn}.running_mean`, f32([c], () => g.gauss(0, 5)));
    t.set(`${bn}.running_var`, f32([c], () => 10 + 100 * g.uniform()));
    t.set(`${bn}.num_batches_tracked`, { shape: [], data: BigInt64Array.of(4690n) });
  }
  t.set('conv2.weight', f32([64, 64, 3, 3], () => g.gauss(0, 0.1)));
  t.set('fc1.weight', f32([2048, 3136], () => g.uniform() - 0.5));
  t.set('fc2.weight', f32([10, 2048], () => g.gauss(0, 0.1)));
  t.set('scale.scale', { shape: [1], data: Float32Array.of(0.001) });
  return t;
}

describe('safetensors', () => {
  it('round-trips dtypes, shapes and metadata and keeps offsets contiguous', () => {
    const p = join(dir, 'rt.safetensors');
    writeSafetensors(
      p,
      { a: { shape: [2, 2], data: Float32Array.of(1, -2, 3.5, 0) }, b: { shape: [3], data: Int8Array.of(-1, 1, -1) }, c: { shape: [], data: BigInt64Array.of(7n) } },
      { arch: 'vgg3', note: 'x' },
    );
    const r = readSafetensors(p);
    expect(r.metadata).toEqual({ arch: 'vgg3', note: 'x' });
    expect(r.tensors.get('a')).toMatchObject({ dtype: 'F32', shape: [2, 2] });
    expect(Array.from(r.tensors.get('a')!.data as Float32Array)).toEqual([1, -2, 3.5, 0]);
    expect(Array.from(r.tensors.get('b')!.data as Int8Array)).toEqual([-1, 1, -1]);
    expect((r.tensors.get('c')!.data as BigInt64Array)[0]).toBe(7n);
    const raw = readFileSync(p);
    const hlen = Number(raw.readBigUInt64LE(0));
    expect(hlen % 8).toBe(0);
    const header = JSON.parse(raw.subarray(8, 8 + hlen).toString());
    expect(header.a.data_offsets).toEqual([0, 16]);
    expect(header.b.data_offsets).toEqual([16, 19]);
    expect(raw.length).toBe(8 + hlen + 27);
  });

  it('decodes F16 and BF16', () => {
    const header = JSON.stringify({ h: { dtype: 'F16', shape: [3], data_offsets: [0, 6] }, b: { dtype: 'BF16', shape: [1], data_offsets: [6, 8] } });
    const len = Buffer.alloc(8);
    len.writeBigUInt64LE(BigInt(header.length));
    const fixed = Buffer.concat([len, Buffer.from(header), Buffer.from(Uint16Array.of(0x3c00, 0xc000, 0x3555, 0x3fc0).buffer)]);
    const r = readSafetensors(fixed);
    const h = r.tensors.get('h')!.data as Float32Array;
    expect(h[0]).toBe(1);
    expect(h[1]).toBe(-2);
    expect(h[2]).toBeCloseTo(0.333, 3);
    expect((r.tensors.get('b')!.data as Float32Array)[0]).toBe(1.5);
  });

  it('rejects truncated and garbled files with one line naming the problem', () => {
    const p = join(dir, 'cut.safetensors');
    const good = encodeSafetensors({ w: { shape: [4], data: Float32Array.of(1, 2, 3, 4) } });
    writeFileSync(p, good.subarray(0, good.length - 4));
    expect(errorOf(() => readSafetensors(p)).message).toMatch(/cut\.safetensors.*'w'.*exceed/);
    writeFileSync(p, Buffer.from('not a safetensors file at all'));
    expect(errorOf(() => readSafetensors(p)).message).toMatch(/header length/);
    expect(errorOf(() => readSafetensors(join(dir, 'missing.safetensors'))).message).toMatch(/cannot read/);
  });
});

describe('checkpoints with SPICE-Torch key names', () => {
  it('VGG3 keys and shapes are the state_dict of SPICE-Torch Models.py', () => {
    const specs = paramSpecs('vgg3');
    const want = spiceTorchVgg3(1);
    expect(specs.map((s) => s.key).sort()).toEqual([...want.keys()].sort());
    for (const s of specs) expect(s.shape).toEqual(want.get(s.key)!.shape);
  });

  it('ResNet18 has 1×1 shortcut convs where the shape changes and SPICE-Torch names', () => {
    const specs = new Map(paramSpecs('resnet18').map((s) => [s.key, s.shape]));
    expect(specs.get('conv1.weight')).toEqual([64, 3, 3, 3]);
    expect(specs.get('layer1.0.conv1.weight')).toEqual([64, 64, 3, 3]);
    expect(specs.has('layer1.0.shortcut.0.weight')).toBe(false);
    expect(specs.get('layer2.0.shortcut.0.weight')).toEqual([128, 64, 1, 1]);
    expect(specs.get('layer2.0.shortcut.1.running_var')).toEqual([128]);
    expect(specs.get('layer4.1.bn2.weight')).toEqual([512]);
    expect(specs.get('linear.weight')).toEqual([10, 512]);
    expect(specs.has('scale.scale')).toBe(false);
    const vgg7 = new Map(paramSpecs('vgg7').map((s) => [s.key, s.shape]));
    expect(vgg7.get('fc1.weight')).toEqual([1024, 8192]);
    expect(vgg7.get('bn7.running_mean')).toEqual([1024]);
  });

  it('loads a float state_dict written here, binarizing w > 0 → +1 else −1', () => {
    const t = spiceTorchVgg3(2);
    const w = t.get('conv1.weight')!.data as Float32Array;
    w[0] = 0; // sign(0) = −1
    w[1] = 1e-30;
    w[2] = -0;
    const p = join(dir, 'vgg3-float.safetensors');
    writeSafetensors(p, t, { arch: 'VGG3', format: 'pt' });
    const m = loadCheckpoint(p);
    expect(m.arch).toBe('vgg3');
    expect(m.input).toEqual(DEFAULT_INPUT.vgg3);
    expect(m.classes).toBe(10);
    const conv1 = m.ops.find((o) => o.op === 'conv' && o.name === 'conv1');
    if (conv1?.op !== 'conv') throw new Error('no conv1');
    expect(Array.from(conv1.weight.subarray(0, 3))).toEqual([-1, 1, -1]);
    for (let i = 3; i < w.length; i++) expect(conv1.weight[i]).toBe(w[i]! > 0 ? 1 : -1);
    const bn3 = m.ops.find((o) => o.op === 'bn' && o.name === 'bn3');
    if (bn3?.op !== 'bn') throw new Error('no bn3');
    const v = t.get('bn3.running_var')!.data as Float32Array;
    expect(bn3.sd[5]).toBe(Math.sqrt(v[5]! + 1e-5));
    expect(bn3.mean[7]).toBe((t.get('bn3.running_mean')!.data as Float32Array)[7]);
    expect(m.arrayLayers.map((l) => [l.name, l.beta, l.alpha, l.positions])).toEqual([
      ['conv2', 576, 64, 196],
      ['fc1', 3136, 2048, 1],
      ['fc2', 2048, 10, 1],
    ]);
  });

  it('int8 and bit-packed forms load to the same network as the float form', () => {
    const model = randomModel('vgg3', { seed: 5 });
    const pf = join(dir, 'f.safetensors');
    const pi = join(dir, 'i.safetensors');
    const pp = join(dir, 'p.safetensors');
    saveCheckpoint(pf, model, { format: 'float' });
    saveCheckpoint(pi, model, { format: 'int8' });
    saveCheckpoint(pp, model, { format: 'packbits-le' });
    const g = new Rng(3);
    const img = Float64Array.from({ length: 784 }, () => g.uniform());
    const ref = Array.from(new Engine(model).forward(img));
    for (const p of [pf, pi, pp]) expect(Array.from(new Engine(loadCheckpoint(p)).forward(img))).toEqual(ref);
    expect(readFileSync(pp).length).toBeLessThan(readFileSync(pi).length / 6);
  });

  it('names missing and mis-shaped tensors, and needs --arch without metadata', () => {
    const t = spiceTorchVgg3(3);
    t.delete('bn2.running_var');
    t.set('fc1.weight', { shape: [2048, 3137], data: new Float32Array(2048 * 3137) });
    const p = join(dir, 'bad.safetensors');
    writeSafetensors(p, t, { arch: 'vgg3' });
    const e = errorOf(() => loadCheckpoint(p));
    expect(e.message).toMatch(/missing bn2\.running_var \[64\]/);
    expect(e.message).toMatch(/fc1\.weight has shape \[2048,3137\], expected \[2048,3136\]/);
    const q = join(dir, 'noarch.safetensors');
    writeSafetensors(q, spiceTorchVgg3(4));
    expect(errorOf(() => loadCheckpoint(q)).message).toMatch(/--arch.*look like vgg3/);
    expect(loadCheckpoint(q, 'vgg3').arch).toBe('vgg3');
    expect(errorOf(() => loadCheckpoint(p, 'vgg7')).message).toMatch(/contradicts/);
  });
});
