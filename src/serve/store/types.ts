/**
 * The run store's interface (docs/service.md §"Store"): what the service asks of it, the same
 * whether it runs on its own thread (the default: store/worker.ts) or in the calling thread.
 * Every argument and result is plain data (structured-clonable), states are bytes.
 */
import type { Selectable } from 'kysely';
import type { PointScores } from '../metric.js';
import type { ShapeSignature } from '../state-codec.js';
import type { PointView, RuleView } from '../views.js';
import type { Axis } from './buckets.js';
import type { DialectKind } from './migrations.js';
import type { AlertEventTable, AlertRuleTable, OutboxTable, PointTable, RunTable, TokenTable } from './schema.js';

export type RunRow = Selectable<RunTable>;
export type PointRow = Selectable<PointTable>;
export type AlertRuleRow = Selectable<AlertRuleTable>;
export type AlertEventRow = Selectable<AlertEventTable>;
export type TokenRow = Selectable<TokenTable>;
export type OutboxRow = Selectable<OutboxTable>;
export type Scope = 'read' | 'write';

/** Points of a run within a window (bounds inclusive; absent: open). */
export interface Window {
  fromStep?: number;
  toStep?: number;
  /** ISO times. */
  from?: string;
  to?: string;
}

/** A run to create: its row's columns set by the caller (the counters start at 0). */
export type NewRun = Pick<RunTable, 'name' | 'kind' | 'teacher' | 'student' | 'task' | 'settings' | 'tags' | 'teacher_model' | 'retain_days' | 'created'>;

export interface RunPatch {
  archived?: boolean;
  /** JSON. */
  tags?: string;
  retain_days?: number | null;
}

/** A rule's verdict on the point being committed (src/serve/alerts.ts). */
export interface RuleVerdict {
  ruleId: number;
  firing: boolean;
  value: number | null;
  message: string;
}

/** One post, scored and checked, ready to commit. */
export interface PointCommit {
  runId: number;
  step: number | null;
  time: string;
  n: number;
  fss: number | null;
  aoa: number;
  krs: number | null;
  scores: PointScores;
  source: string;
  /** The post's metric state (state file bytes), its groups not yet relabelled. */
  state: Uint8Array;
  signature: ShapeSignature;
  verdicts: RuleVerdict[];
  idempotency?: { key: string; hash: string };
}

/** An alert transition a commit made. */
export interface AlertTransition {
  rule: RuleView;
  state: string;
  time: string;
  value: number | null;
  message: string;
}

export interface CommitReply {
  /** The answer to the post (rules with their webhooks: the poster has write scope). */
  reply: { point: PointView; alerts: RuleView[] };
  /** True when an earlier post with the same Idempotency-Key is answered again (nothing stored). */
  replayed: boolean;
  transitions: AlertTransition[];
}

/** A row of a series: one stored bucket (with its scores when current), or a span [from, to) to merge ({@link Store.coverStates}). */
export interface SeriesRow {
  start: number;
  /** Points and samples (of the stored bucket; for a span, of the whole buckets it cuts). */
  points: number;
  n: number;
  source: { bucket: { id: number; version: number } } | { range: [number, number] };
  /** Current scores, or null when they must be computed. */
  scores: Pick<PointScores, 'fss' | 'aoa' | 'krs' | 'ci95'> | null;
}

/** What a bucket needs to be current (store/reads.ts): gone, its one point's state, or its kept state and the newer points' states to merge. */
export type BucketMaterial =
  | { kind: 'gone' }
  | { kind: 'single'; state: Uint8Array; version: number }
  | { kind: 'merge'; version: number; epoch: number; builtSeq: number; state: Uint8Array | null; news: Uint8Array[]; lastSeq: number; more: boolean };

/** The parts of a window or a span: the whole buckets to read (ids) and the states of the points at its ends. */
export interface Cover {
  points: number;
  buckets: number[];
  states: Uint8Array[];
}

export interface RunSummary {
  runId: number;
  points: number;
  latest: Omit<PointRow, 'state'> | null;
  /** KRS (or AOA) of the last points, oldest first. */
  spark: (number | null)[];
  firing: boolean;
  steps: [number, number] | null;
  times: [string, string] | null;
}

