/**
 * KRS as a tuning signal (paper §4.4): every student's KRS and held-out accuracy after every
 * epoch of training, in two panels over one epoch axis, with the temperature each measure
 * picks ringed. Students are coloured as in the other student charts (`student-layers`): the
 * same labels in the same order on the same palette.
 */
import type { TopLevelSpec } from 'vega-lite';
import { type Cell, type Chart, type ChartTable, col, exact, round } from '../chart.js';
import { fmt } from '../format.js';
import { COLORS, CONFIG, type ColorOf, seriesScale } from '../theme.js';

/** One student's scores after one epoch. */
export interface EpochPoint {
  epoch: number;
  /** `init` (epoch 0, the initial weights: not drawn, kept in the table), `hint` (a hint stage, FitNet's stage 1: drawn apart), anything else (`train`, `kd`): the line. */
  phase: string;
  /** Held-out accuracy, fraction (null: not measured). */
  accuracy?: number | null;
  fss?: number | null;
  aoa?: number | null;
  krs?: number | null;
}

export interface StudentEpochs {
  label: string;
  epochs: readonly EpochPoint[];
}

/** What a measure picks after the last epoch: a temperature and the student(s) that have it (several when tied). */
export interface EpochPick {
  temperature: number;
  students: readonly string[];
}

export interface EpochChartOptions {
  /** Rings the picked students' last epoch: KRS's pick in the KRS panel, accuracy's in the accuracy panel. */
  picks?: { krs?: EpochPick; accuracy?: EpochPick };
  /** What the scores are computed on, for the subtitle (default `held-out digits`). */
  samples?: string;
  /** The students' colours in the whole report (default: the palette in this chart's order). */
  colorOf?: ColorOf;
}

type Measure = 'krs' | 'acc';

const isHint = (p: EpochPoint) => p.phase === 'hint';
const isDrawn = (p: EpochPoint) => p.phase !== 'init';
const value = (p: EpochPoint, m: Measure): number | null => {
  const v = m === 'krs' ? p.krs : p.accuracy === null || p.accuracy === undefined ? null : p.accuracy * 100;
  return v === null || v === undefined || !Number.isFinite(v) ? null : v;
};

/**
 * The y range of a panel: the values of the training curves (not the initial weights nor a
 * hint stage, which sit tens of points lower and would flatten the curves), widened to whole
 * points and at least 2 points, within [0, 100].
 */
export function epochDomain(values: readonly number[]): [number, number] {
  if (!values.length) return [0, 100];
  const min = Math.min(...values);
  const max = Math.max(...values);
  const pad = Math.max(0.25, 0.04 * (max - min));
  let lo = Math.max(0, Math.floor(min - pad));
  let hi = Math.min(100, Math.ceil(max + pad));
  while (hi - lo < 2) {
    if (lo > 0) lo -= 1;
    if (hi - lo < 2 && hi < 100) hi += 1;
  }
  return [lo, hi];
}

/** A student's point drawn on the chart (not epoch 0). */
interface Drawn {
  s: StudentEpochs;
  p: EpochPoint;
}

/** What {@link epochPanel} draws with, shared by both panels. */
interface PanelContext {
  domains: Record<Measure, [number, number]>;
  band: { from: number; to: number; label: string }[];
  x: ReturnType<typeof epochAxis>;
  color: ReturnType<typeof studentColor>;
  hints: boolean;
  offScale: boolean;
}

