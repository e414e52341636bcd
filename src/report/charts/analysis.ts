/**
 * Charts of an analysis across experiments (`krs analyze`), after the paper's figures:
 *
 * | chart                 | paper            | drawn from                                       |
 * |-----------------------|------------------|--------------------------------------------------|
 * | krs-pre-post          | Figures 3–5      | experiments: krsPre, krsPost, deltaKrs            |
 * | delta-heatmap         | Figure 9         | experiments: deltaFss, deltaAoa, deltaKrs         |
 * | alpha-sensitivity     | Figures 8 and 14 | sweeps: KRS(α) points and each sweep's preset α   |
 * | krs-box               | Figure 10        | tasks: five-number summaries pre/post; experiments |
 * | krs-vs-metric         | §4.2.1           | experiments: KRS and task metric; tasks: Pearson r |
 * | method-rankings       | Table 5          | methods: byMetric, byKrs, Kendall's τ             |
 */
import type { TopLevelSpec } from 'vega-lite';
import { type AnalysisView, type ExperimentView, experimentLabel, type SweepView, type TaskView } from '../analysis-view.js';
import { axisTitle, type ScoreAxis, scoreAxis } from '../axis.js';
import { type Cell, type Chart, type ChartTable, col, exact, round } from '../chart.js';
import { fmt, fmtSigned } from '../format.js';
import { COLORS, CONFIG, DELTA_SCHEME, SERIES } from '../theme.js';
import { errorBars } from './score.js';

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';
const PHASES = ['pre-KD', 'post-KD'];

const signed = (v: number, d = 1) => fmtSigned(v, d);
const tasksOf = (es: readonly ExperimentView[]) => [...new Set(es.map((e) => e.task))];

/** p-value for display: 3 significant digits, scientific below 0.001. */
export function fmtP(p: number): string {
  if (!Number.isFinite(p)) return String(p);
  if (p === 0) return '0';
  return p < 0.001 ? p.toExponential(1).replace('e', '×10^').replace('^-', '^−') : p.toPrecision(2);
}

/**
 * KRS before and after KD for every experiment, grouped by task (Figures 3–5): a dumbbell per
 * experiment (grey dot before, blue dot after, joined), on an axis zoomed to the data; the
 * 95 % intervals, when the experiments have them, as error bars in the dots' colours.
 */
export function prePostChart(experiments: readonly ExperimentView[]): Chart {
  const withCi = experiments.some((e) => e.krsPreCi || e.krsPostCi);
  const rows = prePostRows(experiments);
  const axis = scoreAxis(rows.flatMap((r) => [r.krs, r.lo, r.hi]));
  return {
    id: 'krs-pre-post',
    title: 'KRS before and after distillation',
    caption: `For each experiment, the student's KRS against its teacher before KD (grey dot) and after KD (blue dot), grouped by task${axis.zoomed ? `; the axis is zoomed to ${axis.domain[0]}–${axis.domain[1]}` : ''}.`,
    spec: prePostSpec(experiments, rows, axis, withCi),
    table: prePostTable(experiments, withCi),
  };
}

/** One row per experiment and phase (pre-KD, post-KD): its KRS, label and 95 % interval. */
function prePostRows(experiments: readonly ExperimentView[]) {
  const ci = (c: readonly [number, number] | null | undefined) => ({ lo: round(c?.[0] ?? null), hi: round(c?.[1] ?? null) });
  return experiments.flatMap((e) => [
    ...(e.krsPre === null
      ? []
      : [
          {
            task: e.task,
            experiment: experimentLabel(e),
            phase: 'pre-KD',
            krs: round(e.krsPre),
            label: fmt(e.krsPre, 1),
            pre: null,
            right: null,
            ...ci(e.krsPreCi),
          },
        ]),
    ...(e.krsPost === null
      ? []
      : [
          {
            task: e.task,
            experiment: experimentLabel(e),
            phase: 'post-KD',
            krs: round(e.krsPost),
            label: `${fmt(e.krsPost, 1)} (${signed(e.deltaKrs)})`,
            pre: round(e.krsPre),
            right: round(Math.max(e.krsPost, e.krsPre ?? e.krsPost, e.krsPostCi?.[1] ?? e.krsPost)),
            ...ci(e.krsPostCi),
          },
        ]),
  ]);
}

