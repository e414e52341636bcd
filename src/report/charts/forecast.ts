/**
 * The test period of a forecasting demo as a forecaster reads it (`forecast-test-period`): the
 * truth, the teacher's forecasts and each student's, one line per model over the forecast
 * days, so where the students follow the teacher — and where both miss the truth — is seen at
 * a glance. Every value drawn is in the chart's table (long form: day, series, value).
 */
import type { TopLevelSpec } from 'vega-lite';
import { INTEGER_AXIS } from '../axis.js';
import { type Cell, type Chart, col, exact, round } from '../chart.js';
import { COLORS, CONFIG, type ColorOf, seriesScale } from '../theme.js';

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';

/** Forecasts over a test period: one value per day and model, the truth beside them. */
export interface ForecastSeries {
  /** The forecast days (ISO dates), in time order. */
  days: readonly string[];
  truth: readonly number[];
  teacher: readonly number[];
  /** Each student's forecasts, by label, same days. */
  students: readonly { label: string; values: readonly number[] }[];
  /** What is forecast, with its unit (axis title), e.g. "Global_active_power (kW)". */
  quantity: string;
}

/** @throws Error when a series' length differs from the days'. */
export function forecastChart(f: ForecastSeries, colorOf?: ColorOf): Chart {
  const n = f.days.length;
  const series = [{ name: 'truth', values: f.truth }, { name: 'teacher', values: f.teacher }, ...f.students.map((s) => ({ name: s.label, values: s.values }))];
  for (const s of series) if (s.values.length !== n) throw new Error(`forecast chart: '${s.name}' has ${s.values.length} values for ${n} days`);
  // Days with no forecast (windows that touch missing days were skipped) break the lines: one
  // null row one step after the last day before each gap.
  const t = f.days.map((d) => Date.parse(d));
  let step = Number.POSITIVE_INFINITY;
  for (let i = 1; i < n; i++) step = Math.min(step, t[i]! - t[i - 1]!);
  const gapAfter = new Set<number>();
  for (let i = 1; i < n; i++) if (t[i]! - t[i - 1]! > step) gapAfter.add(i - 1);
  const rows: Record<string, Cell>[] = [];
  for (const s of series)
    for (let i = 0; i < n; i++) {
      rows.push({ day: f.days[i]!, series: s.name, value: exact(s.values[i]!) });
      if (gapAfter.has(i)) rows.push({ day: new Date(t[i]! + step).toISOString().slice(0, 10), series: s.name, value: null });
    }
  const names = series.map((s) => s.name);
  // Truth in ink, the teacher grey, the students in their colours of the report.
  const students = seriesScale(
    f.students.map((s) => s.label),
    colorOf,
  );
  const spec: TopLevelSpec = {
    $schema: SCHEMA,
    config: CONFIG,
    title: {
      text: 'Test period: truth and forecasts',
      subtitle: `${n} forecast days, ${f.days[0]} to ${f.days[n - 1]}${gapAfter.size ? `; ${gapAfter.size} gap${gapAfter.size === 1 ? '' : 's'} (no window without missing days) left blank` : ''}`,
    },
    width: 640,
    height: 260,
    data: { values: rows },
    mark: { type: 'line', strokeWidth: 1.2, interpolate: 'linear' },
    encoding: {
      x: { field: 'day', type: 'temporal', title: 'forecast day' },
      y: { field: 'value', type: 'quantitative', title: f.quantity, scale: { zero: false } },
      color: {
        field: 'series',
        type: 'nominal',
        sort: names,
        scale: { domain: names, range: [COLORS.ink, COLORS.pre, ...students.range] },
        legend: { title: null, orient: 'bottom', columns: 3 },
      },
      strokeWidth: { condition: { test: "datum.series === 'truth'", value: 2 }, value: 1.1 },
      tooltip: [
        { field: 'day', type: 'temporal', title: 'day' },
        { field: 'series', title: 'series' },
        { field: 'value', title: f.quantity, format: '.4g' },
      ],
    },
  };
  return {
    id: 'forecast-test-period',
    title: 'Test period: truth and forecasts',
    caption: `The true ${f.quantity} of each test day (thick line), the teacher's forecast of it and each student's, made from the days before. Blank stretches are days with no forecast: their windows touch missing days and were skipped. A student close to the teacher's line has high output agreement (AOA); close to the truth, low error.`,
    spec,
    table: { columns: [col('day', 'day'), col('series', 'series'), col('value', f.quantity, 4)], rows },
  };
}

