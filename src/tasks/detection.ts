/** `detection` — object detection: α = 0.7, linear CKA, IoU agreement of COCO-results detections. */
import { detectionAgreementSpec } from '../agreement/detection.js';
import { always, type TaskSpec } from './spec.js';

export const detection = {
  name: 'detection',
  title: 'object detection',
  alpha: 0.7,
  similarityText: 'cka',
  similarityFor: always('cka'),
  pool: 'flatten',
  outputKeys: [],
  outputSource: 'coco-detections',
  labelMaps: false,
  agreement: detectionAgreementSpec,
  targetMetric: null,
  reportSections: [],
} satisfies TaskSpec;
