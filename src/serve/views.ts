/**
 * What the API answers for the store's rows: runs, points and alert rules as JSON objects
 * (docs/openapi.json names them Run, Point and Rule). Every JSON column is parsed here; a row
 * is never sent as stored.
 */
import type { PointScores, RunSettings } from './metric.js';
import type { AlertRuleRow, PointRow, RunRow } from './store/types.js';

export interface RunView {
  name: string;
  kind: 'training' | 'deployment';
  teacher: string;
  student: string;
  task: string;
  settings: RunSettings;
  tags: Record<string, string>;
  teacherModel: string | null;
  created: string;
  archived: boolean;
  /** Days a point is kept, or null (the server's --retain, or for ever). */
  retainDays: number | null;
  /** The shapes fixed by the first post (layer widths, similarities, class count); `{}` before it. */
  shapes: Record<string, string | number>;
}

export interface PointView {
  id: number;
  step: number | null;
  time: string;
  n: number;
  fss: number | null;
  aoa: number;
  krs: number | null;
  source: string;
  scores: PointScores;
}

export interface RuleView {
  id: number;
  kind: string;
  threshold: number;
  window: number | null;
  /** Only to write tokens (a webhook URL may carry a secret). */
  webhook?: string | null;
  state: string;
  since: string | null;
  value: number | null;
  message: string | null;
}

export function runView(r: RunRow): RunView {
  return {
    name: r.name,
    kind: r.kind as RunView['kind'],
    teacher: r.teacher,
    student: r.student,
    task: r.task,
    settings: JSON.parse(r.settings),
    tags: JSON.parse(r.tags),
    teacherModel: r.teacher_model,
    created: r.created,
    archived: Boolean(r.archived),
    retainDays: r.retain_days,
    shapes: JSON.parse(r.shapes || '{}'),
  };
}

export function pointView(r: Omit<PointRow, 'state'>): PointView {
  return { id: r.id, step: r.step, time: r.time, n: r.n, fss: r.fss, aoa: r.aoa, krs: r.krs, source: r.source, scores: JSON.parse(r.scores) };
}

/** A rule; its webhook only when `withWebhook` (the reader has write scope). */
export function ruleView(r: AlertRuleRow, withWebhook: boolean): RuleView {
  return {
    id: r.id,
    kind: r.kind,
    threshold: r.threshold,
    window: r.window,
    ...(withWebhook ? { webhook: r.webhook } : {}),
    state: r.state,
    since: r.since,
    value: r.value,
    message: r.message,
  };
}
