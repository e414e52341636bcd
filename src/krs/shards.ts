/**
 * Sharded runs (docs/formulas.md §"Shards"): shard i of N folds a contiguous run of whole
 * batches of the samples into its metrics and writes a {@link ShardDocument}; merging the
 * documents of all shards, in any order or tree, gives the metrics of the single run.
 *
 * Why exact: a metric state is a sum over samples (float64 sufficient statistics, per
 * interval group); each sample is put in the group it has in the whole run (`firstSample`),
 * shards cut the run at batch bounds (so even the minibatch estimator sees the same batches),
 * and merging adds the states. Only the order of float64 additions differs: results agree to
 * rounding (≈1e-15 relative; tested at 1e-12).
 *
 * A document carries what must agree across shards (`settings`, compared field by field), the
 * sample ranges it covers (overlaps and gaps are errors unless allowed, then warnings naming
 * them), the metric states by name, additive counters (`sums`) and the context a result
 * reports (`context`, from the first document).
 */
import { errors, KrsError } from '../core/errors.js';
import { asRecord } from '../core/state-json.js';
import { MIN_MINIBATCH } from '../similarity/minibatch-hsic.js';
import { addGramShares, type GramShareJSON, reducedPairs } from './gram-shards.js';
import { KrsMetric, STATE_VERSION as METRIC_STATE_VERSION, type ReducedPair } from './metric.js';

/** Shard `index` (0-based) of `count`. */
export interface ShardSpec {
  readonly index: number;
  readonly count: number;
}

/** The kind of document (`format`) and its version. */
const SHARD_FORMAT = 'krs-shard';
const SHARD_VERSION = 1;

export interface ShardDocument {
  format: typeof SHARD_FORMAT;
  version: typeof SHARD_VERSION;
  /** The command whose run this is (`score`, `eval`): merge prints that command's output. */
  command: string;
  /** Everything that must agree across shards (task, pairs, similarity, α, temperature, …). */
  settings: Record<string, unknown>;
  /** Samples of the whole run. */
  samples: number;
  /**
   * The metric states by sample range, sorted by range: one part per run of adjacent shards
   * (merging joins adjacent parts, always in sample order — so any merge order or tree folds
   * the same states in the same order).
   */
  parts: ShardPart[];
  /** Counters that add across shards (correct predictions, timings…). */
  sums: Record<string, number>;
  /** What the result reports besides the metrics (files, output kinds, warnings of the setup). */
  context: Record<string, unknown>;
  /**
   * The sample-space pairs' Gram shares (src/krs/gram-shards.ts), when the run has such pairs:
   * which of the `count` shares are in, and their added sums by metric name and pair index.
   */
  gram?: GramShares;
}

export interface GramShares {
  count: number;
  shares: number[];
  metrics: Record<string, Record<string, GramShareJSON>>;
}

/** The states of a contiguous range of samples. */
export interface ShardPart {
  /** Samples [start, end) of the run. */
  range: [number, number];
  /** The shards merged into it, as `i/N`. */
  shards: string[];
  /** Metric states ({@link KrsMetric.toJSON}) by name. */
  metrics: Record<string, unknown>;
}

/**
 * The refusal of N shards over B < N batches (never N − B empty shards without a word): names
 * the batches and the `--batch-size` that gives every shard one — ⌊n/N⌋, when that is at least
 * the smallest batch ({@link MIN_MINIBATCH}; a shorter last batch joins the one before).
 */
function tooFewBatches(batches: number, samples: number, spec: ShardSpec): KrsError {
  const fits = Math.floor(samples / spec.count);
  const most = Math.floor(samples / MIN_MINIBATCH);
  const advice =
    fits >= MIN_MINIBATCH
      ? `give --batch-size ${fits} or less for ${spec.count} shards`
      : `${samples} samples make at most ${most} batch${most === 1 ? '' : 'es'} of the smallest size, ${MIN_MINIBATCH}`;
  const plural = (k: number, word: string) => `${k} ${word}${k === 1 ? '' : word.endsWith('h') ? 'es' : 's'}`;
  return errors.badOption(
    'shard',
    `${spec.index}/${spec.count}`,
    `at most ${plural(batches, 'shard')}: the run's ${samples} samples make ${plural(batches, 'batch')} and a shard is whole batches; ${advice}`,
  );
}

/** Shard `spec`'s batches: the contiguous run ⌊i·B/N⌋ … ⌊(i+1)·B/N⌋ − 1 of the B batches (N > B is refused: no shard runs empty). */
export function shardBatches<T extends readonly [number, number]>(batches: readonly T[], spec: ShardSpec): T[] {
  const b = batches.length;
  if (b < spec.count) throw tooFewBatches(b, batches[b - 1]?.[1] ?? 0, spec);
  return batches.slice(Math.floor((spec.index * b) / spec.count), Math.floor(((spec.index + 1) * b) / spec.count));
}

