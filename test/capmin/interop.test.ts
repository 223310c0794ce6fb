/**
 * SPICE-Torch interop, both ways: `capmin levels --direct-mapping` writes CapMin's clipping as SPICE-Torch's 1-D
 * direct mapping, and `capmin eval --pmap` reads both SPICE-Torch kinds (direct and 33×33 distribution mapping).
 * The SPICE-Torch-layout files are written here byte by byte (float32 little-endian, C order, .npy v1.0 header
 * padded as numpy pads it), independently of capmin's encoder.
 */
import { describe, it, expect, beforeAll, vi } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { main as levelsMain } from '../../src/commands/levels.js';
import { main as evalMain } from '../../src/commands/eval.js';
import { directMapping, directMappingNpy } from '../../src/capmin/directmap.js';
import { capminLevels } from '../../src/capmin/levels.js';
import { parsePmapBytes } from '../../src/errormodel/pmapfile.js';
import { shippedFile } from '../../src/util/paths.js';

const FASHION = '/usr/share/datasets/fashion-mnist';
const A = 32;

/** A .npy v1.0 file as numpy writes it: magic, version 1.0, header dict padded with spaces + '\n' to 64 bytes. */
function spiceTorchNpy(values: number[], shape: number[]): Buffer {
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': ${shapeText}, }`;
  header += ' '.repeat(64 - ((10 + header.length + 1) % 64 || 64)) + '\n';
  const head = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, 0, 0]);
  head.writeUInt16LE(header.length, 8);
  const body = Buffer.alloc(4 * values.length);
  values.forEach((v, i) => body.writeFloatLE(v, 4 * i));
  return Buffer.concat([head, Buffer.from(header, 'latin1'), body]);
}

/** SPICE-Torch's direct mapping of Eq. 4 clipping, computed in popcount space: pc → min(max(pc, a − hi), a − lo). */
function spiceTorchClip(lo: number, hi: number): number[] {
  return Array.from({ length: A + 1 }, (_, pc) => Math.min(Math.max(pc, A - hi), A - lo));
}

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

describe('direct mapping (pure)', () => {
  it('is the clipping in popcount space, byte-identical to a numpy-layout float32 file', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: A }), fc.integer({ min: 0, max: A }), (x, y) => {
        const [lo, hi] = x <= y ? [x, y] : [y, x];
        expect(Array.from(directMapping(A, lo, hi))).toEqual(spiceTorchClip(lo, hi));
        expect(directMappingNpy(A, lo, hi).equals(spiceTorchNpy(spiceTorchClip(lo, hi), [A + 1]))).toBe(true);
      }),
      { numRuns: 60 },
    );
  });

  it('reads back as one-hot rows on the clipped level, indexed by m', () => {
    const p = parsePmapBytes(directMappingNpy(A, 8, 21), { label: 't', path: 'd.npy', a: A });
    for (let m = 0; m <= A; m++) {
      const c = Math.min(Math.max(m, 8), 21);
      expect(p.matrix[m]).toEqual(Array.from({ length: A + 1 }, (_, j) => (j === c ? 1 : 0)));
    }
  });

  it('refuses bounds outside 0..a or lo > hi', () => {
    expect(() => directMapping(A, 5, 4)).toThrow(/lo <= hi/);
    expect(() => directMapping(A, 0, 33)).toThrow(/<= a = 32/);
  });
});

