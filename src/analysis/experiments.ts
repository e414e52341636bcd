/**
 * The experiments table that `krs analyze` reads (docs/data-model.md §"Experiments table"): one row per distillation
 * experiment, with the student's FSS and AOA before and after KD and its task metric.
 *
 * | column            | required | meaning                                                             |
 * |-------------------|----------|---------------------------------------------------------------------|
 * | id                | yes      | unique experiment id                                                |
 * | task              | yes      | classification, detection, segmentation, nlp or regression          |
 * | dataset           | column   | data set name (cell may be empty)                                   |
 * | teacher, student  | column   | model names (cells may be empty)                                    |
 * | method            | yes      | KD method (Vanilla KD, FitNet, …)                                   |
 * | fss_pre, aoa_pre  | column   | components before KD, 0–100                                         |
 * | fss_post, aoa_post| column   | components after KD, 0–100                                          |
 * | metric_pre, _post | column   | the task metric before / after KD (cells may be empty: unknown)     |
 * | metric            | optional | the metric's name (accuracy, mAP, mIoU, RMSE…)                      |
 * | higher_is_better  | optional | true/false; default from the metric's name (RMSE, MAE, loss… lower) |
 * | alpha             | optional | weight of FSS in [0, 1]; empty → the task preset                    |
 * | beta              | optional | must equal 1 − alpha                                                |
 * | delta_fss, delta_aoa | optional | the gains, for experiments that publish only gains (then the four component cells are empty) |
 * | notes             | optional | free text                                                           |
 *
 * "yes" columns need a value in every row; "column" columns must exist but a cell may be
 * empty as stated. Component cells come as a set: all four filled, or all four empty with
 * delta_fss and delta_aoa given (a "gains-only" row: its ΔKRS is known, its KRS before and
 * after are not). When both are given the deltas must equal post − pre.
 *
 * Column names are matched case-insensitively, with spaces and hyphens read as underscores
 * and camelCase keys (JSON) as snake_case: `FSS pre`, `fss-pre` and `fssPre` all are `fss_pre`.
 * Other columns are ignored, with a warning naming them.
 *
 * This module is browser-safe: it validates rows already split into cells (from CSV by
 * `readExperimentsTable` in node-experiments.ts, or by any CSV parser) or parses JSON text.
 */
import { errors } from '../core/errors.js';
import { TASKS, type Task } from '../tasks/registry.js';

export interface Experiment {
  readonly id: string;
  readonly task: Task;
  readonly dataset: string | null;
  readonly teacher: string | null;
  readonly student: string | null;
  readonly method: string;
  /** Components on the 0–100 scale; null in a gains-only row. */
  readonly fssPre: number | null;
  readonly aoaPre: number | null;
  readonly fssPost: number | null;
  readonly aoaPost: number | null;
  /** post − pre, or the given gains of a gains-only row. */
  readonly deltaFss: number;
  readonly deltaAoa: number;
  /** Task metric before / after KD; null when not reported. */
  readonly metricPre: number | null;
  readonly metricPost: number | null;
  /** The metric's name, if given. */
  readonly metric: string | null;
  /** Whether a larger metric is better, and where that came from. */
  readonly higherIsBetter: boolean;
  readonly directionSource: 'column' | 'metric-name' | 'default';
  /** α from the table; null → the task preset. */
  readonly alpha: number | null;
  readonly notes: string | null;
  /** 1-based data row (header excluded). */
  readonly row: number;
  /** Line in the source file (CSV), or null (JSON). */
  readonly line: number | null;
}

/** The table after reading: its rows as experiments, and what the reader noticed. */
export interface ExperimentsTable {
  readonly source: string;
  readonly experiments: readonly Experiment[];
  readonly warnings: readonly string[];
}

/** One data row split into cells, keyed by column name as written in the file. */
export interface RawRow {
  readonly cells: Readonly<Record<string, unknown>>;
  /** Line in the source file, when known (for messages). */
  readonly line?: number | null;
}

