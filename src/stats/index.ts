/**
 * Statistics for `krs analyze` (docs/formulas.md §"Analysis statistics"), each agreeing with SciPy to 1e-6 relative
 * (tests: test/stats, fixtures from test/fixtures/stats/make_stats_fixtures.py).
 */
export { pearson, type PearsonResult } from './pearson.js';
export { kendallTau, kendallExactP, type KendallResult, type KendallMethod } from './kendall.js';
export { pairedTTest, type PairedTTestResult } from './ttest.js';
export { meanCi, type MeanCiResult } from './ci.js';
export { fiveNumberSummary, quantileSorted, type FiveNumberSummary } from './summary.js';
export { alphaSweep, gridIntervals, type AlphaSweep, type SweepPoint } from './sensitivity.js';
export { rankDescending, type Ranked, type Ranking } from './ranking.js';
export { tCdf, tQuantile, normalCdf, twoSidedTP, twoSidedNormalP } from './distributions.js';
