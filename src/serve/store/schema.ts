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
  /** JSON: the serialised metric state (`KrsMetric.toJSON()`, exact). */
  state: string;
  /** Where the point came from: `batch`, `state` or `teacher`. */
  source: string;
  received: string;
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

export interface Database {
  krs_run: RunTable;
  krs_point: PointTable;
  krs_alert_rule: AlertRuleTable;
  krs_alert_event: AlertEventTable;
  krs_token: TokenTable;
}