export const REQUIRED_COLUMNS = [
  'id',
  'task',
  'dataset',
  'teacher',
  'student',
  'method',
  'fss_pre',
  'aoa_pre',
  'fss_post',
  'aoa_post',
  'metric_pre',
  'metric_post',
] as const;
export const OPTIONAL_COLUMNS = ['metric', 'higher_is_better', 'alpha', 'beta', 'delta_fss', 'delta_aoa', 'notes'] as const;
const COMPONENTS = ['fss_pre', 'aoa_pre', 'fss_post', 'aoa_post'] as const;

/** Metric names for which a smaller value is better (matched on the normalised name). */
const LOWER_IS_BETTER =
  /^(mae|mse|rmse|msle|rmsle|mape|smape|wape|loss|nll|log_?loss|cross_?entropy|perplexity|ppl|wer|cer|ter|fid|error|err|error_rate|top_?[15]_?error|eer|latency)$|(^|_)(error|loss)$/;

/** `FSS pre`, `fss-pre`, `fssPre` → `fss_pre`. */
export function normaliseColumn(name: string): string {
  return name
    .trim()
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .toLowerCase()
    .replace(/[\s\-.]+/g, '_');
}

/** Whether a metric of this name is better when larger (false for RMSE, MAE, loss, error…). */
export function metricHigherIsBetter(name: string): boolean {
  return !LOWER_IS_BETTER.test(normaliseColumn(name));
}

/**
 * Validate rows of an experiments table and turn them into experiments.
 * @param columns the table's columns in file order (for CSV, the header)
 * @param rows the data rows, in file order
 * @param source the file name, for messages
 * @throws BAD_FILE for missing columns, a repeated column or an empty table; BAD_VALUE for a
 *   bad cell (naming row, line, column and value: a non-number, a component outside [0, 100],
 *   an unknown task, α outside [0, 1], β ≠ 1 − α, a partly filled set of components, deltas
 *   that disagree with post − pre, an empty required cell); ID_MISMATCH for a repeated id.
 */
export function experimentsFromRows(columns: readonly string[], rows: readonly RawRow[], source: string): ExperimentsTable {
  const warnings: string[] = [];
  const byNorm = columnsByName(columns, source, warnings);
  if (rows.length === 0) throw errors.badFile(source, 'holds no experiments (no data rows)');
  const seen = new Map<string, number>();
  const experiments = rows.map((raw, i) => experimentFromRow(rowReader(source, byNorm, raw, i + 1), seen));
  const comps = experiments.flatMap((e) => [e.fssPre, e.aoaPre, e.fssPost, e.aoaPost].filter((v): v is number => v !== null));
  if (comps.length > 0 && comps.every((v) => v <= 1)) {
    warnings.push(`${source}: every FSS and AOA value is at most 1; krs expects the 0–100 scale (multiply by 100), and its diagnostics thresholds assume it`);
  }
  return { source, experiments, warnings };
}

/** Normalised column name → the file's spelling; throws for a repeated or missing column, warns of unused ones. */
function columnsByName(columns: readonly string[], source: string, warnings: string[]): Map<string, string> {
  const byNorm = new Map<string, string>();
  for (const c of columns) {
    const n = normaliseColumn(c);
    const prev = byNorm.get(n);
    if (prev !== undefined) throw errors.badFile(source, `columns ${JSON.stringify(prev)} and ${JSON.stringify(c)} both name ${JSON.stringify(n)}`);
    byNorm.set(n, c);
  }
  const missing = REQUIRED_COLUMNS.filter((c) => !byNorm.has(c));
  if (missing.length) throw errors.missingColumns(source, missing, [...columns]);
  const known = new Set<string>([...REQUIRED_COLUMNS, ...OPTIONAL_COLUMNS]);
  const unknown = [...byNorm.entries()].filter(([n]) => !known.has(n)).map(([, c]) => c);
  if (unknown.length) warnings.push(`${source}: column${unknown.length > 1 ? 's' : ''} ${unknown.map((c) => `'${c}'`).join(', ')} not used by krs analyze`);
  return byNorm;
}

/** Typed reads of one row's cells by normalised column name; `bad` names row, line, column and value. */
interface RowReader {
  readonly source: string;
  readonly row: number;
  readonly line: number | null;
  cell(col: string): unknown;
  bad(col: string, value: unknown, expected: string): Error;
  /** Trimmed text, null for an empty cell. */
  text(col: string): string | null;
  required(col: string, expected: string): string;
  /** A number in [lo, hi], null for an empty cell. */
  num(col: string, lo: number, hi: number, expected: string): number | null;
}

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

