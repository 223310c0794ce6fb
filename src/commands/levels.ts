/**
 * `capmin levels --fmac F --k 14 [--direct-mapping FILE.npy] [--json]`: CapMin (paper Sec. III-A, Eq. 4) on an F_MAC
 * file — the k most frequent levels and the clipping bounds, optionally written as SPICE-Torch's direct mapping.
 */
import { resolve } from 'node:path';
import { capminLevels } from '../capmin/levels.js';
import { directMapping, directMappingNpy } from '../capmin/directmap.js';
import { readFmacFile } from '../capmin/io.js';
import { parseCommand } from '../cli/options.js';
import { printJson } from '../cli/output.js';
import { writeFileChecked } from '../util/cas.js';
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
  let mapPath: string | null = null;
  if (values['direct-mapping'] !== undefined) {
    if (values['direct-mapping'] === '') throw inputError('--direct-mapping', 'empty path; give a file name such as clip-k14.npy');
    mapPath = resolve(values['direct-mapping']);
    writeFileChecked(mapPath, directMappingNpy(r.a, r.lo, r.hi), '--direct-mapping');
  }
  if (values.json) {
    printJson('levels', { ...r, directMapping: mapPath ? { path: mapPath, popcountMap: Array.from(directMapping(r.a, r.lo, r.hi)) } : null });
    return EXIT.OK;
  }
  const pct = (x: number) => `${(100 * x).toFixed(3)}%`;
  process.stdout.write(
    [
      `k = ${r.k} of ${r.a + 1} levels (a = ${r.a})`,
      `clip range (Eq. 4): [${r.lo}, ${r.hi}]   levels ${r.levels.join(' ')}`,
      `coverage: ${pct(r.coverage)} of sub-MACs read unclipped`,
      `top-${r.k} levels: ${r.topK.join(' ')} (${r.contiguous ? 'contiguous: identical to the range' : `not contiguous: span ${r.topKSpan[0]}..${r.topKSpan[1]} would need ${r.topKSpan[1] - r.topKSpan[0] + 1} spike times; top-k coverage ${pct(r.topKCoverage)}`})`,
      ...(mapPath ? [`direct mapping (SPICE-Torch, popcount = ${r.a} - m -> clipped to ${r.a - r.hi}..${r.a - r.lo}): wrote ${mapPath}`] : []),
    ].join('\n') + '\n',
  );
  return EXIT.OK;
}
