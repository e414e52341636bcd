/**
 * The output agreements' own options on the command line (`--temperature`, `--score-min`,
 * `--iou-min`, `--ignore-label`, `--mse-max`, …), generated from their declarations (`options`
 * of each AgreementSpec, gathered by `AGREEMENT_OPTIONS` in src/tasks/agreement-options.ts):
 * one flag each, its help `<help> (default <default>)`, parsed as a number. The flags'
 * attribute names are the options' API names, so their values are the `output` options as
 * they are (`agreementOptionsOf`).
 */
import { AGREEMENT_OPTIONS, type AgreementOptionName, agreementOptionsNamed, defaultText } from '../tasks/agreement-options.js';
import { type FlagDecl, flag } from './flag-table.js';
import { parseNumber } from './options.js';

/** The declared agreement options as flags, in task-registry order: all of them, or those of `keys` (a command whose action passes only some). */
export function agreementFlags(keys?: readonly AgreementOptionName[]): FlagDecl<string, number, false>[] {
  return (keys ? agreementOptionsNamed(keys) : AGREEMENT_OPTIONS).map((o) =>
    flag(`${o.flag} <${o.placeholder}>`, `${o.help} (default${defaultText(o)})`, { parse: parseNumber }),
  );
}
