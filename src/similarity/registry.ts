/**
 * The similarities krs knows, by name: adding one is its own file (a {@link SimilaritySpec}),
 * its test and one line here. Nothing outside this file switches over similarity names.
 */
import { errors } from '../core/errors.js';
import { cka } from './cka.js';
import { ckaDebiased } from './cka-debiased.js';
import { ckaRbf } from './cka-rbf.js';
import { cosine } from './cosine.js';
import type { SimilaritySpec } from './spec.js';

const REGISTRY = {
  cka,
  'cka-debiased': ckaDebiased,
  'cka-rbf': ckaRbf,
  cosine,
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