/** The sample range [start, end) of shard `spec`'s batches; a shard without batches sits where the next shard starts. */
export function shardRange(batches: readonly (readonly [number, number])[], spec: ShardSpec, samples: number): [number, number] {
  const b = batches.length;
  const first = Math.floor((spec.index * b) / spec.count);
  const end = Math.floor(((spec.index + 1) * b) / spec.count);
  const at = batches[first]?.[0] ?? samples;
  return end > first ? [at, batches[end - 1]![1]] : [at, at];
}

/** A new document for one shard: its range, its metrics. */
export function shardDocument(fields: {
  command: string;
  settings: Record<string, unknown>;
  samples: number;
  range: [number, number];
  shard: ShardSpec;
  metrics: Record<string, unknown>;
  sums: Record<string, number>;
  context: Record<string, unknown>;
  /** Gram shares by metric name, when the run has sample-space pairs. */
  gram?: Record<string, Record<string, GramShareJSON>>;
}): ShardDocument {
  const { range, shard, metrics, gram, ...rest } = fields;
  return {
    format: SHARD_FORMAT,
    version: SHARD_VERSION,
    ...rest,
    parts: [{ range, shards: [`${shard.index}/${shard.count}`], metrics }],
    ...(gram && Object.values(gram).some((m) => Object.keys(m).length) ? { gram: { count: shard.count, shares: [shard.index], metrics: gram } } : {}),
  };
}

/**
 * A part's metric state must be of this krs's version and describe the part's samples: its
 * first sample is the range's start and it has seen no more than the range's samples. Catches a range moved, swapped or resized apart from its
 * states; the state's own fields are checked when it is restored ({@link KrsMetric.fromJSON}).
 */
function checkPartMetric(json: unknown, range: [number, number], what: string, field: string): void {
  const m = asRecord(json, what, field);
  if (m.version !== METRIC_STATE_VERSION) throw errors.badState(what, `${field}.version must be ${METRIC_STATE_VERSION}, got ${JSON.stringify(m.version)}`);
  const first = asRecord(m.options, what, `${field}.options`).firstSample ?? 0;
  if (first !== range[0]) throw errors.badState(what, `${field} starts at sample ${JSON.stringify(first)}, not at its range's start ${range[0]}`);
  const seen = asRecord(asRecord(m.state, what, `${field}.state`).seen, what, `${field}.state.seen`);
  const width = range[1] - range[0];
  for (const k of ['outputs', 'features'] as const) {
    // At most: a detection state counts only the images with results.
    if (!(Number.isInteger(seen[k]) && (seen[k] as number) <= width)) {
      throw errors.badState(what, `${field} has seen ${JSON.stringify(seen[k])} samples' ${k}, more than the ${width} of its range [${range[0]}, ${range[1]})`);
    }
  }
}

/**
 * Check a decoded state file's document (its shape, not yet its metrics).
 * @throws BAD_VALUE naming `source` and the field.
 */
export function asShardDocument(json: unknown, source: string): ShardDocument {
  const what = `state file ${source}`;
  const o = asRecord(json, what, 'document');
  if (o.format !== SHARD_FORMAT) throw errors.badState(what, `format must be "${SHARD_FORMAT}", got ${JSON.stringify(o.format)}`);
  if (o.version !== SHARD_VERSION) throw errors.badState(what, `unsupported version ${JSON.stringify(o.version)} (expected ${SHARD_VERSION})`);
  if (typeof o.command !== 'string') throw errors.badState(what, 'command must be a string');
  if (!Number.isInteger(o.samples) || (o.samples as number) < 0) throw errors.badState(what, 'samples must be a non-negative integer');
  const n = o.samples as number;
  if (!Array.isArray(o.parts) || o.parts.length === 0) throw errors.badState(what, 'parts must be a non-empty list');
  o.parts.forEach((raw, i) => {
    const part = asRecord(raw, what, `parts[${i}]`);
    const r = part.range;
    if (!(Array.isArray(r) && r.length === 2 && Number.isInteger(r[0]) && Number.isInteger(r[1]) && 0 <= r[0] && r[0] <= r[1] && r[1] <= n)) {
      throw errors.badState(what, `parts[${i}].range must be [start, end] within [0, ${n}]`);
    }
    if (!Array.isArray(part.shards) || !part.shards.every((x) => typeof x === 'string'))
      throw errors.badState(what, `parts[${i}].shards must be a list of i/N strings`);
    const metrics = asRecord(part.metrics, what, `parts[${i}].metrics`);
    for (const [name, m] of Object.entries(metrics)) checkPartMetric(m, r as [number, number], what, `parts[${i}].metrics.${name}`);
  });
  for (const k of ['settings', 'context'] as const) asRecord(o[k], what, k);
  if (o.gram !== undefined) {
    const g = asRecord(o.gram, what, 'gram');
    const count = g.count;
    if (!Number.isInteger(count) || (count as number) < 1) throw errors.badState(what, 'gram.count must be a positive integer');
    if (!Array.isArray(g.shares) || !g.shares.every((x) => Number.isInteger(x) && x >= 0 && x < (count as number))) {
      throw errors.badState(what, `gram.shares must list share indices below ${count}`);
    }
    asRecord(g.metrics, what, 'gram.metrics');
  }
  const sums = asRecord(o.sums, what, 'sums');
  for (const [k, v] of Object.entries(sums)) if (typeof v !== 'number' || !Number.isFinite(v)) throw errors.badState(what, `sums.${k} must be a finite number`);
  return o as unknown as ShardDocument;
}

