/**
 * Flags declared once, as data. A command's flags are a table of {@link flag} declarations
 * (`as const`); from the table come
 *
 * - the commander options ({@link addFlags}: help, parser, default, choices, required),
 * - the TypeScript type of the parsed flags ({@link FlagsOf}: the key is the flag's long name
 *   in camel case, as commander names it; the value what the parser returns, `string` without
 *   one, `boolean` for a switch; optional unless required, defaulted or a `--no-` switch),
 * - the library options the flags set under their own or another name ({@link optionsOf}, for
 *   declarations with `to`; its type {@link OptionsOf}).
 *
 * A parser is given the flag's long name (`--alpha`) to name in its errors, so the name is
 * written once, in the flag.
 */
import { type Command, Option } from 'commander';

/** A parser of a flag's value, made for the flag's long name (for its error messages); `previous` is the value so far (repeatable flags). */
export type FlagParser<V> = (flag: string) => (value: string, previous: V) => V;

/** One command-line flag. */
export interface FlagDecl<
  F extends string = string,
  V = unknown,
  R extends boolean = boolean,
  T extends string | true | undefined = string | true | undefined,
  P extends boolean = boolean,
> {
  /** As commander reads it: `--name <placeholder>` (takes a value), `--name` (a switch) or `--no-name` (on unless given). */
  readonly flag: F;
  readonly help: string;
  /** The value's parser; absent: the text as given. */
  readonly parse?: FlagParser<V>;
  /** The value when the flag is absent (shown by `--help`). */
  readonly default?: V;
  /** The command refuses to run without it. */
  readonly required?: R;
  /** The only values allowed, checked and listed by commander. */
  readonly choices?: readonly string[];
  /** The library option it sets: `true` for its own name, or another name (`--pair` → `pairs`). */
  readonly to?: T;
  /** Type only: whether the parsed flags always hold a value (required, or defaulted). */
  readonly present?: P;
}

/** The type of a flag's value without a parser: the text, or a switch. */
type PlainValue<F extends string> = F extends `${string}<${string}` | `${string}[${string}` ? string : boolean;

/** Declare a flag (see {@link FlagDecl}); the value's type comes from its parser. */
export function flag<
  const F extends `--${string}`,
  V = PlainValue<F>,
  const R extends boolean = false,
  const T extends string | true | undefined = undefined,
  const D extends NoInfer<V> | undefined = undefined,
>(
  name: F,
  help: string,
  more: { parse?: FlagParser<V>; default?: D; required?: R; choices?: readonly string[]; to?: T } = {},
): FlagDecl<F, V, R, T, R extends true ? true : undefined extends D ? false : true> {
  return { flag: name, help, ...more };
}

type LongName<F extends string> = F extends `--no-${infer N}` ? N : F extends `--${infer N} ${string}` ? N : F extends `--${infer N}` ? N : never;
type Camel<S extends string> = S extends `${infer H}-${infer T}` ? `${H}${Capitalize<Camel<T>>}` : S;
/** The key of a flag's value: its long name in camel case, without `no-` (commander's attribute name). */
export type FlagKey<F extends string> = Camel<LongName<F>>;

/** Any flag declaration, whatever its value's type. */
// biome-ignore lint/suspicious/noExplicitAny: any flag's value type
export type AnyDecl = FlagDecl<string, any, boolean, string | true | undefined, boolean>;
// biome-ignore lint/suspicious/noExplicitAny: matching any declaration
type ValueOf<D> = D extends FlagDecl<string, infer V, any, any, any> ? V : never;
/** Present after parsing: required, defaulted, or a `--no-` switch (commander sets it true). */
// biome-ignore lint/suspicious/noExplicitAny: matching any declaration
type Always<D> = D extends FlagDecl<string, any, any, any, true> ? true : D extends { readonly flag: `--no-${string}` } ? true : false;

/** The parsed flags of a table (see the file's comment). */
export type FlagsOf<Table extends readonly AnyDecl[]> = {
  [D in Table[number] as Always<D> extends true ? FlagKey<D['flag']> : never]: ValueOf<D>;
} & {
  [D in Table[number] as Always<D> extends true ? never : FlagKey<D['flag']>]?: ValueOf<D>;
};

// biome-ignore lint/suspicious/noExplicitAny: matching any declaration
type OptionName<D> = D extends FlagDecl<infer F, any, any, infer T, any> ? (T extends true ? FlagKey<F> : T extends string ? T : never) : never;
/** The library options a table's flags set directly (declarations with `to`), optional as the flags are. */
export type OptionsOf<Table extends readonly AnyDecl[]> = {
  [D in Table[number] as Always<D> extends true ? OptionName<D> : never]: ValueOf<D>;
} & {
  [D in Table[number] as Always<D> extends true ? never : OptionName<D>]?: ValueOf<D>;
};

/** The long flag (`--alpha`, `--no-null`) of a declaration. */
export function longFlag(d: Pick<AnyDecl, 'flag'>): string {
  return d.flag.split(/[ ,]/)[0]!;
}

/** The attribute name commander gives a flag's value (`--teacher-features` → `teacherFeatures`, `--no-null` → `null`). */
export function flagKey(d: Pick<AnyDecl, 'flag'>): string {
  return longFlag(d)
    .replace(/^--(no-)?/, '')
    .replace(/-([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
}

/** The commander option of a declaration. */
export function commanderOption(d: AnyDecl): Option {
  const option = new Option(d.flag, d.help);
  if (d.parse) option.argParser(d.parse(longFlag(d)));
  if (d.choices) option.choices(d.choices);
  if (d.default !== undefined) option.default(d.default);
  if (d.required) option.makeOptionMandatory();
  return option;
}

/** Add every flag of `table` to `cmd`, in order; returns `cmd` for chaining. */
export function addFlags(cmd: Command, table: readonly AnyDecl[]): Command {
  for (const d of table) cmd.addOption(commanderOption(d));
  return cmd;
}

/** The library options `flags` set through the declarations of `table` with `to` (absent flags left out). */
export function optionsOf<Table extends readonly AnyDecl[]>(flags: object, table: Table): OptionsOf<Table> {
  const values = flags as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const d of table) {
    if (d.to === undefined) continue;
    const value = values[flagKey(d)];
    if (value !== undefined) out[d.to === true ? flagKey(d) : d.to] = value;
  }
  return out as OptionsOf<Table>;
}
