/**
 * `krs analyze TABLE`: the paper's validation suite over a table of distillation experiments
 * (per experiment, per task, per KD method, α-sensitivity, diagnostics). Prints a readable
 * summary, or the result as JSON with --json; --csv DIR and --markdown FILE write the tables.
 *
 * This file declares the command and its options; the work is in `analyze-action.ts`,
 * loaded when the command runs.
 */
import type { Command } from 'commander';
import { DEFAULT_BALANCED_RATIO } from '../analysis/tradeoff.js';
import { DEFAULT_THRESHOLDS } from '../krs/diagnose.js';
import { JSON_FLAG } from './common-flags.js';
import { addFlags, type FlagsOf, flag } from './flag-table.js';
import { oneOf, parseNumber } from './options.js';
import { parseReportFile, REPORT_FLAGS } from './report-options.js';

/** The flags of `krs analyze`. */
export const ANALYZE_FLAGS = [
  JSON_FLAG,
  flag('--wide', 'print each table on one line however wide (default: tables wider than 100 columns are folded)'),
  flag('--csv <dir>', 'write every table as <dir>/<table>.csv'),
  flag('--markdown <file>', 'write the tables as a Markdown document'),
  flag('--format <kind>', 'read the table as csv, tsv or json (default: by extension)', { parse: oneOf(['csv', 'tsv', 'json'] as const) }),
  flag('--alpha <a>', 'α for every experiment, overriding the table and the task presets', { parse: parseNumber }),
  flag('--sweep <ids>', 'comma-separated experiment ids to sweep over α (default: all)'),
  flag('--alpha-step <h>', 'α grid step of the sensitivity sweep (default 0.01)', { parse: parseNumber }),
  flag('--low <x>', `diagnostics: a component below x is low (default ${DEFAULT_THRESHOLDS.low})`, { parse: parseNumber }),
  flag('--high <x>', `diagnostics: a component at or above x is high (default ${DEFAULT_THRESHOLDS.high})`, { parse: parseNumber }),
  flag('--gap <x>', `diagnostics: a component x points above the other dominates (default ${DEFAULT_THRESHOLDS.gap})`, { parse: parseNumber }),
  flag('--balanced-ratio <r>', `trade-off: |ΔFSS|/|ΔAOA| (or its inverse) below r counts as balanced (default ${DEFAULT_BALANCED_RATIO})`, {
    parse: parseNumber,
  }),
] as const;
/** After the report flags: `--out`, the same as `--report`. */
const OUT_FLAG = flag('--out <file.html>', 'the same as --report', { parse: () => parseReportFile });

/** The analysis flags (what `analyzeExperiments` and the tables read). */
export type AnalyzeFlags = FlagsOf<typeof ANALYZE_FLAGS>;

/** The flags of `krs analyze` as commander gives them to the action. */
export type AnalyzeCommandFlags = AnalyzeFlags & FlagsOf<typeof REPORT_FLAGS> & FlagsOf<readonly [typeof OUT_FLAG]>;

export function registerAnalyze(program: Command): void {
  const cmd = program
    .command('analyze')
    .description(
      'analyse a table of KD experiments: KRS pre/post, correlation with the task metric, paired t-tests, CIs, method rankings with Kendall τ, α-sensitivity, diagnostics',
    )
    .argument(
      '<table>',
      'experiments table, CSV (or .tsv) or JSON: id, task, dataset, teacher, student, method, fss_pre, aoa_pre, fss_post, aoa_post, metric_pre, metric_post [, metric, alpha, …]',
    );
  addFlags(cmd, [...ANALYZE_FLAGS, ...REPORT_FLAGS, OUT_FLAG])
    // The analysis code loads when the command runs (not for --help or other commands).
    .action(async (file: string, o: AnalyzeCommandFlags) => (await import('./analyze-action.js')).analyzeAction(file, o));
}
