/**
 * `krs capture`: run one ONNX model on a data set and write a capture (.npz) of the tapped
 * layers, the output, the targets and the sample ids; `--pool` pools the taps before they are
 * written (`gap` for every tap, `NAME=gap` for one).
 */
import type { Command } from 'commander';
import { errors, fmtShape } from '../core/errors.js';
import { checkFileTarget } from '../io/node-atomic-write.js';
import { CAPTURE_POOLS, parsePoolOption } from '../runtime/capture-pool.js';
import type { CaptureResult } from '../runtime/capture-run.js';
import { JSON_FLAG, NO_PROGRESS_FLAG } from './common-flags.js';
import { addFlags, type FlagsOf, flag } from './flag-table.js';
import { fmt, toJson } from './format.js';
import { cliIo } from './io.js';
import { DATA_FLAGS, datasetOptions, MODEL_FLAG, modelFlags, modelFlagTable, parseList, sideOptions } from './model-options.js';
import { parsePositiveInt } from './options.js';

/** The flags of `krs capture` (with the unprefixed model flags and the data-set flags). */
export const CAPTURE_FLAGS = [
  MODEL_FLAG,
  flag('--input <data>', 'data: mnist (built-in digits), .npy/.npz, a folder of PNG/JPEG images, or a .csv time series (with --window)', {
    required: true,
  }),
  flag('--layers <a,b>', 'tensors to tap: names (see `krs layers`) or @Op for every output of an op, e.g. @Conv,@Relu', { parse: () => parseList }),
  flag(
    '--pool <how>',
    `pool taps before writing them: ${CAPTURE_POOLS.join('|')} for every tap, or TAP=${CAPTURE_POOLS.join('|')} for one (repeatable; overrides the default). ` +
      'gap: mean over the spatial axes of maps (N, C, H, W) → (N, C) (NHWC with --channels-last); mean: over the tokens of (N, T, D) → (N, D); ' +
      'flatten: as the model gives it (the default). Rank-2 taps are kept as they are by a default pooling; the pooled arrays are recorded in krs.json inside the capture',
    { parse: () => parsePoolOption },
  ),
  flag('--out <file.npz>', 'the capture to write (atomically: on failure or interrupt an existing file there is left as it was)', { required: true }),
  ...modelFlagTable(null),
  ...DATA_FLAGS,
  flag('--threads <n>', 'ONNX Runtime threads (default: all cores)', { parse: parsePositiveInt }),
  flag('--no-worker', 'run the model on the main thread (no progress redraw while it runs)'),
  NO_PROGRESS_FLAG,
  JSON_FLAG,
] as const;

export type CaptureFlags = FlagsOf<typeof CAPTURE_FLAGS>;

export function registerCapture(program: Command): void {
  const cmd = program.command('capture').description('run an ONNX model on a data set and write the tapped layers and outputs as a capture (.npz)');
  addFlags(cmd, CAPTURE_FLAGS).action(captureAction);
}

/** The action of `krs capture`: check the target, run the model, print what was written. */
async function captureAction(o: CaptureFlags): Promise<void> {
  checkFileTarget(o.out, 'the capture');
  if (!o.out.toLowerCase().endsWith('.npz')) throw errors.badOption('--out', o.out, 'a path ending in .npz');
  // The data readers and the ONNX runtime load here, when the command runs (not for --help).
  const [{ openDataset }, { runCapture }, { progressBar }] = await Promise.all([
    import('../runtime/data/open.js'),
    import('../runtime/capture-run.js'),
    import('./progress.js'),
  ]);
  const data = openDataset(o.input, datasetOptions(o));
  const bar = progressBar('capture', o.progress);
  let r: CaptureResult;
  try {
    r = await runCapture({
      model: sideOptions(o.model, modelFlags(o, null), o.layers),
      data,
      out: o.out,
      batchSize: o.batchSize,
      worker: o.worker,
      threads: o.threads,
      ...(o.pool ? { pool: { ...o.pool, channelsLast: o.channelsLast ?? false } } : {}),
      onProgress: (d, t) => bar.update(d, t),
    });
  } finally {
    bar.stop();
  }
  cliIo().stdout.write(o.json ? `${toJson(r)}\n` : `${renderCapture(r)}\n`);
  for (const w of r.warnings) cliIo().stderr.write(`warning: ${w}\n`);
}

export function renderCapture(r: CaptureResult): string {
  const lines = [`wrote ${r.out}: ${r.n} samples of ${r.data.name} through ${r.model.file}`];
  for (const a of r.arrays) {
    const p = r.pooled[a.key];
    lines.push(
      `  ${a.key}  ${a.dtype}${fmtShape(a.shape)}${p ? `  (${p.pool} of ${fmtShape(p.shape)}${p.pool === 'gap' && p.channelsLast ? ', channels last' : ''})` : ''}`,
    );
  }
  if (r.accuracy !== null) lines.push(`accuracy on the targets: ${fmt(r.accuracy * 100)}%`);
  lines.push(`${fmt(r.timing.totalMs / 1000, 1)} s, ${fmt(r.timing.samplesPerSecond, 0)} samples/s (inference ${fmt(r.timing.inferenceMs / 1000, 1)} s)`);
  return lines.join('\n');
}
