/**
 * Charts comparing several students of one teacher (the demo: before and after distillation,
 * or several KD methods): their FSS, AOA and KRS side by side, and their per-layer similarity.
 */
import type { TopLevelSpec } from 'vega-lite';
import { axisTitle, scoreAxis } from '../axis.js';
import { col, exact, round, type Chart } from '../chart.js';
import { fmt } from '../format.js';
import { COLORS, CONFIG, SERIES } from '../theme.js';
import { pairLabel, type ScoreLike } from './score.js';

export interface StudentScore {
  label: string;
  result: ScoreLike;
}

const COMPONENTS = ['FSS', 'AOA', 'KRS'];

/**
 * FSS, AOA and KRS of each student as dots, on an axis zoomed to the students' range (stated
 * in the subtitle and the axis title) so that students a point apart can be told apart.
 */
export function studentsChart(students: readonly StudentScore[]): Chart {
  const labels = students.map((s) => s.label);
  const rows = students.flatMap((s) =>
    (
      [
        ['FSS', s.result.fss],
        ['AOA', s.result.aoa],
        ['KRS', s.result.krs],
      ] as const
    ).map(([component, v]) => ({ student: s.label, component, value: round(v), text: fmt(v, 1) })),
  );
  const axis = scoreAxis(rows.map((r) => r.value));
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
    title: { text: 'Students compared', subtitle: `FSS, AOA and KRS of each student against the same teacher; ${axis.note}` },
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
        mark: { type: 'text', align: 'left', dx: 7, fontSize: 9 },
        encoding: { y, yOffset, x: { field: 'value', type: 'quantitative' }, text: { field: 'text' } },
      },
    ],
  };
  return {
    id: 'students',
    title: 'Students compared',
    caption: `Each group is one student scored against the teacher: feature similarity (FSS), output agreement (AOA) and their weighted sum KRS, as dots${axis.zoomed ? `; the axis is zoomed to ${axis.domain[0]}–${axis.domain[1]}, so distances, not lengths from the edge, are what to compare` : ''}.`,
    spec,
    table: {
      columns: [col('student', 'student'), col('fss', 'FSS'), col('aoa', 'AOA'), col('krs', 'KRS'), col('alpha', 'α', 2)],
      rows: students.map((s) => ({
        student: s.label,
        fss: exact(s.result.fss),
        aoa: exact(s.result.aoa),
        krs: exact(s.result.krs),
        alpha: exact(s.result.alpha),
      })),
    },
  };
}

/** The similarity of each layer pair for each student, as dots on an axis zoomed to their range. */
export function studentLayersChart(students: readonly StudentScore[]): Chart {
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
          color: { field: 'student', type: 'nominal', sort: labels, scale: { domain: labels, range: SERIES }, legend: { title: null, orient: 'top' } },
          tooltip: [{ field: 'student' }, { field: 'pair', title: 'layer pair' }, { field: 'text', title: 'score' }],
        },
      },
      {
        mark: { type: 'text', align: 'left', dx: 7, fontSize: 9 },
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
