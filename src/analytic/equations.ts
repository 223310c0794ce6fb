/**
 * The paper's RC model of the neuron (Sec. II-C, Fig. 4) and its capacitor energy (Sec. IV-B); the quasi-static form
 * that does not assume a resistor is in ./quasistatic.ts. Pure functions, SI units.
 */

/** Eq. 2: V(t) = V0 (1 − e^{−t/τ}). */
export function eq2Voltage(t: number, v0: number, tau: number): number {
  return v0 * (1 - Math.exp(-t / tau));
}

/** Eq. 3: V(t) = V0 (1 − e^{−(t/C)(I_init/V0)}), i.e. Eq. 2 with R_eq = V0 / I_init. */
export function eq3Voltage(t: number, cMem: number, v0: number, iInit: number): number {
  return v0 * (1 - Math.exp(-(t / cMem) * (iInit / v0)));
}

/**
 * Eq. 5: spike time t(I_i) = −(C V0 / I_i) ln(1 − V_th / V0). Returns null when the RC model never reaches V_th
 * (I_i ≤ 0 or V_th ≥ V0).
 */
export function eq5SpikeTime(cMem: number, v0: number, vth: number, iInit: number): number | null {
  if (!(iInit > 0) || !(vth < v0) || !(v0 > 0)) return null;
  return -((cMem * v0) / iInit) * Math.log(1 - vth / v0);
}

/**
 * Energy stored in the membrane capacitor per MAC evaluation, ½·C·V_th² [J] (paper Sec. IV-B, the cost side of
 * Fig. 9): C_mem is charged from 0 V to the comparator threshold V_th once per evaluation.
 */
export function capEnergy(cMem: number, vth: number): number {
  if (!(cMem >= 0) || !Number.isFinite(cMem)) throw new Error(`cMem = ${cMem}; must be finite and ≥ 0`);
  if (!Number.isFinite(vth)) throw new Error(`vth = ${vth}; must be finite`);
  return 0.5 * cMem * vth * vth;
}

/**
 * Effective V0 that makes Eq. 5 reproduce a measured spike time with the measured I_init (R_eq = V_eff / I_init):
 * solves t = −(C V / I) ln(1 − V_th / V) for V > V_th by bisection (the right side falls monotonically from +∞ to
 * C V_th / I as V grows). Null when t ≤ C V_th / I (faster than a constant current could be).
 */
export function effectiveV0(tSpike: number, cMem: number, vth: number, iInit: number): number | null {
  const g = (v: number): number => -((cMem * v) / iInit) * Math.log(1 - vth / v) - tSpike;
  if (!(tSpike > (cMem * vth) / iInit)) return null;
  let lo = vth * (1 + 1e-12);
  let hi = vth * 2;
  while (g(hi) > 0) {
    hi *= 2;
    if (hi > 1e6) return null;
  }
  for (let k = 0; k < 200; k++) {
    const mid = 0.5 * (lo + hi);
    if (g(mid) > 0) lo = mid;
    else hi = mid;
    if (hi - lo < 1e-15 * hi) break;
  }
  return 0.5 * (lo + hi);
}

/**
 * Least-squares fit of Eq. 2 to a waveform V(t) on samples with t ≤ tMax: V0 in closed form for each τ, τ by
 * golden-section search on log τ. Returns R_eq = τ / C, V0 and the RMS residual [V].
 */
export function fitReqV0(t: Float64Array, v: Float64Array, cMem: number, tMax = Infinity): { req: number; v0: number; rms: number } {
  const idx: number[] = [];
  for (let i = 0; i < t.length; i++) if (t[i]! <= tMax) idx.push(i);
  if (idx.length < 3) throw new Error('fitReqV0: need at least 3 samples');
  const tEnd = t[idx[idx.length - 1]!]!;
  const solve = (tau: number): { v0: number; sse: number } => {
    let sgg = 0;
    let sgv = 0;
    for (const i of idx) {
      const g = 1 - Math.exp(-t[i]! / tau);
      sgg += g * g;
      sgv += g * v[i]!;
    }
    const v0 = sgg > 0 ? sgv / sgg : 0;
    let sse = 0;
    for (const i of idx) {
      const r = v[i]! - v0 * (1 - Math.exp(-t[i]! / tau));
      sse += r * r;
    }
    return { v0, sse };
  };
  let a = Math.log(tEnd * 1e-2);
  let b = Math.log(tEnd * 1e4);
  const phi = (Math.sqrt(5) - 1) / 2;
  let c = b - phi * (b - a);
  let d = a + phi * (b - a);
  let fc = solve(Math.exp(c)).sse;
  let fd = solve(Math.exp(d)).sse;
  for (let k = 0; k < 200 && b - a > 1e-10; k++) {
    if (fc < fd) {
      b = d;
      d = c;
      fd = fc;
      c = b - phi * (b - a);
      fc = solve(Math.exp(c)).sse;
    } else {
      a = c;
      c = d;
      fc = fd;
      d = a + phi * (b - a);
      fd = solve(Math.exp(d)).sse;
    }
  }
  const tau = Math.exp(0.5 * (a + b));
  const { v0, sse } = solve(tau);
  return { req: tau / cMem, v0, rms: Math.sqrt(sse / idx.length) };
}
