/**
 * The end every demo run shares (the MNIST demo, the study, the forecasting demo): analyse
 * the experiments table and write analysis.json, write the report, then results.json with the
 * run's time.
 */
import * as path from 'node:path';
import { writeFileAtomic } from '../io/node-atomic-write.js';
import type { ExperimentRow } from './experiments.js';

/** Where the analysis and the report plug in (see src/train/hooks.ts). */
export interface RunHooks<Files, Result> {
  /** Analyse the experiments table (written already to the run's experiments files); the value is stored in results.json. */
  analyze?: (rows: readonly ExperimentRow[], files: Files) => Promise<unknown>;
  /** Write the HTML report for a finished run; returns the file written. */
  report?: (result: Result) => Promise<string | null>;
}

/** Seconds since `t0` (a `performance.now()` reading). */
export const secondsSince = (t0: number): number => (performance.now() - t0) / 1000;

/**
 * Run the hooks on a finished run and write `results.json`: `result.analysis` and
 * `result.files.analysis`/`.report` are filled in, `result.seconds` is the time since `t0`.
 */
export async function finishRun<
  Files extends { analysis: string | null; report: string | null; results: string },
  Result extends { analysis: unknown; files: Files; seconds: number },
>(
  result: Result,
  rows: readonly ExperimentRow[],
  out: string,
  hooks: RunHooks<Files, Result> | undefined,
  t0: number,
  stage: (message: string) => void,
): Promise<Result> {
  const files = result.files;
  if (hooks?.analyze) {
    stage('analysis');
    result.analysis = await hooks.analyze(rows, files);
    if (result.analysis !== null && result.analysis !== undefined) {
      files.analysis = path.join(out, 'analysis.json');
      writeFileAtomic(files.analysis, `${JSON.stringify(result.analysis, null, 2)}\n`, 'the analysis');
    }
  }
  if (hooks?.report) {
    stage('report');
    files.report = await hooks.report(result);
  }
  result.seconds = secondsSince(t0);
  writeFileAtomic(files.results, `${JSON.stringify(result, null, 2)}\n`, 'the results');
  return result;
}
