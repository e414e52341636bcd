/** The readable KRS block shared by `krs score` and `krs eval`: layer table, FSS, AOA, KRS. */
import type { KrsResult } from '../krs/metric.js';
import { taskSpec } from '../tasks/registry.js';
import { fmt, table } from './format.js';
import { describeKinds, type OutputKinds } from '../agreement/output-kind.js';

/** The flags that set each side's output kind, as the kinds line names them. */
const KIND_FLAGS = ['--teacher-outputs', '--student-outputs'] as const;

/** `outputs  teacher logits (from the values: …); student sigmoid scores (set by --student-outputs)`, when the agreement reads kinds. */
export function kindsLine(kinds: OutputKinds | undefined): string[] {
  return kinds ? [`outputs  ${describeKinds(kinds, KIND_FLAGS)}`, ''] : [];
}

/** The output kinds (when the agreement reads them), the layer-pair table and the FSS / AOA / KRS lines of a result. */
export function krsSummary(r: KrsResult): string[] {
  return [
    ...kindsLine(r.output.kinds as OutputKinds | undefined),
    table(
      ['teacher layer', 'student layer', 'similarity', 'estimator', 'widths', 'score'],
      r.layers.map((l) => [l.teacher, l.student, l.similarity, l.estimator, `${l.teacherWidth}/${l.studentWidth}`, fmt(l.score)]),
    ),
    '',
    `FSS ${fmt(r.fss).padStart(6)}   mean of ${r.layers.length} layer pair${r.layers.length > 1 ? 's' : ''}`,
    `AOA ${fmt(r.aoa).padStart(6)}   ${taskSpec(r.task).agreement.summary(r.output)}`,
    `KRS ${fmt(r.krs).padStart(6)}   = ${r.alpha} × FSS + ${fmt(r.beta, 2)} × AOA`,
  ];
}
