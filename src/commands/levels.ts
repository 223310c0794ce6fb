/**
 * `capmin levels --fmac F --k 14 [--json]`: CapMin (paper Sec. III-A, Eq. 4) on an F_MAC file — the k most frequent
 * levels and the clipping bounds.
 */
import { capminLevels } from '../capmin/levels.js';
import { readFmacFile } from '../capmin/io.js';
import { parseCommand } from '../cli/options.js';
import { printJson } from '../cli/output.js';
import { EXIT } from '../util/exit.js';
import { inputError } from '../util/errors.js';
import { parseSpiceValue } from '../util/units.js';

/** `capmin levels`: options from src/cli/options.ts, then capminLevels. */
export async function main(argv: string[]): Promise<number> {
  const { values, help } = parseCommand('levels', argv);
  if (help) return EXIT.OK;
  if (values.fmac === undefined) throw inputError('--fmac', 'required: an F_MAC file (JSON or CSV)');
  const fMac = readFmacFile(values.fmac);
  const k = parseSpiceValue('--k', values.k, { min: 1, max: fMac.length, integer: true });
  const r = capminLevels(fMac, k);
  if (values.json) {
    printJson('levels', { ...r });
    return EXIT.OK;
  }
  const pct = (x: number) => `${(100 * x).toFixed(3)}%`;
  process.stdout.write(
    [
      `k = ${r.k} of ${r.a + 1} levels (a = ${r.a})`,
      `clip range (Eq. 4): [${r.lo}, ${r.hi}]   levels ${r.levels.join(' ')}`,
      `coverage: ${pct(r.coverage)} of sub-MACs read unclipped`,
      `top-${r.k} levels: ${r.topK.join(' ')} (${r.contiguous ? 'contiguous: identical to the range' : `not contiguous: span ${r.topKSpan[0]}..${r.topKSpan[1]} would need ${r.topKSpan[1] - r.topKSpan[0] + 1} spike times; top-k coverage ${pct(r.topKCoverage)}`})`,
    ].join('\n') + '\n',
  );
  return EXIT.OK;
}
