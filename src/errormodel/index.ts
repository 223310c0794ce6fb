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
export {
  type ValidatedPmap,
  type PmapRunOptions,
  type PmapRunResult,
  /** Validated P_map (Eq. 6): quasi-static with a transient spot check, transient fallback above the bound; batches through `store`, the P_map is not cached. */
  validatedPmap,
  /** `capmin pmap` as one stage: resumable run folder, validated P_map, P_map files and manifest (spot check recorded); batch cache in the folder. */
  pmapRun,
  /** The inputs hashed into a pmap run folder's manifest; pure, no cache. */
  pmapRunInputs,
  /** Record a finished validated P_map in its run folder's manifest; writes manifest.json, no cache. */
  recordPmapRun,
  /** One-line summary of a spot check; pure, no cache. */
  spotCheckSummary,
} from './validated.js';
