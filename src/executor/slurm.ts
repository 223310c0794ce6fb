/**
 * The Slurm executor: decks become job-array tasks on a cluster, through the scheduler's own CLI
 * (`sbatch --parsable --array`, `squeue`, `scontrol`, `scancel`; no Slurm client library is maintained for Node).
 *
 * Layout under `workRoot` (a folder the nodes share with this host):
 *   slurm/task.sh            the node-side runner: needs only bash, coreutils and ngspice
 *   slurm/jobs/<key>/        deck.cir, timeout, and after the run: the deck's output, stdout.txt, stderr.txt, rc
 *   slurm/arrays/<n>.list    line i = the deck keys of array task i
 *   slurm/state.json         which key went to which job/task, attempts and failure reasons (re-attach after kill -9)
 * A deck's `rc` file is written last (atomically), so its presence means the deck finished; the submit host reads
 * the output and judges it with the same rules as the local runner, so both executors give the same bytes.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { constants as osConstants, hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { execa } from 'execa';
import { classifyOutput, SpiceError } from '../spice/runner.js';
import { writeFileAtomic, writeJsonAtomic } from '../util/atomic.js';
import { CapminError } from '../util/errors.js';
import type { DeckJob, DeckResult, Executor, SlurmOptions, SlurmStatus } from './types.js';

const TASK_SH = `#!/bin/bash
# capmin array task: runs the decks on line SLURM_ARRAY_TASK_ID+1 of the list file; needs only ngspice.
set -u
list=$1
root=$2
task="\${SLURM_ARRAY_JOB_ID:-\${SLURM_JOB_ID:-?}}_\${SLURM_ARRAY_TASK_ID:-0}"
line=$(sed -n "$(( \${SLURM_ARRAY_TASK_ID:-0} + 1 ))p" "$list")
bin=\${CAPMIN_NGSPICE:-ngspice}
if ! command -v "$bin" >/dev/null 2>&1; then
  for k in $line; do
    d=$root/jobs/$k
    printf 'exit=127 ms=0 host=%s task=%s why=not-installed\\n' "$(hostname)" "$task" > "$d/rc.tmp" && mv "$d/rc.tmp" "$d/rc"
  done
  echo "capmin task $task on $(hostname): ngspice not found on PATH" >&2
  exit 3
fi
for k in $line; do
  d=$root/jobs/$k
  [ -f "$d/rc" ] && continue
  cd "$d" || continue
  t=$(cat timeout)
  s=$(date +%s%N)
  OMP_NUM_THREADS=1 LC_ALL=C timeout -k 5 "$t" "$bin" -b -n deck.cir > stdout.txt 2> stderr.txt < /dev/null
  rc=$?
  e=$(date +%s%N)
  printf 'exit=%d ms=%d host=%s task=%s\\n' "$rc" "$(( (e - s) / 1000000 ))" "$(hostname)" "$task" > rc.tmp && mv rc.tmp rc
done
exit 0
`;

const PROBE_SH = `#!/bin/bash
# capmin probe: can the node see the run folder, and which ngspice does it have?
out=$1; shift
{
  echo "host=$(hostname)"
  bin=\${CAPMIN_NGSPICE:-ngspice}
  if command -v "$bin" >/dev/null 2>&1; then echo "ngspice=$("$bin" -v 2>&1 | grep -oiE 'ngspice-[0-9]+' | head -n 1)"; else echo "ngspice=none"; fi
  for f in "$@"; do [ -r "$f" ] || echo "unreadable=$f"; done
} > "$out.tmp" && mv "$out.tmp" "$out"
`;

interface KeyState {
  job: string;
  task: number;
  attempt: number;
  reasons: string[];
}

interface State {
  version: 1;
  arrays: Array<{ job: string; list: string; tasks: number; submitted: string }>;
  keys: Record<string, KeyState>;
}

interface Waiter {
  job: DeckJob;
  resolve: (r: DeckResult) => void;
  reject: (e: unknown) => void;
  /** polls since the task left the queue without an rc file (shared filesystems can show files late) */
  gone: number;
}

/** Slurm states after which a task will not run again by itself. */
const TERMINAL = new Set(['COMPLETED', 'FAILED', 'CANCELLED', 'TIMEOUT', 'OUT_OF_MEMORY', 'NODE_FAIL', 'PREEMPTED', 'BOOT_FAIL', 'DEADLINE']);

