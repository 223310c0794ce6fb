/**
 * The README tour, run as a newcomer would (scripts/walkthrough.ts --quick): every `sh walkthrough` command, from a
 * fresh directory outside the checkout, with real ngspice and the built CLI (dist/, `npm run build`).
 */
import { describe, it, expect } from 'vitest';
import { execa } from 'execa';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { QUICK, tourCommands } from '../../scripts/walkthrough.js';

const ROOT = resolve(import.meta.dirname, '..', '..');

describe('README walk-through', () => {
  it('extracts the tour commands, and every --quick substitution only adds or shrinks options', () => {
    const cmds = tourCommands(readFileSync(join(ROOT, 'README.md'), 'utf8'));
    expect(cmds.length).toBeGreaterThanOrEqual(8);
    expect(cmds.every((c) => c.startsWith('capmin '))).toBe(true);
    for (const [from, to] of QUICK) expect(to.split(' ')[1]).toBe(from.split(' ')[1]);
    expect(tourCommands('```sh walkthrough\ncapmin a \\\n  --b 1   # note\n# skip\n```\n```sh\ncapmin c\n```\n')).toEqual(['capmin a --b 1']);
  });

  it.skipIf(!existsSync(join(ROOT, 'dist', 'src', 'cli.js')))('runs every README command in --quick mode and finds what the README says', async () => {
    // asynchronous: a minute-long synchronous spawn would starve the test worker's messages to vitest
    const r = await execa(process.execPath, [join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs'), join(ROOT, 'scripts', 'walkthrough.ts'), '--quick'], {
      cwd: ROOT, timeout: 480_000, reject: false, all: true,
    });
    expect(r.all).toMatch(/all \d+ commands ok/);
    expect(r.exitCode).toBe(0);
  }, 500_000);
});
