/**
 * Raw-file parser throughput on a large real ngspice raw file (a 40-section RC ladder, all 43 vectors, ~50k+ points)
 * against parsing the same data written by ngspice `wrdata` with csv-parse (the simple baseline), same run.
 * Reports MB/s of file bytes, million values/s, and the time ratio for the same values.
 *   npx tsx bench/rawfile.ts [--tstop 150n] [--no-csv: skip the slow baseline]
 */
import { readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { parseRaw, readRawFile } from '../src/spice/rawfile.js';
import { runNgspice } from '../src/spice/runner.js';
import { parseSpiceValue } from '../src/util/units.js';

const tArg = process.argv.indexOf('--tstop');
const tStop = tArg > 0 ? parseSpiceValue('tstop', process.argv[tArg + 1]!, { unit: 's', min: 1e-9, max: 1e-6 }) : 150e-9;
const sections = 40;
const body: string[] = ['rc ladder', 'v1 n0 0 pulse(0 1 0 1n 1n 5n 10n)'];
for (let i = 0; i < sections; i++) body.push(`r${i} n${i} n${i + 1} 100`, `c${i} n${i + 1} 0 10f`);
body.push(
  '.options num_threads=1',
  '.control',
  'set filetype=binary',
  'set wr_singlescale',
  'set wr_vecnames',
  `tran 1p ${tStop}`,
  'write big.raw all',
  'wrdata big.txt all',
  'quit',
  '.endc',
  '.end',
  '',
);
const t0 = performance.now();
const r = await runNgspice(body.join('\n'), { expectFiles: ['big.raw', 'big.txt'], timeoutMs: 300_000 });
console.log(`generated in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
const rawPath = join(r.workDir, 'big.raw');
const txtPath = join(r.workDir, 'big.txt');
const rawBytes = statSync(rawPath).size;
const txtBytes = statSync(txtPath).size;

function best(fn: () => void, reps = 3): number {
  let b = Infinity;
  for (let i = 0; i < reps; i++) {
    const t = performance.now();
    fn();
    b = Math.min(b, performance.now() - t);
  }
  return b / 1000;
}

let values = 0;
let col5: Float64Array = new Float64Array();
const tParse = best(() => {
  const plots = parseRaw(readFileSync(rawPath));
  values = plots[0]!.points * plots[0]!.variables.length;
  col5 = plots[0]!.data[5]!;
});
const tChunk = best(() => {
  readRawFile(rawPath);
});
let csvCol5: Float64Array = new Float64Array();
const tCsv = process.argv.includes("--no-csv") ? NaN : best(() => {
  const rows = parse(readFileSync(txtPath, 'utf8'), { delimiter: ' ', from_line: 2, skip_empty_lines: true, relax_column_count: true }) as string[][];
  const n = rows.length;
  const cols: Float64Array[] = [];
  for (let i = 0; i < n; i++) {
    const f = rows[i]!.filter((s) => s !== '');
    if (i === 0) for (let c = 0; c < f.length; c++) cols.push(new Float64Array(n));
    for (let c = 0; c < f.length; c++) cols[c]![i] = Number(f[c]);
  }
  csvCol5 = cols[5]!;
}, 1);
// same data? (wrdata prints 8 significant digits)
let maxRel = 0;
for (let i = 0; i < col5.length; i++) maxRel = Math.max(maxRel, Math.abs(col5[i]! - csvCol5[i]!) / Math.max(1e-6, Math.abs(col5[i]!)));
rmSync(r.workDir, { recursive: true, force: true });
const mb = (b: number, s: number): string => `${(b / 1e6 / s).toFixed(1)} MB/s`;
const mv = (s: number): string => `${(values / 1e6 / s).toFixed(1)} Mvalues/s`;
console.log(`raw file ${(rawBytes / 1e6).toFixed(1)} MB (${values} values), wrdata text ${(txtBytes / 1e6).toFixed(1)} MB; same data: max rel diff ${maxRel.toExponential(1)}`);
console.log(`parseRaw (readFileSync + parse)   ${(tParse * 1000).toFixed(0)} ms  ${mb(rawBytes, tParse)}  ${mv(tParse)}`);
console.log(`readRawFile (1 MB chunks)         ${(tChunk * 1000).toFixed(0)} ms  ${mb(rawBytes, tChunk)}  ${mv(tChunk)}`);
console.log(`csv-parse on wrdata (baseline)    ${(tCsv * 1000).toFixed(0)} ms  ${mb(txtBytes, tCsv)}  ${mv(tCsv)}`);
console.log(`ratio (same values): parseRaw ${(tCsv / tParse).toFixed(1)}x, readRawFile ${(tCsv / tChunk).toFixed(1)}x faster than csv-parse`);
