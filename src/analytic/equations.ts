/**
 * The paper's RC model of the neuron (Sec. II-C, Fig. 4) and the quasi-static form that does not assume a resistor.
 * Pure functions, SI units.
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
 * Quasi-static spike time t = (C + C_par) ∫₀^{V_th} dV / I(V), with I(V) the match-line current at a held ML voltage
 * (an ngspice DC sweep). `vGrid` ascending from 0, `iOfV` > 0 on [0, V_th]; composite Simpson (+3/8) on uniform grids,
 * trapezoid otherwise, with the last interval cut at V_th by linear interpolation. Null when I ≤ 0 before V_th.
 */
export function quasiStaticTime(cMem: number, vGrid: Float64Array, iOfV: Float64Array, vth: number, cPar = 0): number | null {
  const n = vGrid.length;
  if (n < 2 || iOfV.length !== n) throw new Error('quasiStaticTime: need matching V and I grids of at least 2 points');
  if (vGrid[0]! > 1e-12) throw new Error('quasiStaticTime: the V grid must start at 0');
  if (vGrid[n - 1]! < vth * (1 - 1e-9)) throw new Error(`quasiStaticTime: V grid ends at ${vGrid[n - 1]} V, below V_th = ${vth} V`);
  // points up to V_th
  let last = 0;
  while (last + 1 < n && vGrid[last + 1]! <= vth * (1 + 1e-12)) last++;
  for (let i = 0; i <= Math.min(last + 1, n - 1); i++) if (!(iOfV[i]! > 0)) return null;
  const f = (i: number): number => 1 / iOfV[i]!;
  const h = vGrid[1]! - vGrid[0]!;
  let uniform = true;
  for (let i = 1; i <= last; i++) if (Math.abs(vGrid[i]! - vGrid[i - 1]! - h) > 1e-9 * h) uniform = false;
  let integral = 0;
  if (uniform && last >= 2) {
    // composite Simpson; an odd interval count ends with Simpson's 3/8 rule on the last three intervals
    const even = last % 2 === 0 ? last : last - 3;
    if (even > 0) {
      let s = f(0) + f(even);
      for (let i = 1; i < even; i++) s += (i % 2 === 1 ? 4 : 2) * f(i);
      integral = (s * h) / 3;
    }
    if (even < last) {
      const j = Math.max(even, 0);
      integral += ((3 * h) / 8) * (f(j) + 3 * f(j + 1) + 3 * f(j + 2) + f(j + 3));
    }
  } else {
    for (let i = 1; i <= last; i++) integral += 0.5 * (vGrid[i]! - vGrid[i - 1]!) * (f(i) + f(i - 1));
  }
  const vl = vGrid[last]!;
  if (vth > vl + 1e-15 && last + 1 < n) {
    const v1 = vGrid[last + 1]!;
    const fr = (vth - vl) / (v1 - vl);
    const iv = iOfV[last]! + fr * (iOfV[last + 1]! - iOfV[last]!);
    integral += 0.5 * (vth - vl) * (f(last) + 1 / iv);
  }
  return (cMem + cPar) * integral;
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
