import { describe, expect, it } from 'vitest';
import { KrsError } from '../../src/core/errors.js';
import {
  buildTokenizer,
  CLS_ID,
  MAX_SEQUENCE,
  normalise,
  PAD_ID,
  SEP_ID,
  SPECIAL_TOKENS,
  tokenizerFromJSON,
  UNK_ID,
  words,
} from '../../src/train/nlp/tokenizer.js';

const mail = (subject: string, body: string) => ({ subject, body });

describe('normalisation', () => {
  it('NFKC, lower case, links and addresses folded', () => {
    expect(normalise('ＦＵＬＬ Width')).toBe('full width');
    expect(words('See http://x.com/a?b=1, www.y.org. And ME@Example.COM')).toEqual(['see', '<url>', ',', '<url>', '.', 'and', '<email>']);
  });

  it('words, apostrophes, numbers and symbol runs', () => {
    expect(words("Don't miss $1,000.00 on 10/03 — 2002 mp3 café!!!!!")).toEqual([
      "don't",
      'miss',
      '$',
      '<num>',
      'on',
      '<num>',
      '—',
      '<num>',
      'mp3',
      'café',
      '!!!',
    ]);
    expect(words('a ! ! b ?? c')).toEqual(['a', '!', '!', 'b', '??', 'c']);
    expect(words('')).toEqual([]);
  });
});

describe('the tokenizer', () => {
  const train = [mail('Win cash', 'win win cash now'), mail('Meeting', 'the meeting is now'), mail('Re: meeting', 'cash the meeting')];

  it('builds its vocabulary on the training e-mails only: special tokens first, then by count, ties in code-unit order', () => {
    const tok = buildTokenizer(train);
    expect(tok.vocab.slice(0, 4)).toEqual([...SPECIAL_TOKENS]);
    // counts: meeting 4, cash 3, win 3, now 2, the 2 (re, :, is seen once)
    expect(tok.vocab.slice(4)).toEqual(['meeting', 'cash', 'win', 'now', 'the']);
    expect(tok.id('validation-only')).toBe(UNK_ID);
    expect(buildTokenizer(train, { minCount: 1 }).vocab).toContain('is');
    expect(buildTokenizer(train, { maxVocab: 6 }).vocab).toEqual([...SPECIAL_TOKENS, 'meeting', 'cash']);
  });

  it('encodes [CLS] subject [SEP] body, padded with [PAD] and masked', () => {
    const tok = buildTokenizer(train, { maxLength: 8 });
    const e = tok.encode([mail('Win', 'cash now unknown'), mail('', '')]);
    expect(e.n).toBe(2);
    const w = (x: string) => tok.id(x);
    expect([...e.inputIds]).toEqual([CLS_ID, w('win'), SEP_ID, w('cash'), w('now'), UNK_ID, PAD_ID, PAD_ID, CLS_ID, SEP_ID, 0, 0, 0, 0, 0, 0]);
    expect([...e.attentionMask]).toEqual([1, 1, 1, 1, 1, 1, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0]);
    expect(tok.decode(e.inputIds.subarray(0, 8))).toEqual(['[CLS]', 'win', '[SEP]', 'cash', 'now', '[UNK]']);
  });

  it('cuts sequences at maxLength and subjects at maxSubjectTokens', () => {
    const tok = buildTokenizer(train, { maxLength: 6, maxSubjectTokens: 2 });
    expect(tok.tokens(mail('a b c d', 'e f g h i'))).toEqual(['[CLS]', 'a', 'b', '[SEP]', 'e', 'f']);
    expect(buildTokenizer(train).maxLength).toBe(MAX_SEQUENCE);
    const long = buildTokenizer(train).encode([mail('x', 'word '.repeat(500))]);
    expect(long.attentionMask.reduce((s, v) => s + v, 0)).toBe(128);
  });

  it('round-trips through JSON', () => {
    const tok = buildTokenizer(train, { maxLength: 10 });
    const back = tokenizerFromJSON(JSON.parse(JSON.stringify(tok.toJSON())));
    expect(back.encode(train)).toEqual(tok.encode(train));
    expect(() => tokenizerFromJSON({ ...tok.toJSON(), vocab: ['a', ...tok.vocab] })).toThrow(/\[PAD\]/);
  });

  it('refuses bad options and an empty training set', () => {
    expect(() => buildTokenizer(train, { maxLength: 129 })).toThrow(/maxLength/);
    expect(() => buildTokenizer(train, { maxVocab: 4 })).toThrow(/maxVocab/);
    expect(() => buildTokenizer(train, { minCount: 0 })).toThrow(/minCount/);
    expect(() => buildTokenizer([])).toThrow(KrsError);
  });
});
