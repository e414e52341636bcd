/**
 * Charts of one score (`krs score`, `krs eval`): how KRS is composed from FSS and AOA, and
 * the similarity of each layer pair.
 */
import type { TopLevelSpec } from 'vega-lite';
import { col, exact, round, type Chart } from '../chart.js';
import { fmt as fmtNumber } from '../format.js';
import { COLORS, CONFIG } from '../theme.js';

/** The parts of a score these charts read (a `KrsResult` has them all). */
export interface ScoreLike {
  alpha: number;
  beta: number;
  fss: number;
  aoa: number;
  krs: number;
  layers: readonly { teacher: string; student: string; score: number; similarity?: string; estimator?: string; ci95?: readonly [number, number] | null }[];
  /** 95 % intervals of FSS, AOA and KRS (drawn as error bars and tabled when present). */
  ci95?: { fss: readonly [number, number] | null; aoa: readonly [number, number] | null; krs: readonly [number, number] | null };
  /** Reference levels (src/krs/reference-levels.ts): the null level and a baseline, drawn as ticks on the composition bars. */
  reference?: {
    null?: { fss: number; aoa: number; krs: number } | null;
    baseline?: { file: string; fss: number; aoa: number; krs: number } | null;
  } | null;
}

/** The reference levels of a score as rows `{y, level, value}`: the null level and the baseline, per component. */
function referenceTicks(r: ScoreLike): { y: string; level: string; value: number | null }[] {
  const out: { y: string; level: string; value: number | null }[] = [];
  for (const k of ['fss', 'aoa', 'krs'] as const) {
    if (r.reference?.null) out.push({ y: k.toUpperCase(), level: 'null (shuffled)', value: round(r.reference.null[k]) });
    if (r.reference?.baseline) out.push({ y: k.toUpperCase(), level: 'baseline', value: round(r.reference.baseline[k]) });
  }
  return out;
}

/** An error-bar layer over `values` rows with fields `y`, `lo`, `hi` (drawn only for rows that have an interval). */
function errorBars(
  values: readonly { y: string; lo: number | null; hi: number | null }[],
  sort: readonly string[],
): NonNullable<Extract<TopLevelSpec, { layer: unknown }>['layer']>[number] {
  return {
    data: { values: values.filter((v) => v.lo !== null && v.hi !== null) },
    mark: { type: 'rule', color: COLORS.rule, strokeWidth: 1.5 },
    encoding: {
      y: { field: 'y', type: 'nominal', sort: [...sort] },
      x: { field: 'lo', type: 'quantitative' },
      x2: { field: 'hi' },
      tooltip: [
        { field: 'lo', title: '95% CI low', format: '.2f' },
        { field: 'hi', title: '95% CI high', format: '.2f' },
      ],
    },
  };
}

/** `teacher → student`, or the one name when both sides use it. */
export function pairLabel(teacher: string, student: string): string {
  return teacher === student ? teacher : `${teacher} → ${student}`;
}

const fmt = (v: number, d = 1) => fmtNumber(v, d);

/**
 * FSS, AOA and KRS as bars on 0–100, the KRS bar split into its two terms α·FSS and β·AOA,
 * so one sees which component carries the score; the reference levels, when known, as ticks
 * across the bars (▏null: the student's samples shuffled; baseline) — 100, the teacher
 * against itself, is the axis end.
 */
