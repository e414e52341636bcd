/**
 * The run page's chart: FSS, AOA and KRS over steps (training) or time (deployment), with
 * KRS's 95 % interval as a band — a Vega-Lite spec in the report's theme (src/report/theme.ts),
 * rendered to SVG on the server by the report's renderer, so the dashboard needs no script
 * from anywhere else and looks like the static report.
 */
import type { TopLevelSpec } from 'vega-lite';
import { INTEGER_AXIS } from '../report/axis.js';
import type { Chart } from '../report/chart.js';
import { renderSvg } from '../report/render.js';
import { COLORS, CONFIG } from '../report/theme.js';

export interface SeriesLike {
  by: 'step' | 'time';
  series: readonly { step?: number; time?: string; fss: number | null; aoa: number; krs: number | null; ci95: { krs: [number, number] | null } }[];
}

export function runChart(name: string, s: SeriesLike): Chart {
  const x = s.by === 'step' ? 'step' : 'time';
  const rows = s.series.flatMap((p) => {
    const at = s.by === 'step' ? p.step! : p.time!;
    return (['krs', 'fss', 'aoa'] as const)
      .filter((k) => p[k] !== null)
      .map((k) => ({
        x: at,
        measure: k.toUpperCase(),
        value: p[k] as number,
        lo: k === 'krs' ? (p.ci95.krs?.[0] ?? null) : null,
        hi: k === 'krs' ? (p.ci95.krs?.[1] ?? null) : null,
      }));
  });
  const xEnc =
    s.by === 'step'
      ? { field: 'x', type: 'quantitative' as const, title: 'step', axis: { ...INTEGER_AXIS } }
      : { field: 'x', type: 'temporal' as const, title: 'time (UTC)' };
  const color = {
    field: 'measure',
    type: 'nominal' as const,
    title: null,
    scale: { domain: ['KRS', 'FSS', 'AOA'], range: [COLORS.krs, COLORS.fss, COLORS.aoa] },
  };
  const spec: TopLevelSpec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    config: CONFIG,
    width: 640,
    height: 260,
    title: {
      text: `${name}: FSS, AOA and KRS by ${x}`,
      subtitle: !rows.length
        ? 'no points yet'
        : rows.some((r) => r.lo !== null && r.hi !== null)
          ? 'band: 95 % interval of KRS'
          : 'no 95 % interval of KRS to draw',
    },
    data: { values: rows },
    layer: [
      {
        transform: [{ filter: 'datum.lo !== null && datum.hi !== null' }],
        mark: { type: 'area', opacity: 0.18, color: COLORS.krs },
        encoding: { x: xEnc, y: { field: 'lo', type: 'quantitative' }, y2: { field: 'hi' } },
      },
      {
        mark: { type: 'line', point: rows.length < 80, strokeWidth: 2 },
        encoding: { x: xEnc, y: { field: 'value', type: 'quantitative', title: 'points', scale: { zero: false } }, color },
      },
    ],
  };
  return {
    id: 'run-series',
    title: `${name}`,
    caption: 'FSS, AOA and KRS of the merged states per step or time bucket.',
    spec,
    table: { columns: [], rows: [] },
  };
}

export function runChartSvg(name: string, s: SeriesLike): Promise<string> {
  return renderSvg(runChart(name, s));
}
