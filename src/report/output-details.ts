/**
 * The output agreement's details (mean KL, top-1 agreement, matched boxes…) as a table with
 * human labels and units. One small object per output metric ({@link OUTPUT_DETAILS}), keyed
 * by the result's field names, so that each can move into its task's spec as it is.
 */
import { regressionAgreementSpec } from '../agreement/regression.js';
import { type Cell, type ChartTable, col } from './chart.js';
import { fmt, fmtPct, fmtSig } from './format.js';

/** How one field of an output result is shown. */
export interface DetailField {
  /** Label with its unit, e.g. "mean KL (nats)". */
  label: string;
  /** The value as text. */
  show: (v: number | string | boolean) => string;
}

export type DetailFields = Readonly<Record<string, DetailField>>;

const count = (label: string): DetailField => ({ label, show: (v) => (typeof v === 'number' ? fmt(v, 0) : String(v)) });
const num = (label: string, digits: number): DetailField => ({ label, show: (v) => (typeof v === 'number' ? fmt(v, digits) : String(v)) });
const sig = (label: string): DetailField => ({ label, show: (v) => (typeof v === 'number' ? fmtSig(v, 4) : String(v)) });
const percent = (label: string): DetailField => ({ label, show: (v) => (typeof v === 'number' ? fmtPct(v, 2) : String(v)) });
const text = (label: string): DetailField => ({ label, show: (v) => String(v) });

/** Fields every output result has. */
const COMMON: DetailFields = {
  metric: text('output agreement measure'),
  aoa: num('AOA (0–100)', 2),
  n: count('samples'),
};

/** Classification and NLP: KL agreement of softmax outputs. */
const KL_AGREEMENT_DETAILS: DetailFields = {
  meanKl: sig('mean KL divergence, teacher ‖ student (nats)'),
  infiniteKlSamples: count('samples with infinite KL (agreement 0)'),
  top1Agreement: percent('top-1 agreement (% of samples)'),
  top5Overlap: percent('top-k overlap (% of the k classes)'),
  topK: count('k of the top-k overlap'),
  jsDivergence: sig('mean Jensen–Shannon divergence (nats, at most ln 2)'),
  classes: count('classes'),
  positions: count('positions scored (tokens or samples)'),
  temperature: num('softmax temperature τ', 2),
};

/** Detection: IoU agreement of matched boxes. */
const IOU_AGREEMENT_DETAILS: DetailFields = {
  images: count('images'),
  matchedPairs: count('matched box pairs (same class, IoU ≥ threshold)'),
  teacherBoxes: count('teacher boxes (score ≥ threshold)'),
  studentBoxes: count('student boxes (score ≥ threshold)'),
  meanMatchedIou: num('mean IoU of matched pairs (0–1)', 3),
  scoreMin: num('box score threshold', 2),
  iouMin: num('IoU threshold for a match', 2),
};

/** Segmentation: mean IoU of label maps. */
const MIOU_DETAILS: DetailFields = {
  pixels: count('pixels scored (ignored label left out)'),
  pixelAgreement: percent('pixel agreement (% of pixels)'),
  classes: count('classes averaged'),
  ignoreLabel: count('ignored label'),
};

/** Regression and time series: normalised MSE agreement. */
const NORMALISED_MSE_DETAILS: DetailFields = {
  outputs: count('outputs per sample (horizon × targets)'),
  mse: sig('MSE, student vs teacher (squared output units)'),
  rmse: sig('RMSE, student vs teacher (output units)'),
  meanAbsError: sig('mean absolute difference, student vs teacher (output units)'),
  normaliser: sig('worst-case MSE M (squared output units)'),
  normaliserSource: {
    label: 'M taken from',
    show: (v) => (v === 'mse-max' ? regressionAgreementSpec.options.mseMax.flag : v === 'teacher-variance' ? "the teacher's output variance" : String(v)),
  },
};

/** The detail fields of each output metric. */
const OUTPUT_DETAILS: Readonly<Record<string, DetailFields>> = {
  'kl-agreement': KL_AGREEMENT_DETAILS,
  'iou-agreement': IOU_AGREEMENT_DETAILS,
  miou: MIOU_DETAILS,
  'normalised-mse': NORMALISED_MSE_DETAILS,
};

/** camelCase → words, for a field no metric describes: "fooBarKl" → "foo bar kl". */
export function humanise(key: string): string {
  return key
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/[_-]+/g, ' ')
    .toLowerCase();
}

/** The scalar fields of an output result as a two-column table (quantity, value), in the metric's order. */
export function outputDetailsTable(out: Record<string, unknown> | null | undefined): ChartTable | null {
  if (!out) return null;
  const fields = { ...COMMON, ...(OUTPUT_DETAILS[String(out.metric)] ?? {}) };
  const scalar = (v: unknown): v is number | string | boolean => typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean';
  const known = Object.keys(fields).filter((k) => k in out && scalar(out[k]));
  const other = Object.keys(out).filter((k) => !(k in fields) && scalar(out[k]));
  const rows: Record<string, Cell>[] = [...known, ...other].map((k) => {
    const v = out[k] as number | string | boolean;
    const f = fields[k];
    return { quantity: f ? f.label : humanise(k), value: f ? f.show(v) : typeof v === 'number' ? fmtSig(v, 6) : String(v) };
  });
  return rows.length ? { columns: [col('quantity', 'quantity'), col('value', 'value')], rows } : null;
}
