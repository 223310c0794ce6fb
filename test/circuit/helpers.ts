import { parseRaw, vector } from '../../src/spice/rawfile.js';
import { runNgspiceFile } from '../../src/spice/runner.js';

/** I(vml) of an `op` deck built by buildDeck. */
export async function extractIinitFromDeck(deck: string): Promise<number> {
  const r = await runNgspiceFile(deck, 'out.raw');
  return vector(parseRaw(r.data)[0]!, 'i(vml)')[0]!;
}
