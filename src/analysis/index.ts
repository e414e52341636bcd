/**
 * Analysis of many distillation experiments (`krs analyze`) and single-sample case studies
 * (`krs explain`).
 */
export {
  analyzeExperiments,
  type AnalyzeOptions,
  type AnalysisResult,
  type ExperimentResult,
  type ExperimentTradeoff,
  type TaskResult,
  type DistributionResult,
  type MethodResult,
  type MethodRank,
  type MethodsResult,
  type SweepResult,
  type ExperimentDiagnosis,
} from './analyze.js';
export {
  analysisTables,
  formatCell,
  formatP,
  type AnalysisTable,
  type Column as AnalysisColumn,
  type ColumnFormat,
  type Cell as AnalysisCell,
} from './tables.js';
export { analysisCsv, analysisMarkdown, tableToCsv, tableToMarkdown } from './render.js';
export { tradeoff, DEFAULT_BALANCED_RATIO, type Tradeoff } from './tradeoff.js';
