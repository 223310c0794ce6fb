/** Capacitor sizing: the smallest C_mem that keeps the kept levels' spike times apart, and the capacitor sweep. */
export {
  type Mapping,
  type QsModel,
  type SweepRow,
  type SizeStep,
  type SizeResult,
  /** Smallest C_mem with distinct registered spike times of the kept levels, verified by bisection in SPICE; with `store` uses the batch cache. */
  sizeCapacitor,
  /** Nominal quasi-static model from one DC sweep and nominal transients; with `store` uses the batch cache. */
  nominalQsModel,
  /** Quasi-static prediction of the smallest representable C_mem; pure, no cache. */
  predictCapacitor,
  /** Crossing time of a level at C under the quasi-static model; pure, no cache. */
  qsTime,
  /** Currents (levels) that represent the kept levels under a mapping; pure, no cache. */
  mapLevels,
  /** Registered clock cycle of a crossing time; pure, no cache. */
  cycleOf,
  /** True when registered outcomes are distinct with a margin of clock cycles; pure, no cache. */
  representable,
  /** Logarithmic or linear capacitor grid; pure, no cache. */
  capGrid,
} from './sizing.js';
export {
  /** Spike times of every level over a list of capacitors (quasi-static or transient); no cache. */
  sweepCap,
  /** SVG of registered spike time against C_mem; pure, no cache. */
  sweepSvg,
  /** Two-panel SVG of distinct levels and latency against C_mem; pure, no cache. */
  sweepDistinctSvg,
  /** CSV of a capacitor sweep (one row per C_mem); pure, no cache. */
  sweepCsv,
  /** 'log' or 'lin': the scale a capacitor grid was made with; pure, no cache. */
  gridScale,
} from './sweep.js';
export {
  type SizeForLevelsInput,
  type SizedK,
  /** Sizing stage of one k: smallest C_mem, SPICE-bisected or quasi-static plus one SPICE check; batches through `store`, result not cached. */
  sizeForLevels,
} from './stage.js';
