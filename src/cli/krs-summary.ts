/** The readable KRS block shared by `krs score` and `krs eval`: layer table, FSS, AOA, KRS. */
import type { KrsResult } from '../krs/metric.js';
import type { OutputResult } from '../krs/output.js';
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
    `AOA ${fmt(r.aoa).padStart(6)}   ${describeOutput(r.output)}`,
    `KRS ${fmt(r.krs).padStart(6)}   = ${r.alpha} × FSS + ${fmt(r.beta, 2)} × AOA`,
  ];
}

/** One line saying what the AOA measured, with its extras. */
export function describeOutput(out: OutputResult): string {
  switch (out.metric) {
    case 'kl-agreement':
      return `KL agreement, τ = ${out.temperature}: mean KL ${fmt(out.meanKl, 4)} nats, top-1 agreement ${fmt(out.top1Agreement * 100, 1)}%, top-${out.topK} overlap ${fmt(out.top5Overlap * 100, 1)}%, JS ${fmt(out.jsDivergence, 4)} nats`;
    case 'iou-agreement':
      return `IoU agreement over ${out.images} images: ${out.matchedPairs} matched pairs of ${out.teacherBoxes} teacher / ${out.studentBoxes} student boxes, mean matched IoU ${fmt(out.meanMatchedIou, 3)}`;
    case 'miou':
      return `mIoU over ${out.classes} classes, pixel agreement ${fmt(out.pixelAgreement * 100, 1)}%`;
    case 'normalised-mse':
      return `normalised MSE: MSE ${fmt(out.mse, 6)} / ${out.normaliserSource === 'mse-max' ? '--mse-max' : 'teacher variance'} ${fmt(out.normaliser, 6)}`;
  }
}
