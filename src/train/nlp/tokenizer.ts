/**
 * The word-level tokenizer of the NLP study, built on the training split only.
 *
 * Word-level rather than word-piece: the models are trained from scratch on ~4 000 e-mails, so
 * there is no pretrained sub-word vocabulary to inherit, and a word-level vocabulary with an
 * unknown token is exact to describe, cheap to build and gives every token a readable name
 * (what `krs explain` shows). The cost — misspelled or obfuscated words ("v1agra") become
 * [UNK] unless frequent — is the classic one, and the normalisation below folds the most
 * frequent open classes (links, addresses, numbers) into one word each.
 *
 * **Normalisation** (`normalise`, then `words`), in order:
 * 1. Unicode NFKC, then lower case;
 * 2. links (`http://…`, `https://…`, `ftp://…`, `www.…`, trailing punctuation left out) → `<url>`;
 *    e-mail addresses → `<email>`;
 * 3. words: maximal runs of letters, marks and digits (an inner apostrophe kept: "don't");
 *    a run of digits only (with inner `.` `,` `:` `/` `-` separators, "1,000.00", "10/03") → `<num>`;
 * 4. every other visible character is a token by itself, a run of the same character being
 *    one token of at most three ("!!!!!" → "!!!"); white space separates tokens.
 *
 * **Special tokens** (ids 0–3): `[PAD]`, `[UNK]`, `[CLS]`, `[SEP]`.
 *
 * **A sequence** is `[CLS]`, at most `maxSubjectTokens` words of the subject, `[SEP]`, then the
 * body's words, cut at `maxLength` (≤ 128) tokens; shorter sequences are padded with `[PAD]`,
 * and `attention_mask` is 1 on real tokens, 0 on padding. [CLS] is first so a model can pool it.
 *
 * **The vocabulary**: the special tokens, then every word seen at least `minCount` times in the
 * training e-mails' sequences (the words the models can see, after the cut), most frequent
 * first (ties in code-unit order), up to `maxVocab` entries in all; any other word is `[UNK]`.
 */
import { errors } from '../../core/errors.js';

export const PAD = '[PAD]';
export const UNK = '[UNK]';
export const CLS = '[CLS]';
export const SEP = '[SEP]';
export const SPECIAL_TOKENS = [PAD, UNK, CLS, SEP] as const;
export const PAD_ID = 0;
export const UNK_ID = 1;
export const CLS_ID = 2;
export const SEP_ID = 3;

/** The longest sequence the study allows (the position-embedding table's size). */
export const MAX_SEQUENCE = 128;

/** What a tokenizer encodes: an e-mail's subject and body. */
export interface TextPair {
  readonly subject: string;
  readonly body: string;
}

export interface TokenizerOptions {
  /** Entries of the vocabulary, special tokens included (default 8000). */
  maxVocab?: number;
  /** Fewest occurrences in the training sequences for a word to enter the vocabulary (default 2). */
  minCount?: number;
  /** Tokens per sequence, [CLS] and [SEP] included (default and at most 128). */
  maxLength?: number;
  /** Subject words kept before [SEP] (default 32, or maxLength − 2 when smaller). */
  maxSubjectTokens?: number;
}

/** Sequences as flat row-major arrays [n, maxLength], ready for tensors. */
export interface EncodedBatch {
  readonly n: number;
  readonly maxLength: number;
  /** Token ids, [PAD] after the end. */
  readonly inputIds: Int32Array;
  /** 1 on real tokens, 0 on padding. */
  readonly attentionMask: Int32Array;
}

/** A word-level tokenizer (see the module comment); build it with {@link buildTokenizer}. */
export interface WordTokenizer {
  readonly vocab: readonly string[];
  readonly maxLength: number;
  readonly maxSubjectTokens: number;
  /** Id of a word ([UNK]'s for words outside the vocabulary). */
  id(word: string): number;
  /** The tokens of one e-mail's sequence, unpadded ([CLS] first). */
  tokens(text: TextPair): string[];
  /** Padded ids and attention masks of e-mails. */
  encode(texts: readonly TextPair[]): EncodedBatch;
  /** The tokens of ids, padding left out. */
  decode(ids: ArrayLike<number>): string[];
  /** Plain JSON: the vocabulary and the sequence settings. */
  toJSON(): { vocab: string[]; maxLength: number; maxSubjectTokens: number };
}