/** Every student's KRS and held-out accuracy after each epoch, hint-stage epochs marked apart, the picks ringed. */
export function krsByEpochChart(students: readonly StudentEpochs[], options: EpochChartOptions = {}): Chart {
  const labels = students.map((s) => s.label);
  const drawn = students.flatMap((s) => s.epochs.filter(isDrawn).map((p) => ({ s, p })));
  const domains = { krs: panelDomain(drawn, 'krs'), acc: panelDomain(drawn, 'acc') };
  // No accuracy at all (a forecasting demo): the KRS panel alone.
  const hasAccuracy = drawn.some(({ p }) => value(p, 'acc') !== null);
  const maxEpoch = Math.max(1, ...drawn.map(({ p }) => p.epoch));
  const rows = epochRows(students, drawn, domains, options.picks ?? {});
  const hintEpochs = rows.filter((r) => r.hint).map((r) => r.epoch as number);
  const hintStudents = [...new Set(rows.filter((r) => r.hint).map((r) => r.student as string))];
  const hintStudentsLabel = () => (hintStudents.length === 1 ? `${short(hintStudents[0]!)}: hint stage` : 'hint stage');
  const band = hintEpochs.length ? [{ from: Math.min(...hintEpochs) - 0.5, to: Math.max(...hintEpochs) + 0.5, label: hintStudentsLabel() }] : [];
  const offScale = rows.some((r) => r.krsOff !== null || r.accOff !== null);
  const ctx: PanelContext = { domains, band, x: epochAxis(maxEpoch), color: studentColor(labels, options), hints: hintEpochs.length > 0, offScale };
  const panel = (m: Measure, title: string, last: boolean) => epochPanel(ctx, m, title, last);
  const subtitle = epochSubtitle(students, options, hintEpochs, hintStudents, offScale);
  const spec: TopLevelSpec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    config: CONFIG,
    title: { text: hasAccuracy ? 'KRS and accuracy after every epoch' : 'KRS after every epoch', subtitle },
    data: { values: rows },
    vconcat: hasAccuracy ? [panel('krs', 'KRS', false), panel('acc', 'held-out accuracy (%)', true)] : [panel('krs', 'KRS', true)],
    spacing: 14,
    resolve: { scale: { color: 'shared' } },
  };
  return {
    id: 'krs-by-epoch',
    title: hasAccuracy ? 'KRS and accuracy after every epoch' : 'KRS after every epoch',
    caption:
      (hasAccuracy
        ? 'Each line is a student: its KRS against the teacher (top) and its held-out accuracy (bottom) after each epoch of training, so KRS can be read as a tuning signal while training (paper §4.4).'
        : 'Each line is a student: its KRS against the teacher after each epoch of training, so KRS can be read as a tuning signal while training (paper §4.4).') +
      (hintEpochs.length
        ? ' Hint-stage epochs (shaded, ▽) train only the layers up to the guided one, not the output layer, so output agreement (and KRS with it) and accuracy stay near those of the initial weights.'
        : '') +
      ' Epoch 0, the shared initial weights, is in the table only.',
    spec,
    table: epochTable(students),
  };
}

