/** The results of `capmin run` (results.json) and the HTML report with its figures and CSV data. */
export type {
  AccuracyStats,
  CostRow,
  KResult,
  SpotCheck,
  PhiResult,
  Selection,
  ChargingCurves,
  AnalyticRow,
  PmapFigure,
  RunResults,
} from './results.js';
export {
  type Figure,
  type ComparisonRow,
  /** Write report.html, figures/*.svg and data/*.csv into a directory (atomic writes, overwritten each time); no cache. */
  writeReport,
  /** The report page as HTML text; pure, no cache. */
  reportHtml,
  /** All figures of a run as SVG; pure, no cache. */
  buildFigures,
  /** The paper-versus-this-run table; pure, no cache. */
  comparePaper,
} from './report.js';