function rowReader(source: string, byNorm: ReadonlyMap<string, string>, raw: RawRow, row: number): RowReader {
  const line = raw.line ?? null;
  const cell = (col: string): unknown => {
    const orig = byNorm.get(col);
    return orig === undefined ? undefined : raw.cells[orig];
  };
  const bad = (col: string, value: unknown, expected: string) => errors.badCell(source, row, line, byNorm.get(col) ?? col, value, expected);
  const text = (col: string): string | null => {
    const v = cell(col);
    if (v === undefined || v === null) return null;
    if (typeof v === 'number' || typeof v === 'boolean') return String(v);
    if (typeof v !== 'string') throw bad(col, v, 'text');
    const t = v.trim();
    return t === '' ? null : t;
  };
  const required = (col: string, expected: string): string => {
    const t = text(col);
    if (t === null) throw bad(col, cell(col) ?? '', expected);
    return t;
  };
  const num = (col: string, lo: number, hi: number, expected: string): number | null => {
    const v = cell(col);
    if (v === undefined || v === null || (typeof v === 'string' && v.trim() === '')) return null;
    const x = typeof v === 'number' ? v : typeof v === 'string' && NUMBER.test(v.trim()) ? Number(v.trim()) : NaN;
    if (!Number.isFinite(x)) throw bad(col, v, expected);
    if (x < lo || x > hi) throw bad(col, v, expected);
    return x;
  };
  return { source, row, line, cell, bad, text, required, num };
}

const COMP = 'a number in [0, 100] (FSS and AOA are on the 0–100 scale)';
const DELTA = 'a number in [−100, 100]';

/** The four components (or none) and the gains, checked against each other. */
function readComponents(r: RowReader): { comps: (number | null)[]; deltaFss: number; deltaAoa: number } {
  const comps = COMPONENTS.map((c) => r.num(c, 0, 100, COMP));
  const dFss = r.num('delta_fss', -100, 100, DELTA);
  const dAoa = r.num('delta_aoa', -100, 100, DELTA);
  const filled = comps.filter((v) => v !== null).length;
  if (filled === 4) {
    const [fp, ap, fq, aq] = comps as number[];
    const deltaFss = fq! - fp!;
    const deltaAoa = aq! - ap!;
    const agree = (given: number | null, computed: number) => given === null || Math.abs(given - computed) <= 1e-6 * Math.max(1, Math.abs(computed));
    if (!agree(dFss, deltaFss)) throw r.bad('delta_fss', r.cell('delta_fss'), `fss_post − fss_pre = ${+deltaFss.toFixed(10)} (or an empty cell)`);
    if (!agree(dAoa, deltaAoa)) throw r.bad('delta_aoa', r.cell('delta_aoa'), `aoa_post − aoa_pre = ${+deltaAoa.toFixed(10)} (or an empty cell)`);
    return { comps, deltaFss, deltaAoa };
  }
  if (filled === 0 && dFss !== null && dAoa !== null) return { comps, deltaFss: dFss, deltaAoa: dAoa };
  const empty = COMPONENTS[comps.indexOf(null)]!;
  throw r.bad(
    empty,
    r.cell(empty) ?? '',
    filled === 0
      ? `${COMP}, or delta_fss and delta_aoa for an experiment that reports only gains`
      : `${COMP} (fss_pre, aoa_pre, fss_post and aoa_post come together)`,
  );
}

/** α (null: the task preset), with β checked to be 1 − α when given. */
function readAlpha(r: RowReader): number | null {
  const alpha = r.num('alpha', 0, 1, 'a number in [0, 1] (or an empty cell for the task preset)');
  const beta = r.num('beta', -Infinity, Infinity, 'a number equal to 1 − alpha');
  if (beta !== null) {
    if (alpha === null) throw r.bad('beta', r.cell('beta'), 'an empty cell when alpha is empty (the task preset sets both)');
    if (Math.abs(alpha + beta - 1) > 1e-9) throw r.bad('beta', r.cell('beta'), `1 − alpha = ${+(1 - alpha).toFixed(10)}`);
  }
  return alpha;
}

