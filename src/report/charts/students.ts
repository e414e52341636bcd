/**
 * Charts comparing several students of one teacher (the demo: before and after distillation,
 * or several KD methods): their FSS, AOA and KRS side by side, and their per-layer similarity.
 */
import type { TopLevelSpec } from 'vega-lite';
import { col, round, type Chart } from '../chart.js';
import { COLORS, CONFIG, SERIES } from '../theme.js';
import { pairLabel, type ScoreLike } from './score.js';

export interface StudentScore {
  label: string;
  result: ScoreLike;
}

const COMPONENTS = ['FSS', 'AOA', 'KRS'];

/** FSS, AOA and KRS of each student as grouped bars on 0–100. */
export function studentsChart(students: readonly StudentScore[]): Chart {
  const labels = students.map((s) => s.label);
  const rows = students.flatMap((s) =>
    (
      [
        ['FSS', s.result.fss],
        ['AOA', s.result.aoa],
        ['KRS', s.result.krs],
      ] as const
    ).map(([component, v]) => ({ student: s.label, component, value: round(v), text: v.toFixed(1) })),
  );
  const y = { field: 'student', type: 'nominal' as const, sort: labels, title: null };
  const yOffset = { field: 'component', sort: COMPONENTS };
  const spec: TopLevelSpec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    config: CONFIG,
    title: { text: 'Students compared', subtitle: 'FSS, AOA and KRS of each student against the same teacher' },
    width: 440,
    // With yOffset the step is per bar: three bars per student.
    height: { step: 16 },
    data: { values: rows },
    layer: [
      {
        mark: { type: 'bar', height: { band: 0.9 } },
        encoding: {
          y,
          yOffset,
          x: { field: 'value', type: 'quantitative', scale: { domain: [0, 100] }, title: 'score (0–100)' },
          color: {
            field: 'component',
            type: 'nominal',
            sort: COMPONENTS,
            scale: { domain: COMPONENTS, range: [COLORS.fss, COLORS.aoa, COLORS.krs] },
            legend: { title: null, orient: 'top' },
          },
          tooltip: [{ field: 'student' }, { field: 'component' }, { field: 'value', format: '.2f' }],
        },
      },
      {
        mark: { type: 'text', align: 'left', dx: 3, fontSize: 9 },
        encoding: { y, yOffset, x: { field: 'value', type: 'quantitative' }, text: { field: 'text' } },
      },
    ],
  };
  return {
    id: 'students',
    title: 'Students compared',
    caption: 'Each group is one student scored against the teacher: feature similarity (FSS), output agreement (AOA) and their weighted sum KRS.',
    spec,
    table: {
      columns: [col('student', 'student'), col('fss', 'FSS'), col('aoa', 'AOA'), col('krs', 'KRS'), col('alpha', 'α', 2)],
      rows: students.map((s) => ({
        student: s.label,
        fss: round(s.result.fss),
        aoa: round(s.result.aoa),
        krs: round(s.result.krs),
        alpha: round(s.result.alpha, 4),
      })),
    },
  };
}

/** The similarity of each layer pair for each student, as grouped bars. */
export function studentLayersChart(students: readonly StudentScore[]): Chart {
  const labels = students.map((s) => s.label);
  const rows = students.flatMap((s) => s.result.layers.map((l) => ({ student: s.label, pair: pairLabel(l.teacher, l.student), score: round(l.score) })));
  const pairs = [...new Set(rows.map((r) => r.pair))];
  const y = { field: 'pair', type: 'nominal' as const, sort: pairs, title: null };
  const yOffset = { field: 'student', sort: labels };
  const spec: TopLevelSpec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    config: CONFIG,
    title: { text: 'Similarity per layer pair, by student', subtitle: 'teacher → student layer' },
    width: 440,
    // With yOffset the step is per bar: one bar per student in each pair's group.
    height: { step: 14 },
    data: { values: rows },
    layer: [
      {
        mark: { type: 'bar', height: { band: 0.9 } },
        encoding: {
          y,
          yOffset,
          x: { field: 'score', type: 'quantitative', scale: { domain: [0, 100] }, title: 'similarity (0–100)' },
          color: { field: 'student', type: 'nominal', sort: labels, scale: { domain: labels, range: SERIES }, legend: { title: null, orient: 'top' } },
          tooltip: [{ field: 'student' }, { field: 'pair', title: 'layer pair' }, { field: 'score', format: '.2f' }],
        },
      },
      {
        mark: { type: 'text', align: 'left', dx: 3, fontSize: 9 },
        encoding: { y, yOffset, x: { field: 'score', type: 'quantitative' }, text: { field: 'score', type: 'quantitative', format: '.1f' } },
      },
    ],
  };
  return {
    id: 'student-layers',
    title: 'Similarity per layer pair, by student',
    caption: "For every layer pair, each student's similarity to the teacher (× 100).",
    spec,
    table: { columns: [col('student', 'student'), col('pair', 'layer pair'), col('score', 'score (0–100)')], rows },
  };
}
