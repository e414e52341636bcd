/**
 * The demo's experiments table (docs/data-model.md §"Experiments table"), the input of `krs analyze`: one row per
 * distilled student, with the baseline student (hard labels only, same architecture, same
 * initial weights) as its pre-KD counterpart — the paper's pre/post design in miniature.
 *
 * Scores are on the 0–100 scale; the metric is held-out accuracy in percent.
 */
import { REQUIRED_COLUMNS } from '../analysis/experiments.js';

/** One row of an experiments table, under the column names of docs/data-model.md §"Experiments table". */
export interface ExperimentRow {
  id: string;
  task: string;
  dataset: string;
  teacher: string;
  student: string;
  method: string;
  fss_pre: number;
  aoa_pre: number;
  fss_post: number;
  aoa_post: number;
  metric_pre: number;
  metric_post: number;
  metric: string;
  alpha: number;
}

/** The columns, in order: the ones `krs analyze` requires, then the metric's name and α. */
export const EXPERIMENT_COLUMNS: readonly (keyof ExperimentRow)[] = [...REQUIRED_COLUMNS, 'metric', 'alpha'];

/** A CSV field: numbers as JavaScript prints them (round-trip exact), text quoted when it must be (RFC 4180). */
export function csvField(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : '';
  const s = String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** CSV text (header line, then one line per row, `\n` line ends) of rows under the given columns. */
export function toCsv<T extends object>(columns: readonly (keyof T & string)[], rows: readonly T[]): string {
  const lines = [columns.join(',')];
  for (const r of rows) lines.push(columns.map((c) => csvField(r[c])).join(','));
  return `${lines.join('\n')}\n`;
}

/** The experiments table as CSV. */
export function experimentsCsv(rows: readonly ExperimentRow[]): string {
  return toCsv(EXPERIMENT_COLUMNS as (keyof ExperimentRow & string)[], rows);
}
