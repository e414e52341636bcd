/**
 * `krs score`: FSS, AOA and KRS of a student capture against a teacher capture — the command,
 * its shards and several students. The flags are declared in `score-options.ts`; they become
 * library options in `score-flags.ts`.
 */
import type { Command } from 'commander';
import { addFlags } from './flag-table.js';
import { type ScoreCommandFlags, scoreFlagTable } from './score-options.js';

export function registerScore(program: Command): void {
  const cmd = program.command('score').description('score a student capture against a teacher capture (FSS, AOA, KRS)');
  addFlags(cmd, scoreFlagTable())
    // The work loads when the command runs (not for --help or other commands).
    .action(async (o: ScoreCommandFlags) => (await import('./score-action.js')).scoreAction(o));
}
