/** SVG figures built as XML (line plots, stacked panels, bar plots, heatmaps), used by every stage that draws. */
export {
  type LineSeries,
  type LinePlotOptions,
  type LinePanel,
  type StackedLinePlotOptions,
  type MarkerShape,
  type BarPlotOptions,
  type HeatmapOptions,
  type HeatmapColorScale,
  /** SVG line plot (linear or log axes, optional overview panel); pure, no cache. */
  linePlot,
  /** SVG line panels stacked over one shared x axis; pure, no cache. */
  stackedLinePlot,
  /** SVG bar plot; pure, no cache. */
  barPlot,
  /** SVG heatmap of a matrix (P_map); pure, no cache. */
  heatmap,
  /** Tick and value text in plain engineering notation (1, 10, 100, 10k, 100µ); pure, no cache. */
  formatEng,
  /** Smallest font size of any figure text [px]. */
  MIN_FONT,
  /** Read the data series back from an SVG written by these functions (for checks); pure, no cache. */
  parseSvgSeries,
} from './svg.js';
