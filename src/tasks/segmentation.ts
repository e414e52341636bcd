/** `segmentation` — semantic segmentation: α = 0.7, linear CKA, mIoU of label maps (logits, labels or PNG folders). */
import { segmentationAgreementSpec } from '../agreement/segmentation.js';
import { always, type TaskSpec } from './spec.js';

export const segmentation = {
  name: 'segmentation',
  title: 'semantic segmentation',
  alpha: 0.7,
  similarityText: 'cka',
  similarityFor: always('cka'),
  pool: 'flatten',
  outputKeys: ['logits', 'probs', 'labels'],
  outputSource: 'capture',
  labelMaps: true,
  agreement: segmentationAgreementSpec,
  targetMetric: 'accuracy',
  reportSections: [],
} satisfies TaskSpec;