/** The faceted dumbbell spec of {@link prePostChart}. */
function prePostSpec(experiments: readonly ExperimentView[], rows: ReturnType<typeof prePostRows>, axis: ScoreAxis, withCi: boolean): TopLevelSpec {
  const order = experiments.map(experimentLabel);
  const y = { field: 'experiment', type: 'nominal' as const, sort: order, title: null, axis: { labelLimit: 300 } };
  const x = {
    field: 'krs',
    type: 'quantitative' as const,
    scale: { domain: axis.domain, nice: false, zero: false },
    axis: { tickMinStep: axis.step },
    title: axisTitle('KRS', axis),
  };
  return {
    $schema: SCHEMA,
    config: CONFIG,
    title: {
      text: 'KRS before and after distillation',
      subtitle: `per experiment, grey before KD → blue after; the label gives the gain ΔKRS${withCi ? '; bars: 95 % intervals' : ''}; ${axis.note}`,
    },
    data: { values: rows },
    facet: {
      row: {
        field: 'task',
        type: 'nominal',
        sort: tasksOf(experiments),
        title: null,
        header: { labelAngle: 0, labelOrient: 'top', labelAnchor: 'start', labelPadding: 4 },
      },
    },
    spec: {
      width: 400,
      height: { step: 22 },
      layer: [
        {
          transform: [{ filter: "datum.phase === 'post-KD' && datum.pre !== null" }],
          mark: { type: 'rule', color: '#9a9a9a', strokeWidth: 2 },
          encoding: { y, x, x2: { field: 'pre' } },
        },
        ...(withCi
          ? [
              errorBars({ y: { field: 'experiment', sort: order } }, undefined, {
                color: { field: 'phase', type: 'nominal', sort: PHASES, scale: { domain: PHASES, range: [COLORS.pre, COLORS.post] }, legend: null },
              }),
            ]
          : []),
        {
          mark: { type: 'point', filled: true, size: 70, opacity: 1 },
          encoding: {
            y,
            x,
            color: {
              field: 'phase',
              type: 'nominal',
              sort: PHASES,
              scale: { domain: PHASES, range: [COLORS.pre, COLORS.post] },
              legend: { title: null, orient: 'top' },
            },
            tooltip: [
              { field: 'experiment', title: 'experiment' },
              { field: 'phase', title: 'phase' },
              { field: 'label', title: 'KRS' },
            ],
          },
        },
        {
          transform: [{ filter: "datum.phase === 'post-KD'" }],
          mark: { type: 'text', align: 'left', dx: 7, fontSize: 11 },
          encoding: { y, x: { field: 'right', type: 'quantitative' }, text: { field: 'label' } },
        },
      ],
    },
    resolve: { scale: { y: 'independent' } },
  };
}

/** The table of {@link prePostChart}: KRS pre, post and gain, with the intervals when any. */
function prePostTable(experiments: readonly ExperimentView[], withCi: boolean): ChartTable {
  return {
    columns: [
      col('id', 'id'),
      col('task', 'task'),
      col('method', 'method'),
      col('student', 'student'),
      col('dataset', 'dataset'),
      col('krsPre', 'KRS pre'),
      col('krsPost', 'KRS post'),
      col('deltaKrs', 'ΔKRS', 2, true),
      ...(withCi
        ? [
            col('krsPreLow', 'KRS pre 95% CI low'),
            col('krsPreHigh', 'KRS pre 95% CI high'),
            col('krsPostLow', 'KRS post 95% CI low'),
            col('krsPostHigh', 'KRS post 95% CI high'),
          ]
        : []),
    ],
    rows: experiments.map((e) => ({
      id: e.id,
      task: e.task,
      method: e.method,
      student: e.student ?? null,
      dataset: e.dataset ?? null,
      krsPre: exact(e.krsPre),
      krsPost: exact(e.krsPost),
      deltaKrs: exact(e.deltaKrs),
      ...(withCi
        ? { krsPreLow: exact(e.krsPreCi?.[0]), krsPreHigh: exact(e.krsPreCi?.[1]), krsPostLow: exact(e.krsPostCi?.[0]), krsPostHigh: exact(e.krsPostCi?.[1]) }
        : {}),
    })),
  };
}

