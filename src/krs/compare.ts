/**
 * Paired comparisons of students scored against one teacher on the same samples
 * (docs/formulas.md §"Intervals"): for students A and B, Δ = score(B) − score(A) for KRS,
 * FSS and AOA, with the paired delete-a-group jackknife over the leave-one-group-out values
 * both results carry ({@link pairedJackknife}: Δ₋g = B₋g − A₋g; 95 % t interval and
 * two-sided t-test p-value on G − 1 degrees of freedom). "Is B better than A?" is answered
 * by the sign of Δ, its interval and p.
 *
 * Both results must come from the same samples split into the same groups (same n, same
 * group sizes): otherwise the comparison is unavailable (null, with the reason).
 */
import { pairedJackknife } from '../stats/jackknife.js';
import type { KrsResult } from './metric.js';

type Triple<T> = { krs: T; fss: T; aoa: T };

export interface Comparison {
  /** Names (files) of the two students; Δ = b − a. */
  a: string;
  b: string;
  delta: Triple<number>;
  ci95: Triple<[number, number] | null>;
  se: Triple<number | null>;
  p: Triple<number | null>;
  /** Groups of the paired jackknife (0 when unavailable). */
  groups: number;
  /** Why an interval or p-value is missing, by score. */
  reasons: Partial<Triple<string>>;
}

export interface NamedResult {
  name: string;
  result: KrsResult;
}

/** Every pair of students, in the order given: (0, 1), (0, 2), …, (1, 2), …; Δ = later − earlier. */
export function compareStudents(results: readonly NamedResult[]): Comparison[] {
  const out: Comparison[] = [];
  for (let i = 0; i < results.length; i++) for (let j = i + 1; j < results.length; j++) out.push(compareTwo(results[i]!, results[j]!));
  return out;
}

/** B − A for KRS, FSS and AOA. */
export function compareTwo(a: NamedResult, b: NamedResult): Comparison {
  const ra = a.result;
  const rb = b.result;
  const keys = ['krs', 'fss', 'aoa'] as const;
  const delta = { krs: rb.krs - ra.krs, fss: rb.fss - ra.fss, aoa: rb.aoa - ra.aoa };
  const c: Comparison = {
    a: a.name,
    b: b.name,
    delta,
    ci95: { krs: null, fss: null, aoa: null },
    se: { krs: null, fss: null, aoa: null },
    p: { krs: null, fss: null, aoa: null },
    groups: 0,
    reasons: {},
  };
  const mismatch = sameGroups(ra, rb);
  for (const k of keys) {
    const repA = ra.intervals.replicates[k];
    const repB = rb.intervals.replicates[k];
    if (mismatch) {
      c.reasons[k] = mismatch;
      continue;
    }
    if (!repA || !repB) {
      c.reasons[k] =
        `no leave-one-group-out values for ${k.toUpperCase()} of ${!repA ? a.name : b.name}: ${(!repA ? ra : rb).intervals.reasons[k] ?? 'intervals are off'}`;
      continue;
    }
    const r = pairedJackknife({ estimate: ra[k], replicates: repA }, { estimate: rb[k], replicates: repB }, `Δ${k.toUpperCase()}`);
    c.ci95[k] = r.ci95;
    c.se[k] = r.se;
    c.p[k] = r.p;
    c.groups = repA.length;
    if (r.reason) c.reasons[k] = r.reason;
  }
  return c;
}

/** Why two results cannot be paired, or null when they share samples and groups. */
function sameGroups(a: KrsResult, b: KrsResult): string | null {
  if (a.n !== b.n) return `the students were scored on different numbers of samples (${a.n} and ${b.n})`;
  const ga = a.intervals.groupRows;
  const gb = b.intervals.groupRows;
  if (a.intervals.blocks !== b.intervals.blocks || ga.length !== gb.length || ga.some((r, i) => r !== gb[i])) {
    return `the students' samples were split into different groups (${ga.length} and ${gb.length} groups)`;
  }
  return null;
}
