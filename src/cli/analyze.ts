/**
 * `krs analyze TABLE`: the paper's validation suite over a table of distillation experiments
 * (per experiment, per task, per KD method, α-sensitivity, diagnostics). Prints a readable
 * summary, or the result as JSON with --json; --csv DIR and --markdown FILE write the tables.
 *
 * This file declares the command and its options; the work is in `analyze-action.ts`,
 * loaded when the command runs.
 */
import type { Command } from 'commander';
import { DEFAULT_THRESHOLDS } from '../krs/diagnose.js';
import { DEFAULT_BALANCED_RATIO } from '../analysis/tradeoff.js';
import { parseChoice, parseNumber } from './options.js';
import { CHARTS_OPTION, parseReportFile, REPORT_OPTION } from './report-options.js';

export interface AnalyzeFlags {
  json?: boolean;
  /** Print each table on one line however wide. */
  wide?: boolean;
  csv?: string;
  markdown?: string;
  format?: 'csv' | 'tsv' | 'json';
  alpha?: number;
  sweep?: string;
  alphaStep?: number;
  low?: number;
  high?: number;
  gap?: number;
  balancedRatio?: number;
}

/** The flags of `krs analyze` as commander gives them to the action. */
export type AnalyzeCommandFlags = AnalyzeFlags & { report?: string; charts?: string; out?: string };

export function registerAnalyze(program: Command): void {
  program
    .command('analyze')
    .description(
      'analyse a table of KD experiments: KRS pre/post, correlation with the task metric, paired t-tests, CIs, method rankings with Kendall τ, α-sensitivity, diagnostics',
    )
    .argument(
      '<table>',
      'experiments table, CSV (or .tsv) or JSON: id, task, dataset, teacher, student, method, fss_pre, aoa_pre, fss_post, aoa_post, metric_pre, metric_post [, metric, alpha, …]',
    )
    .option('--json', 'print the result as JSON on stdout')
    .option('--wide', 'print each table on one line however wide (default: tables wider than 100 columns are folded)')
    .option('--csv <dir>', 'write every table as <dir>/<table>.csv')
    .option('--markdown <file>', 'write the tables as a Markdown document')
    .option('--format <kind>', 'read the table as csv, tsv or json (default: by extension)', parseChoice('--format', ['csv', 'tsv', 'json'] as const))
    .option('--alpha <a>', 'α for every experiment, overriding the table and the task presets', parseNumber('--alpha'))
    .option('--sweep <ids>', 'comma-separated experiment ids to sweep over α (default: all)')
    .option('--alpha-step <h>', 'α grid step of the sensitivity sweep (default 0.01)', parseNumber('--alpha-step'))
    .option('--low <x>', `diagnostics: a component below x is low (default ${DEFAULT_THRESHOLDS.low})`, parseNumber('--low'))
    .option('--high <x>', `diagnostics: a component at or above x is high (default ${DEFAULT_THRESHOLDS.high})`, parseNumber('--high'))
    .option('--gap <x>', `diagnostics: a component x points above the other dominates (default ${DEFAULT_THRESHOLDS.gap})`, parseNumber('--gap'))
    .option(
      '--balanced-ratio <r>',
      `trade-off: |ΔFSS|/|ΔAOA| (or its inverse) below r counts as balanced (default ${DEFAULT_BALANCED_RATIO})`,
      parseNumber('--balanced-ratio'),
    )
    .option(...REPORT_OPTION)
    .option(...CHARTS_OPTION)
    .option('--out <file.html>', 'the same as --report', parseReportFile)
    // The analysis code loads when the command runs (not for --help or other commands).
    .action(async (file: string, o: AnalyzeCommandFlags) => (await import('./analyze-action.js')).analyzeAction(file, o));
}
