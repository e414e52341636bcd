/**
 * `nlp` — language models and text classifiers: α = 0.5; hidden states mean-pooled over tokens
 * (honouring `attention_mask`), cosine when widths match (else CKA), KL agreement of logits
 * (token-level logits masked the same way).
 */
import { klAgreementSpec } from '../agreement/classification.js';
import { cosineIfEqualWidths, type TaskSpec } from './spec.js';

export const nlp = {
  name: 'nlp',
  title: 'NLP',
  alpha: 0.5,
  similarityText: 'cosine when teacher and student widths match, else cka',
  similarityFor: cosineIfEqualWidths('nlp'),
  pool: 'mean',
  outputKeys: ['logits', 'probs'],
  maskKey: 'attention_mask',
  outputSource: 'capture',
  labelMaps: false,
  agreement: klAgreementSpec,
  targetMetric: 'accuracy',
  reportSections: [],
} satisfies TaskSpec;