/** ΔFSS, ΔAOA and ΔKRS of every experiment as a heatmap centred on 0 (Figure 9). */
export function deltaHeatmap(experiments: readonly ExperimentView[]): Chart {
  const rows = experiments.flatMap((e) =>
    (
      [
        ['ΔFSS', e.deltaFss],
        ['ΔAOA', e.deltaAoa],
        ['ΔKRS', e.deltaKrs],
      ] as const
    ).map(([component, v]) => ({ task: e.task, experiment: experimentLabel(e), component, value: round(v), text: signed(v), tip: fmtSigned(v, 2) })),
  );
  const split = experiments.some((e) => e.fssContribution !== undefined && e.fssContribution !== null);
  const m = Math.max(1, ...rows.map((r) => Math.abs(r.value ?? 0)));
  const extent = Math.ceil(m / 5) * 5;
  return {
    id: 'delta-heatmap',
    title: 'Change in FSS, AOA and KRS with distillation',
    caption:
      'Each row is an experiment: how many points feature similarity (ΔFSS), output agreement (ΔAOA) and KRS (ΔKRS) moved from before to after KD; orange is a gain, blue a loss.',
    spec: deltaHeatmapSpec(experiments, rows, extent),
    table: deltaHeatmapTable(experiments, split),
  };
}

/** The faceted heatmap spec of {@link deltaHeatmap}, coloured on [−extent, extent]. */
function deltaHeatmapSpec(experiments: readonly ExperimentView[], rows: readonly Record<string, Cell>[], extent: number): TopLevelSpec {
  const comps = ['ΔFSS', 'ΔAOA', 'ΔKRS'];
  const order = experiments.map(experimentLabel);
  return {
    $schema: SCHEMA,
    config: CONFIG,
    title: { text: 'Change in FSS, AOA and KRS with distillation', subtitle: 'ΔKRS = α·ΔFSS + β·ΔAOA: KRS moderates whichever component moved more' },
    data: { values: rows },
    facet: {
      row: {
        field: 'task',
        type: 'nominal',
        sort: tasksOf(experiments),
        title: null,
        header: { labelAngle: 0, labelOrient: 'top', labelAnchor: 'start', labelPadding: 4 },
      },
    },
    spec: {
      width: { step: 64 },
      height: { step: 22 },
      layer: [
        {
          mark: { type: 'rect', stroke: 'white', strokeWidth: 1 },
          encoding: {
            x: { field: 'component', type: 'nominal', sort: comps, title: null, axis: { orient: 'top', labelAngle: 0, labelFontWeight: 'bold' } },
            y: { field: 'experiment', type: 'nominal', sort: order, title: null, axis: { labelLimit: 300 } },
            color: {
              field: 'value',
              type: 'quantitative',
              scale: { scheme: DELTA_SCHEME, domain: [-extent, extent], domainMid: 0 },
              legend: { title: 'change (points)', gradientLength: 160 },
            },
            tooltip: [
              { field: 'experiment', title: 'experiment' },
              { field: 'component', title: 'component' },
              { field: 'tip', title: 'change' },
            ],
          },
        },
        {
          mark: { type: 'text', fontSize: 11, baseline: 'middle' },
          encoding: {
            x: { field: 'component', type: 'nominal', sort: comps },
            y: { field: 'experiment', type: 'nominal', sort: order },
            text: { field: 'text' },
            color: { condition: { test: `abs(datum.value) > ${round(0.6 * extent, 2)}`, value: 'white' }, value: '#111111' },
          },
        },
      ],
    },
    resolve: { scale: { y: 'independent' } },
  };
}

/** The table of {@link deltaHeatmap}: the three changes, and α·ΔFSS, β·ΔAOA when known. */
function deltaHeatmapTable(experiments: readonly ExperimentView[], split: boolean): ChartTable {
  return {
    columns: [
      col('id', 'id'),
      col('task', 'task'),
      col('method', 'method'),
      col('alpha', 'α', 2),
      col('deltaFss', 'ΔFSS', 2, true),
      col('deltaAoa', 'ΔAOA', 2, true),
      col('deltaKrs', 'ΔKRS', 2, true),
      ...(split
        ? [
            col('fssContribution', 'α·ΔFSS', 2, true),
            col('aoaContribution', 'β·ΔAOA', 2, true),
            col('dominant', 'dominant'),
            col('imbalanceRatio', 'imbalance ratio', 2),
          ]
        : []),
    ],
    rows: experiments.map((e) => ({
      id: e.id,
      task: e.task,
      method: e.method,
      alpha: e.alpha ?? null,
      deltaFss: exact(e.deltaFss),
      deltaAoa: exact(e.deltaAoa),
      deltaKrs: exact(e.deltaKrs),
      ...(split
        ? {
            fssContribution: exact(e.fssContribution),
            aoaContribution: exact(e.aoaContribution),
            dominant: e.dominant ?? null,
            imbalanceRatio: exact(e.imbalanceRatio),
          }
        : {}),
    })),
  };
}