const noNewline = (field: string, v: string): string => {
  if (/[\n\r\0]/.test(v) || v.length > 500) throw new CapminError(`${field}: must be one line of at most 500 characters`, 'EINPUT', 2);
  return v;
};

/** Map `exit=… ms=… host=… task=…` of an rc file. */
function parseRc(text: string): Record<string, string> {
  const o: Record<string, string> = {};
  for (const m of text.matchAll(/(\w+)=(\S*)/g)) o[m[1]!] = m[2]!;
  return o;
}

function signalName(n: number): string {
  const e = Object.entries(osConstants.signals).find(([, v]) => v === n);
  return e ? e[0] : `signal ${n}`;
}

export class SlurmExecutor implements Executor {
  readonly name = 'slurm' as const;
  /** every deck goes to the scheduler at once; the cluster's own limits (and `throttle`) pace them */
  readonly concurrency = Number.MAX_SAFE_INTEGER;
  private readonly root: string;
  private readonly o: Required<Pick<SlurmOptions, 'decksPerTask' | 'pollMs' | 'maxResubmits'>> & SlurmOptions;
  private state: State;
  private pending: Waiter[] = [];
  private watching = new Map<string, Waiter>();
  private flushTimer: NodeJS.Timeout | null = null;
  private pollTimer: NodeJS.Timeout | null = null;
  private probed: Promise<void> | null = null;
  private maxArray: number | null = null;
  private excluded = new Set<string>();
  private submitted = new Set<string>();
  private counts = { done: 0, failed: 0, resubmitted: 0 };
  private lastQueue = new Map<string, string>();
  private closed = false;
  private readonly onSignal = (sig: NodeJS.Signals): void => {
    this.cancelAll();
    if (process.listenerCount(sig) === 1) {
      process.removeListener(sig, this.onSignal);
      process.kill(process.pid, sig);
    }
  };

  constructor(opts: SlurmOptions) {
    this.o = { decksPerTask: 8, pollMs: 2000, maxResubmits: 3, ...opts };
    this.o.pollMs = Math.min(60_000, Math.max(500, this.o.pollMs));
    if (!Number.isInteger(this.o.decksPerTask) || this.o.decksPerTask < 1 || this.o.decksPerTask > 10_000) {
      throw new CapminError('slurm-decks-per-task: must be an integer in 1..10000', 'EINPUT', 2);
    }
    if (this.o.throttle !== undefined && (!Number.isInteger(this.o.throttle) || this.o.throttle < 1)) {
      throw new CapminError('slurm-throttle: must be an integer ≥ 1', 'EINPUT', 2);
    }
    for (const [f, v] of [['slurm-partition', opts.partition], ['slurm-account', opts.account], ['slurm-time', opts.time], ['slurm-mem', opts.mem]] as const) {
      if (v !== undefined && !/^[\w.:+-]{1,100}$/.test(v)) throw new CapminError(`${f}: '${v.slice(0, 40)}' is not a Slurm value (letters, digits, . : + - _)`, 'EINPUT', 2);
    }
    for (const a of opts.sbatchArgs ?? []) noNewline('slurm-arg', a);
    this.root = join(resolve(opts.workRoot), 'slurm');
    mkdirSync(join(this.root, 'jobs'), { recursive: true });
    mkdirSync(join(this.root, 'arrays'), { recursive: true });
    mkdirSync(join(this.root, 'logs'), { recursive: true });
    writeFileSync(join(this.root, 'task.sh'), TASK_SH);
    chmodSync(join(this.root, 'task.sh'), 0o755);
    writeFileSync(join(this.root, 'probe.sh'), PROBE_SH);
    chmodSync(join(this.root, 'probe.sh'), 0o755);
    this.state = this.loadState();
    process.on('SIGINT', this.onSignal);
    process.on('SIGTERM', this.onSignal);
  }

  /** The job ids this executor (and earlier invocations on the same run folder) submitted. */
  get jobIds(): string[] {
    return this.state.arrays.map((a) => a.job);
  }

