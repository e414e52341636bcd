/**
 * `krs layers`: every tensor of an ONNX model that can be tapped, in graph order.
 */
import type { Command } from 'commander';
import type { LayersResult } from '../runtime/inspect.js';
import type { Dim } from '../runtime/onnx-model.js';
import { JSON_FLAG } from './common-flags.js';
import { addFlags, type FlagsOf, flag } from './flag-table.js';
import { table, toJson } from './format.js';
import { cliIo } from './io.js';
import { MODEL_FLAG } from './model-options.js';

/** The flags of `krs layers`. */
export const LAYERS_FLAGS = [MODEL_FLAG, flag('--no-infer', 'do not run the model on zeros to infer shapes the file does not record'), JSON_FLAG] as const;

export function registerLayers(program: Command): void {
  const cmd = program.command('layers').description('list the tensors of an ONNX model that can be tapped (name, op, type, shape), inputs and outputs marked');
  addFlags(cmd, LAYERS_FLAGS).action(async (o: FlagsOf<typeof LAYERS_FLAGS>) => {
    // The ONNX runtime and model decoder load here, when the command runs (not for --help).
    const [{ listLayers }, { fmtDims }] = await Promise.all([import('../runtime/inspect.js'), import('../runtime/onnx-model.js')]);
    const r = await listLayers(o.model, { infer: o.infer });
    cliIo().stdout.write(o.json ? `${toJson(r)}\n` : `${renderLayers(r, fmtDims)}\n`);
    for (const n of r.notes) cliIo().stderr.write(`note: ${n}\n`);
  });
}

/** The text table of `krs layers`; `fmtDims` formats a shape (`runtime/onnx-model`'s, passed in so this file stays light). */
export function renderLayers(r: LayersResult, fmtDims: (shape: readonly Dim[] | null) => string): string {
  const head = [`${r.file}: opset ${r.opset ?? '?'}, IR ${r.irVersion ?? '?'}${r.producer ? `, from ${r.producer}` : ''}`];
  if (r.externalData.length) head.push(`external data: ${r.externalData.join(', ')}`);
  const rows = r.tensors.map((t, i) => [String(i), t.name, t.op, t.dtype ?? '?', fmtDims(t.shape), t.role ?? '']);
  return [
    ...head,
    '',
    table(['#', 'tensor', 'op', 'type', 'shape', 'role'], rows),
    '',
    `${r.tensors.length} tensors; shapes ${r.shapes === 'inferred' ? 'inferred by running the model on zeros' : 'as recorded in the file'}`,
  ].join('\n');
}