/** KRS as a function of α for each sweep, the preset α values as dashed lines (Figure 8). */
export function sensitivityChart(sweeps: readonly SweepView[]): Chart {
  const rows = sweeps.flatMap((s) => s.points.map((p) => ({ series: s.label, task: s.task, alpha: round(p.alpha, 4), krs: round(p.krs) })));
  const axis = scoreAxis(rows.map((r) => r.krs));
  const [lo, hi] = axis.domain;
  return {
    id: 'alpha-sensitivity',
    title: 'Sensitivity of KRS to α',
    caption: `How KRS would change with the weight α given to feature similarity. A line rising to the right means FSS exceeds AOA; dashed lines mark the task presets (dotted: an α used instead).${axis.zoomed ? ` The KRS axis is zoomed to ${lo}–${hi}.` : ''}`,
    spec: sensitivitySpec(sweeps, rows, sensitivityRules(sweeps, axis), axis),
    table: sensitivityTable(sweeps),
  };
}

/** A sweep's preset α (its α when it has no preset), to 4 decimals. */
const presetOf = (s: SweepView) => round(s.presetAlpha ?? s.alpha, 4)!;

/**
 * The vertical rules of {@link sensitivityChart}. Dashed: the task presets; dotted: an α used
 * instead of the preset (--alpha or the table's alpha column). Labels stacked from the top, one
 * line each, so that close rules do not overprint.
 */
function sensitivityRules(sweeps: readonly SweepView[], axis: ScoreAxis) {
  const rule = (alpha: number, of: (s: SweepView) => number, kind: 'preset' | 'used') => ({
    alpha,
    kind,
    label: `${kind === 'used' ? 'used ' : ''}α = ${alpha} (${[...new Set(sweeps.filter((s) => of(s) === alpha).map((s) => s.task))].join(', ')})`,
  });
  const presetAlphas = [...new Set(sweeps.map(presetOf))];
  const usedAlphas = [...new Set(sweeps.filter((s) => round(s.alpha, 4) !== presetOf(s)).map((s) => round(s.alpha, 4)!))].filter(
    (a) => !presetAlphas.includes(a),
  );
  const [lo, hi] = axis.domain;
  return [...presetAlphas.map((a) => rule(a, presetOf, 'preset')), ...usedAlphas.map((a) => rule(a, (s) => round(s.alpha, 4)!, 'used'))]
    .sort((x, y) => x.alpha - y.alpha)
    .map((r, k) => ({ ...r, labelY: round(hi - 0.055 * (hi - lo) * k) }));
}

/** The layered spec of {@link sensitivityChart}: the rules, their labels and one line per sweep. */
function sensitivitySpec(
  sweeps: readonly SweepView[],
  rows: readonly Record<string, Cell>[],
  presets: ReturnType<typeof sensitivityRules>,
  axis: ScoreAxis,
): TopLevelSpec {
  const labels = sweeps.map((s) => s.label);
  const many = labels.length > SERIES.length;
  return {
    $schema: SCHEMA,
    config: CONFIG,
    title: {
      text: 'Sensitivity of KRS to α',
      subtitle: [`KRS(α) = α·FSS + (1 − α)·AOA for α from 0 to 1; dashed lines: the task presets of α`, `KRS ${axis.note}`],
    },
    width: 460,
    height: 280,
    layer: [
      {
        data: { values: presets },
        mark: { type: 'rule', color: COLORS.rule },
        encoding: {
          x: { field: 'alpha', type: 'quantitative' },
          strokeDash: {
            field: 'kind',
            type: 'nominal',
            scale: {
              domain: ['preset', 'used'],
              range: [
                [6, 4],
                [2, 2],
              ],
            },
            legend: null,
          },
        },
      },
      {
        data: { values: presets },
        mark: { type: 'text', align: 'left', baseline: 'top', dx: 4, dy: 2, fontSize: 11, color: COLORS.muted },
        encoding: { x: { field: 'alpha', type: 'quantitative' }, y: { field: 'labelY', type: 'quantitative' }, text: { field: 'label' } },
      },
      {
        data: { values: rows },
        mark: { type: 'line', strokeWidth: 2 },
        encoding: {
          x: { field: 'alpha', type: 'quantitative', scale: { domain: [0, 1] }, title: 'α (weight of FSS; β = 1 − α)' },
          y: { field: 'krs', type: 'quantitative', scale: { domain: axis.domain, nice: false, zero: false }, title: axisTitle('KRS', axis) },
          color: many
            ? { field: 'task', type: 'nominal', scale: { range: SERIES }, legend: { title: 'task' } }
            : {
                field: 'series',
                type: 'nominal',
                sort: labels,
                scale: { domain: labels, range: SERIES },
                legend: { title: null, orient: 'bottom', direction: 'vertical', labelLimit: 420 },
              },
          ...(many ? { detail: { field: 'series' } } : {}),
          tooltip: [
            { field: 'series', title: 'series' },
            { field: 'alpha', title: 'α', format: '.2f' },
            { field: 'krs', title: 'KRS', format: '.2f' },
          ],
        },
      },
    ],
  };
}