  status(): SlurmStatus {
    let pending = this.pending.length;
    let running = 0;
    for (const k of this.watching.keys()) {
      const ks = this.state.keys[k];
      const st = ks ? this.lastQueue.get(`${ks.job}_${ks.task}`) : undefined;
      if (st === 'RUNNING' || st === 'COMPLETING') running++;
      else pending++;
    }
    return { pending, running, done: this.counts.done, failed: this.counts.failed, resubmitted: this.counts.resubmitted, arrays: this.state.arrays.length };
  }

  runFile(job: DeckJob, signal?: AbortSignal): Promise<DeckResult> {
    if (!/^[\w.-]{1,128}$/.test(job.key)) throw new CapminError(`slurm executor: job key '${job.key.slice(0, 40)}' must be a file name`, 'EINTERNAL', 1);
    return new Promise<DeckResult>((resolvePromise, rejectPromise) => {
      const w: Waiter = { job, resolve: resolvePromise, reject: rejectPromise, gone: 0 };
      if (signal?.aborted) return rejectPromise(new SpiceError('aborted', 'cancelled'));
      signal?.addEventListener('abort', () => this.drop(w, new SpiceError('aborted', 'cancelled')), { once: true });
      const dir = this.jobDir(job.key);
      const rc = join(dir, 'rc');
      // A finished deck from an earlier invocation (re-attach): use it if it succeeded; a failure is never reused.
      if (existsSync(rc) && !this.submitted.has(job.key)) {
        try {
          w.resolve(this.judge(job));
          this.counts.done++;
          return;
        } catch {
          rmSync(rc, { force: true });
        }
      }
      const ks = this.state.keys[job.key];
      if (ks && !this.submitted.has(job.key)) {
        // Submitted by an earlier invocation and not finished: wait for that task instead of submitting again.
        this.submitted.add(job.key);
        this.watching.set(job.key, w);
        this.schedulePoll();
        return;
      }
      this.writeJob(job);
      this.pending.push(w);
      this.scheduleFlush();
    });
  }

