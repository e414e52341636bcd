/**
 * The similarities krs knows, by name: adding one is its own file (a {@link SimilaritySpec}),
 * its test and one line here. Nothing outside this file switches over similarity names; the
 * options the similarities declare are gathered here into the one typed object
 * ({@link SimilarityOptions}) that travels from the CLI and the API to the measures.
 */
import { errors } from '../core/errors.js';
import { cka } from './cka.js';
import { ckaDebiased } from './cka-debiased.js';
import { ckaRbf } from './cka-rbf.js';
import { cosine } from './cosine.js';
import { procrustes } from './procrustes.js';
import type { OptionValues, SimilarityOption, SimilaritySpec } from './spec.js';

const REGISTRY = {
  cka,
  'cka-debiased': ckaDebiased,
  'cka-rbf': ckaRbf,
  cosine,
  procrustes,
} as const satisfies Record<string, SimilaritySpec<unknown>>;

/** A similarity's name. */
export type Similarity = keyof typeof REGISTRY;

/** Every similarity's name, in registry order. */
export const SIMILARITIES = Object.keys(REGISTRY) as readonly Similarity[];

/** Whether `name` is a known similarity. */
export function isSimilarity(name: unknown): name is Similarity {
  return typeof name === 'string' && Object.hasOwn(REGISTRY, name);
}

/** The spec of a similarity. @throws BAD_OPTION (option `similarity`) for an unknown name, listing the known ones. */
export function similaritySpec(name: string): SimilaritySpec {
  if (!isSimilarity(name)) throw errors.badOption('similarity', name, SIMILARITIES.join(', '));
  return REGISTRY[name] as SimilaritySpec;
}

type DeclaredKeys<S> = S extends { readonly options?: infer D } ? keyof NonNullable<D> & string : never;

/** The API name of an option some similarity declares (`rbfThreshold`). */
export type SimilarityOptionName = DeclaredKeys<(typeof REGISTRY)[Similarity]>;

/**
 * Every similarity's options by API name, each optional (the similarity's default when
 * absent): the one typed object — `similarityOptions` of the layer, metric, eval and served
 * options — that carries them from the CLI and the API to the measures. A similarity reads
 * only its own.
 */
export type SimilarityOptions = { [K in SimilarityOptionName]?: number };

/** An option as declared, with its API name and the similarity declaring it. */
export interface DeclaredOption extends SimilarityOption {
  readonly key: SimilarityOptionName;
  readonly similarity: Similarity;
}

/** Every declared option, in registry order (CLI flags and API schemas are generated from these). */
export const SIMILARITY_OPTIONS: readonly DeclaredOption[] = declaredOptions();

function declaredOptions(): DeclaredOption[] {
  const out: DeclaredOption[] = [];
  for (const name of SIMILARITIES) {
    for (const [key, option] of declarationsOf(REGISTRY[name] as SimilaritySpec)) {
      // Two similarities declaring one name would read each other's values: a bug in krs.
      if (out.some((o) => o.key === key)) throw errors.internal(`similarity option ${key} is declared twice`);
      out.push({ ...option, key: key as SimilarityOptionName, similarity: name });
    }
  }
  return out;
}

/** A spec's declared options as [API name, declaration] entries. */
function declarationsOf(spec: SimilaritySpec): [string, SimilarityOption][] {
  return Object.entries(spec.options ?? {}) as [string, SimilarityOption][];
}

function declaredOption(key: string): DeclaredOption | undefined {
  return SIMILARITY_OPTIONS.find((o) => o.key === key);
}

/**
 * Check an options object as given by a library caller, a served run's settings or a state:
 * a plain object of declared names, each a number in its declared domain.
 * @throws BAD_OPTION naming the option (`similarityOptions` for a stranger) and what it expects.
 */
export function checkSimilarityOptions(value: unknown): SimilarityOptions {
  if (value === undefined) return {};
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw errors.badOption('similarityOptions', JSON.stringify(value), 'an object of similarity options');
  for (const [key, v] of Object.entries(value)) {
    const option = declaredOption(key);
    if (!option) throw errors.badOption('similarityOptions', key, `one of ${SIMILARITY_OPTIONS.map((o) => o.key).join(', ') || '(none)'}`);
    if (v === undefined) continue;
    if (typeof v !== 'number' || !option.valid(v)) throw errors.badOption(key, v, option.expected);
  }
  return value as SimilarityOptions;
}

/** A spec's own option values: the given ones (checked), its defaults for the rest. */
export function resolveSimilarityOptions(spec: SimilaritySpec, given: SimilarityOptions | undefined): OptionValues {
  const checked = checkSimilarityOptions(given) as Record<string, number | undefined>;
  const out: Record<string, number> = {};
  for (const [key, option] of declarationsOf(spec)) out[key] = checked[key] ?? option.default;
  return out;
}

/**
 * Options with the similarity options given the old way — flat, beside the other options
 * (`{ rbfThreshold: 0.5 }`, as states and served runs made before `similarityOptions`
 * hold them) — moved into `similarityOptions`; a new object, or `options` itself when there
 * are none. A nested value wins over a flat one.
 */
export function nestSimilarityOptions<T extends object>(options: T): T {
  const flat = SIMILARITY_OPTIONS.filter((o) => Object.hasOwn(options, o.key));
  if (flat.length === 0) return options;
  const rest: Record<string, unknown> = { ...(options as Record<string, unknown>) };
  const moved: Record<string, unknown> = {};
  for (const o of flat) {
    if (rest[o.key] !== undefined) moved[o.key] = rest[o.key];
    delete rest[o.key];
  }
  const similarityOptions = { ...moved, ...(options as { similarityOptions?: SimilarityOptions }).similarityOptions };
  return { ...rest, ...(Object.keys(similarityOptions).length ? { similarityOptions } : {}) } as T;
}
