/**
 * Analysis of many distillation experiments (`krs analyze`) and single-sample case studies
 * (`krs explain`).
 */
export {
  type AnalysisResult,
  type AnalyzeOptions,
  analyzeExperiments,
  type DistributionResult,
  type ExperimentDiagnosis,
  type ExperimentResult,
  type ExperimentTradeoff,
  type MethodRank,
  type MethodResult,
  type MethodsResult,
  type SweepResult,
  type TaskResult,
} from './analyze.js';
export { analysisCsv, analysisMarkdown, tableToCsv, tableToMarkdown } from './render.js';
export {
  type AnalysisTable,
  analysisTables,
  type Cell as AnalysisCell,
  type Column as AnalysisColumn,
  type ColumnFormat,
  formatCell,
  formatP,
} from './tables.js';
export { DEFAULT_BALANCED_RATIO, type Tradeoff, tradeoff } from './tradeoff.js';
