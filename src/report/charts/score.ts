/**
 * Charts of one score (`krs score`, `krs eval`): how KRS is composed from FSS and AOA, and
 * the similarity of each layer pair.
 */
import type { TopLevelSpec } from 'vega-lite';
import { type Chart, type ChartTable, col, exact, round } from '../chart.js';
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

/** One layer of a layered Vega-Lite spec. */
export type Layer = NonNullable<Extract<TopLevelSpec, { layer: unknown }>['layer']>[number];

/** Where a chart's rows are: the row field and its order, and the offset within a row when several series share it. */
export interface RowPlacement {
  y: { field: string; sort: readonly string[] };
  yOffset?: { field: string; sort: readonly string[] };
}

/** The y (and y offset) encodings of a {@link RowPlacement}. */
function rowEncoding(rows: RowPlacement) {
  return {
    y: { field: rows.y.field, type: 'nominal' as const, sort: [...rows.y.sort] },
    ...(rows.yOffset ? { yOffset: { field: rows.yOffset.field, sort: [...rows.yOffset.sort] } } : {}),
  };
}

/** The reference levels a chart can draw as ticks, and their colours. */
const REFERENCE_LEVELS = { 'null (shuffled)': COLORS.muted, baseline: COLORS.ink } as const;
export type ReferenceLevel = keyof typeof REFERENCE_LEVELS;

/** A reference tick: where it is drawn (`x`), at which level, and the value it stands for as text. */
export interface ReferenceTick {
  level: ReferenceLevel;
  x: number | null;
  text: string;
  [field: string]: string | number | null;
}

/** The reference levels of a score as ticks on the FSS, AOA and KRS rows (field `y`): the null level and the baseline. */
function referenceTicks(r: ScoreLike): ReferenceTick[] {
  const out: ReferenceTick[] = [];
  for (const k of ['fss', 'aoa', 'krs'] as const) {
    const y = k.toUpperCase();
    if (r.reference?.null) out.push({ y, level: 'null (shuffled)', x: round(r.reference.null[k]), text: fmt(r.reference.null[k], 2) });
    if (r.reference?.baseline) out.push({ y, level: 'baseline', x: round(r.reference.baseline[k]), text: fmt(r.reference.baseline[k], 2) });
  }
  return out;
}

/**
 * Reference levels as ticks across the rows, coloured by level with a legend (the chart must
 * resolve its colour scale independently when other layers colour by another field).
 */
export function referenceTickLayer(ticks: readonly ReferenceTick[], rows: RowPlacement, size: number): Layer {
  const levels = [...new Set(ticks.map((t) => t.level))];
  return {
    data: { values: ticks.filter((t) => t.x !== null) },
    mark: { type: 'tick', thickness: 2.5, size },
    encoding: {
      ...rowEncoding(rows),
      x: { field: 'x', type: 'quantitative' },
      color: {
        field: 'level',
        type: 'nominal',
        scale: { domain: levels, range: levels.map((l) => REFERENCE_LEVELS[l]) },
        legend: { title: 'reference', orient: 'bottom', direction: 'horizontal', symbolType: 'M-0.25,-1H0.25V1H-0.25Z' },
      },
      tooltip: [
        { field: 'level', title: 'reference' },
        { field: 'text', title: 'value' },
      ],
    },
  };
}

/**
 * A layer of 95 % intervals as rules from `lo` to `hi`, drawn only where a row has both: over
 * `values` when given, else over the chart's own data. `encoding` adds channels (a colour).
 */
export function errorBars(rows: RowPlacement, values?: readonly { lo: number | null; hi: number | null }[], encoding: Record<string, unknown> = {}): Layer {
  return {
    ...(values
      ? { data: { values: values.filter((v) => v.lo !== null && v.hi !== null) } }
      : { transform: [{ filter: 'isValid(datum.lo) && isValid(datum.hi)' }] }),
    mark: { type: 'rule', color: COLORS.rule, strokeWidth: 1.5 },
    encoding: {
      ...rowEncoding(rows),
      x: { field: 'lo', type: 'quantitative' },
      x2: { field: 'hi' },
      tooltip: [
        { field: 'lo', title: '95% CI low', format: '.2f' },
        { field: 'hi', title: '95% CI high', format: '.2f' },
      ],
      ...encoding,
    },
  } as Layer;
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
  return {
    id: 'krs-composition',
    title: 'KRS and its components',
    caption: `FSS (feature similarity) and AOA (output agreement) on 0–100; the KRS bar is the sum of its two terms, ${a} × FSS (blue) and ${b} × AOA (orange). 100 is the teacher against itself${r.reference?.null ? '; the grey tick is the null level (the student’s samples shuffled against the teacher’s)' : ''}${r.reference?.baseline ? `; the black tick is the baseline ${r.reference.baseline.file}` : ''}.`,
    spec: compositionSpec(r, a, b),
    table: compositionTable(r, a, b),
  };
}

/** The spec of {@link compositionChart}: the bars, their labels, the reference ticks and the intervals. */
function compositionSpec(r: ScoreLike, a: number, b: number): TopLevelSpec {
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
  return {
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
      ...(ticks.length ? [referenceTickLayer(ticks, { y: { field: 'y', sort: rows } }, 28)] : []),
      ...(r.ci95
        ? [
            errorBars(
              { y: { field: 'y', sort: rows } },
              (['fss', 'aoa', 'krs'] as const).map((k) => ({ y: k.toUpperCase(), lo: round(r.ci95![k]?.[0] ?? null), hi: round(r.ci95![k]?.[1] ?? null) })),
            ),
          ]
        : []),
    ],
    resolve: { scale: { color: 'independent' } },
  };
}

/** The table of {@link compositionChart}: each component's value, interval, weight, term and reference levels. */
function compositionTable(r: ScoreLike, a: number, b: number): ChartTable {
  const ci = (k: 'fss' | 'aoa' | 'krs'): Record<string, number | null> => (r.ci95 ? { low: exact(r.ci95[k]?.[0]), high: exact(r.ci95[k]?.[1]) } : {});
  return {
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
  };
}

/** A layer pair's row in {@link layerSimilarityChart}. */
interface LayerRow {
  index: number;
  pair: string;
  teacher: string;
  student: string;
  score: number | null;
  label: string;
  similarity: string | null;
  estimator: string | null;
  low?: number | null;
  high?: number | null;
}

/** One bar per layer pair (0–100), with the FSS (their mean) as a dashed rule. */
export function layerSimilarityChart(r: ScoreLike): Chart {
  const rows: LayerRow[] = r.layers.map((l, i) => ({
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
  return {
    id: 'layer-similarity',
    title: 'Similarity per layer pair',
    caption: 'Each bar is the similarity (CKA or cosine, × 100) of a teacher layer and the student layer paired with it; the dashed line is FSS, their mean.',
    spec: layerSimilaritySpec(r, rows, withCi, order),
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

/** The spec of {@link layerSimilarityChart}: a bar per pair, its label, the FSS rule and the intervals. */
function layerSimilaritySpec(r: ScoreLike, rows: readonly LayerRow[], withCi: boolean, order: string[]): TopLevelSpec {
  return {
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
              { y: { field: 'y', sort: order } },
              rows.map((d) => ({ y: d.pair, lo: d.low ?? null, hi: d.high ?? null })),
            ),
          ]
        : []),
    ],
  };
}
