/**
 * The service's tables, as kysely sees them (docs/service.md §"Schema"). The same schema on
 * SQLite and PostgreSQL: ids are integers, times are ISO-8601 UTC text (`Date.toISOString()`,
 * fixed width, so text order is time order), JSON columns are text.
 */
import type { Generated } from 'kysely';

export interface RunTable {
  id: Generated<number>;
  name: string;
  /** `training` or `deployment`. */
  kind: string;
  teacher: string;
  student: string;
  task: string;
  /** JSON: the run's KRS settings ({@link RunSettings}). */
  settings: string;
  /** JSON: string → string. */
  tags: string;
  /** Server-side path of the teacher ONNX model the server runs itself, or null. */
  teacher_model: string | null;
  created: string;
  /** 1: archived (no new posts; hidden from the fleet by default). Since migration 0002. */
  archived: Generated<number>;
  /** Days a point is kept (null: the server's --retain, or for ever). */
  retain_days: number | null;
  /** JSON: the shapes fixed by the run's first post (src/serve/state-codec.ts `ShapeSignature`); `{}` before it. */
  shapes: Generated<string>;
  /** Samples of all stored posts, features and outputs: where the next post's groups start. */
  seen_features: Generated<number>;
  seen_outputs: Generated<number>;
  point_count: Generated<number>;
  /** The sequence number of the run's last committed point (posts to a run commit in this order). */
  point_seq: Generated<number>;
}

export interface PointTable {
  id: Generated<number>;
  run_id: number;
  /** Training step (or epoch); null for deployments. */
  step: number | null;
  time: string;
  /** Samples in the state. */
  n: number;
  fss: number | null;
  aoa: number;
  krs: number | null;
  /** JSON: the point's scores with intervals and per-layer table ({@link PointScores}). */
  scores: string;
  /** Empty since migration 0002 (the state is in `krs_state`); JSON text before. */
  state: string;
  /** Where the point came from: `batch`, `state` or `teacher`. */
  source: string;
  received: string;
  /** Its place in the run's commit order (1, 2, …; since migration 0002). */
  seq: number | null;
}

export interface AlertRuleTable {
  id: Generated<number>;
  run_id: number;
  /** `krs_below`, `aoa_below` or `krs_drop`. */
  kind: string;
  threshold: number;
  /** For `krs_drop`: points of the reference window (the points before the current one). */
  window: number | null;
  webhook: string | null;
  /** `ok` or `firing`. */
  state: string;
  since: string | null;
  value: number | null;
  message: string | null;
  created: string;
}

export interface AlertEventTable {
  id: Generated<number>;
  rule_id: number;
  run_id: number;
  time: string;
  state: string;
  value: number | null;
  message: string;
}

export interface TokenTable {
  id: Generated<number>;
  name: string;
  /** `read` or `write` (write implies read). */
  scope: string;
  /** SHA-256 of the token, hex. */
  hash: string;
  created: string;
}

/** A point's metric state, as bytes (the state file format, src/serve/state-codec.ts). */
export interface StateTable {
  point_id: number;
  bytes: Uint8Array;
}

/**
 * A bucket of a run's points on one axis (src/serve/store/buckets.ts): counts, and the merged
 * state of its points up to point id `built_seq` (merged further when read).
 * `version` counts changes (scores are current when `scores_version` equals it); `epoch`
 * counts deletions (which make the state start again from nothing).
 */
export interface BucketTable {
  id: Generated<number>;
  run_id: number;
  /** `step` or `time`. */
  axis: string;
  /** Steps, or milliseconds. */
  width: number;
  start: number;
  points: number;
  n: number;
  version: number;
  epoch: Generated<number>;
  built_seq: Generated<number>;
  state: Uint8Array | null;
  fss: number | null;
  aoa: number | null;
  krs: number | null;
  /** JSON: the 95 % intervals {fss, aoa, krs}. */
  ci95: string | null;
  scores_version: Generated<number>;
}

/** The answer to a post that carried an `Idempotency-Key`: a retry gets it again. */
export interface IdempotencyTable {
  run_id: number;
  key: string;
  /** SHA-256 of the request (body and query): the same key with another request is refused. */
  hash: string;
  /** JSON: the answer. */
  reply: string;
  created: string;
}

/** Webhook deliveries: written with the alert transition, sent and retried by the outbox loop. */
export interface OutboxTable {
  id: Generated<number>;
  run_id: number;
  rule_id: number;
  url: string;
  /** JSON body. */
  payload: string;
  attempts: number;
  /** ISO time of the next attempt. */
  next_at: string;
  /** `pending`, `delivered` or `failed` (attempts exhausted). */
  state: string;
  last_error: string | null;
  created: string;
}

export interface Database {
  krs_run: RunTable;
  krs_point: PointTable;
  krs_alert_rule: AlertRuleTable;
  krs_alert_event: AlertEventTable;
  krs_token: TokenTable;
  krs_state: StateTable;
  krs_bucket: BucketTable;
  krs_idempotency: IdempotencyTable;
  krs_outbox: OutboxTable;
}
