/**
 * Charts comparing several students of one teacher (the demo: before and after distillation,
 * or several KD methods): their FSS, AOA and KRS side by side, and their per-layer similarity.
 */
import type { TopLevelSpec } from 'vega-lite';
import { axisTitle, scoreAxis } from '../axis.js';
import { type Cell, type Chart, col, exact, round } from '../chart.js';
import { fmt } from '../format.js';
import { COLORS, CONFIG, type ColorOf, seriesScale } from '../theme.js';
import { errorBars, pairLabel, type ReferenceTick, referenceTickLayer, type ScoreLike } from './score.js';

export interface StudentScore {
  label: string;
  result: ScoreLike;
}

const COMPONENTS = ['FSS', 'AOA', 'KRS'];
const KEYS = ['fss', 'aoa', 'krs'] as const;

/** One dot of the students chart: a student's component, its interval and its null level (all points). */
interface ComponentRow {
  student: string;
  component: string;
  value: number | null;
  text: string;
  /** Where the label starts: after the dot, or after its interval's upper end. */
  labelX: number | null;
  lo: number | null;
  hi: number | null;
  null: number | null;
}

function componentRows(students: readonly StudentScore[]): ComponentRow[] {
  return students.flatMap((s) =>
    KEYS.map((k, i) => ({
      student: s.label,
      component: COMPONENTS[i]!,
      value: round(s.result[k]),
      text: fmt(s.result[k], 1),
      labelX: round(Math.max(s.result[k], s.result.ci95?.[k]?.[1] ?? s.result[k])),
      lo: round(s.result.ci95?.[k]?.[0] ?? null),
      hi: round(s.result.ci95?.[k]?.[1] ?? null),
      null: s.result.reference?.null ? exact(s.result.reference.null[k]) : null,
    })),
  );
}

/** The null level's ticks, clamped to the axis (a level below it sits on its low edge), and the levels that were off it. */
function nullTicks(rows: readonly ComponentRow[], domain: readonly [number, number]): { ticks: ReferenceTick[]; off: number[] } {
  const withNull = rows.filter((r) => r.null !== null);
  const off = withNull.map((r) => r.null!).filter((v) => v < domain[0] || v > domain[1]);
  const ticks = withNull.map((r) => ({
    student: r.student,
    component: r.component,
    level: 'null (shuffled)' as const,
    x: Math.min(domain[1], Math.max(domain[0], r.null!)),
    text: fmt(r.null, 2),
  }));
  return { ticks, off };
}

/** The subtitle's lines on the intervals and the null level, only for what is drawn. */
function referenceNotes(rows: readonly ComponentRow[], off: readonly number[]): string[] {
  const parts: string[] = [];
  if (rows.some((r) => r.lo !== null && r.hi !== null)) parts.push('bars: 95 % intervals');
  if (rows.some((r) => r.null !== null)) {
    const range = off.length ? ` at ${fmt(Math.min(...off), 1)}–${fmt(Math.max(...off), 1)}, off the axis: drawn on its edge` : '';
    parts.push(`ticks: the null level (samples shuffled)${range}`);
  }
  return parts.length ? [parts.join('; ')] : [];
}

/** The students chart's table: each student's FSS, AOA and KRS with their intervals and null levels when known. */
function componentTable(students: readonly StudentScore[]): Chart['table'] {
  const withCi = students.some((s) => s.result.ci95);
  const withNull = students.some((s) => s.result.reference?.null);
  const columns = KEYS.flatMap((k, i) => [
    col(k, COMPONENTS[i]!),
    ...(withCi ? [col(`${k}Low`, `${COMPONENTS[i]} 95% CI low`), col(`${k}High`, `${COMPONENTS[i]} 95% CI high`)] : []),
    ...(withNull ? [col(`${k}Null`, `${COMPONENTS[i]} null level`)] : []),
  ]);
  const rows = students.map((s) => {
    const row: Record<string, Cell> = { student: s.label, alpha: exact(s.result.alpha) };
    for (const k of KEYS) {
      row[k] = exact(s.result[k]);
      if (withCi) [row[`${k}Low`], row[`${k}High`]] = [exact(s.result.ci95?.[k]?.[0]), exact(s.result.ci95?.[k]?.[1])];
      if (withNull) row[`${k}Null`] = s.result.reference?.null ? exact(s.result.reference.null[k]) : null;
    }
    return row;
  });
  return { columns: [col('student', 'student'), ...columns, col('alpha', 'α', 2)], rows };
}

/**
 * FSS, AOA and KRS of each student as dots, on an axis zoomed to the students' range (stated
 * in the subtitle and the axis title) so that students a point apart can be told apart; their
 * 95 % intervals as error bars and their null levels as ticks (the score report's layers),
 * when the results have them.
 */
