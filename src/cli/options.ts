/**
 * Parsers for command-line option values. Each throws a usage KrsError naming the
 * option and echoing the bad value, so every command reports bad flags the same way.
 */
import { errors } from '../core/errors.js';

/** A finite number. */
export function parseNumber(option: string) {
  return (value: string): number => {
    const v = Number(value);
    if (value.trim() === '' || !Number.isFinite(v)) throw errors.badOption(option, value, 'a number');
    return v;
  };
}

/** A finite number > 0. */
export function parsePositiveNumber(option: string) {
  return (value: string): number => {
    const v = Number(value);
    if (value.trim() === '' || !Number.isFinite(v) || v <= 0) throw errors.badOption(option, value, 'a number > 0');
    return v;
  };
}

/** A positive integer. */
export function parsePositiveInt(option: string) {
  return (value: string): number => {
    const v = Number(value);
    if (!Number.isInteger(v) || v < 1) throw errors.badOption(option, value, 'a positive integer');
    return v;
  };
}

/** A seed: a non-negative integer written in digits (`--seed`, `--null-seed`). */
export function parseSeedOf(option: string) {
  return (value: string): number => {
    const v = Number(value);
    if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(v)) throw errors.badOption(option, value, 'a non-negative integer');
    return v;
  };
}

/** One of a fixed set of words. */
export function parseChoice<T extends string>(option: string, choices: readonly T[]) {
  return (value: string): T => {
    if (!(choices as readonly string[]).includes(value)) throw errors.badOption(option, value, `one of ${choices.join(', ')}`);
    return value as T;
  };
}

/** {@link parseChoice} as a flag's parser (src/cli/flag-table.ts): the flag names itself. */
export function oneOf<T extends string>(choices: readonly T[]) {
  return (option: string) => parseChoice(option, choices);
}

/** {@link collect} as a flag's parser: a repeatable flag's values, in order. */
export function repeated(): (value: string, previous?: string[]) => string[] {
  return collect;
}

/** Repeatable option values, collected as given (e.g. `teacher:student` pairs, split later against the captures' names). */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}
