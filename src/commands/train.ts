/**
 * `capmin train --arch vgg3 --dataset fashion --epochs N [...]`: binarized training (paper Sec. IV-A) with a
 * resumable state every epoch in the output folder (--out); the best epoch is exported in the engine's compact form
 * (--checkpoint, default OUT/best.safetensors).
 */
import { join, resolve } from 'node:path';
import { parseCommand } from '../cli/options.js';
import { defaultOutDir, printJson } from '../cli/output.js';
import { parseSeed } from '../montecarlo/cliopts.js';
import { EXIT } from '../util/exit.js';
import { inputError } from '../util/errors.js';
import { parseSpiceValue } from '../util/units.js';
import { parseDatasetName } from '../data/datasets.js';
import { getGemm } from '../train/gemm.js';
import { nativeLoadError } from '../train/native.js';
import { train } from '../train/trainer.js';

/** `capmin train`: options from src/cli/options.ts, then train. */
export async function main(argv: string[]): Promise<number> {
  const { values, help } = parseCommand('train', argv);
  if (help) return EXIT.OK;
  const arch = values.arch.toLowerCase();
  if (arch !== 'vgg3') throw inputError('--arch', `'${arch.slice(0, 40)}' cannot be trained by capmin train; allowed: vgg3`);
  const dataset = parseDatasetName(values.dataset);
  if (dataset === 'cifar10') throw inputError('--dataset', 'cifar10 is 3×32×32 and needs VGG7/ResNet18, which the trainer does not support; allowed: fashion, npy');
  if (values.epochs === undefined) throw inputError('--epochs', 'required: the number of epochs, 1..1000');
  const epochs = parseSpiceValue('--epochs', values.epochs, { min: 1, max: 1000, integer: true });
  const batch = parseSpiceValue('--batch', values.batch, { min: 2, max: 4096, integer: true });
  const lr = parseSpiceValue('--lr', values.lr, { min: 1e-9, max: 10 });
  const seed = parseSeed(values.seed);
  const limit = values['train-limit'] !== undefined ? parseSpiceValue('--train-limit', values['train-limit'], { min: 2, max: 1e9, integer: true }) : undefined;
  const testLimit = values['test-limit'] !== undefined ? parseSpiceValue('--test-limit', values['test-limit'], { min: 1, max: 1e9, integer: true }) : undefined;
  if (values.resume && values.fresh) throw inputError('--fresh', 'cannot be combined with --resume');
  // --out is the output folder in every command; the checkpoint file has its own option
  if (values.out !== undefined && /\.safetensors$/i.test(values.out)) {
    throw inputError('--out', `'${values.out.slice(0, 60)}' names the output folder; give the checkpoint file with --checkpoint FILE`);
  }
  const stateDir = values.out !== undefined ? resolve(values.out) : defaultOutDir(`train-${arch}-${dataset}`);
  const out = values.checkpoint !== undefined ? resolve(values.checkpoint) : join(stateDir, 'best.safetensors');
  if (!/\.safetensors$/.test(out)) throw inputError('--checkpoint', `'${out.slice(0, 60)}' must end in .safetensors`);
  const gemm = getGemm();
  if (gemm.name !== 'openblas' && !process.env.CAPMIN_GEMM) {
    process.stderr.write(`capmin train: native GEMM unavailable (${nativeLoadError()}); using the ${gemm.name} GEMM (much slower)\n`);
  }
  const command = ['capmin', 'train', ...argv].map((a) => (/^[\w./=:,+-]+$/.test(a) ? a : JSON.stringify(a))).join(' ');
  const res = await train({
    arch: 'vgg3',
    dataset,
    epochs,
    batch,
    lr,
    seed,
    out,
    stateDir,
    resume: Boolean(values.resume),
    fresh: Boolean(values.fresh),
    limit,
    testLimit,
    dataDir: values['data-dir'],
    gemm,
    command,
    log: values.json ? (l) => process.stderr.write(l + '\n') : undefined,
  });
  const summary = { epochsDone: res.epochsDone, best: res.best, checkpoint: res.out, out: stateDir, gemm: res.gemm, history: res.history };
  if (values.json) printJson('train', summary);
  else {
    process.stdout.write(
      `trained vgg3 on ${dataset}: ${res.epochsDone} epochs; best test accuracy ${res.best ? `${res.best.testAccuracy.toFixed(2)}% (epoch ${res.best.epoch})` : '—'}` +
        `${res.out ? `; best checkpoint ${res.out}` : ''}; state in ${stateDir}\n`,
    );
  }
  return EXIT.OK;
}
