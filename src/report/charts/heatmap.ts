/**
 * The cross-layer CKA heatmap (the paper's Figures 11–13): CKA of every teacher layer
 * (rows, network order, top to bottom) against every student layer (columns, network order,
 * left to right), the value printed in each cell, the colour scale fixed to [0, 1] so that
 * heatmaps of different students compare. Several matrices (e.g. before KD, after vanilla KD,
 * after SKD) are drawn side by side with one shared scale.
 */
import type { TopLevelSpec } from 'vega-lite';
import { type Cell, type Chart, col, exact } from '../chart.js';
import { fmt } from '../format.js';
import { wrapText } from '../text-width.js';
import { CKA_SCHEME, CONFIG } from '../theme.js';

/** What a heatmap needs; a `CrossLayerResult` (src/similarity/cross-layer.ts) has it. */
export interface MatrixLike {
  teacherLayers: readonly string[];
  studentLayers: readonly string[];
  /** cka[i][j] of teacher layer i and student layer j, in [0, 1]; null when undefined. */
  cka: readonly (readonly (number | null)[])[];
  estimator?: string;
  n?: number;
}

export interface HeatmapPanel {
  /** Panel title when there are several (e.g. 'pre-KD', 'SKD'). */
  label?: string;
  matrix: MatrixLike;
}

/** Cell size in pixels and whether values fit in the cells, by the larger side's layer count. */
export function cellLayout(layers: number): { step: number; showValues: boolean; fontSize: number } {
  if (layers <= 10) return { step: 44, showValues: true, fontSize: 11 };
  if (layers <= 20) return { step: 32, showValues: true, fontSize: 11 };
  if (layers <= 32) return { step: 22, showValues: false, fontSize: 0 };
  return { step: 14, showValues: false, fontSize: 0 };
}

export interface HeatmapOptions {
  id?: string;
  title?: string;
  subtitle?: string;
}

/** One heatmap, or several side by side sharing the [0, 1] scale. */
export function crossLayerHeatmap(panels: readonly HeatmapPanel[] | MatrixLike, options: HeatmapOptions = {}): Chart {
  const list: HeatmapPanel[] = Array.isArray(panels) ? [...panels] : [{ matrix: panels as MatrixLike }];
  const multi = list.length > 1;
  const labels = list.map((p, k) => p.label ?? `matrix ${k + 1}`);
  const rows: Record<string, Cell>[] = [];
  list.forEach((p, k) => {
    const m = p.matrix;
    m.teacherLayers.forEach((t, i) =>
      m.studentLayers.forEach((s, j) => {
        const v = m.cka[i]?.[j] ?? null;
        rows.push({ panel: labels[k]!, teacher: t, student: s, cka: exact(v), text: fmt(v, 2) });
      }),
    );
  });
  // Network order: the first panel's order, then any names only later panels have.
  const order = (pick: (m: MatrixLike) => readonly string[]) => [...new Set(list.flatMap((p) => [...pick(p.matrix)]))];
  const teachers = order((m) => m.teacherLayers);
  const students = order((m) => m.studentLayers);
  const layout = cellLayout(Math.max(teachers.length, students.length));
  // Panel titles wrapped to the panel's width ('|' separates lines; the header splits on it).
  const header = new Map(labels.map((l) => [l, wrapText(l, Math.max(80, layout.step * students.length), 12, true).join('|')]));
  if (multi) for (const r of rows) r.header = header.get(r.panel as string)!;
  const cell = heatmapCell(layout, teachers, students, multi);
  const estimators = [...new Set(list.map((p) => p.matrix.estimator).filter((e): e is string => !!e))];
  const ns = [...new Set(list.map((p) => p.matrix.n).filter((n): n is number => n !== undefined))];
  const detail = [ns.length ? `${ns.join('/')} samples` : '', estimators.length ? `linear CKA, ${estimators.join('/')} estimator` : 'linear CKA']
    .filter(Boolean)
    .join(', ');
  const title = { text: options.title ?? 'Cross-layer CKA, teacher × student', subtitle: options.subtitle ?? detail };
  const spec: TopLevelSpec = multi
    ? {
        $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
        config: CONFIG,
        title,
        data: { values: rows },
        facet: {
          column: {
            field: 'header',
            type: 'nominal',
            sort: labels.map((l) => header.get(l)!),
            title: null,
            header: { labelExpr: "split(datum.value, '|')", labelLineHeight: 15, labelLimit: 0 },
          },
        },
        spec: cell,
        resolve: { scale: { color: 'shared' } },
      }
    : { $schema: 'https://vega.github.io/schema/vega-lite/v6.json', config: CONFIG, title, data: { values: rows }, ...cell };
  return {
    id: options.id ?? 'cross-layer-cka',
    title: title.text,
    // Cell values and layer names stay readable: on a narrow page the heatmap scrolls sideways.
    minScale: 1,
    caption:
      'Linear CKA between every teacher layer (rows, input to output) and every student layer (columns); 1 means the two layers represent the inputs identically up to rotation and scale, 0 means unrelated. The colour scale is fixed to [0, 1].' +
      (layout.showValues ? '' : ' Too many layers to print values in the cells: they are in the table.'),
    spec,
    table: {
      columns: [...(multi ? [col('panel', 'matrix')] : []), col('teacher', 'teacher layer'), col('student', 'student layer'), col('cka', 'CKA', 4)],
      rows: rows.map(
        ({ panel, teacher, student, cka }): Record<string, Cell> =>
          multi ? { panel: panel!, teacher: teacher!, student: student!, cka: cka! } : { teacher: teacher!, student: student!, cka: cka! },
      ),
    },
  };
}

/** One heatmap's cells (the unit spec, faceted when several): CKA colour, and the values when the cells are big enough. */
function heatmapCell(layout: ReturnType<typeof cellLayout>, teachers: string[], students: string[], multi: boolean) {
  return {
    width: { step: layout.step },
    height: { step: layout.step },
    layer: [
      {
        mark: { type: 'rect' as const, stroke: 'white', strokeWidth: 1 },
        encoding: {
          x: { field: 'student', type: 'ordinal' as const, sort: students, title: 'student layer', axis: { labelAngle: -40, labelLimit: 120 } },
          y: { field: 'teacher', type: 'ordinal' as const, sort: teachers, title: 'teacher layer', axis: { labelLimit: 120 } },
          color: {
            field: 'cka',
            type: 'quantitative' as const,
            scale: { domain: [0, 1], scheme: CKA_SCHEME, clamp: true },
            legend: {
              title: 'CKA',
              gradientLength: Math.max(120, Math.min(260, layout.step * teachers.length)),
              values: [0, 0.25, 0.5, 0.75, 1],
              format: '.2f',
            },
          },
          tooltip: [
            ...(multi ? [{ field: 'panel', title: 'matrix' }] : []),
            { field: 'teacher', title: 'teacher layer' },
            { field: 'student', title: 'student layer' },
            { field: 'cka', title: 'CKA', format: '.4f' },
          ],
        },
      },
      ...(layout.showValues
        ? [
            {
              mark: { type: 'text' as const, fontSize: layout.fontSize, baseline: 'middle' as const },
              encoding: {
                x: { field: 'student', type: 'ordinal' as const, sort: students },
                y: { field: 'teacher', type: 'ordinal' as const, sort: teachers },
                text: { field: 'text' },
                // Light text on the dark (low) end of viridis, dark text on the light end.
                color: { condition: { test: 'datum.cka !== null && datum.cka < 0.55', value: 'white' }, value: '#111111' },
              },
            },
          ]
        : []),
    ],
  };
}
