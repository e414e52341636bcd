/**
 * The CLI's names for the library's options: library errors refer to options by their API
 * names (`batchSize`, through `opt()` in src/core/errors.ts); the CLI shows the flag a user
 * typed (`--batch-size`). Flags come from the commands' own option definitions (commander's
 * attribute name ↔ long flag), so a new option needs no entry here; only API names whose flag
 * is spelt differently are listed.
 */
import type { Command } from 'commander';
import type { OptionNamer } from '../core/errors.js';

/** API option names whose flag is not their kebab-case spelling. */
const FLAG_ALIASES: Readonly<Record<string, string>> = {
  /** KlAgreementOptions.teacherInputs / studentInputs: the kind of each output array. */
  teacherInputs: '--teacher-outputs',
  studentInputs: '--student-outputs',
  /** Layer pairs are given one `--pair` at a time. */
  pairs: '--pair',
};

/** A namer mapping API option names to the flags of `program`'s commands; unknown names stay as they are. */
export function flagNamer(program: Command): OptionNamer {
  const flags = new Map<string, string>();
  for (const command of [program, ...program.commands]) {
    for (const option of command.options) if (option.long && !flags.has(option.attributeName())) flags.set(option.attributeName(), option.long);
  }
  return (name) => FLAG_ALIASES[name] ?? flags.get(name) ?? name;
}
