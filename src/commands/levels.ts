/**
 * `capmin levels --fmac F --k 14 [--json]`: CapMin (paper Sec. III-A, Eq. 4) on an F_MAC file — the k most frequent
 * levels and the clipping bounds.
 */
import { capminLevels } from '../capmin/levels.js';
import { readFmacFile } from '../capmin/io.js';
import { parseCommandArgs } from '../util/args.js';
import { inputError } from '../util/errors.js';
import { parseSpiceValue } from '../util/units.js';

const HELP = `usage: capmin levels --fmac FILE --k K [--json]

CapMin (paper Sec. III-A, Eq. 4): keep the K most frequent MAC levels of an F_MAC histogram and report the
clipping bounds [lo, hi]. The range is the contiguous window of K levels with the largest total frequency; it equals
the K most frequent levels whenever those are contiguous (reported as "contiguous").

  --fmac FILE   F_MAC as written by 'capmin fmac': JSON with an array under 'total' or 'fMac', or CSV level,count
  --k K         number of levels to keep, 1..a+1 (default 14)
  --json        print JSON only`;

export async function main(argv: string[]): Promise<number> {
  const { values, help } = parseCommandArgs(argv, { fmac: { type: 'string' }, k: { type: 'string' }, json: { type: 'boolean' } }, HELP);
  if (help) return 0;
  if (typeof values.fmac !== 'string') throw inputError('--fmac', 'required: an F_MAC file (JSON or CSV)');
  const fMac = readFmacFile(values.fmac);
  const k = parseSpiceValue('--k', typeof values.k === 'string' ? values.k : '14', { min: 1, max: fMac.length, integer: true });
  const r = capminLevels(fMac, k);
  if (values.json) {
    process.stdout.write(JSON.stringify(r, null, 2) + '\n');
    return 0;
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
  return 0;
}
