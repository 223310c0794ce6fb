/**
 * Cost figures of a neuron configuration (paper Sec. IV-B, Fig. 9).
 */

/** Energy stored in the membrane capacitor per MAC evaluation: ½·C·V_th² [J] (Sec. IV-B). */
export function capEnergy(cMem: number, vth: number): number {
  if (!(cMem >= 0) || !Number.isFinite(cMem)) throw new Error(`cMem = ${cMem}; must be finite and ≥ 0`);
  if (!Number.isFinite(vth)) throw new Error(`vth = ${vth}; must be finite`);
  return 0.5 * cMem * vth * vth;
}

/**
 * Latency as the guaranteed response time (GRT, paper ref. [3]): the last representable spike time, i.e. the
 * longest finite registered spike time among the levels the read-out distinguishes. A level that never spikes
 * (Infinity) is recognised once that time has passed, so it does not extend the latency. Returns NaN when no
 * level spikes.
 */
export function guaranteedResponseTime(spikeTimes: readonly number[]): number {
  let t = -Infinity;
  for (const s of spikeTimes) if (Number.isFinite(s) && s > t) t = s;
  return t === -Infinity ? NaN : t;
}