export function studentsChart(students: readonly StudentScore[]): Chart {
  const labels = students.map((s) => s.label);
  const rows = componentRows(students);
  const axis = scoreAxis(rows.flatMap((r) => [r.value, r.lo, r.hi]));
  const { ticks, off } = nullTicks(rows, axis.domain);
  const placement = { y: { field: 'student', sort: labels }, yOffset: { field: 'component', sort: COMPONENTS } };
  const y = { field: 'student', type: 'nominal' as const, sort: labels, title: null };
  const yOffset = { field: 'component', sort: COMPONENTS };
  const x = {
    field: 'value',
    type: 'quantitative' as const,
    scale: { domain: axis.domain, nice: false, zero: false },
    axis: { tickMinStep: axis.step },
    title: axisTitle('score', axis),
  };
  const spec: TopLevelSpec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    config: CONFIG,
    title: { text: 'Students compared', subtitle: [`FSS, AOA and KRS of each student against the same teacher; ${axis.note}`, ...referenceNotes(rows, off)] },
    width: 400,
    // With yOffset the step is per dot row: three rows per student.
    height: { step: 14 },
    data: { values: rows },
    layer: [
      {
        mark: { type: 'point', filled: true, size: 60, opacity: 1 },
        encoding: {
          y,
          yOffset,
          x,
          color: {
            field: 'component',
            type: 'nominal',
            sort: COMPONENTS,
            scale: { domain: COMPONENTS, range: [COLORS.fss, COLORS.aoa, COLORS.krs] },
            legend: { title: null, orient: 'top' },
          },
          shape: { field: 'component', type: 'nominal', sort: COMPONENTS, scale: { domain: COMPONENTS, range: ['circle', 'square', 'diamond'] } },
          tooltip: [{ field: 'student' }, { field: 'component' }, { field: 'text', title: 'value' }],
        },
      },
      {
        mark: { type: 'text', align: 'left', dx: 7, fontSize: 11 },
        encoding: { y, yOffset, x: { field: 'labelX', type: 'quantitative' }, text: { field: 'text' } },
      },
      ...(rows.some((r) => r.lo !== null && r.hi !== null) ? [errorBars(placement, rows)] : []),
      ...(ticks.length ? [referenceTickLayer(ticks, placement, 12)] : []),
    ],
    resolve: { scale: { color: 'independent', shape: 'independent' } },
  };
  return {
    id: 'students',
    title: 'Students compared',
    caption: `Each group is one student scored against the teacher: feature similarity (FSS), output agreement (AOA) and their weighted sum KRS, as dots${axis.zoomed ? `; the axis is zoomed to ${axis.domain[0]}–${axis.domain[1]}, so distances, not lengths from the edge, are what to compare` : ''}.`,
    spec,
    table: componentTable(students),
  };
}

/** The similarity of each layer pair for each student, as dots on an axis zoomed to their range. */
export function studentLayersChart(students: readonly StudentScore[], colorOf?: ColorOf): Chart {
  const labels = students.map((s) => s.label);
  const rows = students.flatMap((s) =>
    s.result.layers.map((l) => ({ student: s.label, pair: pairLabel(l.teacher, l.student), score: exact(l.score), text: fmt(l.score, 1) })),
  );
  const axis = scoreAxis(rows.map((r) => r.score));
  const pairs = [...new Set(rows.map((r) => r.pair))];
  const y = { field: 'pair', type: 'nominal' as const, sort: pairs, title: null };
  const yOffset = { field: 'student', sort: labels };
  const spec: TopLevelSpec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    config: CONFIG,
    title: { text: 'Similarity per layer pair, by student', subtitle: `teacher → student layer; ${axis.note}` },
    width: 400,
    // With yOffset the step is per dot row: one row per student in each pair's group.
    height: { step: 14 },
    data: { values: rows },
    layer: [
      {
        mark: { type: 'point', filled: true, size: 55, opacity: 1 },
        encoding: {
          y,
          yOffset,
          x: {
            field: 'score',
            type: 'quantitative',
            scale: { domain: axis.domain, nice: false, zero: false },
            axis: { tickMinStep: axis.step },
            title: axisTitle('similarity', axis),
          },
          color: { field: 'student', type: 'nominal', sort: labels, scale: seriesScale(labels, colorOf), legend: { title: null, orient: 'top' } },
          tooltip: [{ field: 'student' }, { field: 'pair', title: 'layer pair' }, { field: 'text', title: 'score' }],
        },
      },
      {
        mark: { type: 'text', align: 'left', dx: 7, fontSize: 11 },
        encoding: { y, yOffset, x: { field: 'score', type: 'quantitative' }, text: { field: 'text' } },
      },
    ],
  };
  return {
    id: 'student-layers',
    title: 'Similarity per layer pair, by student',
    caption: `For every layer pair, each student's similarity to the teacher (× 100), as dots${axis.zoomed ? ` on an axis zoomed to ${axis.domain[0]}–${axis.domain[1]}` : ''}.`,
    spec,
    table: {
      columns: [col('student', 'student'), col('pair', 'layer pair'), col('score', 'score (0–100)')],
      rows: rows.map(({ student, pair, score }) => ({ student, pair, score })),
    },
  };
}
