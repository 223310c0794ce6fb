/**
 * `capmin fmac --model M --dataset fashion --split train [--json] [--out DIR]`: F_MAC, the absolute frequency of
 * every sub-MAC level m (0..a) in error-free forward passes, per array layer and summed over layers (paper
 * Sec. III-A, Fig. 1). Writes fmac.csv, fmac.json, fmac.svg (log-scale histogram), fmac-layers.svg, manifest.json.
 * Re-running with identical inputs (model bytes, dataset, split, a, limit) reuses the stored result.
 */
import { existsSync, readFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { barPlot, linePlot } from '../plot/svg.js';
import { parseCommand } from '../cli/options.js';
import { capminVersion, defaultOutDir, printJson } from '../cli/output.js';
import { bnnValues } from './bnn-values.js';
import { EXIT } from '../util/exit.js';
import { writeFileAtomic, writeJsonAtomic } from '../util/atomic.js';
import { sha256, stableStringify } from '../util/hash.js';
import { computeFmac, type FmacResult } from '../bnn/run.js';
import { loadModelAndData } from '../bnn/options.js';
import { ENGINE_VERSION } from '../bnn/version.js';

/** `capmin fmac`: options from src/cli/options.ts, then computeFmac (cached by input hash in the output folder). */
export async function main(argv: string[]): Promise<number> {
  const { values, help } = parseCommand('fmac', argv);
  if (help) return EXIT.OK;
  const t0 = Date.now();
  const md = loadModelAndData(bnnValues(values), 'train');
  const out = values.out !== undefined ? resolve(values.out) : defaultOutDir('fmac', `${basename(md.modelPath).replace(/\.safetensors$/, '')}-${md.datasetName}-${md.split}`);
  const modelSha = sha256(readFileSync(md.modelPath));
  const inputs = { model: md.modelPath, modelSha256: modelSha, arch: md.model.arch, dataset: md.datasetName, split: md.split, images: md.dataset.n, a: md.a, engine: ENGINE_VERSION };
  const key = sha256(stableStringify({ ...inputs, model: undefined }));
  const jsonPath = join(out, 'fmac.json');
  let result: (FmacResult & { key: string }) | null = null;
  if (!values.force && existsSync(jsonPath)) {
    try {
      const old = JSON.parse(readFileSync(jsonPath, 'utf8')) as FmacResult & { key?: string };
      if (old.key === key) result = old as FmacResult & { key: string };
    } catch {
      result = null;
    }
  }
  const cached = result !== null;
  if (!result) {
    const r = await computeFmac(md.model, md.dataset, { a: md.a, threads: md.threads });
    result = { key, ...r };
    writeOutputs(out, result, inputs, md.datasetName, md.split);
    writeJsonAtomic(join(out, 'manifest.json'), {
      command: 'capmin fmac',
      argv,
      inputs,
      key,
      versions: { capmin: capminVersion(), node: process.version, engine: ENGINE_VERSION },
      timings: { totalSeconds: (Date.now() - t0) / 1000, engineSeconds: r.seconds, threads: r.threads },
      outputs: ['fmac.csv', 'fmac.json', 'fmac.svg', 'fmac-layers.svg'],
      finished: new Date().toISOString(),
    });
  }
  if (values.json) {
    printJson('fmac', { ...result, out, cached });
    return EXIT.OK;
  }
  const a = result.a;
  const lines = [
    `F_MAC of ${md.model.arch} (${md.modelPath}) on ${md.datasetName} ${md.split}: ${result.images} images, ${result.subMacs} sub-MACs, a = ${a}${cached ? ' (cached)' : ''}`,
    `error-free accuracy of these passes: ${(100 * result.accuracy).toFixed(2)}%`,
    `level m (MAC = a − 2m): count`,
    ...result.total.map((c, m) => `  ${String(m).padStart(2)} (${String(a - 2 * m).padStart(3)}): ${c}`),
    `written: ${out}/fmac.csv fmac.json fmac.svg fmac-layers.svg`,
  ];
  process.stdout.write(lines.join('\n') + '\n');
  return EXIT.OK;
}

function writeOutputs(out: string, r: FmacResult & { key: string }, inputs: Record<string, unknown>, dataset: string, split: string): void {
  const a = r.a;
  const header = ['level', 'mac', 'total', ...r.layers.map((l) => l.name)];
  const rows = r.total.map((t, m) => [m, a - 2 * m, t, ...r.layers.map((l) => l.counts[m]!)].join(','));
  writeFileAtomic(join(out, 'fmac.csv'), [header.join(','), ...rows].join('\n') + '\n');
  writeJsonAtomic(join(out, 'fmac.json'), {
    ...r,
    inputs,
    index: 'level m = number of conducting cells (weight != input) in a chunk of a cells, 0..a; MAC value of a full chunk = a - 2m',
  });
  const cats = r.total.map((_, m) => String(m));
  writeFileAtomic(
    join(out, 'fmac.svg'),
    barPlot({
      title: `F_MAC summed over layers (${dataset} ${split}, ${r.images} images)`,
      xLabel: 'sub-MAC level m (conducting cells)',
      yLabel: 'absolute frequency',
      categories: cats,
      series: [{ name: 'total', values: r.total }],
      yLog: true,
      valueLabels: false,
    }),
  );
  writeFileAtomic(
    join(out, 'fmac-layers.svg'),
    linePlot({
      title: `F_MAC per array layer (${dataset} ${split})`,
      xLabel: 'sub-MAC level m (conducting cells)',
      yLabel: 'absolute frequency',
      series: r.layers.map((l) => ({ name: l.name, x: cats.map(Number), y: l.counts.map((c) => (c > 0 ? c : NaN)) })),
      yLog: true,
    }),
  );
}