/** The table of {@link sensitivityChart}: one row per sweep with its ends, preset and best α (the full grid is in the spec). */
function sensitivityTable(sweeps: readonly SweepView[]): ChartTable {
  const at = (s: SweepView, a: number) => s.points.find((p) => Math.abs(p.alpha - a) < 1e-9)?.krs ?? null;
  return {
    columns: [
      col('series', 'series'),
      col('task', 'task'),
      col('preset', 'preset α', 2),
      col('alpha', 'α used', 2),
      col('krsAtAlpha', 'KRS at α used'),
      col('krs0', 'KRS at α = 0 (AOA)'),
      col('krs1', 'KRS at α = 1 (FSS)'),
    ],
    rows: sweeps.map((s) => ({
      series: s.label,
      task: s.task,
      preset: presetOf(s),
      alpha: exact(s.alpha),
      krsAtAlpha: exact(at(s, s.alpha) ?? s.alpha * (at(s, 1) ?? 0) + (1 - s.alpha) * (at(s, 0) ?? 0)),
      krs0: exact(at(s, 0)),
      krs1: exact(at(s, 1)),
    })),
  };
}

/** Box plots of KRS before and after KD for each task (Figure 10), the experiments as dots. */
export function boxPlotChart(tasks: readonly TaskView[], experiments: readonly ExperimentView[]): Chart {
  const rows = boxPlotRows(tasks, experiments);
  const axis = scoreAxis(rows.flatMap((r) => [r.min, r.max, r.krs] as (number | null | undefined)[]));
  const spec = boxPlotSpec(tasks, rows, axis);
  const mc = (m: TaskView['pre']) => (m ? `${fmt(m.mean, 2)}${m.ci95 ? ` [${fmt(m.ci95[0], 2)}, ${fmt(m.ci95[1], 2)}]` : ''}` : '—');
  const anyCi = tasks.some((t) => t.pre?.ci95 || t.post?.ci95);
  const withoutCi = tasks.filter((t) => (t.pre && !t.pre.ci95) || (t.post && !t.post.ci95)).map((t) => t.task);
  return {
    id: 'krs-box',
    title: 'KRS before and after distillation, by task',
    caption: `The distribution of KRS over each task's experiments before and after KD; the table adds the mean${anyCi ? ' with its 95% confidence interval' : ''} and the paired t-test.${
      withoutCi.length ? ` ${withoutCi.join(', ')}: no 95% interval, as a task with fewer than two experiments (or values that do not vary) has none.` : ''
    }${axis.zoomed ? ` The KRS axis is zoomed to ${axis.domain[0]}–${axis.domain[1]}.` : ''}`,
    spec,
    table: {
      columns: [
        col('task', 'task'),
        col('n', 'n', 0),
        col('pre', anyCi ? 'pre-KD mean [95% CI]' : 'pre-KD mean'),
        col('post', anyCi ? 'post-KD mean [95% CI]' : 'post-KD mean'),
        col('preMedian', 'pre median'),
        col('postMedian', 'post median'),
        col('t', 'paired t'),
        col('df', 'df', 0),
        col('p', 'p'),
      ],
      rows: tasks.map((t) => ({
        task: t.task,
        n: t.n,
        pre: mc(t.pre),
        post: mc(t.post),
        preMedian: exact(t.preBox?.median),
        postMedian: exact(t.postBox?.median),
        t: exact(t.pairedT?.t),
        df: t.pairedT?.df ?? null,
        p: t.pairedT ? fmtP(t.pairedT.p) : null,
      })),
    },
  };
}

