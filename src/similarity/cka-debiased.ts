/**
 * `cka-debiased` — linear CKA with the unbiased HSIC estimator (Song et al., 2012; as used
 * for CKA by Nguyen, Raghu & Kornblith, 2021), computed exactly over the whole data set from
 * streamable sums. Corrects biased CKA's inflation when layers are wider than the sample
 * count. The unbiased estimator is not an inner product, so a value may fall below 0 (two
 * unrelated layers) — it is reported as computed.
 */
import { type LinearCkaState, linearCkaMeasure, linearGramShares, linearPlan } from './linear-cka.js';
import type { SimilaritySpec } from './spec.js';

export const ckaDebiased: SimilaritySpec<LinearCkaState> = {
  name: 'cka-debiased',
  title: 'debiased linear CKA',
  description: 'linear CKA with unbiased HSIC estimates: not inflated by layers wider than the sample count; near 0 (possibly below) for unrelated layers',
  bounds: [-1, 1],
  estimators: ['exact', 'minibatch-unbiased-hsic'],
  equalWidths: false,
  checksFiniteItself: true,
  plan: linearPlan(true),
  gramShares: linearGramShares(true),
  measure: (p, q, settings) => linearCkaMeasure(true, p, q, settings),
};
