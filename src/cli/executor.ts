/**
 * `--executor local|slurm` and the Slurm options → the SpiceQueue every ngspice-running command hands to its stage
 * functions. With `slurm`, the queue's `remote` is a SlurmExecutor, so Monte-Carlo batches, nominal sweeps and
 * sizing transients all become array tasks, and results stay byte-identical to a local run.
 */
import { resolve } from 'node:path';
import { SlurmExecutor } from '../executor/slurm.js';
import type { SlurmOptions } from '../executor/types.js';
import { SpiceQueue } from '../spice/runner.js';
import { CapminError } from '../util/errors.js';
import { EXIT } from '../util/exit.js';
import { Progress } from '../util/progress.js';
import { parseSpiceValue } from '../util/units.js';
import { defaultOutDir } from './output.js';

/** The executor options as parsed from the command line (see the option table). */
export interface ExecutorValues {
  executor?: string;
  'slurm-dir'?: string;
  'slurm-partition'?: string;
  'slurm-account'?: string;
  'slurm-time'?: string;
  'slurm-mem'?: string;
  'slurm-throttle'?: string;
  'slurm-decks-per-task'?: string;
  'slurm-arg'?: string[];
}

/** Slurm executor options from the command line; `workRoot` defaults to the command's output folder. */
export function slurmOptionsFromArgs(v: ExecutorValues, workRoot: string | undefined, requiredFiles: string[] = []): SlurmOptions {
  const int = (name: keyof ExecutorValues, max: number): number | undefined => {
    const x = v[name];
    return typeof x === 'string' ? parseSpiceValue(`--${name}`, x, { min: 1, max, integer: true }) : undefined;
  };
  return {
    workRoot: resolve(v['slurm-dir'] ?? workRoot ?? defaultOutDir('slurm')),
    partition: v['slurm-partition'],
    account: v['slurm-account'],
    time: v['slurm-time'],
    mem: v['slurm-mem'],
    throttle: int('slurm-throttle', 100_000),
    decksPerTask: int('slurm-decks-per-task', 10_000) ?? 8,
    sbatchArgs: v['slurm-arg'] ?? [],
    requiredFiles,
  };
}

/**
 * The queue for a command: local processes (`workers` of them), or with `--executor slurm` a queue whose decks go
 * to a SlurmExecutor rooted at the output folder. Progress of the array tasks is shown like any other progress.
 */
export function spiceQueueFromArgs(v: ExecutorValues, opts: { workers?: number; workRoot?: string; requiredFiles?: string[] }): SpiceQueue {
  const ex = v.executor ?? 'local';
  if (ex === 'local') {
    for (const k of Object.keys(v) as Array<keyof ExecutorValues>) {
      if (k.startsWith('slurm-') && v[k] !== undefined && !(Array.isArray(v[k]) && (v[k] as string[]).length === 0)) {
        throw new CapminError(`--${k}: only with --executor slurm`, 'EUSAGE', EXIT.USAGE);
      }
    }
    return new SpiceQueue(opts.workers);
  }
  if (ex !== 'slurm') throw new CapminError(`--executor: '${ex.slice(0, 20)}' unknown; allowed: local, slurm`, 'EUSAGE', EXIT.USAGE);
  let prog: Progress | null = null;
  let shown = 0;
  const so = slurmOptionsFromArgs(v, opts.workRoot, opts.requiredFiles);
  const slurm = new SlurmExecutor({
    ...so,
    onStatus: (s) => {
      const total = s.pending + s.running + s.done + s.failed;
      prog ??= new Progress('slurm tasks', total, 'decks');
      prog.setTotal(total);
      prog.tick(s.done + s.failed - shown, `pending ${s.pending}, running ${s.running}, done ${s.done}, failed ${s.failed}, resubmitted ${s.resubmitted}`);
      shown = s.done + s.failed;
    },
  });
  return new SpiceQueue(opts.workers, {}, slurm);
}
