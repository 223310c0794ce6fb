/** A synthetic RunResults for report tests (numbers are made up for layout; never used outside tests). */
import type { RunResults } from '../../src/report/results.js';

export function syntheticResults(): RunResults {
  const a = 32;
  const total = Array.from({ length: a + 1 }, (_, m) => Math.round(1e8 * Math.exp(-((m - 15) ** 2) / 18)));
  const ks = [33, 24, 16, 14, 12, 8, 5];
  const cOf = (k: number) => 1e-12 * 0.2 * k * k;
  const perK = ks.map((k) => {
    const lo = Math.max(0, 15 - Math.floor(k / 2));
    const hi = Math.min(a, lo + k - 1);
    return {
      k, lo, hi, contiguous: k !== 12, coverage: 1 - 0.002 * (33 - k), cMem: cOf(k), cMemSource: 'synthetic', latency: k * 1e-9, energy: 0.5 * cOf(k) * 0.225 ** 2,
      spikeTimes: Array.from({ length: hi - lo + 1 }, (_, i) => (i + 1) * 1e-9),
      accNoVar: k >= 8 ? 0.9 - 0.0003 * (33 - k) : 0.6, accVar: { mean: 0.8 + 0.004 * (16 - Math.abs(k - 14)), min: 0.79, max: 0.85, runs: 3, images: 1000 },
      pmapDiag: Array.from({ length: hi - lo + 1 }, (_, i) => 0.7 + 0.01 * i),
    };
  });
  const m3 = [
    [0.9, 0.1, 0],
    [0.05, 0.9, 0.05],
    [0, 0.2, 0.8],
  ];
  return {
    id: 'synthetic', createdAt: '2026-01-01T00:00:00Z', quick: true,
    config: {
      ks, phiFrom: 16, note: 'a <b>synthetic</b> & "quoted" run',
      modelMetadata: { dataset: 'fashion', epochs: '3', history: JSON.stringify([{ epoch: 1, loss: 0.5, test: 80.1 }, { epoch: 2, loss: 0.2, test: 85.3 }, { epoch: 3, loss: 0.1, test: 88.9 }]) },
      sigmas: { vth: 0.01, len: 0.02 },
    },
    circuit: {
      cell: 'XNOR cell, 2×2 series NMOS (W/L = 64/16 nm)', a, modelCard: 'ptm16hp-nmos.pm', modelCardSha256: 'ab12cd34ef56ab12cd34ef56ab12cd34ef56ab12cd34ef56ab12cd34ef56ab12',
      corner: 'nominal (tt)', tempC: 27, v0: 0.8, vdd: 0.8, vth: 0.225, fClk: 2e9, cMem: 10e-12,
    },
    errorFree: { accuracy: 0.9, images: 1000 }, tolerance: 0.01,
    fMac: { total, perLayer: [{ name: 'conv2', counts: total.map((x) => Math.floor(x / 2)) }, { name: 'fc1', counts: total.map((x) => x - Math.floor(x / 2)) }], images: 600, split: 'train' },
    baseline: perK[0], perK,
    capminV: { k0: 16, cMem: cOf(16), lo: 7, hi: 22, uses: 'rebucket', mergeToward: 'lower', pad: 'paper', phis: Array.from({ length: 11 }, (_, i) => ({ phi: i + 1, kV: 15 - i, survivors: [1, 2], readLevel: [], accRebucket: { mean: 0.86 - 0.002 * i, min: 0.85, max: 0.87, runs: 3, images: 1000 }, accAlg1: { mean: 0.87 - 0.002 * i, min: 0.86, max: 0.88, runs: 3, images: 1000 }, meanPCorrectRebucket: 0.9, meanPCorrectAlg1: 0.92, latency: 14e-9 })) },
    selections: [
      { method: 'baseline', k: 33, cMem: cOf(33), latency: 33e-9, energy: 0.5 * cOf(33) * 0.0506, accuracy: 0.9 },
      { method: 'CapMin', k: 8, cMem: cOf(8), latency: 8e-9, energy: 0.5 * cOf(8) * 0.0506, accuracy: 0.895 },
      { method: 'CapMin-V', k: 16, phi: 4, cMem: cOf(16), latency: 14e-9, energy: 0.5 * cOf(16) * 0.0506, accuracy: 0.892 },
    ],
    charging: { cMem: 10e-12, vth: 0.225, fClk: 2e9, curves: [32, 16, 4].map((m) => ({ level: m, t: Array.from({ length: 200 }, (_, i) => i * 5e-11), v: Array.from({ length: 200 }, (_, i) => 0.8 * (1 - Math.exp((-i * m) / 2000))), tCross: 1e-9, tSpike: 1.5e-9 })) },
    analytic: [
      { level: 0, iInit: 0, tSpice: null, tEq5: null, relErr: null },
      ...[1, 2, 4, 8, 16, 24, 32].map((m) => {
        const tSpice = 64e-9 / m;
        const tEq5 = tSpice * (1 + 0.04 + 0.002 * m);
        return { level: m, iInit: 2.2e-6 * m, tSpice, tEq5, relErr: (tEq5 - tSpice) / tSpice, tQuasiStatic: tSpice * (1 - 0.003 + 0.0002 * m) };
      }),
    ],
    pmaps: [{ label: 'k = 3 (synthetic)', levels: [9, 10, 11], matrix: m3 }],
    timings: { fmac: 1.5, sizing: 2 }, missing: ['nothing real: synthetic fixture'], notes: ['synthetic <note>'],
  };
}
