/** The readable KRS block shared by `krs score` and `krs eval`: layer table, FSS, AOA, KRS. */
import type { KrsResult } from '../krs/metric.js';
import { taskSpec } from '../tasks/registry.js';
import { fmt, table } from './format.js';

/** The layer-pair table and the FSS / AOA / KRS lines of a result. */
export function krsSummary(r: KrsResult): string[] {
  return [
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