  abort(): void {
    this.cancelAll();
    const err = new SpiceError('aborted', 'cancelled');
    for (const w of [...this.pending, ...this.watching.values()]) w.reject(err);
    this.pending = [];
    this.watching.clear();
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.flushTimer) clearTimeout(this.flushTimer);
    if (this.pollTimer) clearTimeout(this.pollTimer);
    process.removeListener('SIGINT', this.onSignal);
    process.removeListener('SIGTERM', this.onSignal);
  }

  /** `scancel` every job this run folder has submitted (Ctrl-C, SIGTERM, a fatal error). */
  cancelAll(): void {
    const ids = this.jobIds;
    if (ids.length === 0) return;
    try {
      execFileSync(this.bin('scancel'), ids, { stdio: 'ignore', timeout: 20_000 });
    } catch {
      /* the scheduler may already have forgotten them */
    }
  }

  // ---- submission ----

  private jobDir(key: string): string {
    return join(this.root, 'jobs', key);
  }

  private writeJob(job: DeckJob): void {
    const dir = this.jobDir(job.key);
    mkdirSync(dir, { recursive: true });
    for (const f of ['rc', 'rc.tmp', job.file, 'stdout.txt', 'stderr.txt']) rmSync(join(dir, f), { force: true });
    writeFileAtomic(join(dir, 'deck.cir'), job.deck);
    writeFileAtomic(join(dir, 'timeout'), `${Math.max(1, Math.ceil(job.timeoutMs / 1000))}\n`);
  }

  private scheduleFlush(): void {
    if (this.flushTimer || this.closed) return;
    // gather the decks a caller adds in one go into one array
    this.flushTimer = setTimeout(() => {
      this.flushTimer = null;
      this.flush().catch((e: unknown) => this.failAll(e));
    }, 300);
  }

  private schedulePoll(): void {
    if (this.pollTimer || this.closed) return;
    this.pollTimer = setTimeout(() => {
      this.pollTimer = null;
      this.poll().catch((e: unknown) => this.failAll(e));
    }, this.o.pollMs);
  }

  private failAll(e: unknown): void {
    for (const w of [...this.pending, ...this.watching.values()]) w.reject(e);
    this.pending = [];
    this.watching.clear();
  }

  private drop(w: Waiter, e: unknown): void {
    this.pending = this.pending.filter((x) => x !== w);
    if (this.watching.get(w.job.key) === w) this.watching.delete(w.job.key);
    w.reject(e);
  }

  private bin(name: string): string {
    return this.o.slurmBin ? join(this.o.slurmBin, name) : name;
  }

  private async slurm(cmd: string, args: string[]): Promise<string> {
    const r = await execa(this.bin(cmd), args, { reject: false, stdin: 'ignore', timeout: 60_000, env: { LC_ALL: 'C' }, extendEnv: true });
    const errno = (r as { code?: string }).code;
    if (r.failed && (errno === 'ENOENT' || /ENOENT/.test(String(r.message ?? '')))) {
      throw new CapminError(`--executor slurm: '${cmd}' not found on PATH (install the Slurm client, e.g. apt-get install -y slurm-client)`, 'ENOSLURM', 3);
    }
    if (r.exitCode !== 0) {
      const msg = `${r.stderr}`.trim().split('\n').filter(Boolean).pop() ?? `exit ${r.exitCode}`;
      throw new CapminError(`--executor slurm: ${cmd} failed: ${msg.slice(0, 300)}`, 'ESLURM', 1);
    }
    return String(r.stdout);
  }

  private async maxArraySize(): Promise<number> {
    if (this.maxArray !== null) return this.maxArray;
    const out = await this.slurm('scontrol', ['show', 'config']);
    const m = /^\s*MaxArraySize\s*=\s*(\d+)/m.exec(out);
    this.maxArray = m ? Math.max(1, Number(m[1])) : 1001;
    return this.maxArray;
  }

  private commonArgs(): string[] {
    const a: string[] = [];
    if (this.o.partition) a.push(`--partition=${this.o.partition}`);
    if (this.o.account) a.push(`--account=${this.o.account}`);
    if (this.o.mem) a.push(`--mem=${this.o.mem}`);
    if (this.excluded.size) a.push(`--exclude=${[...this.excluded].join(',')}`);
    a.push(...(this.o.sbatchArgs ?? []));
    return a;
  }

  /** Run a one-task probe: the node must see the run folder and have ngspice ≥ 39 and the required files. */
  private probe(): Promise<void> {
    this.probed ??= (async () => {
      const nonce = `${process.pid}-${Date.now()}`;
      const out = join(this.root, `probe-${nonce}.txt`);
      const id = (
        await this.sbatch(['--job-name=capmin-probe', `--output=${join(this.root, 'logs', `probe-${nonce}.log`)}`, '--time=5', join(this.root, 'probe.sh'), out, ...(this.o.requiredFiles ?? [])])
      ).trim();
      this.state.arrays.push({ job: id, list: '', tasks: 1, submitted: new Date().toISOString() });
      this.saveState();
      const t0 = Date.now();
      let goneFor = 0;
      for (;;) {
        if (existsSync(out)) break;
        const q = await this.slurm('squeue', ['-h', '-j', id, '-o', '%T']);
        if (q.trim() === '') goneFor++;
        if (goneFor >= 3) {
          throw new CapminError(
            `--executor slurm: the probe task ${id} finished but its file ${out} is not visible here: the run folder must be on a filesystem shared with the nodes (choose --out on a shared filesystem)`,
            'ESLURM',
            1,
          );
        }
        if (Date.now() - t0 > 30 * 60_000) throw new CapminError(`--executor slurm: the probe task ${id} did not run within 30 min (check the partition with sinfo)`, 'ESLURM', 1);
        await new Promise((r) => setTimeout(r, Math.min(this.o.pollMs, 1000)));
      }
      const kv = parseRc(readFileSync(out, 'utf8'));
      rmSync(out, { force: true });
      const host = kv.host ?? '?';
      if (!kv.ngspice || kv.ngspice === 'none') throw new SpiceError('not-installed', `slurm task ${id} on ${host}: ngspice not found on PATH (the nodes need ngspice >= 39)`);
      const v = Number(/(\d+)/.exec(kv.ngspice)?.[1] ?? 0);
      if (v < 39) throw new SpiceError('too-old', `slurm task ${id} on ${host}: found ${kv.ngspice}`);
      if (kv.unreadable) throw new CapminError(`--executor slurm: task ${id} on ${host} cannot read ${kv.unreadable}: deck inputs must be on a filesystem shared with the nodes`, 'ESLURM', 1);
    })();
    return this.probed;
  }

  private async sbatch(args: string[]): Promise<string> {
    const env = this.o.taskEnv ? [`--export=${Object.entries(this.o.taskEnv).map(([k, v]) => `${k}=${noNewline('task env', v).replace(/,/g, '')}`).join(',')}`] : ['--export=ALL'];
    const out = await this.slurm('sbatch', ['--parsable', ...env, ...this.commonArgs(), ...args]);
    const id = out.trim().split(';')[0] ?? '';
    if (!/^\d+$/.test(id)) throw new CapminError(`--executor slurm: sbatch answered '${out.trim().slice(0, 80)}', not a job id`, 'ESLURM', 1);
    return id;
  }

  private async flush(): Promise<void> {
    if (this.pending.length === 0) return;
    await this.probe();
    const batch = this.pending;
    this.pending = [];
    const per = this.o.decksPerTask;
    const tasks: Waiter[][] = [];
    for (let i = 0; i < batch.length; i += per) tasks.push(batch.slice(i, i + per));
    const maxArr = await this.maxArraySize();
    for (let t0 = 0; t0 < tasks.length; t0 += maxArr) {
      const part = tasks.slice(t0, t0 + maxArr);
      const n = this.state.arrays.length;
      const list = join(this.root, 'arrays', `${n}.list`);
      writeFileAtomic(list, part.map((ws) => ws.map((w) => w.job.key).join(' ')).join('\n') + '\n');
      const limitS = Math.max(...part.map((ws) => ws.reduce((s, w) => s + w.job.timeoutMs / 1000 + 5, 0)));
      const time = this.o.time ?? String(Math.ceil(limitS / 60) + 1);
      const array = `0-${part.length - 1}${this.o.throttle ? `%${this.o.throttle}` : ''}`;
      const id = await this.sbatch([
        `--array=${array}`,
        '--job-name=capmin',
        `--time=${time}`,
        '--cpus-per-task=1',
        `--output=${join(this.root, 'logs', '%A_%a.log')}`,
        join(this.root, 'task.sh'),
        list,
        this.root,
      ]);
      this.state.arrays.push({ job: id, list, tasks: part.length, submitted: new Date().toISOString() });
      part.forEach((ws, task) => {
        for (const w of ws) {
          const prev = this.state.keys[w.job.key];
          this.state.keys[w.job.key] = { job: id, task, attempt: (prev?.attempt ?? 0) + 1, reasons: prev?.reasons ?? [] };
          this.submitted.add(w.job.key);
          this.watching.set(w.job.key, w);
        }
      });
      this.saveState();
    }
    this.schedulePoll();
  }

  // ---- polling ----

  private async queueStates(jobs: string[]): Promise<Map<string, string>> {
    const m = new Map<string, string>();
    if (jobs.length === 0) return m;
    const out = await this.slurm('squeue', ['-h', '-r', '-j', jobs.join(','), '-o', '%i|%T']);
    for (const line of out.split('\n')) {
      const [id, st] = line.trim().split('|');
      if (id && st) m.set(id, st);
    }
    return m;
  }

  private async taskReason(id: string): Promise<string> {
    try {
      const out = await this.slurm('scontrol', ['show', 'job', id]);
      const st = /JobState=(\S+)/.exec(out)?.[1] ?? 'UNKNOWN';
      const why = /Reason=(\S+)/.exec(out)?.[1] ?? '';
      const node = /BatchHost=(\S+)/.exec(out)?.[1] ?? '';
      return `${st}${why && why !== 'None' ? ` (${why})` : ''}${node ? ` on ${node}` : ''}`;
    } catch {
      return 'left the queue (no record)';
    }
  }

  private async poll(): Promise<void> {
    if (this.closed) return;
    // finished decks first: no scheduler call needed for them
    for (const [key, w] of [...this.watching]) {
      if (!existsSync(join(this.jobDir(key), 'rc'))) continue;
      this.watching.delete(key);
      try {
        w.resolve(this.judge(w.job));
        this.counts.done++;
      } catch (e) {
        this.counts.failed++;
        w.reject(e);
      }
    }
    if (this.watching.size > 0) {
      const jobs = [...new Set([...this.watching.keys()].map((k) => this.state.keys[k]!.job))];
      this.lastQueue = await this.queueStates(jobs);
      const resubmit: Waiter[] = [];
      for (const [key, w] of [...this.watching]) {
        const ks = this.state.keys[key]!;
        const tid = `${ks.job}_${ks.task}`;
        const st = this.lastQueue.get(tid) ?? this.lastQueue.get(ks.job);
        if (st && !TERMINAL.has(st)) {
          w.gone = 0;
          continue;
        }
        // out of the queue without an rc file: give a shared filesystem two more polls, then resubmit
        if (++w.gone < 3) continue;
        this.watching.delete(key);
        const reason = await this.taskReason(tid);
        ks.reasons.push(`task ${tid}: ${reason}`);
        const node = /on (\S+)$/.exec(reason)?.[1];
        if (node && /NODE_FAIL|BOOT_FAIL/.test(reason)) this.excluded.add(node);
        if (ks.attempt > this.o.maxResubmits) {
          this.counts.failed++;
          w.reject(new SpiceError('crash', `slurm task ${tid} ${reason}; gave up after ${ks.attempt} submissions`));
          continue;
        }
        this.counts.resubmitted++;
        this.writeJob(w.job);
        w.gone = 0;
        resubmit.push(w);
      }
      this.saveState();
      if (resubmit.length) {
        this.pending.push(...resubmit);
        await this.flush();
      }
    }
    this.o.onStatus?.(this.status());
    if (this.watching.size > 0 || this.pending.length > 0) this.schedulePoll();
  }

  /**
   * Judge a finished deck as the local runner does (runner.ts): a signal or timeout is a failure; an exit code alone
   * is not when the expected output exists (ngspice -b exits 1 for benign reasons); otherwise classify the output.
   */
  private judge(job: DeckJob): DeckResult {
    const dir = this.jobDir(job.key);
    const rc = parseRc(readFileSync(join(dir, 'rc'), 'utf8'));
    const exit = Number(rc.exit ?? NaN);
    const where = `slurm task ${rc.task ?? '?'} on ${rc.host ?? '?'}`;
    const read = (f: string): string => (existsSync(join(dir, f)) ? readFileSync(join(dir, f), 'utf8') : '');
    const stdout = read('stdout.txt');
    const stderr = read('stderr.txt');
    if (rc.why === 'not-installed') throw new SpiceError('not-installed', `${where}: ngspice not found on PATH`);
    if (exit === 124) throw new SpiceError('timeout', `${where}: no result after ${readFileSync(join(dir, 'timeout'), 'utf8').trim()} s`, undefined, stdout, stderr);
    const out = join(dir, job.file);
    const have = existsSync(out) && readFileSync(out).length > 0;
    const signal = exit > 128 && exit < 160 ? signalName(exit - 128) : null;
    if (signal || !have) {
      const cls = classifyOutput(stdout, stderr);
      if (cls) throw new SpiceError(cls.kind, `${where}: ${cls.detail}`, undefined, stdout, stderr);
      if (signal) throw new SpiceError('crash', `${where}: killed by ${signal}`, undefined, stdout, stderr);
      throw new SpiceError('no-output', `${where}: ${job.file} was not written (exit ${exit})`, undefined, stdout, stderr);
    }
    return { data: readFileSync(out), stdout, stderr, durationMs: Number(rc.ms ?? 0) };
  }

  // ---- state ----

  private loadState(): State {
    const p = join(this.root, 'state.json');
    if (!existsSync(p)) return { version: 1, arrays: [], keys: {} };
    try {
      const s = JSON.parse(readFileSync(p, 'utf8')) as State;
      if (s.version !== 1 || !Array.isArray(s.arrays) || typeof s.keys !== 'object') throw new Error('shape');
      return s;
    } catch {
      throw new CapminError(`${p}: not a capmin Slurm state file (remove it to submit everything again)`, 'EDATA', 2);
    }
  }

  private saveState(): void {
    writeJsonAtomic(join(this.root, 'state.json'), this.state);
  }

  /** For tests and the manifest: where the state lives and what it says. */
  get statePath(): string {
    return join(this.root, 'state.json');
  }

  /** This host's name (tests compare with the probe's). */
  static host(): string {
    return hostname();
  }
}
