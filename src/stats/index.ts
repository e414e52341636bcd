/**
 * Statistics for `krs analyze` (docs/formulas.md §"Analysis statistics"), each agreeing with SciPy to 1e-6 relative
 * (tests: test/stats, fixtures from test/fixtures/stats/make_stats_fixtures.py).
 */

export { type MeanCiResult, meanCi } from './ci.js';
export { normalCdf, tCdf, tQuantile, twoSidedNormalP, twoSidedTP } from './distributions.js';
export { type KendallMethod, type KendallResult, kendallExactP, kendallTau } from './kendall.js';
export { type PearsonResult, pearson } from './pearson.js';
export { type Ranked, type Ranking, rankDescending } from './ranking.js';
export { type AlphaSweep, alphaSweep, gridIntervals, type SweepPoint } from './sensitivity.js';
export { type FiveNumberSummary, fiveNumberSummary, quantileSorted } from './summary.js';
export { type PairedTTestResult, pairedTTest } from './ttest.js';
