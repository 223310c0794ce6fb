/** The error model P_map (Eq. 6): spike-time samples bucketed at the nominal spike times, and its file formats. */
export {
  type Pmap,
  type SamplesByLevel,
  /** P_map (Eq. 6) from nominal spike times and samples, rows normalized; pure, no cache. */
  buildPmap,
  /** Diagonal p_ii of a P_map (levels order); pure, no cache. */
  pmapDiagonal,
  /** Full (a+1)×(a+1) level-indexed matrix of a P_map over kept levels; pure, no cache. */
  expandPmap,
} from './pmap.js';
export {
  type TimeBase,
  /** P_map (Eq. 6) of a Monte-Carlo result, on the registered (clock-cycle) or crossing time base; pure, no cache. */
  pmapFromMonteCarlo,
  /** samples.csv text of a Monte-Carlo result; pure, no cache. */
  samplesCsv,
  /** Write pmap.csv/.json/.npy, samples.csv and pmap.svg into a directory (atomic; byte-identical on a resumed run). */
  writePmapFiles,
} from './frommc.js';
export {
  /** CSV text of a P_map; pure, no cache. */
  pmapCsv,
  /** Parse pmap.csv text back, strictly validated; pure, no cache. */
  parsePmapCsv,
  /** JSON-able object of a P_map; pure, no cache. */
  pmapJson,
  /** .npy bytes of the popcount-indexed (a+1)×(a+1) matrix for SPICE-Torch; pure, no cache. */
  pmapNpy,
  /** SVG heatmap of a P_map; pure, no cache. */
  pmapHeatmapSvg,
} from './pmapio.js';
