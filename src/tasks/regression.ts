/** `regression` — regression and time-series forecasting: α = 0.5, cosine when widths match (else CKA), normalised MSE. */
import { regressionAgreementSpec } from '../agreement/regression.js';
import { cosineIfEqualWidths, type TaskSpec } from './spec.js';

export const regression = {
  name: 'regression',
  title: 'regression / time series',
  alpha: 0.5,
  similarityText: 'cosine when teacher and student widths match, else cka',
  similarityFor: cosineIfEqualWidths('regression'),
  pool: 'flatten',
  outputKeys: ['predictions', 'outputs', 'logits'],
  outputSource: 'capture',
  labelMaps: false,
  agreement: regressionAgreementSpec,
  targetMetric: 'regression-error',
  reportSections: ['forecast'],
} satisfies TaskSpec;