const LINK = /\b(?:(?:https?|ftp):\/\/|www\.)[^\s<>"]*[^\s<>".,;:!?)\]']/gu;
const ADDRESS = /[\p{L}\p{N}._%+-]+@[\p{L}\p{N}.-]+\.[\p{L}]{2,}/gu;
const PIECE = /<url>|<email>|<num>|[\p{L}\p{M}\p{N}]+(?:['’][\p{L}\p{M}]+)*|(\S)\1*/gu;
const NUMBER = /^\p{N}+(?:[.,:/-]\p{N}+)*$/u;

/** Steps 1–2 of the normalisation: NFKC, lower case, links and addresses replaced. */
export function normalise(text: string): string {
  return text.normalize('NFKC').toLowerCase().replace(LINK, ' <url> ').replace(ADDRESS, ' <email> ');
}

/** The words of a text after the whole normalisation (module comment, steps 1–4). */
export function words(text: string): string[] {
  const out: string[] = [];
  // Digit runs with separators first, so "1,000.00" is one number rather than "1" "," "000".
  const s = normalise(text).replace(/\p{N}+(?:[.,:/-]\p{N}+)+/gu, ' <num> ');
  for (const m of s.matchAll(PIECE)) {
    if (m[1] !== undefined) out.push(Array.from(m[0]).slice(0, 3).join(''));
    else out.push(NUMBER.test(m[0]) ? '<num>' : m[0]);
  }
  return out;
}

/** The unpadded word sequence of an e-mail, [CLS] subject [SEP] body, cut at `maxLength`. */
function sequence(text: TextPair, maxLength: number, maxSubjectTokens: number): string[] {
  const seq = [CLS, ...words(text.subject).slice(0, maxSubjectTokens), SEP];
  for (const w of words(text.body)) {
    if (seq.length >= maxLength) break;
    seq.push(w);
  }
  return seq.slice(0, maxLength);
}

function checkInteger(option: string, value: number, min: number, max: number): void {
  if (!(Number.isInteger(value) && value >= min && value <= max)) throw errors.badOption(option, value, `an integer from ${min} to ${max}`);
}

/**
 * Build the tokenizer on the training e-mails (never on validation or held-out ones).
 * @throws KrsError BAD_OPTION for `maxVocab` < 5, `minCount` < 1, `maxLength` outside
 *   3–128, `maxSubjectTokens` < 0; BAD_VALUE for an empty training set.
 */
export function buildTokenizer(train: readonly TextPair[], options: TokenizerOptions = {}): WordTokenizer {
  const { maxVocab = 8000, minCount = 2, maxLength = MAX_SEQUENCE } = options;
  const maxSubjectTokens = options.maxSubjectTokens ?? Math.min(32, maxLength - 2);
  checkInteger('maxVocab', maxVocab, SPECIAL_TOKENS.length + 1, 1_000_000);
  checkInteger('minCount', minCount, 1, Number.MAX_SAFE_INTEGER);
  checkInteger('maxLength', maxLength, 3, MAX_SEQUENCE);
  checkInteger('maxSubjectTokens', maxSubjectTokens, 0, maxLength - 2);
  if (train.length === 0) throw errors.badValue('the training e-mails', 0, 'at least one e-mail to build the vocabulary on');
  const counts = new Map<string, number>();
  for (const t of train) {
    for (const w of sequence(t, maxLength, maxSubjectTokens)) if (w !== CLS && w !== SEP) counts.set(w, (counts.get(w) ?? 0) + 1);
  }
  const ranked = [...counts]
    .filter(([w, c]) => c >= minCount && !(SPECIAL_TOKENS as readonly string[]).includes(w))
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    .slice(0, maxVocab - SPECIAL_TOKENS.length)
    .map(([w]) => w);
  return tokenizerOf([...SPECIAL_TOKENS, ...ranked], maxLength, maxSubjectTokens);
}

/**
 * A tokenizer from its JSON (`toJSON()`): the vocabulary must start with the special tokens
 * and hold no word twice.
 * @throws KrsError BAD_VALUE otherwise.
 */
export function tokenizerFromJSON(json: { vocab: string[]; maxLength: number; maxSubjectTokens: number }): WordTokenizer {
  const { vocab, maxLength, maxSubjectTokens } = json;
  if (!Array.isArray(vocab) || SPECIAL_TOKENS.some((t, i) => vocab[i] !== t) || new Set(vocab).size !== vocab.length) {
    throw errors.badValue('the tokenizer vocabulary', vocab?.slice?.(0, 4), `${SPECIAL_TOKENS.join(', ')} first and no word twice`);
  }
  checkInteger('maxLength', maxLength, 3, MAX_SEQUENCE);
  checkInteger('maxSubjectTokens', maxSubjectTokens, 0, maxLength - 2);
  return tokenizerOf(vocab, maxLength, maxSubjectTokens);
}

function tokenizerOf(vocab: readonly string[], maxLength: number, maxSubjectTokens: number): WordTokenizer {
  const index = new Map(vocab.map((w, i) => [w, i]));
  const id = (w: string) => index.get(w) ?? UNK_ID;
  return {
    vocab,
    maxLength,
    maxSubjectTokens,
    id,
    tokens: (text) => sequence(text, maxLength, maxSubjectTokens),
    encode(texts) {
      const inputIds = new Int32Array(texts.length * maxLength);
      const attentionMask = new Int32Array(texts.length * maxLength);
      texts.forEach((t, r) => {
        sequence(t, maxLength, maxSubjectTokens).forEach((w, k) => {
          inputIds[r * maxLength + k] = id(w);
          attentionMask[r * maxLength + k] = 1;
        });
      });
      return { n: texts.length, maxLength, inputIds, attentionMask };
    },
    decode: (ids) => Array.from(ids, (i) => vocab[i] ?? UNK).filter((w) => w !== PAD),
    toJSON: () => ({ vocab: [...vocab], maxLength, maxSubjectTokens }),
  };
}
