/** `classification` — image (or any) classification: α = 0.3, linear CKA, KL agreement of logits. */
import { klAgreementSpec } from '../agreement/classification.js';
import { always, type TaskSpec } from './spec.js';

export const classification = {
  name: 'classification',
  title: 'classification',
  alpha: 0.3,
  similarityText: 'cka',
  similarityFor: always('cka'),
  pool: 'flatten',
  outputKeys: ['logits', 'probs'],
  outputSource: 'capture',
  labelMaps: false,
  agreement: klAgreementSpec,
  targetMetric: 'accuracy',
  reportSections: [],
} satisfies TaskSpec;
