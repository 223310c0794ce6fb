import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { circuitInfo, circuitLine, circuitRows, describeCircuit } from '../../src/circuit/describe.js';
import { defaultCircuit, type CircuitParams } from '../../src/circuit/params.js';

describe('describeCircuit', () => {
  it('the built-in circuit: Fig. 2 cell, shipped card and its real hash, nominal corner', () => {
    const p = defaultCircuit();
    const c = circuitInfo(p);
    expect(c.modelCard).toBe('ptm16hp-nmos.pm');
    expect(c.modelCardSha256).toBe(createHash('sha256').update(readFileSync(p.modelCard)).digest('hex'));
    expect(c.corner).toBe('nominal (tt)');
    expect(c.cell).toBe('XNOR cell, 2×2 series NMOS (W/L = 64/16 nm)');
    expect(circuitLine(c)).toBe(`a = 32 · ptm16hp-nmos.pm #${c.modelCardSha256!.slice(0, 8)} · nominal (tt) · 27 °C · V0 = 0.8 V · VDD = 0.8 V · V_th = 0.225 V · 2 GHz · C_mem = 10 pF`);
    expect(circuitLine(c, 12.27e-12)).toMatch(/C_mem = 12\.27 pF$/);
    expect(circuitLine(c, null)).not.toContain('C_mem');
    const rows = Object.fromEntries(circuitRows(c));
    expect(rows.temperature).toBe('27 °C');
    expect(rows.corner).toBe('nominal (tt)');
    expect(rows['model card SHA-256']).toBe(c.modelCardSha256);
    expect(circuitLine(describeCircuit(p, null))).toContain('ptm16hp-nmos.pm · nominal (tt)');
  });

  it('a circuit file fills cell, models, hash, corner and corner supplies', () => {
    // as circuitFromArgs builds it: the corner's temperature and supplies are in the parameters the decks use
    const p: CircuitParams = {
      ...defaultCircuit(),
      tempC: 125,
      vdd: 0.72,
      circuit: {
        name: 'my_cell', file: '/x/circ.yaml', sha256: 'c'.repeat(64), corner: 'ss_125', corners: ['tt', 'ss_125'],
        cell: { file: '/x/cell.sp', subckt: 'xnor2', roles: [] }, devices: [], models: [{ kind: 'lib', file: '/x/corners.lib', section: 'ss' }],
        params: [], tempC: 125, vdd: 0.72, files: [{ path: '/x/cell.sp', sha256: 'a'.repeat(64) }, { path: '/x/corners.lib', sha256: 'b'.repeat(64) }],
      },
    };
    const c = describeCircuit(p, null);
    expect(c.corner).toBe('ss_125');
    expect(c.modelCard).toBe('corners.lib [ss]');
    expect(c.modelCardSha256).toBe('b'.repeat(64));
    expect(c.tempC).toBe(125);
    expect(c.vdd).toBe(0.72);
    expect(c.v0).toBe(0.8);
    expect(c.cell).toContain('xnor2 from cell.sp (circuit my_cell');
    expect(circuitLine(c)).toContain('corners.lib [ss] #bbbbbbbb · ss_125 · 125 °C');
    // a command-line --temp overrides the corner's, and the description states what was simulated
    expect(describeCircuit({ ...p, tempC: 85 }, null).tempC).toBe(85);
  });
});