/** Whether the metric is better when larger: the column, else the metric's name, else yes. */
function readDirection(r: RowReader, metric: string | null): Pick<Experiment, 'higherIsBetter' | 'directionSource'> {
  const hib = r.text('higher_is_better');
  if (hib !== null) {
    const h = hib.toLowerCase();
    if (['true', '1', 'yes', 'y', 'higher'].includes(h)) return { higherIsBetter: true, directionSource: 'column' };
    if (['false', '0', 'no', 'n', 'lower'].includes(h)) return { higherIsBetter: false, directionSource: 'column' };
    throw r.bad('higher_is_better', r.cell('higher_is_better'), 'true or false');
  }
  if (metric !== null) return { higherIsBetter: metricHigherIsBetter(metric), directionSource: 'metric-name' };
  return { higherIsBetter: true, directionSource: 'default' };
}

/** One validated experiment; `seen` maps ids to their rows (a repeated id throws). */
function experimentFromRow(r: RowReader, seen: Map<string, number>): Experiment {
  const id = r.required('id', 'a non-empty experiment id');
  const prev = seen.get(id);
  if (prev !== undefined) throw errors.duplicateId('experiment id', id, `rows ${prev} and ${r.row} of ${r.source}`);
  seen.set(id, r.row);
  const taskText = r.required('task', `one of ${TASKS.join(', ')}`);
  const task = taskText.toLowerCase();
  if (!(TASKS as readonly string[]).includes(task)) throw r.bad('task', taskText, `one of ${TASKS.join(', ')}`);
  const method = r.required('method', 'the name of the KD method');
  const { comps, deltaFss, deltaAoa } = readComponents(r);
  const metricPre = r.num('metric_pre', -Infinity, Infinity, 'a number (or an empty cell when not reported)');
  const metricPost = r.num('metric_post', -Infinity, Infinity, 'a number (or an empty cell when not reported)');
  const metric = r.text('metric');
  const alpha = readAlpha(r);
  const { higherIsBetter, directionSource } = readDirection(r, metric);
  return {
    id,
    task: task as Task,
    dataset: r.text('dataset'),
    teacher: r.text('teacher'),
    student: r.text('student'),
    method,
    fssPre: comps[0]!,
    aoaPre: comps[1]!,
    fssPost: comps[2]!,
    aoaPost: comps[3]!,
    deltaFss,
    deltaAoa,
    metricPre,
    metricPost,
    metric,
    higherIsBetter,
    directionSource,
    alpha,
    notes: r.text('notes'),
    row: r.row,
    line: r.line,
  } satisfies Experiment;
}

/**
 * Parse an experiments table from JSON text: an array of row objects, or an object with an
 * `experiments` array. Numbers may be JSON numbers or numeric strings; null or an absent key
 * is an empty cell. The columns are every key that occurs in any row.
 * @throws BAD_FILE for invalid JSON or another shape; as {@link experimentsFromRows}.
 * @example parseExperimentsJson('[{"id":"e1","task":"classification",…}]', 'runs.json')
 */
export function parseExperimentsJson(text: string, source: string): ExperimentsTable {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw errors.badFile(source, `is not valid JSON (${e instanceof Error ? e.message : String(e)})`);
  }
  const rows = Array.isArray(doc)
    ? doc
    : doc !== null && typeof doc === 'object' && Array.isArray((doc as Record<string, unknown>).experiments)
      ? ((doc as Record<string, unknown>).experiments as unknown[])
      : null;
  if (rows === null) throw errors.badFile(source, 'expected a JSON array of experiment objects, or an object with an "experiments" array');
  const columns: string[] = [];
  const seen = new Set<string>();
  rows.forEach((r, i) => {
    if (r === null || typeof r !== 'object' || Array.isArray(r)) throw errors.badFile(source, `experiment ${i + 1} is not a JSON object`);
    for (const k of Object.keys(r)) if (!seen.has(k)) seen.add(k), columns.push(k);
  });
  return experimentsFromRows(
    columns,
    rows.map((r) => ({ cells: r as Record<string, unknown>, line: null })),
    source,
  );
}