export function compositionChart(r: ScoreLike): Chart {
  const a = round(r.alpha, 4)!;
  const b = round(r.beta, 4)!;
  const bars = [
    { row: 'FSS', part: 'FSS', value: round(r.fss), start: 0 },
    { row: 'AOA', part: 'AOA', value: round(r.aoa), start: 0 },
    { row: 'KRS', part: 'FSS', value: round(a * r.fss), start: 0 },
    { row: 'KRS', part: 'AOA', value: round(b * r.aoa), start: round(a * r.fss) },
  ].map((d) => ({ ...d, end: round((d.start ?? 0) + (d.value ?? 0)) }));
  // Labels start after the bar, or after its interval's upper end when there is one.
  const labelAt = (k: 'fss' | 'aoa' | 'krs') => round(Math.max(r[k], r.ci95?.[k]?.[1] ?? r[k]));
  const totals = [
    { row: 'FSS', total: labelAt('fss'), label: fmt(r.fss) },
    { row: 'AOA', total: labelAt('aoa'), label: fmt(r.aoa) },
    { row: 'KRS', total: labelAt('krs'), label: `${fmt(r.krs)} = ${a} × ${fmt(r.fss)} + ${b} × ${fmt(r.aoa)}` },
  ];
  const rows = ['FSS', 'AOA', 'KRS'];
  const ticks = referenceTicks(r);
  const spec: TopLevelSpec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    config: CONFIG,
    title: { text: 'KRS and its components', subtitle: `KRS = α·FSS + β·AOA with α = ${a}, β = ${b}` },
    width: 420,
    height: { step: 30 },
    layer: [
      {
        data: { values: bars },
        mark: { type: 'bar', height: 20 },
        encoding: {
          // An explicit domain keeps FSS, AOA, KRS in order when other layers (ticks, error bars) share the scale.
          y: { field: 'row', type: 'nominal', sort: rows, scale: { domain: rows }, title: null, axis: { labelFontWeight: 'bold', labelFontSize: 12 } },
          x: { field: 'start', type: 'quantitative', scale: { domain: [0, 100] }, title: 'score (0–100)' },
          x2: { field: 'end' },
          color: {
            field: 'part',
            type: 'nominal',
            scale: { domain: ['FSS', 'AOA'], range: [COLORS.fss, COLORS.aoa] },
            legend: { title: 'from', orient: 'bottom', direction: 'horizontal' },
          },
          tooltip: [
            { field: 'row', title: 'bar' },
            { field: 'part', title: 'from' },
            { field: 'value', title: 'value', format: '.2f' },
          ],
        },
      },
      {
        data: { values: totals },
        mark: { type: 'text', align: 'left', dx: 4, fontSize: 11 },
        encoding: {
          y: { field: 'row', type: 'nominal', sort: rows },
          x: { field: 'total', type: 'quantitative' },
          text: { field: 'label' },
        },
      },
      ...(['null (shuffled)', 'baseline'] as const)
        .filter((level) => ticks.some((t) => t.level === level))
        .map((level) => ({
          data: { values: ticks.filter((t) => t.level === level) },
          mark: { type: 'tick' as const, thickness: 2.5, size: 28, color: level === 'baseline' ? COLORS.ink : COLORS.muted },
          encoding: {
            y: { field: 'y', type: 'nominal' as const, sort: rows },
            x: { field: 'value', type: 'quantitative' as const },
            tooltip: [
              { field: 'y', title: 'bar' },
              { field: 'level', title: 'reference' },
              { field: 'value', title: 'value', format: '.2f' },
            ],
          },
        })),
      ...(r.ci95
        ? [
            errorBars(
              (['fss', 'aoa', 'krs'] as const).map((k) => ({ y: k.toUpperCase(), lo: round(r.ci95![k]?.[0] ?? null), hi: round(r.ci95![k]?.[1] ?? null) })),
              rows,
            ),
          ]
        : []),
    ],
  };
  const ci = (k: 'fss' | 'aoa' | 'krs'): Record<string, number | null> => (r.ci95 ? { low: exact(r.ci95[k]?.[0]), high: exact(r.ci95[k]?.[1]) } : {});
  return {
    id: 'krs-composition',
    title: 'KRS and its components',
    caption: `FSS (feature similarity) and AOA (output agreement) on 0–100; the KRS bar is the sum of its two terms, ${a} × FSS (blue) and ${b} × AOA (orange). 100 is the teacher against itself${r.reference?.null ? '; the grey tick is the null level (the student’s samples shuffled against the teacher’s)' : ''}${r.reference?.baseline ? `; the black tick is the baseline ${r.reference.baseline.file}` : ''}.`,
    spec,
    table: {
      columns: [
        col('component', 'component'),
        col('value', 'value (0–100)'),
        ...(r.ci95 ? [col('low', '95% CI low'), col('high', '95% CI high')] : []),
        col('weight', 'weight', 2),
        col('term', 'weighted term'),
        ...(r.reference?.null ? [col('null', 'null level')] : []),
        ...(r.reference?.baseline ? [col('baseline', 'baseline')] : []),
      ],
      rows: (['fss', 'aoa', 'krs'] as const).map((k) => ({
        component: k.toUpperCase(),
        value: exact(r[k]),
        ...ci(k),
        weight: k === 'fss' ? a : k === 'aoa' ? b : null,
        term: exact(k === 'fss' ? a * r.fss : k === 'aoa' ? b * r.aoa : r.krs),
        ...(r.reference?.null ? { null: exact(r.reference.null[k]) } : {}),
        ...(r.reference?.baseline ? { baseline: exact(r.reference.baseline[k]) } : {}),
      })),
    },
  };
}

