/** The plot layer of @cpppo/history: history records as series, and series over time as an SVG document. */
export type { PlotRecord } from "./series.js";
export { recordSeries, selectsSeries } from "./series.js";
export type { PlotOptions, PlotSeries } from "./svg.js";
export { renderPlotSvg } from "./svg.js";