export interface MergeOptions {
  /** Overlapping or missing sample ranges become warnings instead of errors. */
  allowPartial?: boolean;
  /** Missing ranges are fine (a partial merge of a tree: other states come later); overlaps are not. */
  allowGaps?: boolean;
}

/**
 * Merge shard documents (at least one) into one: settings checked equal, parts sorted by
 * sample range and adjacent ones joined (their metrics merged in sample order with
 * {@link KrsMetric.merge}), sums added, the first context kept.
 * @throws BAD_VALUE naming the files for differing commands, settings, sample counts or metric
 *   names; for overlapping or missing ranges unless allowed (then `warnings` name them).
 */
export function mergeShardDocuments(
  docs: readonly { document: ShardDocument; source: string }[],
  options: MergeOptions = {},
): { document: ShardDocument; warnings: string[] } {
  const first = docs[0];
  if (!first) throw errors.badOption('states', [], 'at least one state file');
  const names = (p: ShardPart) => Object.keys(p.metrics).sort().join(', ');
  const expected = names(first.document.parts[0]!);
  for (const { document: d, source } of docs) {
    if (d.command !== first.document.command) {
      throw errors.badValue(`command of ${source}`, d.command, `${first.document.command}, as in ${first.source} (states of different commands do not merge)`);
    }
    if (d.samples !== first.document.samples) {
      throw errors.badValue(`samples of the whole run in ${source}`, d.samples, `${first.document.samples}, as in ${first.source} (shards of one run)`);
    }
    const diff = firstDifference(first.document.settings, d.settings, 'settings');
    if (diff) throw errors.badValue(`${diff.path} in ${source}`, diff.b, `${diff.a}, as in ${first.source}: shards must be run with the same settings`);
    for (const p of d.parts) if (names(p) !== expected) throw errors.badValue(`metrics of ${source}`, names(p) || 'none', `${expected}, as in ${first.source}`);
  }
  const n = first.document.samples;
  const parts = docs
    .flatMap(({ document: d, source }) => d.parts.map((part) => ({ part, source })))
    .sort((x, y) => x.part.range[0] - y.part.range[0] || x.part.range[1] - y.part.range[1]);
  const problems: string[] = [];
  let covered = 0;
  let last = '';
  for (const { part, source } of parts) {
    const [a, b] = part.range;
    if (a > covered && !options.allowGaps) problems.push(`samples [${covered}, ${a}) are in no state file`);
    if (a < covered) problems.push(`samples [${a}, ${Math.min(covered, b)}) are in both ${last} and ${source}`);
    if (b > covered) {
      covered = b;
      last = source;
    }
  }
  if (covered < n && !options.allowGaps) problems.push(`samples [${covered}, ${n}) are in no state file`);
  if (problems.length && !options.allowPartial) {
    throw errors.badValue(
      'sample ranges of the state files',
      problems.join('; '),
      'every sample of the run in exactly one state file (or --allow-partial to merge anyway)',
    );
  }
  const warnings = problems.map((p) => `merged anyway (--allow-partial): ${p}`);

  // Join parts that touch (or, when allowed, overlap), in sample order.
  const joined: ShardPart[] = [];
  for (const { part, source } of parts) {
    const prev = joined[joined.length - 1];
    if (prev && part.range[0] <= prev.range[1]) {
      prev.metrics = mergeMetrics(prev.metrics, part.metrics, source);
      prev.range = [prev.range[0], Math.max(prev.range[1], part.range[1])];
      prev.shards = [...prev.shards, ...part.shards];
    } else {
      joined.push({ range: [...part.range], shards: [...part.shards], metrics: part.metrics });
    }
  }
  const sums: Record<string, number> = {};
  for (const { document: d } of docs) for (const [k, v] of Object.entries(d.sums)) sums[k] = (sums[k] ?? 0) + v;
  const gram = mergeGram(docs);
  return { document: { ...first.document, parts: joined, sums, ...(gram ? { gram } : {}) }, warnings };
}

