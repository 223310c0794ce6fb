/** SPICE measurements of the neuron: nominal spike times (S_FIRE), the clocked register, I_init and I(V). */
export {
  type SpikeRow,
  type TranResult,
  /** Nominal S_FIRE per level (op + transient, clock applied); with `cacheDir` each level is read from / written to its content-keyed JSON. */
  nominalSpikeTimes,
  /** Transient of one level, crossing time and registered spike; no cache. */
  runLevelTransient,
  /** First crossing of V_th, linearly interpolated; pure, no cache. */
  crossingTime,
  /** Register a crossing on the next clock edge (the flip-flop); pure, no cache. */
  registerSpike,
  /** Registered spike of a transient with the flip-flop in the deck; pure, no cache. */
  clockedSpike,
  /** All levels 0..a; pure, no cache. */
  allLevels,
  /** Content key of a level's nominal spike row (circuit, level, model card bytes); pure. */
  spikeCacheKey,
} from './spikes.js';
export {
  /** I_init of a level from an ngspice operating point with ML at 0 V; no cache. */
  extractIinit,
  /** I(V) of a level from an ngspice DC sweep of ML; no cache. */
  sweepIV,
} from './extract.js';
export {
  type ChargingSeries,
  /** Charging curves of a few levels (Fig. 3) over 1.25 × the slowest predicted crossing; no cache. */
  chargingCurves,
  /** Charging curves with their registered spike times; pure, no cache. */
  chargingFigure,
} from './charging.js';
