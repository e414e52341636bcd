/**
 * `krs explain`: a case study of single samples (the paper's Table 8) — the teacher's and the
 * student's top-k classes with probabilities, the sample's KL agreement and the per-layer
 * cosine of its features; --worst N lists the samples where the student disagrees most.
 */
import type { Command } from 'commander';
import { errors } from '../core/errors.js';
import { POOLINGS } from '../similarity/features.js';
import type { AgreementOptionValues } from '../tasks/agreement-options.js';
import { agreementFlags } from './agreement-options.js';
import { CHANNELS_LAST_FLAG, IDS_FLAG, JSON_FLAG, PAIR_FLAG } from './common-flags.js';
import { addFlags, type FlagsOf, flag } from './flag-table.js';
import { oneOf, parsePositiveInt } from './options.js';
import { STUDENT_OUTPUTS_FLAG, TEACHER_OUTPUTS_FLAG } from './output-kind-options.js';

/** A non-negative integer (sample indices start at 0). */
function parseIndex(option: string) {
  return (value: string): number => {
    const v = Number(value);
    if (value.trim() === '' || !Number.isInteger(v) || v < 0) throw errors.badOption(option, value, 'a non-negative integer (0-based row index)');
    return v;
  };
}

/** The flags of `krs explain`; `--temperature` is KL agreement's own (generated from its declaration). */
export const EXPLAIN_FLAGS = [
  flag('--teacher <capture>', 'teacher capture (.npz, .safetensors, folder of .npy) with n × C logits or probs', { required: true }),
  flag('--student <capture>', 'student capture, same kinds', { required: true }),
  flag('--sample <i>', 'row (0-based) of the teacher capture to explain', { parse: parseIndex }),
  flag('--id <id>', 'sample id to explain (captures with an id array)'),
  flag('--worst <n>', 'list the n samples with the largest KL(teacher‖student)', { parse: parsePositiveInt }),
  flag('--k <k>', 'classes shown per model (default 3)', { parse: parsePositiveInt }),
  flag('--classes <file>', 'class names: one per line, or a JSON array'),
  PAIR_FLAG,
  flag('--output-key <key>', 'name of the output array in both captures (default logits, else probs)'),
  IDS_FLAG,
  TEACHER_OUTPUTS_FLAG,
  STUDENT_OUTPUTS_FLAG,
  flag('--pool <how>', `${POOLINGS.join(', ')}: how a layer's activations become a vector (default flatten)`, { parse: oneOf(POOLINGS) }),
  CHANNELS_LAST_FLAG,
  flag('--text-chars <n>', "characters of a sample's text shown, from the captures' `text` array (default 200; 40 in the --worst table)", {
    parse: parsePositiveInt,
  }),
  JSON_FLAG,
] as const;

export type ExplainFlags = FlagsOf<typeof EXPLAIN_FLAGS> & Pick<AgreementOptionValues, 'temperature'>;

export function registerExplain(program: Command): void {
  const cmd = program
    .command('explain')
    .description(
      "case study of single samples: teacher's and student's top-k classes, the sample's KL agreement, per-layer cosine; --worst N lists the largest disagreements",
    );
  addFlags(cmd, [...EXPLAIN_FLAGS, ...agreementFlags(['temperature'])])
    // The work loads when the command runs (not for --help or other commands).
    .action(async (o: ExplainFlags) => (await import('./explain-action.js')).explainAction(o));
}
