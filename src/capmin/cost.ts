/**
 * Cost figures of a neuron configuration (paper Sec. IV-B, Fig. 9).
 */

// ½·C·V_th² is defined with the circuit equations (an early stage, also used by the capacitor sizing).
export { capEnergy } from '../analytic/equations.js';

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