/** The Gram shares of the documents added; each share may come once. @throws BAD_VALUE for a share given twice or a document without shares. */
function mergeGram(docs: readonly { document: ShardDocument; source: string }[]): GramShares | undefined {
  const withGram = docs.filter((d) => d.document.gram);
  if (withGram.length === 0) return undefined;
  const without = docs.find((d) => !d.document.gram);
  if (without) throw errors.badValue(`Gram shares of ${without.source}`, 'none', `the sample-space pairs' shares, as in ${withGram[0]!.source}`);
  const first = withGram[0]!;
  const from = new Map<number, string>();
  let metrics: Record<string, Record<string, GramShareJSON>> | null = null;
  for (const { document: d, source } of withGram) {
    const g = d.gram!;
    if (g.count !== first.document.gram!.count)
      throw errors.badValue(`Gram shares of ${source}`, `of ${g.count}`, `of ${first.document.gram!.count}, as in ${first.source}`);
    for (const s of g.shares) {
      if (from.has(s))
        throw errors.badValue(`Gram share ${s}/${g.count}`, `in both ${from.get(s)} and ${source}`, 'each shard once (its Gram sums would count twice)');
      from.set(s, source);
    }
    if (!metrics) metrics = g.metrics;
    else {
      const next: Record<string, Record<string, GramShareJSON>> = {};
      for (const name of Object.keys(metrics)) next[name] = addGramShares(metrics[name]!, g.metrics[name] ?? {});
      metrics = next;
    }
  }
  return { count: first.document.gram!.count, shares: [...from.keys()].sort((a, b) => a - b), metrics: metrics! };
}

/**
 * The reduced sample-space pairs of each metric of a complete document (none without Gram shares).
 * @throws BAD_VALUE when shares are missing, or samples are (the shares cover them all).
 */
export function documentReducedPairs(document: ShardDocument): Map<string, Map<number, ReducedPair>> {
  const out = new Map<string, Map<number, ReducedPair>>();
  const g = document.gram;
  if (!g) return out;
  const missing = Array.from({ length: g.count }, (_, i) => i).filter((i) => !g.shares.includes(i));
  if (missing.length) {
    throw errors.badValue(
      'Gram shares of the sample-space pairs',
      `missing ${missing.map((i) => `${i}/${g.count}`).join(', ')}`,
      "every shard's share (without them the Gram matrices are incomplete)",
    );
  }
  if (coveredSamples(document) !== document.samples) {
    throw errors.badValue(
      'samples of a run with Gram shares',
      coveredSamples(document),
      `all ${document.samples}: the sample-space pairs' shares cover every sample, so no shard may be left out`,
    );
  }
  for (const [name, shares] of Object.entries(g.metrics)) out.set(name, reducedPairs(shares));
  return out;
}

/**
 * All the metric states of a document merged, part after part in sample order (one part in a
 * complete document; several when ranges were allowed to be missing).
 */
export function documentMetrics(document: ShardDocument): Record<string, unknown> {
  return document.parts.slice(1).reduce((acc, part) => mergeMetrics(acc, part.metrics, 'a state file'), document.parts[0]!.metrics);
}

/** Two sets of metric states merged by name (a's samples first). */
function mergeMetrics(a: Record<string, unknown>, b: Record<string, unknown>, source: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const name of Object.keys(a)) {
    try {
      out[name] = KrsMetric.fromJSON(a[name]).merge(KrsMetric.fromJSON(b[name])).toJSON();
    } catch (e) {
      if (e instanceof KrsError) throw e.within(`metric '${name}' of ${source}`);
      throw e;
    }
  }
  return out;
}

/** The samples a document covers. */
export function coveredSamples(document: ShardDocument): number {
  return document.parts.reduce((a, p) => a + p.range[1] - p.range[0], 0);
}

/** The first path at which two JSON values differ, with both values as short text. */
function firstDifference(a: unknown, b: unknown, path: string): { path: string; a: string; b: string } | null {
  if (a !== null && b !== null && typeof a === 'object' && typeof b === 'object' && Array.isArray(a) === Array.isArray(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])];
    for (const k of keys) {
      const d = firstDifference((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], Array.isArray(a) ? `${path}[${k}]` : `${path}.${k}`);
      if (d) return d;
    }
    return null;
  }
  if (a === b) return null;
  const show = (v: unknown) => (v === undefined ? 'not set' : JSON.stringify(v).slice(0, 80));
  // `b` is quoted again where it is shown as the value found: a string goes as it is.
  return { path, a: show(a), b: typeof b === 'string' ? b.slice(0, 80) : show(b) };
}
