/**
 * Content-addressed records (src/util/cas.ts) and the two caches built on them (BatchStore, StageCache): a stored
 * value is only used when its checksum verifies, a failure record is never a result, writes are atomic.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CasStore, CAS_FORMAT, contentKey, bodyChecksum, storageError } from '../../src/util/cas.js';
import { CapminError } from '../../src/util/errors.js';
import { BatchStore, MAX_BATCH_TRIES, type BatchRecord } from '../../src/montecarlo/store.js';
import { StageCache } from '../../src/pipeline/cache.js';

function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'capmin-cas-'));
}

const okBatch = (hash: string, values: (number | null)[][]): BatchRecord => ({
  hash,
  kind: 'tran',
  status: 'ok',
  level: 8,
  samples: [0, 1],
  values,
  simMs: 5,
  attempts: 1,
});

describe('CasStore', () => {
  it('round-trips values (Infinity, NaN, typed arrays) and counts hits and misses', () => {
    const dir = tmp();
    try {
      const cas = new CasStore(dir);
      const key = contentKey({ what: 'x', n: 1 });
      expect(cas.get(key)).toBeUndefined();
      cas.putResult(key, { a: [1, Infinity, -Infinity, NaN], t: new Float64Array([0.5, 2]) });
      // a fresh store (another process) reads the file and verifies it
      const again = new CasStore(dir);
      expect(again.get(key)).toEqual({ a: [1, Infinity, -Infinity, NaN], t: [0.5, 2] });
      expect(cas.stats).toMatchObject({ hits: 0, misses: 1 });
      expect(again.stats).toMatchObject({ hits: 1, misses: 0, corrupt: 0 });
      const rec = JSON.parse(readFileSync(join(dir, `${key}.json`), 'utf8'));
      expect(rec.format).toBe(CAS_FORMAT);
      expect(rec.sha256).toBe(bodyChecksum(rec.body));
      // no temp files are left behind
      expect(readdirSync(dir)).toEqual([`${key}.json`]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('content keys ignore key order and differ for different inputs', () => {
    expect(contentKey({ a: 1, b: [2, 3] })).toBe(contentKey({ b: [2, 3], a: 1 }));
    expect(contentKey({ a: 1 })).not.toBe(contentKey({ a: 2 }));
    expect(contentKey({ a: Infinity })).not.toBe(contentKey({ a: null }));
  });

  it('an edited value, a truncated file, a wrong key or an old-format file is corrupt, never a result', () => {
    const dir = tmp();
    try {
      const key = contentKey('k');
      const path = join(dir, `${key}.json`);
      const write = () => new CasStore(dir).putResult(key, { v: [1.25, 2.5] });
      const read = () => {
        const c = new CasStore(dir);
        return { r: c.read<{ v: number[] }>(key), v: c.get(key), stats: c.stats };
      };
      write();
      expect(read().r.state).toBe('result');

      writeFileSync(path, readFileSync(path, 'utf8').replace('1.25', '1.5'));
      const edited = read();
      expect(edited.r).toMatchObject({ state: 'corrupt', reason: expect.stringMatching(/checksum mismatch/) });
      expect(edited.v).toBeUndefined();
      expect(edited.stats).toMatchObject({ corrupt: 1, hits: 0 });

      write();
      const full = readFileSync(path, 'utf8');
      writeFileSync(path, full.slice(0, full.length >> 1));
      expect(read().r).toMatchObject({ state: 'corrupt', reason: expect.stringMatching(/not valid JSON/) });

      write();
      writeFileSync(path, readFileSync(path, 'utf8').replace(key, contentKey('other')));
      expect(read().r).toMatchObject({ state: 'corrupt', reason: expect.stringMatching(/key does not match/) });

      writeFileSync(path, JSON.stringify({ key, value: { v: [1.25, 2.5] } }));
      expect(read().r).toMatchObject({ state: 'corrupt', reason: expect.stringMatching(/not a capmin-cas\/1 record/) });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('any change of a stored number is detected (property)', () => {
    const dir = tmp();
    try {
      const cas = new CasStore(dir);
      fc.assert(
        fc.property(
          fc.array(fc.double({ noNaN: true, noDefaultInfinity: true }), { minLength: 1, maxLength: 8 }),
          fc.nat(),
          fc.double({ noNaN: true, noDefaultInfinity: true }),
          (values, at, by) => {
            const key = contentKey(values);
            cas.putResult(key, values);
            const i = at % values.length;
            if (Object.is(values[i], by) || JSON.stringify(values[i]) === JSON.stringify(by)) return;
            const path = join(dir, `${key}.json`);
            const rec = JSON.parse(readFileSync(path, 'utf8'));
            rec.body.value[i] = by;
            writeFileSync(path, JSON.stringify(rec));
            const fresh = new CasStore(dir);
            expect(fresh.read(key).state).toBe('corrupt');
            expect(fresh.get(key)).toBeUndefined();
          },
        ),
        { numRuns: 60 },
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a failure record is never returned as a result; a later success replaces it', () => {
    const dir = tmp();
    try {
      const key = contentKey('f');
      const cas = new CasStore(dir);
      const tries = [{ at: '2026-01-01T00:00:00.000Z', kind: 'timeout', detail: 'no result after 3 s', options: 'default' }];
      cas.putFailure(key, tries, { info: { log: 'failed/x.log' } });
      const fresh = new CasStore(dir);
      expect(fresh.get(key)).toBeUndefined();
      expect(fresh.stats).toMatchObject({ failures: 1, misses: 1, hits: 0 });
      expect(fresh.read(key)).toEqual({ state: 'failure', attempts: tries, info: { log: 'failed/x.log' } });
      fresh.putResult(key, 42, { attempts: tries });
      expect(new CasStore(dir).read(key)).toEqual({ state: 'result', value: 42, attempts: tries });
      // in memory too
      const mem = new CasStore(null);
      mem.putFailure(key, tries);
      expect(mem.get(key)).toBeUndefined();
      expect(mem.read(key).state).toBe('failure');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('run() computes once, and a throwing computation stores nothing', async () => {
    const dir = tmp();
    try {
      const cas = new CasStore(dir);
      let calls = 0;
      const key = contentKey('r');
      await expect(
        cas.run(key, () => {
          calls++;
          throw new Error('boom');
        }),
      ).rejects.toThrow('boom');
      expect(readdirSync(dir)).toEqual([]);
      expect(
        await cas.run(key, () => {
          calls++;
          return [1, 2];
        }),
      ).toEqual({ value: [1, 2], cached: false });
      expect(
        await new CasStore(dir).run(key, () => {
          calls++;
          return [9];
        }),
      ).toEqual({ value: [1, 2], cached: true });
      expect(calls).toBe(2);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('file-system failures become one-line CapminErrors naming the path', () => {
    const e = (code: string) => Object.assign(new Error(`${code}: raw message`), { code });
    const nospc = storageError(e('ENOSPC'), '/x/batches/a.json', 'write', '--out') as CapminError;
    expect(nospc).toBeInstanceOf(CapminError);
    expect(nospc.message).toBe('/x/batches/a.json: no space left on the device (cannot write); free space there or choose another --out');
    expect((storageError(e('EROFS'), '/ro/m.json', 'write', '--out') as CapminError).message).toMatch(
      /^\/ro\/m\.json: read-only file system .*choose a writable --out$/,
    );
    expect((storageError(e('EACCES'), '/p', 'write') as CapminError).code).toBe('EACCES');
    const other = new TypeError('bug');
    expect(storageError(other, '/p')).toBe(other);
  });
});

describe('BatchStore on content-addressed records', () => {
  it('an edited batch file is not trusted', () => {
    const dir = tmp();
    try {
      const hash = contentKey('deck');
      new BatchStore(dir).put(okBatch(hash, [[1e-9, null]]));
      expect(new BatchStore(dir).get(hash)?.values).toEqual([[1e-9, null]]);
      const path = join(dir, 'batches', `${hash}.json`);
      writeFileSync(path, readFileSync(path, 'utf8').replace('1e-9', '2e-9'));
      const s = new BatchStore(dir);
      expect(s.lookup(hash).state).toBe('corrupt');
      expect(s.get(hash)).toBeUndefined();
      expect(s.stats.corrupt).toBe(2);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a failed batch comes back as a failure with its tries, final after MAX_BATCH_TRIES', () => {
    const dir = tmp();
    try {
      const hash = contentKey('deck2');
      const tries = Array.from({ length: 2 }, (_, i) => ({ at: `t${i}`, kind: 'crash', detail: 'killed by SIGSEGV', options: i ? 'tight' : 'default' }));
      const failed: BatchRecord = {
        ...okBatch(hash, []),
        status: 'failed',
        attempts: 2,
        tries,
        error: { kind: 'crash', detail: 'killed by SIGSEGV' },
        log: 'failed/x.log',
      };
      const s = new BatchStore(dir);
      s.put(failed);
      expect(s.history()[hash]).toMatchObject({ status: 'failed', tries: 2, failures: tries, level: 8, samples: '0..1' });
      const l = new BatchStore(dir).lookup(hash);
      expect(l.state).toBe('failed');
      if (l.state !== 'failed') return;
      expect(l.rec).toMatchObject({
        status: 'failed',
        attempts: 2,
        tries,
        level: 8,
        samples: [0, 1],
        log: 'failed/x.log',
        final: false,
        error: { kind: 'crash' },
      });
      const many = Array.from({ length: MAX_BATCH_TRIES }, (_, i) => ({ ...tries[0]!, at: `t${i}` }));
      s.put({ ...failed, attempts: many.length, tries: many });
      const l2 = new BatchStore(dir).lookup(hash);
      expect(l2.state === 'failed' && l2.rec.final).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('StageCache on content-addressed records', () => {
  it('reuses a verified stage and recomputes an edited one', async () => {
    const dir = tmp();
    try {
      const c1 = new StageCache(dir);
      const r1 = await c1.run('acc', { k: 16 }, () => ({ accuracy: 0.875 }));
      expect(r1.cached).toBe(false);
      const c2 = new StageCache(dir);
      expect(await c2.run('acc', { k: 16 }, () => ({ accuracy: 0 }))).toEqual({ value: { accuracy: 0.875 }, cached: true });
      const [file] = readdirSync(dir);
      expect(file).toMatch(/^acc-[0-9a-f]{32}\.json$/);
      const path = join(dir, file!);
      writeFileSync(path, readFileSync(path, 'utf8').replace('0.875', '0.99'));
      const c3 = new StageCache(dir);
      let recomputed = 0;
      const r3 = await c3.run('acc', { k: 16 }, () => {
        recomputed++;
        return { accuracy: 0.875 };
      });
      expect(r3).toEqual({ value: { accuracy: 0.875 }, cached: false });
      expect(recomputed).toBe(1);
      expect(c3.stats).toMatchObject({ hits: 0, misses: 1, corrupt: 1 });
      expect(new StageCache(dir).get('acc', { k: 16 })).toEqual({ accuracy: 0.875 });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
