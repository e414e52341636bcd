/**
 * Alert rules of a run, evaluated on each new point (docs/service.md §"Alerts"):
 *
 * - `krs_below` x: firing while the point's KRS < x;
 * - `aoa_below` z: firing while the point's AOA < z;
 * - `krs_drop` y over w: firing while KRS_ref − KRS ≥ y, where KRS_ref is the KRS of the
 *   merged states of the w points before this one (exact, not an average of their scores).
 *
 * A rule's state (`ok` / `firing`, since when, the value, a one-line message) changes only
 * on a transition; each transition is an event, and a rule with a webhook has it delivered as
 * JSON through the outbox (outbox.ts), written in the point's transaction.
 */
import { errors } from '../core/errors.js';
import type { PointScores } from './metric.js';
import type { AlertRuleRow } from './store/types.js';

const RULE_KINDS = ['krs_below', 'aoa_below', 'krs_drop'] as const;
export type RuleKind = (typeof RULE_KINDS)[number];

export interface RuleInput {
  kind: RuleKind;
  threshold: number;
  window?: number;
  webhook?: string;
}

/** @throws KrsError BAD_OPTION naming the field. */
export function checkRule(raw: unknown): RuleInput {
  const r = (raw ?? {}) as Record<string, unknown>;
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw errors.badValue('alert rule', typeof raw, 'an object {kind, threshold, window?, webhook?}');
  if (!RULE_KINDS.includes(r.kind as RuleKind)) throw errors.badOption('kind', r.kind, RULE_KINDS.join(', '));
  if (typeof r.threshold !== 'number' || !Number.isFinite(r.threshold) || r.threshold < 0 || r.threshold > 100)
    throw errors.badOption('threshold', r.threshold, 'a number of points in [0, 100]');
  let window: number | undefined;
  if (r.kind === 'krs_drop') {
    window = r.window === undefined ? 10 : (r.window as number);
    if (!Number.isInteger(window) || window < 1 || window > 1000) throw errors.badOption('window', r.window, 'an integer number of points in [1, 1000]');
  } else if (r.window !== undefined) throw errors.badOption('window', r.window, `nothing: only krs_drop has a reference window`);
  let webhook: string | undefined;
  if (r.webhook !== undefined && r.webhook !== null) {
    if (typeof r.webhook !== 'string' || !/^https?:\/\//.test(r.webhook) || r.webhook.length > 2000)
      throw errors.badOption('webhook', r.webhook, 'an http:// or https:// URL of at most 2000 characters');
    try {
      new URL(r.webhook);
    } catch {
      throw errors.badOption('webhook', r.webhook, 'an http:// or https:// URL');
    }
    webhook = r.webhook;
  }
  return { kind: r.kind as RuleKind, threshold: r.threshold, ...(window !== undefined ? { window } : {}), ...(webhook ? { webhook } : {}) };
}

export interface Verdict {
  firing: boolean;
  value: number | null;
  message: string;
}

/** The verdict of a rule on a point; `reference` is the KRS of the merged reference window (krs_drop), or null when there is none yet. */
export function evaluateRule(rule: Pick<AlertRuleRow, 'kind' | 'threshold' | 'window'>, p: PointScores, reference: number | null): Verdict {
  const f = (x: number) => x.toFixed(2);
  switch (rule.kind as RuleKind) {
    case 'krs_below':
      if (p.krs === null) return { firing: false, value: null, message: 'no KRS (output-only run)' };
      return {
        firing: p.krs < rule.threshold,
        value: p.krs,
        message: `KRS ${f(p.krs)} ${p.krs < rule.threshold ? 'below' : 'at or above'} ${f(rule.threshold)}`,
      };
    case 'aoa_below':
      return {
        firing: p.aoa < rule.threshold,
        value: p.aoa,
        message: `AOA ${f(p.aoa)} ${p.aoa < rule.threshold ? 'below' : 'at or above'} ${f(rule.threshold)}`,
      };
    case 'krs_drop': {
      if (p.krs === null) return { firing: false, value: null, message: 'no KRS (output-only run)' };
      if (reference === null) return { firing: false, value: null, message: 'no reference window yet' };
      const drop = reference - p.krs;
      return {
        firing: drop >= rule.threshold,
        value: drop,
        message: `KRS ${f(p.krs)} is ${f(drop)} points ${drop >= 0 ? 'below' : 'above'} the last ${rule.window} points' ${f(reference)} (alert at a drop of ${f(rule.threshold)})`,
      };
    }
  }
}
