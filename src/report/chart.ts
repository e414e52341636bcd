/**
 * What a chart is in krs: a Vega-Lite spec with its data inline, plus the table behind it
 * (shown under the chart in the report, so every number drawn can also be read), a title and
 * a one-sentence caption. Chart builders (src/report/charts/) are pure functions from result
 * objects to {@link Chart}s; rendering is separate (render.ts → SVG, node-png.ts → PNG).
 */
import type { TopLevelSpec } from 'vega-lite';

/** A cell of a chart's table. */
export type Cell = string | number | null;

export interface TableColumn {
  key: string;
  label: string;
  /** Decimals for numbers; by default 2, with integers shown whole. */
  digits?: number;
  /** Show a + sign on positive numbers (for deltas). */
  signed?: boolean;
}

export interface ChartTable {
  columns: TableColumn[];
  rows: Record<string, Cell>[];
}

export interface Chart {
  /** File-name-safe id, unique within a report: `<id>.svg`, `<id>.png`. */
  id: string;
  title: string;
  /** One or two sentences: what is drawn and how to read it. */
  caption: string;
  spec: TopLevelSpec;
  table: ChartTable;
  /**
   * How far the HTML report may shrink the chart to fit a narrow page before it scrolls
   * sideways instead (a fraction of its natural size; default {@link MIN_CHART_SCALE}). 1 keeps
   * it at its natural size: a heatmap whose cell values must stay readable.
   */
  minScale?: number;
}

/**
 * The default {@link Chart.minScale}: 1, charts never shrink — on a narrow page (400 px) a wider
 * chart scrolls sideways in a marked region instead, so its text (at least 11 px in every
 * chart) stays at least 11 px on the screen.
 */
export const MIN_CHART_SCALE = 1;

/** A column definition. */
export function col(key: string, label: string, digits?: number, signed?: boolean): TableColumn {
  return { key, label, ...(digits !== undefined ? { digits } : {}), ...(signed ? { signed } : {}) };
}

/** Make chart ids unique by suffixing -2, -3, … to repeats. */
export function uniqueIds(charts: Chart[]): Chart[] {
  const seen = new Map<string, number>();
  return charts.map((c) => {
    const k = seen.get(c.id) ?? 0;
    seen.set(c.id, k + 1);
    return k === 0 ? c : { ...c, id: `${c.id}-${k + 1}` };
  });
}

/**
 * A value for a table cell: as computed, or null when missing or not finite. Tables are never
 * rounded before the report prints them (rounding twice, e.g. 89.67499 → 89.675 → 89.68, would
 * disagree with the console's 89.67); the report rounds a cell once, by the rule of `fixed`.
 */
export function exact(v: number | null | undefined): number | null {
  return v === null || v === undefined || !Number.isFinite(v) ? null : v;
}

/** Round to `digits` decimals for chart data (keeps specs small and golden files stable). */
export function round(v: number | null | undefined, digits = 4): number | null {
  if (v === null || v === undefined || !Number.isFinite(v)) return null;
  const f = 10 ** digits;
  const r = Math.round(v * f) / f;
  return Object.is(r, -0) ? 0 : r;
}
