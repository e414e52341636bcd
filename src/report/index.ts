/**
 * krs/report — charts and self-contained HTML reports of scores, analyses and the demo.
 * Browser-safe (vega and vega-lite run anywhere); file output is in `krs/report/node`.
 *
 * @example
 *   import { renderReport } from 'krs/report';
 *   const html = await renderReport({ kind: 'analysis', analysis: analyzeExperiments(rows) });
 */

// Reports
export {
  renderReport,
  buildReport,
  reportCharts,
  renderCharts,
  toAnalysisView,
  type ReportInput,
  type ScoreReportInput,
  type AnalysisReportInput,
  type DemoReportInput,
  type DemoStudent,
  type DemoTemperatureChoice,
  type DemoTemperaturePicks,
  type ReportMeta,
  type ReportScore,
  type ModelInfo,
  type RenderOptions,
} from './report.js';
export { documentCharts, type ReportDocument, type ReportSection, type SummaryCard } from './document.js';
export { assembleHtml } from './html.js';
export { readScore, type ScoreReading } from './reading.js';
export { analysisView, experimentLabel, type AnalysisView, type ExperimentView, type TaskView, type SweepView, type MethodRankView } from './analysis-view.js';

// Charts
export type { Chart, ChartTable, TableColumn, Cell } from './chart.js';
export { compositionChart, layerSimilarityChart, type ScoreLike } from './charts/score.js';
export { crossLayerHeatmap, type MatrixLike, type HeatmapPanel, type HeatmapOptions } from './charts/heatmap.js';
export { prePostChart, deltaHeatmap, sensitivityChart, boxPlotChart, krsVsMetricChart, rankingChart } from './charts/analysis.js';
export { studentsChart, studentLayersChart, type StudentScore } from './charts/students.js';
export {
  regressionCharts,
  regressionScatterChart,
  regressionResidualChart,
  regressionHorizonChart,
  regressionSection,
  MAX_POINTS as REGRESSION_MAX_POINTS,
  type RegressionPredictions,
} from './charts/regression.js';
export { regressionOfCaptures, type CaptureRegressionOptions } from './capture-regression.js';
export { krsByEpochChart, type EpochPoint, type StudentEpochs, type EpochPick, type EpochChartOptions } from './charts/epochs.js';
export { renderSvg, toVega, svgSize } from './render.js';
export { FONT_FAMILY, FONT_STACK, COLORS } from './theme.js';

// The cross-layer matrix of two captures
export { crossLayerOfCaptures, featureLayers, type CaptureCrossLayerOptions, type CaptureCrossLayerResult } from './capture-cross-layer.js';
