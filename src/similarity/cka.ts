/**
 * `cka` — linear CKA (Kornblith et al., 2019), the default feature similarity:
 *
 *     CKA(X, Y) = ‖XᶜᵀYᶜ‖²_F / (‖XᶜᵀXᶜ‖_F · ‖YᶜᵀYᶜ‖_F) ∈ [0, 1]
 *
 * on column-centred features; equal to the biased-HSIC Gram form. Exact over the whole data
 * set in one streaming pass (see {@link linearCkaMeasure} for the routes).
 */
import { type LinearCkaState, linearCkaMeasure, linearGramShares, linearPlan } from './linear-cka.js';
import type { SimilaritySpec } from './spec.js';

export const cka: SimilaritySpec<LinearCkaState> = {
  name: 'cka',
  title: 'linear CKA',
  description: 'linear centred kernel alignment: how alike two layers represent the same samples, up to rotation and isotropic scaling',
  bounds: [0, 1],
  estimators: ['exact', 'minibatch-unbiased-hsic'],
  equalWidths: false,
  checksFiniteItself: true,
  plan: linearPlan(false),
  gramShares: linearGramShares(false),
  measure: (p, q, settings) => linearCkaMeasure(false, p, q, settings),
};
