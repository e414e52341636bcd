/**
 * The linear CKA family (`cka`, `cka-debiased`) as one streaming measure with two routes:
 *
 * - `exact`: float64 feature-space sufficient statistics over the whole data set
 *   ({@link LinearStats}; memory ≈ 8·(p² + q²)/2 + 8·p·q bytes), used while
 *   max(p, q) ≤ `maxExactWidth`;
 * - `minibatch`: the minibatch unbiased-HSIC estimator ({@link MinibatchHsicState}) for
 *   wider layers, a different quantity that depends on the batch size — every result that
 *   used it says so in `estimator` and in a warning.
 *
 * Biased linear CKA = ‖XᶜᵀYᶜ‖²_F / (‖XᶜᵀXᶜ‖_F‖YᶜᵀYᶜ‖_F) ∈ [0, 1]; debiased CKA replaces the
 * three HSIC terms by Song et al.'s unbiased estimator (docs/formulas.md, "Debiased CKA").
 */
import { errors } from '../core/errors.js';
import { asRecord } from '../core/state-json.js';
import { assertNotConstant, debiasedCkaFromCentred, linearCkaFromCentred } from './centred-cka.js';
import { centre, initLinearStats, type LinearStats, linearStatsFromJSON, linearStatsToJSON, mergeLinearStats, updateLinearStats } from './linear-stats.js';
import { initMinibatchHsic, type MinibatchHsicState, minibatchCka, minibatchHsicFromJSON, mergeMinibatchHsic, updateMinibatchHsic } from './minibatch-hsic.js';
import type { SimilarityMeasure, SimilaritySettings } from './spec.js';

/** Default widest layer for exact statistics: three float64 matrices of at most 4096² entries. */
export const DEFAULT_MAX_EXACT_WIDTH = 4096;

export type LinearCkaState = { route: 'exact'; stats: LinearStats } | { route: 'minibatch'; stats: MinibatchHsicState };

/**
 * The measure of biased (`debiased = false`) or debiased linear CKA for widths p and q.
 * The route is fixed by the widths: exact while max(p, q) ≤ `settings.maxExactWidth`.
 */
export function linearCkaMeasure(debiased: boolean, p: number, q: number, settings: SimilaritySettings): SimilarityMeasure<LinearCkaState> {
  const { backend, teacherName: t, studentName: s, maxExactWidth } = settings;
  const route: LinearCkaState['route'] = Math.max(p, q) <= maxExactWidth ? 'exact' : 'minibatch';
  const name = debiased ? 'cka-debiased' : 'cka';
  return {
    name,
    init: () => (route === 'exact' ? { route, stats: initLinearStats(p, q, debiased) } : { route, stats: initMinibatchHsic(p, q) }),

    update: (state, { x, y, rows, locateNonFinite }) =>
      state.route === 'exact' ? updateLinearStats(state.stats, x, y, rows, backend, locateNonFinite) : updateMinibatchHsic(state.stats, x, y, rows, backend),

    async compute(state) {
      const warnings: string[] = [];
      if (state.route === 'minibatch') {
        warnings.push(
          `layer pair '${t}':'${s}' is too wide for exact CKA (${Math.max(p, q)} > ${maxExactWidth}): used the minibatch unbiased-HSIC estimator over ${state.stats.batches} batches`,
        );
        return { value: minibatchCka(state.stats, t, s), estimator: 'minibatch-unbiased-hsic', batches: state.stats.batches, warnings };
      }
      const c = centre(state.stats);
      assertNotConstant(c, t, s);
      if (debiased) return { value: debiasedCkaFromCentred(c, t, s), estimator: 'exact', warnings };
      if (Math.max(p, q) > c.n) {
        warnings.push(
          `layer pair '${t}':'${s}' is wider (${Math.max(p, q)}) than the sample count (${c.n}): biased CKA is inflated; consider the cka-debiased similarity`,
        );
      }
      return { value: linearCkaFromCentred(c), estimator: 'exact', warnings };
    },

    merge(a, b) {
      if (a.route === 'exact' && b.route === 'exact') return { route: 'exact', stats: mergeLinearStats(a.stats, b.stats) };
      if (a.route === 'minibatch' && b.route === 'minibatch') return { route: 'minibatch', stats: mergeMinibatchHsic(a.stats, b.stats) };
      throw errors.incompatibleStates(name, 'merge', `one state is ${a.route}, the other ${b.route}`);
    },

    toJSON: (state) => ({ route: state.route, stats: state.route === 'exact' ? linearStatsToJSON(state.stats) : { ...state.stats } }),

    fromJSON(json) {
      const o = asRecord(json, name);
      if (o.route !== route) throw errors.badState(name, `route must be ${route} for widths ${p} and ${q}, got ${JSON.stringify(o.route)}`);
      const restored: LinearCkaState = route === 'exact' ? { route, stats: linearStatsFromJSON(o.stats) } : { route, stats: minibatchHsicFromJSON(o.stats) };
      if (restored.stats.p !== p || restored.stats.q !== q) {
        throw errors.badState(name, `widths ${restored.stats.p} and ${restored.stats.q} differ from the layer pair's ${p} and ${q}`);
      }
      if (restored.route === 'exact' && restored.stats.moments !== debiased) {
        throw errors.badState(name, `it was made for ${restored.stats.moments ? 'cka-debiased' : 'cka'}`);
      }
      return restored;
    },
  };
}
