/**
 * The similarities' own options on the command line, generated from their declarations
 * (`options` of each SimilaritySpec, gathered by `SIMILARITY_OPTIONS`): one flag each, its help
 * `<similarity>: <help> (default <default>)`, parsed as a number; the flags' values become the
 * one typed object `similarityOptions` the library takes. A new similarity's option appears
 * here, in `krs score` and `krs eval`, without an edit.
 */
import type { Command } from 'commander';
import { SIMILARITY_OPTIONS, type SimilarityOptions } from '../similarity/registry.js';
import { parseNumber } from './options.js';

/** Add every declared similarity option to `cmd` (in registry order); returns `cmd` for chaining. */
export function addSimilarityOptions(cmd: Command): Command {
  for (const o of SIMILARITY_OPTIONS) cmd.option(`${o.flag} <${o.placeholder}>`, `${o.similarity}: ${o.help} (default ${o.default})`, parseNumber(o.flag));
  return cmd;
}

/**
 * The parsed flags' similarity options as one object, or undefined when none was given (so a
 * run without them records nothing). The flags' attribute names are the options' API names.
 */
export function similarityOptionsOf(flags: SimilarityOptions): SimilarityOptions | undefined {
  const given = Object.fromEntries(SIMILARITY_OPTIONS.flatMap((o) => (flags[o.key] === undefined ? [] : [[o.key, flags[o.key]]])));
  return Object.keys(given).length ? (given as SimilarityOptions) : undefined;
}
