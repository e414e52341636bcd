/**
 * `--serve URL --run NAME [--step N]` of `krs score`, `krs eval` and `krs demo`: post the
 * finished evaluation's metric state (sufficient statistics only, never inputs) to a
 * `krs serve` as a point of run NAME, creating the run with the evaluation's settings when it
 * does not exist. The token, when the server needs one, comes from `KRS_SERVE_TOKEN` (not a
 * flag, so it stays out of shell histories and process lists).
 */
import { errors } from '../core/errors.js';
import { fixed } from '../core/units.js';
import type { KrsMetric } from '../krs/metric.js';
import type { PointReply } from '../serve/client.js';
import { type FlagsOf, flag } from './flag-table.js';
import { cliIo } from './io.js';
import { parseSeedOf } from './options.js';

/** `--serve`, `--run`, `--step`, `--run-kind` (score, eval, demo). */
export const SERVE_FLAG = flag('--serve <url>', 'also post the result to a krs serve at url as a point of --run (token from KRS_SERVE_TOKEN)');
export const RUN_FLAG = flag('--run <name>', 'the run of --serve to post to (created with these settings when new)');
export const STEP_FLAG = flag('--step <n>', 'the step (e.g. epoch) of the point posted with --serve (default: none, keyed by time)', { parse: parseSeedOf });
export const RUN_KIND_FLAG = flag(
  '--run-kind <kind>',
  'training or deployment: the kind of the run --serve creates when new (default: training with --step, deployment without)',
  { parse: (name) => parseRunKind(name) },
);
/** All four, in the order commands list them. */
export const SERVE_FLAGS = [SERVE_FLAG, RUN_FLAG, STEP_FLAG, RUN_KIND_FLAG] as const;

function parseRunKind(name: string) {
  return (value: string): 'training' | 'deployment' => {
    if (value !== 'training' && value !== 'deployment') throw errors.badOption(name, value, 'training or deployment');
    return value;
  };
}

/** The flags of {@link SERVE_FLAGS}, parsed. */
export type ServeFlags = FlagsOf<typeof SERVE_FLAGS>;

/** The kind of a run --serve creates: --run-kind, else training when the point has a step. */
export function runKindOf(o: ServeFlags): 'training' | 'deployment' {
  return o.runKind ?? (o.step !== undefined ? 'training' : 'deployment');
}

/** The URL and run name, or null without --serve. @throws BAD_OPTION for --serve without --run, or --run/--step without --serve. */
export function serveTarget(o: ServeFlags): { url: string; run: string } | null {
  if (!o.serve) {
    const stray = o.run !== undefined ? '--run' : o.step !== undefined ? '--step' : o.runKind !== undefined ? '--run-kind' : null;
    if (stray) throw errors.badOption(stray, o.run ?? o.step ?? o.runKind, 'used with --serve URL');
    return null;
  }
  if (!/^https?:\/\/[^\s/]+/.test(o.serve)) throw errors.badOption('--serve', o.serve, 'an http:// or https:// URL of a krs serve');
  if (!o.run?.trim()) throw errors.badOption('--run', null, 'the name of the run to post to (with --serve)');
  return { url: o.serve, run: o.run };
}

/** The settings a run is created with: the metric's options as plain JSON, without what belongs to one evaluation. */
export function runSettings(metric: KrsMetric): Record<string, unknown> {
  const { backend: _b, firstSample: _f, samples: _s, task: _t, ...options } = metric.options;
  const intervals = options.intervals === false ? false : options.intervals ? { ...options.intervals, samples: undefined } : undefined;
  return JSON.parse(JSON.stringify({ ...options, ...(intervals !== undefined ? { intervals } : {}) }));
}

/**
 * Post a metric's state as a point of the run (created when new: task, teacher, student,
 * settings); one line on stderr says where it went and what the server computed.
 */
export async function postToServe(
  target: { url: string; run: string },
  metric: KrsMetric,
  run: { teacher?: string; student?: string; kind?: 'training' | 'deployment' },
  step?: number,
  quiet = false,
): Promise<PointReply> {
  const { serveClient } = await import('../serve/client.js');
  const client = serveClient({ url: target.url, token: cliIo().env.KRS_SERVE_TOKEN });
  await client.ensureRun({ name: target.run, task: metric.options.task, settings: runSettings(metric), ...run });
  const reply = await client.postState(target.run, metric.toJSON(), step !== undefined ? { step } : {});
  const p = reply.point;
  const krs = p.krs === null ? 'KRS undefined' : `KRS ${fixed(p.krs, 2)}`;
  const alerts = reply.alerts.filter((a) => a.state === 'firing').map((a) => a.kind);
  if (!quiet)
    cliIo().stderr.write(
      `serve: posted to ${target.url} run '${target.run}' as point ${p.id}${p.step !== null ? ` (step ${p.step})` : ''}: ${krs}${alerts.length ? `; alerts firing: ${alerts.join(', ')}` : ''}\n`,
    );
  return reply;
}
