/**
 * krs/report — charts and self-contained HTML reports of scores, analyses and the demo.
 * Browser-safe (vega and vega-lite run anywhere); file output is in `krs/report/node`.
 *
 * @example
 *   import { renderReport } from 'krs/report';
 *   const html = await renderReport({ kind: 'analysis', analysis: analyzeExperiments(rows) });
 */

export { type AnalysisView, analysisView, type ExperimentView, experimentLabel, type MethodRankView, type SweepView, type TaskView } from './analysis-view.js';
// The cross-layer matrix of two captures
export { type CaptureCrossLayerOptions, type CaptureCrossLayerResult, crossLayerOfCaptures, featureLayers } from './capture-cross-layer.js';
export { type CaptureRegressionOptions, regressionOfCaptures } from './capture-regression.js';
// Charts
export type { Cell, Chart, ChartTable, TableColumn } from './chart.js';
export { boxPlotChart, deltaHeatmap, krsVsMetricChart, prePostChart, rankingChart, sensitivityChart } from './charts/analysis.js';
export { type EpochChartOptions, type EpochPick, type EpochPoint, krsByEpochChart, type StudentEpochs } from './charts/epochs.js';
export { crossLayerHeatmap, type HeatmapOptions, type HeatmapPanel, type MatrixLike } from './charts/heatmap.js';
export {
  MAX_POINTS as REGRESSION_MAX_POINTS,
  type RegressionPredictions,
  regressionCharts,
  regressionHorizonChart,
  regressionResidualChart,
  regressionScatterChart,
  regressionSection,
} from './charts/regression.js';
export { compositionChart, layerSimilarityChart, type ScoreLike } from './charts/score.js';
export { type StudentScore, studentLayersChart, studentsChart } from './charts/students.js';
export { documentCharts, type ReportDocument, type ReportSection, type SummaryCard } from './document.js';
export { assembleHtml } from './html.js';
export { readScore, type ScoreReading } from './reading.js';
export { renderSvg, svgSize, toVega } from './render.js';
// Reports
export {
  type AnalysisReportInput,
  buildReport,
  type DemoReportInput,
  type DemoStudent,
  type DemoTemperatureChoice,
  type DemoTemperaturePicks,
  type ModelInfo,
  type RenderOptions,
  type ReportInput,
  type ReportMeta,
  type ReportScore,
  renderCharts,
  renderReport,
  reportCharts,
  type ScoreReportInput,
  toAnalysisView,
} from './report.js';
export { COLORS, FONT_FAMILY, FONT_STACK } from './theme.js';
