/**
 * Ranking by a score, largest first (the paper's §4.2.3, Table 5: KD methods ranked by their
 * mean task-metric gain and by their mean KRS gain).
 *
 * Standard competition ranking ("1224"): an item's rank is 1 + the number of items with a
 * strictly larger score, so tied items share the best rank of their group. Items whose score
 * is null are left out (and listed in `unranked`). Order among ties: the input order.
 *
 * Complexity O(n log n).
 *
 * @throws BAD_VALUE for a non-finite score.
 * @example rankDescending([{ key: 'UET', score: 31 }, { key: 'FitNet', score: 13 }])
 *          // ranked: [{ key: 'UET', score: 31, rank: 1 }, { key: 'FitNet', score: 13, rank: 2 }]
 */
import { errors } from '../core/errors.js';

export interface Ranked<K> {
  readonly key: K;
  readonly score: number;
  readonly rank: number;
}

export interface Ranking<K> {
  readonly ranked: readonly Ranked<K>[];
  readonly unranked: readonly K[];
}

/** Rank items by score, largest first. See the module comment. */
export function rankDescending<K>(items: readonly { key: K; score: number | null }[]): Ranking<K> {
  const scored: { key: K; score: number; i: number }[] = [];
  const unranked: K[] = [];
  items.forEach((it, i) => {
    if (it.score === null) unranked.push(it.key);
    else if (!Number.isFinite(it.score)) throw errors.badValue(`score of ${String(it.key)}`, it.score, 'a finite number');
    else scored.push({ key: it.key, score: it.score, i });
  });
  scored.sort((a, b) => b.score - a.score || a.i - b.i);
  const ranked: Ranked<K>[] = [];
  scored.forEach((s, j) => {
    const rank = j > 0 && scored[j - 1]!.score === s.score ? ranked[j - 1]!.rank : j + 1;
    ranked.push({ key: s.key, score: s.score, rank });
  });
  return { ranked, unranked };
}