/** One student's test error after each epoch. */
export interface EpochErrors {
  label: string;
  /** `phase` as in the KRS-by-epoch chart: `init` (epoch 0) is kept in the table only; `hint` epochs are drawn as points. */
  epochs: readonly { epoch: number; phase: string; rmse: number }[];
}

/** Every student's test RMSE against the truth after each epoch (`rmse-by-epoch`), the teacher's final RMSE as a rule. */
export function rmseByEpochChart(students: readonly EpochErrors[], teacherRmse: number | null, unit: string, colorOf?: ColorOf): Chart {
  const labels = students.map((s) => s.label);
  const rows: Record<string, Cell>[] = students.flatMap((s) =>
    s.epochs.map((e) => ({ student: s.label, epoch: e.epoch, phase: e.phase, rmse: exact(e.rmse) })),
  );
  const drawn = rows.filter((r) => r.phase !== 'init');
  const maxEpoch = Math.max(1, ...drawn.map((r) => r.epoch as number));
  const x = {
    field: 'epoch',
    type: 'quantitative' as const,
    scale: { domain: [0.5, maxEpoch + 0.5], nice: false },
    axis: { ...INTEGER_AXIS, grid: false },
    title: 'epoch',
  };
  const y = { field: 'rmse', type: 'quantitative' as const, scale: { zero: false }, title: `test RMSE (${unit})` };
  const color = {
    field: 'student',
    type: 'nominal' as const,
    sort: labels,
    scale: seriesScale(labels, colorOf),
    legend: { title: null, orient: 'bottom' as const, direction: 'vertical' as const, columns: 2, labelLimit: 300 },
  };
  const spec: TopLevelSpec = {
    $schema: SCHEMA,
    config: CONFIG,
    title: {
      text: 'Test error after every epoch',
      subtitle: `RMSE of each student's forecasts against the truth${teacherRmse !== null ? `; dashed: the teacher's (${round(teacherRmse, 4)} ${unit})` : ''}; ▽: hint-stage epochs`,
    },
    width: 460,
    height: 220,
    layer: [
      {
        data: { values: drawn.filter((r) => r.phase !== 'hint') },
        mark: { type: 'line', strokeWidth: 2, point: { filled: true, size: 18 } },
        encoding: { x, y, color, tooltip: [{ field: 'student' }, { field: 'epoch' }, { field: 'rmse', format: '.4f' }] },
      },
      {
        data: { values: drawn.filter((r) => r.phase === 'hint') },
        mark: { type: 'point', shape: 'triangle-down', filled: false, size: 60, strokeWidth: 1.5 },
        encoding: { x, y, color },
      },
      ...(teacherRmse !== null
        ? [{ data: { values: [{ rmse: round(teacherRmse, 5) }] }, mark: { type: 'rule' as const, strokeDash: [5, 3], color: COLORS.rule }, encoding: { y } }]
        : []),
    ],
  };
  return {
    id: 'rmse-by-epoch',
    title: 'Test error after every epoch',
    caption: `Each line is a student: the RMSE of its forecasts of the test days against the truth, after each training epoch, beside the KRS-by-epoch chart. Epoch 0, the shared initial weights, is in the table only.`,
    spec,
    table: { columns: [col('student', 'student'), col('epoch', 'epoch', 0), col('phase', 'phase'), col('rmse', `test RMSE (${unit})`, 4)], rows },
  };
}
