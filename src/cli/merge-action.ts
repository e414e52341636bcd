/**
 * What `krs merge` does (declared in `merge.ts`): read the state files, merge them, and
 * print the result as `krs score`/`krs eval` would, or write the merged state.
 */
import { errors } from '../core/errors.js';
import { checkInterrupt } from '../io/interrupt.js';
import { readStateFileAsync, writeStateFileAsync } from '../io/node-state-file.js';
import { asShardDocument, coveredSamples, mergeShardDocuments, type ShardDocument } from '../krs/shards.js';
import type { MatrixBackend } from '../linalg/backend.js';
import { type BackendChoice, chooseBackend } from './backend.js';
import { toJson } from './format.js';
import { cliIo } from './io.js';
import type { MergeFlags } from './merge.js';

/** The action of `krs merge`. */
export async function mergeCommand(files: readonly string[], o: MergeFlags): Promise<void> {
  // Read with stop points: a signal during a large state file is acted on within a chunk.
  const docs: { source: string; document: ShardDocument }[] = [];
  for (const source of files) docs.push({ source, document: asShardDocument(await readStateFileAsync(source), source) });
  if (o.stateOut) {
    if (o.report || o.charts)
      throw errors.badOption(o.report ? '--report' : '--charts', o.report ?? o.charts, 'a result, not --state-out (merge the states into a result first)');
    const { document, warnings } = mergeShardDocuments(docs, { allowPartial: o.allowPartial, allowGaps: true });
    const bytes = await writeStateFileAsync(o.stateOut, document);
    const covered = coveredSamples(document);
    const ranges = document.parts.map((p) => p.range);
    const shards = document.parts.flatMap((p) => p.shards);
    cliIo().stdout.write(
      o.json
        ? `${toJson({ file: o.stateOut, bytes, samples: document.samples, covered, ranges, shards })}\n`
        : `merged ${docs.length} states (shards ${shards.join(', ')}): ${covered} of ${document.samples} samples in ${ranges.map(([a, b]) => `[${a}, ${b})`).join(', ')} → ${o.stateOut}\n`,
    );
    for (const w of warnings) cliIo().stderr.write(`warning: ${w}\n`);
    return;
  }
  const { document, warnings } = mergeShardDocuments(docs, { allowPartial: o.allowPartial });
  await checkInterrupt();
  const backend = await chooseBackend(o.backend ?? shardsBackend(document));
  try {
    await printMerged(document, warnings, o, backend.backend);
  } finally {
    await backend.dispose();
  }
}

/**
 * The backend the shards scored with (recorded in their settings), so that the final compute
 * (e.g. the sample-space Gram pass) runs on the same arithmetic as the single run would.
 */
function shardsBackend(document: ShardDocument): BackendChoice {
  const s = document.settings as { backend?: unknown; students?: { backend?: unknown }[] };
  const name = s.backend ?? s.students?.[0]?.backend;
  if (name === 'typescript-f64') return 'typescript';
  if (name === 'onnxruntime-f32') return 'onnxruntime';
  return name === 'openblas-f32' ? 'openblas' : 'auto';
}

/** Print the merged run as its own command would. */
async function printMerged(document: ShardDocument, mergeWarnings: readonly string[], o: MergeFlags, backend: MatrixBackend): Promise<void> {
  const io = cliIo();
  if (document.command === 'score') {
    const [{ finishScoreDocument }, { renderScore, renderStudents }, { printStudents }, { scoreReportInput, writeCliReport }] = await Promise.all([
      import('./score-shard.js'),
      import('./score-action.js'),
      import('./krs-summary.js'),
      import('./report-options.js'),
    ]);
    const { results, names, report } = await finishScoreDocument(document, backend);
    const all = results.map((r) => ({ ...r, warnings: [...r.warnings, ...mergeWarnings] }));
    if (all.length > 1) {
      if (o.report || o.charts)
        throw errors.badOption(o.report ? '--report' : '--charts', o.report ?? o.charts, 'one student only (a report shows one student)');
      printStudents(all, names, o.json, renderStudents);
      return;
    }
    const result = all[0]!;
    await writeCliReport(o, () => scoreReportInput(report as never, result, o.backend));
    io.stdout.write(o.json ? `${toJson(result)}\n` : `${renderScore(result)}\n`);
    for (const w of result.warnings) io.stderr.write(`warning: ${w}\n`);
    return;
  }
  if (document.command === 'eval') {
    const [{ finishEvalDocument }, { renderEval }, { evalReportInput, writeCliReport }] = await Promise.all([
      import('./eval-shard.js'),
      import('./eval-action.js'),
      import('./report-options.js'),
    ]);
    const r = await finishEvalDocument(document, backend);
    const result = { ...r, warnings: [...r.warnings, ...mergeWarnings] };
    await writeCliReport(o, () => evalReportInput(result));
    io.stdout.write(o.json ? `${toJson(result)}\n` : `${renderEval(result)}\n`);
    for (const w of result.warnings) io.stderr.write(`warning: ${w}\n`);
    return;
  }
  throw errors.badValue('command of the state files', document.command, 'score or eval');
}