describe.skipIf(!existsSync(FASHION))('capmin levels / eval with SPICE-Torch files (shipped VGG3, 300 test images)', () => {
  let dir: string;
  const model = shippedFile('models', 'vgg3-fashion.safetensors');
  const common = ['--model', model, '--data-dir', FASHION, '--limit', '300', '--workers', '1', '--json'];
  const evalJson = async (args: string[]) => JSON.parse(await capture(() => evalMain([...common, ...args]))) as { mean: number; accuracies: number[]; sampled: boolean };

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'capmin-interop-'));
  });

  it('capmin → SPICE-Torch → capmin: the written direct mapping evaluates exactly as --clip with the same bounds', async () => {
    // a bell-shaped F_MAC whose 14 most frequent levels are 9..22
    const fMac = Array.from({ length: A + 1 }, (_, m) => Math.round(1e6 * Math.exp(-(((m - 15.5) / 5) ** 2))));
    const fmacPath = join(dir, 'fmac.json');
    writeFileSync(fmacPath, JSON.stringify({ total: fMac }));
    const npy = join(dir, 'clip.npy');
    const lv = JSON.parse(await capture(() => levelsMain(['--fmac', fmacPath, '--k', '14', '--direct-mapping', npy, '--json']))) as {
      lo: number; hi: number; directMapping: { path: string; popcountMap: number[] };
    };
    expect([lv.lo, lv.hi]).toEqual([capminLevels(fMac, 14).lo, capminLevels(fMac, 14).hi]);
    expect([lv.lo, lv.hi]).toEqual([9, 22]);
    // the file is SPICE-Torch's layout, as numpy would write it
    const bytes = readFileSync(npy);
    expect(bytes.equals(spiceTorchNpy(spiceTorchClip(9, 22), [A + 1]))).toBe(true);
    expect(lv.directMapping.popcountMap).toEqual(spiceTorchClip(9, 22));

    const clipped = await evalJson(['--clip', '9,22']);
    const mapped = await evalJson(['--pmap', npy]);
    const free = await evalJson([]);
    expect(mapped.sampled).toBe(false);
    expect(mapped.mean).toBe(clipped.mean);
    // the clipping bites: a mapping that did nothing would fail this
    const hard = await evalJson(['--clip', '15,17']);
    const hardNpy = join(dir, 'hard.npy');
    writeFileSync(hardNpy, spiceTorchNpy(spiceTorchClip(15, 17), [A + 1]));
    expect(hard.mean).toBeLessThan(free.mean - 0.05);
    expect((await evalJson(['--pmap', hardNpy])).mean).toBe(hard.mean);
  }, 120_000);

  it('SPICE-Torch → capmin: a 33×33 distribution mapping gives the accuracy of the equivalent capmin P_map', async () => {
    // a level-indexed P_map with errors to both neighbours, probabilities exact in float32 (multiples of 1/16)
    const p: number[][] = Array.from({ length: A + 1 }, (_, m) => {
      const row = new Array<number>(A + 1).fill(0);
      const spread = m % 3 === 0 ? 4 : 2; // sixteenths going to each neighbour
      const down = m > 0 ? spread : 0;
      const up = m < A ? spread : 0;
      row[m] = (16 - down - up) / 16;
      if (down) row[m - 1] = down / 16;
      if (up) row[m + 1] = up / 16;
      return row;
    });
    const csv = join(dir, 'pmap.csv');
    writeFileSync(csv, [['level', ...p.map((_, j) => String(j))].join(','), ...p.map((r, i) => [String(i), ...r.map(String)].join(','))].join('\n') + '\n');
    // SPICE-Torch: row = true popcount, column = read popcount, popcount = a − m
    const flat: number[] = [];
    for (let pc = 0; pc <= A; pc++) for (let pc2 = 0; pc2 <= A; pc2++) flat.push(p[A - pc]![A - pc2]!);
    const npy = join(dir, 'dist.npy');
    writeFileSync(npy, spiceTorchNpy(flat, [A + 1, A + 1]));

    const args = ['--clip', '9,22', '--runs', '2', '--seed', '5'];
    const fromCsv = await evalJson([...args, '--pmap', csv]);
    const fromNpy = await evalJson([...args, '--pmap', npy]);
    expect(fromCsv.sampled).toBe(true);
    expect(fromNpy.accuracies).toEqual(fromCsv.accuracies);
    // a transposed (wrongly indexed) file must not agree: the popcount re-indexing is what makes them equal
    const wrong = join(dir, 'wrong.npy');
    writeFileSync(wrong, spiceTorchNpy(p.flat(), [A + 1, A + 1]));
    const fromWrong = await evalJson([...args, '--pmap', wrong]);
    expect(fromWrong.accuracies).not.toEqual(fromCsv.accuracies);
  }, 120_000);
});
