/** The report names CapMin-V's merge direction and the padding of clipped rows for what they are. */
import { describe, expect, it } from 'vitest';
import { buildFigures, reportHtml } from '../../src/report/report.js';
import { parseSvgSeries } from '../../src/plot/svg.js';
import type { RunResults } from '../../src/report/results.js';
import { syntheticResults } from './fixture.js';

const acc = (mean: number) => ({ mean, min: mean - 0.01, max: mean + 0.01, runs: 3, images: 1000 });

function withBoth(toward: 'lower' | 'higher'): RunResults {
  const r = syntheticResults();
  const other = toward === 'lower' ? 'higher' : 'lower';
  r.capminV!.mergeToward = toward;
  r.capminV!.phis = r.capminV!.phis.map((p) => ({ ...p, other: { mergeToward: other, survivors: p.survivors, readLevel: p.readLevel, accRebucket: acc(0.5), meanAbsErrRebucket: 2 } }));
  r.padding = {
    pad: 'paper',
    other: 'bound',
    rows: [
      { method: 'CapMin', k: 16, kV: 16, acc: acc(0.85), accOther: acc(0.8412) },
      { method: 'CapMin-V', k: 16, phi: 4, kV: 12, acc: acc(0.86), accOther: acc(0.855) },
    ],
  };
  return r;
}

describe('merge direction and padding in the report', () => {
  it('default (toward lower): Alg. 1 as printed, the other series named toward higher; nothing "as specified"', () => {
    const r = withBoth('lower');
    const f = buildFigures(r);
    const names = parseSvgSeries(f.accuracy!.svg).series.map((s) => s.name);
    expect(names).toContain('CapMin-V from k=16, toward higher');
    expect(f.accuracy!.caption).toContain('merging toward the lower-diagonal neighbour (Alg. 1 lines 6–11 as printed)');
    expect(f.accuracy!.caption).toContain('toward the higher-diagonal neighbour (the opposite of Alg. 1 lines 6–11)');
    expect(f.accuracy!.csv.split('\n')[0]).toContain('acc_toward_higher_mean');
    const html = reportHtml(r, f);
    expect(html).not.toMatch(/as specified|prose intent/);
    expect(html).toContain('toward higher: acc. (re-bucketed)');
    expect(html).toMatch(/merges toward the <b>lower<\/b>-diagonal neighbour \(Alg\. 1 lines 6–11 as printed\)/);
  });

  it('toward higher is labelled a departure from Alg. 1', () => {
    const r = withBoth('higher');
    const f = buildFigures(r);
    expect(parseSvgSeries(f.accuracy!.svg).series.map((s) => s.name)).toContain('CapMin-V from k=16, toward lower');
    expect(reportHtml(r, f)).toMatch(/merges toward the <b>higher<\/b>-diagonal neighbour \(the opposite of Alg\. 1 lines 6–11\)/);
  });

  it('the padding section gives both accuracies and their difference', () => {
    // single-token cells carry class="n" (kept whole in print); the row's text is what is checked
    const html = reportHtml(withBoth('lower')).replace(/<td class="n">/g, '<td>');
    expect(html).toContain('Padding of clipped rows');
    expect(html).toContain('one-hot on the bound (Alg. 1 line 15)');
    expect(html).toMatch(/<td>CapMin<\/td><td>16<\/td><td>–<\/td><td>16<\/td><td>85\.00%<\/td><td>84\.12%<\/td><td>-0\.88<\/td>/);
    expect(reportHtml(syntheticResults())).not.toContain('Padding of clipped rows');
  });
});