/** One row per task and phase with its five-number summary (kind 'box'), one per experiment and phase with its KRS (kind 'point'). */
function boxPlotRows(tasks: readonly TaskView[], experiments: readonly ExperimentView[]): Record<string, Cell>[] {
  const rows: Record<string, Cell>[] = [];
  for (const t of tasks) {
    for (const [phase, box] of [
      ['pre-KD', t.preBox],
      ['post-KD', t.postBox],
    ] as const) {
      if (box)
        rows.push({
          kind: 'box',
          task: t.task,
          phase,
          min: round(box.min),
          q1: round(box.q1),
          median: round(box.median),
          q3: round(box.q3),
          max: round(box.max),
        });
    }
  }
  for (const e of experiments) {
    if (e.krsPre !== null) rows.push({ kind: 'point', task: e.task, phase: 'pre-KD', krs: round(e.krsPre), experiment: experimentLabel(e) });
    if (e.krsPost !== null) rows.push({ kind: 'point', task: e.task, phase: 'post-KD', krs: round(e.krsPost), experiment: experimentLabel(e) });
  }
  return rows;
}

/** The faceted box-plot spec of {@link boxPlotChart}: whiskers, boxes, medians and the experiments' dots. */
function boxPlotSpec(tasks: readonly TaskView[], rows: readonly Record<string, Cell>[], axis: ScoreAxis): TopLevelSpec {
  const x = { field: 'phase', type: 'nominal' as const, sort: PHASES, title: null, axis: { labelAngle: 0 } };
  const color = { field: 'phase', type: 'nominal' as const, sort: PHASES, scale: { domain: PHASES, range: [COLORS.pre, COLORS.post] }, legend: null };
  const box = { filter: "datum.kind === 'box'" };
  return {
    $schema: SCHEMA,
    config: CONFIG,
    title: {
      text: 'KRS before and after distillation, by task',
      subtitle: `box: quartiles and median; whiskers: min to max; dots: experiments; ${axis.note}`,
    },
    data: { values: rows },
    facet: { column: { field: 'task', type: 'nominal', sort: tasks.map((t) => t.task), title: null } },
    spec: {
      width: { step: 70 },
      height: 260,
      layer: [
        {
          transform: [box],
          mark: { type: 'rule', color: COLORS.ink },
          encoding: {
            x,
            y: { field: 'min', type: 'quantitative', scale: { domain: axis.domain, nice: false, zero: false }, title: axisTitle('KRS', axis) },
            y2: { field: 'max' },
          },
        },
        {
          transform: [box],
          mark: { type: 'bar', size: 34, stroke: COLORS.ink, strokeWidth: 1 },
          encoding: {
            x,
            y: { field: 'q1', type: 'quantitative' },
            y2: { field: 'q3' },
            color,
            tooltip: [
              { field: 'task' },
              { field: 'phase' },
              { field: 'min', format: '.2f' },
              { field: 'q1', format: '.2f' },
              { field: 'median', format: '.2f' },
              { field: 'q3', format: '.2f' },
              { field: 'max', format: '.2f' },
            ],
          },
        },
        {
          transform: [box],
          mark: { type: 'tick', size: 34, thickness: 2, color: COLORS.ink },
          encoding: { x, y: { field: 'median', type: 'quantitative' } },
        },
        {
          transform: [{ filter: "datum.kind === 'point'" }],
          mark: { type: 'point', filled: true, size: 22, opacity: 0.75, color: COLORS.ink },
          encoding: {
            x,
            xOffset: { value: 26 },
            y: { field: 'krs', type: 'quantitative' },
            tooltip: [
              { field: 'experiment', title: 'experiment' },
              { field: 'krs', title: 'KRS', format: '.2f' },
            ],
          },
        },
      ],
    },
  };
}

