/**
 * The options the tasks' output agreements declare (`options` of each AgreementSpec, e.g.
 * detection's `scoreMin`), gathered in task-registry order: the CLI flags of `krs score`,
 * `krs eval` and `krs explain` and the served API's `settings.output` schema are generated
 * from {@link AGREEMENT_OPTIONS}, and the values travel as one object, a run's `output`
 * options ({@link AgreementOptionValues}). A new agreement's options appear there without an
 * edit.
 */
import type { AgreementOption, NumericOptionKeys } from '../agreement/spec.js';
import { errors } from '../core/errors.js';
import { type OutputOptions, TASKS, type Task, taskSpec } from './registry.js';

/** The API name of an option some agreement declares (`temperature`, `scoreMin`, …). */
export type AgreementOptionName = NumericOptionKeys<OutputOptions> & string;

/** The declared options' values by API name, each optional (the agreement's default when absent). */
export type AgreementOptionValues = { [K in AgreementOptionName]?: number };

/** An option as declared, with its API name, the agreement declaring it and the tasks using that agreement. */
export interface DeclaredAgreementOption extends AgreementOption {
  readonly key: AgreementOptionName;
  readonly agreement: string;
  readonly tasks: readonly Task[];
}

/** Every declared option, once, in task-registry order. */
export const AGREEMENT_OPTIONS: readonly DeclaredAgreementOption[] = declaredOptions();

function declaredOptions(): DeclaredAgreementOption[] {
  const out: DeclaredAgreementOption[] = [];
  for (const task of TASKS) {
    const agreement = taskSpec(task).agreement;
    for (const [key, option] of Object.entries(agreement.options as Record<string, AgreementOption>)) {
      const seen = out.find((o) => o.key === key);
      if (seen && seen.agreement === agreement.name) {
        out[out.indexOf(seen)] = { ...seen, tasks: [...seen.tasks, task] };
        continue;
      }
      // Two agreements declaring one name would read each other's values: a bug in krs.
      if (seen) throw errors.internal(`agreement option ${key} is declared by ${seen.agreement} and ${agreement.name}`);
      out.push({ ...option, key: key as AgreementOptionName, agreement: agreement.name, tasks: [task] });
    }
  }
  return out;
}

/** The declared options of these API names, in declaration order (a command offering only some). */
export function agreementOptionsNamed(keys: readonly AgreementOptionName[]): DeclaredAgreementOption[] {
  return AGREEMENT_OPTIONS.filter((o) => keys.includes(o.key));
}

/** The words of an option's default: `1`, or `: variance of the teacher outputs` (after "default"). */
export function defaultText(o: AgreementOption): string {
  return typeof o.default === 'number' ? ` ${o.default}` : `: ${o.default}`;
}

/** The values of the declared options among `values` (absent ones left out), as the `output` options take them. */
export function agreementOptionsOf(values: Readonly<Record<string, unknown>>): AgreementOptionValues {
  return Object.fromEntries(AGREEMENT_OPTIONS.flatMap((o) => (values[o.key] === undefined ? [] : [[o.key, values[o.key]]])));
}
