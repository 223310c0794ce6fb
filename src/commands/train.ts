/**
 * `capmin train --arch vgg3 --dataset fashion --epochs N [...]`: binarized training (paper Sec. IV-A) with a
 * resumable checkpoint every epoch; the best epoch is exported in the engine's compact form to --out.
 */
import { resolve } from 'node:path';
import { parseCommandArgs } from '../util/args.js';
import { inputError } from '../util/errors.js';
import { parseSpiceValue } from '../util/units.js';
import { parseDatasetName } from '../data/datasets.js';
import { getGemm } from '../train/gemm.js';
import { nativeLoadError } from '../train/native.js';
import { train } from '../train/trainer.js';

const HELP = `usage: capmin train --arch vgg3 --dataset fashion --epochs N [--batch 256] [--lr 1e-3] [--seed S]
                    [--out FILE] [--state-dir DIR] [--resume | --fresh] [--limit N] [--test-limit N] [--json]

Binarized training as in the paper (Sec. IV-A): latent float weights binarized with sign in the forward pass,
straight-through estimator (hardtanh gradient) for weights and activations, BatchNorm (momentum 0.1),
modified hinge loss with b = 128, Adam (lr halved every 10 epochs), learnable output scale (init 1e-3).
The evaluation forward is exactly the engine's (src/bnn). Progress per epoch: loss, accuracy, images/s, time left.

  --arch A         vgg3 (the only architecture the trainer supports)
  --dataset D      fashion (default) or npy (any 1×H×W set with H, W divisible by 4)
  --epochs N       total epochs, 1..1000 (a resumed run continues up to N)
  --batch B        batch size, 2..4096 (default 256)
  --lr X           initial learning rate (default 1e-3)
  --seed S         seed of the initialisation and the shuffling (default 1)
  --out FILE       compact checkpoint of the best epoch (int8 ±1 weights + float32 BN; default DIR/best.safetensors)
  --state-dir DIR  per-epoch state (float weights + Adam sidecar), state.json, manifest.json
                   (default runs/train-<arch>-<dataset>)
  --resume         continue from DIR's last finished epoch (starts fresh when DIR has no state)
  --fresh          delete DIR's state and start over
  --limit N        use only the first N training images;  --test-limit N  only the first N test images
  --data-dir DIR   dataset folder (default: the dataset's standard location)
  --json           print the result summary as JSON on stdout
GEMM: the OpenBLAS addon (build/Release/capmin_native.node) when built, else WebAssembly SIMD, else TypeScript;
CAPMIN_GEMM=wasm|ts forces one.`;

export async function main(argv: string[]): Promise<number> {
  const { values, help } = parseCommandArgs(
    argv,
    {
      arch: { type: 'string' },
      dataset: { type: 'string' },
      epochs: { type: 'string' },
      batch: { type: 'string' },
      lr: { type: 'string' },
      seed: { type: 'string' },
      out: { type: 'string' },
      'state-dir': { type: 'string' },
      resume: { type: 'boolean' },
      fresh: { type: 'boolean' },
      limit: { type: 'string' },
      'test-limit': { type: 'string' },
      'data-dir': { type: 'string' },
      json: { type: 'boolean' },
    },
    HELP,
  );
  if (help) return 0;
  const str = (k: string) => (typeof values[k] === 'string' ? (values[k] as string) : undefined);
  const arch = (str('arch') ?? 'vgg3').toLowerCase();
  if (arch !== 'vgg3') throw inputError('--arch', `'${arch.slice(0, 40)}' cannot be trained by capmin train; allowed: vgg3`);
  const dataset = parseDatasetName(str('dataset') ?? 'fashion');
  if (dataset === 'cifar10') throw inputError('--dataset', 'cifar10 is 3×32×32 and needs VGG7/ResNet18, which the trainer does not support; allowed: fashion, npy');
  if (str('epochs') === undefined) throw inputError('--epochs', 'required: the number of epochs, 1..1000');
  const epochs = parseSpiceValue('--epochs', str('epochs')!, { min: 1, max: 1000, integer: true });
  const batch = parseSpiceValue('--batch', str('batch') ?? '256', { min: 2, max: 4096, integer: true });
  const lr = parseSpiceValue('--lr', str('lr') ?? '1e-3', { min: 1e-9, max: 10 });
  const seed = parseSpiceValue('--seed', str('seed') ?? '1', { min: 0, max: 2 ** 32 - 1, integer: true });
  const limit = str('limit') !== undefined ? parseSpiceValue('--limit', str('limit')!, { min: 2, max: 1e9, integer: true }) : undefined;
  const testLimit = str('test-limit') !== undefined ? parseSpiceValue('--test-limit', str('test-limit')!, { min: 1, max: 1e9, integer: true }) : undefined;
  if (values.resume && values.fresh) throw inputError('--fresh', 'cannot be combined with --resume');
  const stateDir = str('state-dir') ?? `runs/train-${arch}-${dataset}`;
  const out = str('out') ?? `${stateDir}/best.safetensors`;
  if (!/\.safetensors$/.test(out)) throw inputError('--out', `'${out.slice(0, 60)}' must end in .safetensors`);
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
    out: resolve(out),
    stateDir: resolve(stateDir),
    resume: Boolean(values.resume),
    fresh: Boolean(values.fresh),
    limit,
    testLimit,
    dataDir: str('data-dir'),
    gemm,
    command,
    log: values.json ? (l) => process.stderr.write(l + '\n') : undefined,
  });
  const summary = { epochsDone: res.epochsDone, best: res.best, out: res.out, stateDir: resolve(stateDir), gemm: res.gemm, history: res.history };
  if (values.json) process.stdout.write(JSON.stringify(summary, null, 2) + '\n');
  else {
    process.stdout.write(
      `trained vgg3 on ${dataset}: ${res.epochsDone} epochs; best test accuracy ${res.best ? `${res.best.testAccuracy.toFixed(2)}% (epoch ${res.best.epoch})` : '—'}` +
        `${res.out ? `; best checkpoint ${res.out}` : ''}; state in ${resolve(stateDir)}\n`,
    );
  }
  return 0;
}