/** KRS against the task metric per task, with the least-squares line and Pearson's r (§4.2.1). */
export function krsVsMetricChart(tasks: readonly TaskView[], experiments: readonly ExperimentView[]): Chart {
  const rows = krsVsMetricRows(tasks, experiments);
  const panels = tasks.filter((t) => rows.some((r) => r.panel === headerOf(t))).map(headerOf);
  return {
    id: 'krs-vs-metric',
    title: 'KRS against the task metric',
    caption:
      "Does a higher KRS go with a better student? Each panel is a task: the student's task metric (accuracy, mAP, IoU…) against its KRS, with the fitted line and Pearson's r.",
    spec: krsVsMetricSpec(rows, panels),
    table: {
      columns: [col('task', 'task'), col('metric', 'metric'), col('on', 'values correlated'), col('n', 'n', 0), col('r', 'Pearson r', 3), col('p', 'p')],
      rows: tasks.map((t) => ({
        task: t.task,
        metric: t.metric ?? null,
        on: t.pearsonOn === 'pre+post' ? 'before and after KD' : 'after KD',
        n: t.n,
        r: exact(t.pearson?.r),
        p: t.pearson ? fmtP(t.pearson.p) : null,
      })),
    },
  };
}

/** A task's panel header: its name and metric, then (after '|', a second line) Pearson's r and p. */
function headerOf(t: TaskView): string {
  const r = t.pearson ? `r = ${fmt(t.pearson.r, 3)}, p = ${fmtP(t.pearson.p)}` : 'r undefined';
  return `${t.task}${t.metric ? ` (${t.metric})` : ''}|${r}`;
}

/** One row per experiment (post-KD, and pre-KD when the task correlates both) with its metric and KRS. */
function krsVsMetricRows(tasks: readonly TaskView[], experiments: readonly ExperimentView[]): Record<string, Cell>[] {
  const byTask = new Map(tasks.map((t) => [t.task, t]));
  const rows: Record<string, Cell>[] = [];
  for (const e of experiments) {
    const t = byTask.get(e.task);
    if (!t) continue;
    const header = headerOf(t);
    if (e.metricPost !== null && e.metricPost !== undefined && e.krsPost !== null)
      rows.push({ panel: header, experiment: experimentLabel(e), id: e.id, phase: 'post-KD', metric: round(e.metricPost), krs: round(e.krsPost) });
    if (t.pearsonOn === 'pre+post' && e.metricPre !== null && e.metricPre !== undefined && e.krsPre !== null) {
      rows.push({ panel: header, experiment: experimentLabel(e), id: e.id, phase: 'pre-KD', metric: round(e.metricPre), krs: round(e.krsPre) });
    }
  }
  return rows;
}

/** The faceted scatter spec of {@link krsVsMetricChart}: fitted line, dots and their ids. */
function krsVsMetricSpec(rows: readonly Record<string, Cell>[], panels: string[]): TopLevelSpec {
  const x = { field: 'metric', type: 'quantitative' as const, scale: { zero: false, nice: true }, title: 'task metric' };
  const y = { field: 'krs', type: 'quantitative' as const, scale: { zero: false, nice: true }, title: 'KRS' };
  return {
    $schema: SCHEMA,
    config: CONFIG,
    title: { text: 'KRS against the task metric', subtitle: 'one dot per experiment; line: least-squares fit; r: Pearson correlation (two-sided p)' },
    data: { values: rows },
    facet: { column: { field: 'panel', type: 'nominal', sort: panels, title: null, header: { labelExpr: "split(datum.value, '|')", labelLineHeight: 16 } } },
    spec: {
      width: 230,
      height: 200,
      layer: [
        {
          transform: [{ regression: 'krs', on: 'metric' }],
          mark: { type: 'line', color: COLORS.rule, strokeDash: [5, 3] },
          encoding: { x, y },
        },
        {
          mark: { type: 'point', filled: true, size: 50, opacity: 0.85 },
          encoding: {
            x,
            y,
            color: {
              field: 'phase',
              type: 'nominal',
              sort: PHASES,
              scale: { domain: PHASES, range: [COLORS.pre, COLORS.post] },
              legend: rows.some((r) => r.phase === 'pre-KD') ? { title: null, orient: 'bottom' } : null,
            },
            tooltip: [
              { field: 'experiment', title: 'experiment' },
              { field: 'metric', title: 'metric', format: '.3f' },
              { field: 'krs', title: 'KRS', format: '.2f' },
            ],
          },
        },
        {
          mark: { type: 'text', align: 'left', dx: 5, dy: -5, fontSize: 11, color: COLORS.muted },
          encoding: { x, y, text: { field: 'id' } },
        },
      ],
    },
    resolve: { scale: { x: 'independent', y: 'independent' } },
  };
}