/** A label without its parenthesised tail. */
const short = (label: string) => label.replace(/ \(.*$/, '');

/**
 * A panel's y range: {@link epochDomain} of the training curves, widened by a strip at the
 * bottom or top where points off the curves' range (a hint stage) are drawn on the edge.
 */
function panelDomain(drawn: readonly Drawn[], m: Measure): [number, number] {
  const curve = drawn.filter(({ p }) => !isHint(p));
  const [lo, hi] = epochDomain(curve.map(({ p }) => value(p, m)).filter((v): v is number => v !== null));
  const others = drawn
    .filter(({ p }) => isHint(p))
    .map(({ p }) => value(p, m))
    .filter((v): v is number => v !== null);
  const strip = 0.12 * (hi - lo);
  return [others.some((v) => v < lo) ? Math.max(0, Math.floor(lo - strip)) : lo, others.some((v) => v > hi) ? Math.min(100, Math.ceil(hi + strip)) : hi];
}

/**
 * One row per drawn point; `*Y` is where it is drawn (clamped to the panel's range), `*Off` the
 * value printed beside a clamped point, `pick*` whether a measure's pick rings it.
 */
function epochRows(
  students: readonly StudentEpochs[],
  drawn: readonly Drawn[],
  domains: Record<Measure, [number, number]>,
  picks: NonNullable<EpochChartOptions['picks']>,
): Record<string, Cell | boolean>[] {
  const lastCurveEpoch = new Map(students.map((s) => [s.label, Math.max(-1, ...s.epochs.filter((p) => isDrawn(p) && !isHint(p)).map((p) => p.epoch))]));
  const picked = (pick: EpochPick | undefined, label: string, epoch: number) => !!pick?.students.includes(label) && lastCurveEpoch.get(label) === epoch;
  return drawn.map(({ s, p }) => {
    const row: Record<string, Cell | boolean> = { student: s.label, epoch: p.epoch, phase: p.phase, hint: isHint(p) };
    for (const m of ['krs', 'acc'] as const) {
      const v = value(p, m);
      const [lo, hi] = domains[m];
      row[m] = round(v);
      row[`${m}Y`] = v === null ? null : round(Math.min(hi, Math.max(lo, v)));
      row[`${m}Off`] = v !== null && (v < lo || v > hi) ? fmt(v, 1) : null;
    }
    row.pickKrs = picked(picks.krs, s.label, p.epoch);
    row.pickAcc = picked(picks.accuracy, s.label, p.epoch);
    return row;
  });
}

/** The shared epoch axis, 1 to the last epoch. */
function epochAxis(maxEpoch: number) {
  return {
    field: 'epoch',
    type: 'quantitative' as const,
    scale: { domain: [0.5, maxEpoch + 0.5], nice: false },
    axis: { values: Array.from({ length: maxEpoch }, (_, i) => i + 1), format: 'd', grid: false },
  };
}

/** The students' colours, as in the other student charts. */
function studentColor(labels: string[], options: EpochChartOptions) {
  return {
    field: 'student',
    type: 'nominal' as const,
    sort: labels,
    scale: seriesScale(labels, options.colorOf),
    legend: { title: null, orient: 'bottom' as const, direction: 'vertical' as const, columns: 2, labelLimit: 300 },
  };
}

/** One panel (KRS or accuracy): hint band, curves, hint points, off-scale values and the pick's ring. */
function epochPanel(ctx: PanelContext, m: Measure, title: string, last: boolean) {
  const { domains, band, x, color, offScale } = ctx;
  const [lo, hi] = domains[m];
  const y = { field: `${m}Y`, type: 'quantitative' as const, scale: { domain: [lo, hi], nice: false, zero: false }, title };
  const tooltip = [
    { field: 'student', title: 'student' },
    { field: 'epoch', title: 'epoch' },
    { field: 'phase', title: 'phase' },
    { field: m, title: m === 'krs' ? 'KRS' : 'accuracy %', format: '.2f' },
  ];
  const xAxis = { ...x, title: last ? 'epoch' : null };
  return {
    width: 460,
    height: 190,
    layer: [
      ...(band.length
        ? [
            { data: { values: band }, mark: { type: 'rect' as const, color: '#efefef' }, encoding: { x: { ...xAxis, field: 'from' }, x2: { field: 'to' } } },
            {
              data: { values: band },
              mark: { type: 'text' as const, align: 'left' as const, baseline: 'top' as const, dx: 4, dy: 4, fontSize: 11, color: COLORS.muted },
              encoding: { x: { field: 'from', type: 'quantitative' as const }, y: { datum: hi }, text: { field: 'label' } },
            },
          ]
        : []),
      {
        transform: [{ filter: `!datum.hint && datum.${m} !== null` }],
        mark: { type: 'line' as const, strokeWidth: 2, point: { filled: true, size: 22 } },
        encoding: { x: xAxis, y, color, tooltip },
      },
      ...(ctx.hints
        ? [
            {
              transform: [{ filter: `datum.hint && datum.${m} !== null` }],
              mark: { type: 'point' as const, shape: 'triangle-down', filled: false, size: 60, strokeWidth: 1.5 },
              encoding: { x: xAxis, y, color, tooltip },
            },
          ]
        : []),
      ...(offScale
        ? [
            {
              transform: [{ filter: `datum.${m}Off !== null` }],
              mark: { type: 'text' as const, align: 'left' as const, baseline: 'bottom' as const, dx: 5, dy: -2, fontSize: 11, color: COLORS.muted },
              encoding: { x: xAxis, y, text: { field: `${m}Off` } },
            },
          ]
        : []),
      {
        transform: [{ filter: m === 'krs' ? 'datum.pickKrs' : 'datum.pickAcc' }],
        mark: { type: 'point' as const, shape: 'circle', filled: false, size: 190, strokeWidth: 1.5, color: COLORS.ink },
        encoding: { x: xAxis, y },
      },
    ],
  };
}

/** The subtitle's lines: what is scored, epoch 0's scores, the hint stage and the picks. */
function epochSubtitle(
  students: readonly StudentEpochs[],
  options: EpochChartOptions,
  hintEpochs: readonly number[],
  hintStudents: readonly string[],
  offScale: boolean,
): string[] {
  const picks = options.picks ?? {};
  const pickText = (name: string, p: EpochPick | undefined) => (p ? `${name} T = ${p.temperature}` : null);
  const pickLine = [pickText('KRS', picks.krs), pickText('accuracy', picks.accuracy)].filter(Boolean).join(', ');
  const [k0] = students.flatMap((s) => s.epochs.filter((p) => p.phase === 'init'));
  return [
    `${options.samples ?? 'held-out digits'}, after every training epoch` +
      (k0 && value(k0, 'krs') !== null
        ? `; epoch 0 (initial weights): KRS ${fmt(value(k0, 'krs'), 1)}${value(k0, 'acc') !== null ? `, accuracy ${fmt(value(k0, 'acc'), 1)}%` : ''}`
        : ''),
    ...(hintEpochs.length
      ? [
          `shaded, ▽: the hint-stage epochs of ${hintStudents.map(short).join(', ')}${offScale ? ' — off the scale, so drawn on its edge with the value printed' : ''}`,
        ]
      : []),
    ...(pickLine ? [`ringed: the temperature each measure picks after the last epoch — ${pickLine}`] : []),
  ];
}

/** The table: every student's scores after every epoch, epoch 0 included. */
function epochTable(students: readonly StudentEpochs[]): ChartTable {
  const tableRows = students.flatMap((s) =>
    s.epochs.map((p) => ({
      student: s.label,
      epoch: p.epoch,
      phase: p.phase,
      accuracy: exact(value(p, 'acc')),
      fss: exact(p.fss),
      aoa: exact(p.aoa),
      krs: exact(p.krs),
    })),
  );
  return {
    columns: [
      col('student', 'student'),
      col('epoch', 'epoch', 0),
      col('phase', 'phase'),
      col('accuracy', 'accuracy %'),
      col('fss', 'FSS'),
      col('aoa', 'AOA'),
      col('krs', 'KRS'),
    ],
    rows: tableRows,
  };
}
