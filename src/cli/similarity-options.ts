/**
 * The similarities' own options on the command line, generated from their declarations
 * (`options` of each SimilaritySpec, gathered by `SIMILARITY_OPTIONS`): one flag each, its help
 * `<similarity>: <help> (default <default>)`, parsed as a number; the flags' values become the
 * one typed object `similarityOptions` the library takes. A new similarity's option appears
 * here, in `krs score` and `krs eval`, without an edit.
 */
import { SIMILARITY_OPTIONS, type SimilarityOptions } from '../similarity/registry.js';
import { type FlagDecl, flag } from './flag-table.js';
import { parseNumber } from './options.js';

/** Every declared similarity option as a flag (in registry order); the values' type is {@link SimilarityOptions}. */
export function similarityFlags(): FlagDecl<string, number, false>[] {
  return SIMILARITY_OPTIONS.map((o) => flag(`${o.flag} <${o.placeholder}>`, `${o.similarity}: ${o.help} (default ${o.default})`, { parse: parseNumber }));
}

/**
 * The parsed flags' similarity options as one object, or undefined when none was given (so a
 * run without them records nothing). The flags' attribute names are the options' API names.
 */
export function similarityOptionsOf(flags: SimilarityOptions): SimilarityOptions | undefined {
  const given = Object.fromEntries(SIMILARITY_OPTIONS.flatMap((o) => (flags[o.key] === undefined ? [] : [[o.key, flags[o.key]]])));
  return Object.keys(given).length ? (given as SimilarityOptions) : undefined;
}