/** The KD methods ranked by task-metric gain and by KRS gain, side by side, with Kendall's τ (Table 5). */
export function rankingChart(methods: NonNullable<AnalysisView['methods']>): Chart {
  return {
    id: 'method-rankings',
    title: 'KD methods ranked two ways',
    caption:
      "Left: KD methods ranked by their mean gain in the task metric; right: by their mean gain in KRS. Parallel lines mean the rankings agree; Kendall's τ measures how much (1 = identical order).",
    spec: rankingSpec(methods),
    table: rankingTable(methods),
  };
}

/** The slope-chart spec of {@link rankingChart}: each method's two ranks joined, labelled on the outside. */
function rankingSpec(methods: NonNullable<AnalysisView['methods']>): TopLevelSpec {
  const sides = [
    ['by task-metric gain', methods.byMetric],
    ['by KRS gain', methods.byKrs],
  ] as const;
  const rows = sides.flatMap(([ranking, list]) =>
    list.map((m) => ({
      ranking,
      method: m.method,
      rank: m.rank,
      gain: round(m.gain),
      tip: fmtSigned(m.gain, 2),
      label: `${m.rank}. ${m.method} (${signed(m.gain)})`,
    })),
  );
  const maxRank = Math.max(1, ...rows.map((r) => r.rank));
  const order = methods.byKrs.map((m) => m.method);
  const k = methods.kendall;
  const x = {
    field: 'ranking',
    type: 'nominal' as const,
    sort: sides.map((s) => s[0]),
    title: null,
    axis: { orient: 'top' as const, labelAngle: 0, labelFontWeight: 'bold' as const, domain: false, ticks: false, labelPadding: 8 },
  };
  const y = { field: 'rank', type: 'quantitative' as const, scale: { domain: [maxRank + 0.5, 0.5] }, axis: null };
  const colour = {
    field: 'method',
    type: 'nominal' as const,
    sort: order,
    scale: { range: [...SERIES, '#888888', '#8c564b', '#17becf', '#bcbd22'] },
    legend: null,
  };
  return {
    $schema: SCHEMA,
    config: CONFIG,
    title: {
      text: 'KD methods ranked two ways',
      subtitle: k
        ? `Kendall's τ = ${fmt(k.tau, 3)} (p = ${fmtP(k.p)}) between the two rankings`
        : "Kendall's τ undefined (fewer than two methods ranked on both sides)",
    },
    width: { step: 240 },
    height: Math.max(120, 34 * maxRank),
    data: { values: rows },
    layer: [
      { mark: { type: 'line', strokeWidth: 2, opacity: 0.7 }, encoding: { x, y, detail: { field: 'method' }, color: colour } },
      {
        mark: { type: 'point', filled: true, size: 80, opacity: 1 },
        encoding: { x, y, color: colour, tooltip: [{ field: 'method' }, { field: 'ranking' }, { field: 'rank' }, { field: 'tip', title: 'gain' }] },
      },
      {
        transform: [{ filter: "datum.ranking === 'by task-metric gain'" }],
        mark: { type: 'text', align: 'right', dx: -10, fontSize: 11 },
        encoding: { x, y, text: { field: 'label' } },
      },
      {
        transform: [{ filter: "datum.ranking === 'by KRS gain'" }],
        mark: { type: 'text', align: 'left', dx: 10, fontSize: 11 },
        encoding: { x, y, text: { field: 'label' } },
      },
    ],
  };
}

/** The table of {@link rankingChart}: each method's rank and mean gain by metric and by KRS. */
function rankingTable(methods: NonNullable<AnalysisView['methods']>): ChartTable {
  const byMethod = new Map<string, Record<string, Cell>>();
  for (const m of methods.byMetric) byMethod.set(m.method, { method: m.method, metricRank: m.rank, metricGain: exact(m.gain), krsRank: null, krsGain: null });
  for (const m of methods.byKrs) {
    const r = byMethod.get(m.method) ?? { method: m.method, metricRank: null, metricGain: null };
    byMethod.set(m.method, { ...r, krsRank: m.rank, krsGain: exact(m.gain) });
  }
  return {
    columns: [
      col('method', 'method'),
      col('metricRank', 'rank by metric gain', 0),
      col('metricGain', 'mean metric gain', 3, true),
      col('krsRank', 'rank by KRS gain', 0),
      col('krsGain', 'mean KRS gain', 2, true),
    ],
    rows: [...byMethod.values()],
  };
}
