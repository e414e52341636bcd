/**
 * `krs merge STATE…`: combine the state files of a sharded `krs score` or `krs eval` run
 * (`--shard i/N --state-out FILE`) and print what the single run prints — the table, `--json`,
 * `--report`, `--charts` — or, with `--state-out`, write the merged state for a later merge
 * (a merge tree: `krs merge a b --state-out ab`, then `krs merge ab cd`).
 *
 * Settings must agree across the files; every sample must be in exactly one file (overlaps
 * and gaps are errors unless `--allow-partial`, then warnings naming the ranges). A partial
 * merge written with `--state-out` may leave gaps (other states come later) but not overlaps.
 */
import type { Command } from 'commander';
import { BACKENDS } from './backend.js';
import { JSON_FLAG } from './common-flags.js';
import { addFlags, type FlagsOf, flag } from './flag-table.js';
import { oneOf } from './options.js';
import { REPORT_FLAGS } from './report-options.js';

/** The flags of `krs merge`. */
export const MERGE_FLAGS = [
  flag('--allow-partial', 'merge even when sample ranges overlap or are missing (warnings name them)'),
  flag('--state-out <file>', 'write the merged state instead of a result (for merging in a tree; ranges may still be missing)'),
  flag('--backend <name>', `matrix backend for the final compute: ${BACKENDS.join(', ')} (default: the one the shards used)`, { parse: oneOf(BACKENDS) }),
  JSON_FLAG,
  ...REPORT_FLAGS,
] as const;

export type MergeFlags = FlagsOf<typeof MERGE_FLAGS>;

export function registerMerge(program: Command): void {
  const cmd = program
    .command('merge')
    .description('merge the state files of a sharded krs score or krs eval run (--shard i/N --state-out FILE) into its result')
    .argument('<states...>', 'state files written by --state-out, in any order');
  // The work loads when the command runs (not for --help or other commands).
  addFlags(cmd, MERGE_FLAGS).action(async (files: string[], o: MergeFlags) => (await import('./merge-action.js')).mergeCommand(files, o));
}