/** One bar per layer pair (0–100), with the FSS (their mean) as a dashed rule. */
export function layerSimilarityChart(r: ScoreLike): Chart {
  const rows = r.layers.map((l, i) => ({
    index: i + 1,
    pair: pairLabel(l.teacher, l.student),
    teacher: l.teacher,
    student: l.student,
    score: exact(l.score),
    label: fmt(l.score),
    similarity: l.similarity ?? null,
    estimator: l.estimator ?? null,
    ...(l.ci95 ? { low: exact(l.ci95[0]), high: exact(l.ci95[1]) } : {}),
  }));
  const withCi = r.layers.some((l) => l.ci95);
  const order = rows.map((d) => d.pair);
  const spec: TopLevelSpec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    config: CONFIG,
    title: {
      text: 'Similarity per layer pair',
      subtitle: `teacher → student layer; dashed: FSS = ${fmt(r.fss, 2)}, the mean of ${rows.length} pair${rows.length === 1 ? '' : 's'}`,
    },
    width: 420,
    height: { step: 24 },
    data: { values: rows },
    layer: [
      {
        mark: { type: 'bar', color: COLORS.fss, height: 16 },
        encoding: {
          y: { field: 'pair', type: 'nominal', sort: order, title: null },
          x: { field: 'score', type: 'quantitative', scale: { domain: [0, 100] }, title: 'similarity (0–100)' },
          tooltip: [
            { field: 'teacher', title: 'teacher layer' },
            { field: 'student', title: 'student layer' },
            { field: 'score', title: 'score', format: '.2f' },
            { field: 'similarity', title: 'similarity' },
          ],
        },
      },
      {
        mark: { type: 'text', align: 'left', dx: 3 },
        encoding: {
          y: { field: 'pair', type: 'nominal', sort: order },
          x: { field: 'score', type: 'quantitative' },
          text: { field: 'label' },
        },
      },
      {
        mark: { type: 'rule', strokeDash: [5, 3], color: COLORS.rule },
        encoding: { x: { datum: round(r.fss) } },
      },
      ...(withCi
        ? [
            errorBars(
              rows.map((d) => ({ y: d.pair, lo: d.low ?? null, hi: d.high ?? null })),
              order,
            ),
          ]
        : []),
    ],
  };
  return {
    id: 'layer-similarity',
    title: 'Similarity per layer pair',
    caption: 'Each bar is the similarity (CKA or cosine, × 100) of a teacher layer and the student layer paired with it; the dashed line is FSS, their mean.',
    spec,
    table: {
      columns: [
        col('teacher', 'teacher layer'),
        col('student', 'student layer'),
        col('similarity', 'similarity'),
        col('estimator', 'estimator'),
        col('score', 'score (0–100)'),
        ...(withCi ? [col('low', '95% CI low'), col('high', '95% CI high')] : []),
      ],
      rows: rows.map(({ teacher, student, similarity, estimator, score, low, high }) => ({
        teacher,
        student,
        similarity,
        estimator,
        score,
        ...(withCi ? { low: low ?? null, high: high ?? null } : {}),
      })),
    },
  };
}
