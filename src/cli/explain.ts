/**
 * `krs explain`: a case study of single samples (the paper's Table 8) — the teacher's and the
 * student's top-k classes with probabilities, the sample's KL agreement and the per-layer
 * cosine of its features; --worst N lists the samples where the student disagrees most.
 */
import type { Command } from 'commander';
import type { ScoreKind } from '../agreement/output-kind.js';
import { STUDENT_OUTPUTS_OPTION, TEACHER_OUTPUTS_OPTION } from './output-kind-options.js';
import { errors } from '../core/errors.js';
import { POOLINGS, type Pooling } from '../similarity/features.js';
import { collect, parseChoice, parseNumber, parsePositiveInt } from './options.js';

export interface ExplainFlags {
  teacher: string;
  student: string;
  sample?: number;
  id?: string;
  worst?: number;
  k?: number;
  classes?: string;
  pair?: string[];
  outputKey?: string;
  ids?: string;
  temperature?: number;
  teacherOutputs?: ScoreKind;
  studentOutputs?: ScoreKind;
  pool?: Pooling;
  channelsLast?: boolean;
  textChars?: number;
  json?: boolean;
}

/** A non-negative integer (sample indices start at 0). */
function parseIndex(option: string) {
  return (value: string): number => {
    const v = Number(value);
    if (value.trim() === '' || !Number.isInteger(v) || v < 0) throw errors.badOption(option, value, 'a non-negative integer (0-based row index)');
    return v;
  };
}

export function registerExplain(program: Command): void {
  program
    .command('explain')
    .description(
      "case study of single samples: teacher's and student's top-k classes, the sample's KL agreement, per-layer cosine; --worst N lists the largest disagreements",
    )
    .requiredOption('--teacher <capture>', 'teacher capture (.npz, .safetensors, folder of .npy) with n × C logits or probs')
    .requiredOption('--student <capture>', 'student capture, same kinds')
    .option('--sample <i>', 'row (0-based) of the teacher capture to explain', parseIndex('--sample'))
    .option('--id <id>', 'sample id to explain (captures with an id array)')
    .option('--worst <n>', 'list the n samples with the largest KL(teacher‖student)', parsePositiveInt('--worst'))
    .option('--k <k>', 'classes shown per model (default 3)', parsePositiveInt('--k'))
    .option('--classes <file>', 'class names: one per line, or a JSON array')
    .option('--pair <teacher:student>', 'a layer pair (repeatable); default: layers with the same name in both', collect)
    .option('--output-key <key>', 'name of the output array in both captures (default logits, else probs)')
    .option('--ids <key>', 'array of sample ids in both captures (default: ids or sample_ids when both have it)')
    .option('--temperature <t>', 'softmax temperature (default 1)', parseNumber('--temperature'))
    .option(...TEACHER_OUTPUTS_OPTION)
    .option(...STUDENT_OUTPUTS_OPTION)
    .option('--pool <how>', `${POOLINGS.join(', ')}: how a layer's activations become a vector (default flatten)`, parseChoice('--pool', POOLINGS))
    .option('--channels-last', 'spatial activations are NHWC, not NCHW (for --pool gap)')
    .option(
      '--text-chars <n>',
      "characters of a sample's text shown, from the captures' `text` array (default 200; 40 in the --worst table)",
      parsePositiveInt('--text-chars'),
    )
    .option('--json', 'print the result as JSON on stdout')
    // The work loads when the command runs (not for --help or other commands).
    .action(async (o: ExplainFlags) => (await import('./explain-action.js')).explainAction(o));
}
