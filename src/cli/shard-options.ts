/**
 * `--shard i/N` and `--state-out FILE` of `krs score` and `krs eval` (docs/cli.md §"Shards"):
 * shard i (0-based) of N folds its contiguous run of whole batches and writes its metric
 * state to FILE instead of printing a result; `krs merge` combines the files.
 *
 * `--shard auto/N` reads i from the scheduler: `JOB_COMPLETION_INDEX` (Kubernetes Indexed
 * Jobs, 0-based) or `SLURM_ARRAY_TASK_ID` (Slurm job arrays, minus `SLURM_ARRAY_TASK_MIN`
 * when set, so `--array=1-4` and `--array=0-3` both work).
 */
import { errors } from '../core/errors.js';
import type { ShardSpec } from '../krs/shards.js';
import { flag } from './flag-table.js';
import { cliIo } from './io.js';

/** `--shard` and `--state-out` (score, eval). */
export const SHARD_FLAG = flag(
  '--shard <i/N>',
  'process shard i (0-based) of N: a contiguous run of whole batches of the samples; i = auto reads JOB_COMPLETION_INDEX or SLURM_ARRAY_TASK_ID; needs --state-out',
);
export const STATE_OUT_FLAG = flag(
  '--state-out <file>',
  "write the run's metric state to file (a safetensors file) for `krs merge`, instead of printing a result",
);
export const SHARD_FLAGS = [SHARD_FLAG, STATE_OUT_FLAG] as const;

/**
 * Parse `i/N` or `auto/N`, reading the environment of the run for `auto`.
 * @throws BAD_OPTION naming the value and what is expected.
 */
export function parseShard(value: string, env: Readonly<Record<string, string | undefined>> = cliIo().env): ShardSpec {
  const m = /^\s*(auto|\d+)\s*\/\s*(\d+)\s*$/.exec(value);
  if (!m) throw errors.badOption('--shard', value, 'i/N with 0 ≤ i < N (e.g. 0/4), or auto/N');
  const count = Number(m[2]);
  if (!Number.isSafeInteger(count) || count < 1) throw errors.badOption('--shard', value, 'N ≥ 1 shards');
  let index: number;
  if (m[1] === 'auto') {
    const k8s = env.JOB_COMPLETION_INDEX;
    const slurm = env.SLURM_ARRAY_TASK_ID;
    const raw = k8s ?? slurm;
    if (raw === undefined || !/^\d+$/.test(raw.trim())) {
      throw errors.badOption(
        '--shard',
        value,
        `a shard index in JOB_COMPLETION_INDEX (Kubernetes Indexed Job) or SLURM_ARRAY_TASK_ID (Slurm array), found ${raw === undefined ? 'neither' : JSON.stringify(raw)}`,
      );
    }
    const min = k8s === undefined && env.SLURM_ARRAY_TASK_MIN !== undefined ? Number(env.SLURM_ARRAY_TASK_MIN) : 0;
    index = Number(raw) - (Number.isSafeInteger(min) ? min : 0);
  } else {
    index = Number(m[1]);
  }
  if (!Number.isSafeInteger(index) || index < 0 || index >= count) {
    throw errors.badOption('--shard', value, `an index from 0 to ${count - 1} (got ${index}${m[1] === 'auto' ? ' from the environment' : ''})`);
  }
  return { index, count };
}

/** The shard and file of a run, or null when neither flag is given. @throws BAD_OPTION for --shard without --state-out. */
export function shardRun(o: { shard?: string; stateOut?: string }): { spec: ShardSpec; file: string } | null {
  if (o.shard === undefined && o.stateOut === undefined) return null;
  if (!o.stateOut) throw errors.badOption('--state-out', null, "a file for the shard's state (--shard writes a state, not a result)");
  return { spec: o.shard === undefined ? { index: 0, count: 1 } : parseShard(o.shard), file: o.stateOut };
}

/** One line about a written state: which shard, which samples, where, how big. */
export function stateLine(spec: ShardSpec, range: readonly [number, number], samples: number, file: string, bytes: number): string {
  const size = bytes >= 2 ** 20 ? `${(bytes / 2 ** 20).toFixed(1)} MiB` : `${(bytes / 2 ** 10).toFixed(1)} KiB`;
  return `shard ${spec.index}/${spec.count}: samples [${range[0]}, ${range[1]}) of ${samples} → ${file} (${size})`;
}