export interface Store {
  readonly dialect: DialectKind;
  /** This process, in the events shared through PostgreSQL (its own are not delivered back). */
  readonly instance: string;
  readonly location: string;
  createRun(run: NewRun): Promise<RunRow>;
  getRun(name: string): Promise<RunRow | null>;
  listRuns(withArchived: boolean): Promise<RunRow[]>;
  updateRun(id: number, patch: RunPatch): Promise<RunRow>;
  deleteRun(id: number): Promise<void>;
  summaries(runIds: number[], spark: number): Promise<RunSummary[]>;
  /** Commit a post (group commit: one transaction, one fsync, for the posts that wait together). */
  commitPoint(p: PointCommit): Promise<CommitReply>;
  points(runId: number, window: Window, page: { limit: number; afterId?: number }): Promise<Omit<PointRow, 'state'>[]>;
  /** The states of the last `count` points, oldest first (the krs_drop reference). */
  lastStates(runId: number, count: number): Promise<Uint8Array[]>;
  /** Delete one point (`id`) or every point in a window (or before a time); returns how many. */
  deletePoints(runId: number, which: { id?: number; window?: Window; before?: string }): Promise<number>;
  /** Retention: delete points older than their run's days (or `defaultDays`); old idempotency keys and settled deliveries. */
  prune(now: string, defaultDays: number | null): Promise<{ points: number }>;
  /** The window's points: the whole buckets covering it and the states of the points at its ends. */
  windowStates(runId: number, window: Window): Promise<Cover>;
  /** The same for [from, to) on an axis (steps, or ms). */
  coverStates(runId: number, axis: Axis, from: number, to: number): Promise<Cover>;
  seriesRows(runId: number, axis: Axis, width: number, window: Window): Promise<SeriesRow[]>;
  /** What a bucket needs to be current: its kept state and up to `limit` newer points' states. */
  bucketMaterial(id: number, limit: number): Promise<BucketMaterial>;
  /** Keep a bucket's state merged up to `toSeq` (compare-and-set: false when a deletion or another merge came first). */
  keepBucket(id: number, k: { epoch: number; fromSeq: number; toSeq: number; state: Uint8Array }): Promise<boolean>;
  /** Remember a bucket's scores, if it has not changed since `version`. */
  cacheScores(id: number, version: number, scores: Pick<PointScores, 'fss' | 'aoa' | 'krs' | 'ci95'>): Promise<void>;
  addRule(rule: Pick<AlertRuleRow, 'run_id' | 'kind' | 'threshold' | 'window' | 'webhook'>): Promise<AlertRuleRow>;
  rules(runId?: number): Promise<AlertRuleRow[]>;
  deleteRule(runId: number, id: number): Promise<boolean>;
  events(runId: number, limit: number): Promise<AlertEventRow[]>;
  createToken(name: string, scope: Scope): Promise<{ token: string; row: TokenRow }>;
  /** The token's id and scope, or null when it is not known. */
  tokenScope(token: string): Promise<{ id: number; scope: Scope } | null>;
  listTokens(): Promise<Omit<TokenRow, 'hash'>[]>;
  revokeToken(id: number): Promise<boolean>;
  countTokens(): Promise<number>;
  /** Webhook deliveries due now, each claimed for `leaseMs` (so another process does not send it too). */
  claimDeliveries(now: string, leaseMs: number, limit: number): Promise<OutboxRow[]>;
  settleDelivery(id: number, outcome: { delivered: true } | { retryAt: string; error: string } | { failed: true; error: string }): Promise<void>;
  /** The durability settings in force: SQLite's journal_mode, synchronous and foreign_keys; PostgreSQL's synchronous_commit. */
  durability(): Promise<Record<string, string | number>>;
  /** PostgreSQL: events committed by other processes sharing the store (LISTEN/NOTIFY). */
  listen(onPayload: (payload: string) => void): Promise<void>;
  close(): Promise<void>;
}
