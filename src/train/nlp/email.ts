/**
 * What the NLP study reads of one raw e-mail (RFC 5322 headers + a MIME body): the subject and
 * the readable text of the body. Everything else of the headers is dropped on purpose — the
 * SpamAssassin corpus's ham and spam were collected from different mailboxes, servers and
 * years, so `Received:`, `From:`, `Date:`, `Message-Id:` and the like would let a model tell
 * the classes apart by where and when a message was delivered rather than by what it says.
 *
 * The body:
 * * headers are unfolded (continuation lines joined) and read case-insensitively;
 * * `multipart/*` bodies are split at their boundary and each part read recursively (depth ≤ 8);
 *   of a `multipart/alternative` only the best part is kept (text/plain before text/html);
 *   of the other multiparts every text part, in order; `message/rfc822` parts are read as a
 *   nested e-mail (its subject and body);
 * * `Content-Transfer-Encoding` base64 and quoted-printable are decoded to bytes, then to text
 *   in the part's charset (TextDecoder; an unknown label falls back to windows-1252); 7bit, 8bit
 *   and binary parts are kept as they are;
 * * text/html and text/enriched are stripped — and so is text/plain holding an `<html>` or
 *   `<body>` tag (HTML sent without its Content-Type, as much of the spam is): comments, `<script>`, `<style>` and `<head>`
 *   removed, block tags (br, p, div, tr, li, h1–h6, table) become line breaks, other tags a
 *   space, character references decoded (`&amp;`, `&#233;`, `&#xE9;`, a few common names;
 *   unknown names become a space);
 * * non-text parts (images, attachments, signatures) are dropped;
 * * U+FFFD (bytes the corpus package could not decode as UTF-8) becomes a space.
 *
 * The subject's RFC 2047 encoded words (`=?charset?B|Q?…?=`) are decoded the same way.
 */

/** The text of an e-mail that the models read. */
export interface EmailText {
  /** The decoded `Subject:` header ('' when absent). */
  readonly subject: string;
  /** The readable body text (see the module comment). */
  readonly body: string;
}

interface Part {
  readonly headers: ReadonlyMap<string, string>;
  readonly body: string;
}

const MAX_DEPTH = 8;

/** Split a message or MIME part into its unfolded headers (lower-cased names, first occurrence) and body. */
function splitPart(raw: string): Part {
  const text = raw.replace(/\r\n?/g, '\n');
  const end = text.indexOf('\n\n');
  const head = end < 0 ? text : text.slice(0, end);
  const body = end < 0 ? '' : text.slice(end + 2);
  const headers = new Map<string, string>();
  for (const line of head.replace(/\n[ \t]+/g, ' ').split('\n')) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    if (!headers.has(name)) headers.set(name, line.slice(colon + 1).trim());
  }
  return { headers, body };
}

/** The media type (lower case) and parameters of a Content-Type value; text/plain when absent. */
function contentType(value: string | undefined): { type: string; params: Map<string, string> } {
  const params = new Map<string, string>();
  if (!value) return { type: 'text/plain', params };
  const [type = '', ...rest] = value.split(';');
  for (const p of rest) {
    const eq = p.indexOf('=');
    if (eq < 0) continue;
    params.set(
      p.slice(0, eq).trim().toLowerCase(),
      p
        .slice(eq + 1)
        .trim()
        .replace(/^"(.*)"$/s, '$1'),
    );
  }
  return { type: type.trim().toLowerCase() || 'text/plain', params };
}

const UTF8 = new TextEncoder();

/** The bytes of a string read as bytes: code points < 256 as themselves, others as their UTF-8. */
function stringBytes(s: string): number[] {
  const out: number[] = [];
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (c < 256) out.push(c);
    else out.push(...UTF8.encode(ch));
  }
  return out;
}

/** Bytes of base64 text (characters outside the alphabet ignored; a trailing partial group dropped). */
export function decodeBase64(s: string): Uint8Array {
  return new Uint8Array(Buffer.from(s.replace(/[^A-Za-z0-9+/]/g, ''), 'base64'));
}

/** Bytes of quoted-printable text: `=XX` escapes, soft line breaks `=\n` removed (RFC 2045 §6.7). */
export function decodeQuotedPrintable(s: string, underscoreIsSpace = false): Uint8Array {
  const text = s.replace(/=[ \t]*\n/g, '');
  const out: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (ch === '=' && /^[0-9A-Fa-f]{2}$/.test(text.slice(i + 1, i + 3))) {
      out.push(Number.parseInt(text.slice(i + 1, i + 3), 16));
      i += 2;
    } else if (underscoreIsSpace && ch === '_') out.push(32);
    else out.push(...stringBytes(ch));
  }
  return new Uint8Array(out);
}

/** Text of bytes in `charset`; an unknown or missing label decodes as windows-1252 (a superset of Latin-1). */
export function decodeCharset(bytes: Uint8Array, charset: string | undefined): string {
  const label = (charset ?? '').trim().toLowerCase();
  try {
    if (label && label !== 'unknown-8bit' && label !== 'default') return new TextDecoder(label).decode(bytes);
  } catch {
    // Fall through: an unknown label (`default_charset`, `chinesebig5`…).
  }
  return new TextDecoder('windows-1252').decode(bytes);
}

/** Decode RFC 2047 encoded words (`=?charset?B?…?=`, `=?charset?Q?…?=`) in a header value. */
export function decodeEncodedWords(value: string): string {
  return value
    .replace(/(=\?[^?\s]+\?[BbQq]\?[^?\s]*\?=)\s+(?==\?)/g, '$1')
    .replace(/=\?([^?\s]+)\?([BbQq])\?([^?\s]*)\?=/g, (_, charset: string, enc: string, text: string) =>
      decodeCharset(enc.toUpperCase() === 'B' ? decodeBase64(text) : decodeQuotedPrintable(text, true), charset.split('*')[0]),
    );
}

const ENTITIES: Record<string, string> = {
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  apos: "'",
  nbsp: ' ',
  copy: '©',
  reg: '®',
  trade: '™',
  euro: '€',
  pound: '£',
  cent: '¢',
  yen: '¥',
  middot: '·',
  bull: '•',
  hellip: '…',
  mdash: '—',
  ndash: '–',
  laquo: '«',
  raquo: '»',
};

/** A code point as text, or a space when it is not a valid scalar value. */
function fromCodePoint(c: number): string {
  return Number.isInteger(c) && c > 0 && c <= 0x10ffff && !(c >= 0xd800 && c <= 0xdfff) ? String.fromCodePoint(c) : ' ';
}

/** The readable text of HTML: see the module comment. */
export function stripHtml(html: string): string {
  return html
    .replace(/<!--[\s\S]*?-->/g, ' ')
    .replace(/<(script|style|head)\b[\s\S]*?<\/\1\s*>/gi, ' ')
    .replace(/<\/?(br|p|div|tr|li|h[1-6]|table)\b[^>]*>/gi, '\n')
    .replace(/<[^>]*>/g, ' ')
    .replace(/&#[xX]([0-9a-fA-F]{1,6});?/g, (_, h: string) => fromCodePoint(Number.parseInt(h, 16)))
    .replace(/&#([0-9]{1,7});?/g, (_, d: string) => fromCodePoint(Number.parseInt(d, 10)))
    .replace(/&([a-zA-Z]{2,8});/g, (_, name: string) => ENTITIES[name.toLowerCase()] ?? ' ');
}

/** An `<html>` or `<body>` tag: HTML sent as text/plain (or with no Content-Type, as much spam is). */
const LOOKS_LIKE_HTML = /<(html|body)\b[^>]*>/i;

/** The decoded text of a single (non-multipart) part. */
function leafText(part: Part, type: string, params: Map<string, string>): string {
  const cte = (part.headers.get('content-transfer-encoding') ?? '').toLowerCase();
  let text = part.body;
  if (cte.startsWith('base64')) text = decodeCharset(decodeBase64(text), params.get('charset'));
  else if (cte.startsWith('quoted-printable')) text = decodeCharset(decodeQuotedPrintable(text), params.get('charset'));
  const html = type === 'text/html' || type === 'text/enriched' || (type === 'text/plain' && LOOKS_LIKE_HTML.test(text));
  return html ? stripHtml(text) : text;
}

/** The parts of a multipart body between its `--boundary` lines (preamble and epilogue dropped). */
function multipartParts(body: string, boundary: string): string[] {
  const delimiter = `--${boundary}`;
  const parts: string[] = [];
  let current: string[] | null = null;
  for (const line of body.split('\n')) {
    const trimmed = line.trimEnd();
    if (trimmed === delimiter || trimmed === `${delimiter}--`) {
      if (current) parts.push(current.join('\n'));
      current = trimmed === delimiter ? [] : null;
      if (!current) break;
    } else current?.push(line);
  }
  if (current?.length) parts.push(current.join('\n'));
  return parts;
}

/** The readable text of a part (recursively for multiparts and attached messages); '' for non-text parts. */
function partText(part: Part, depth: number): string {
  const { type, params } = contentType(part.headers.get('content-type'));
  if (depth > MAX_DEPTH) return '';
  if (type.startsWith('multipart/')) {
    const boundary = params.get('boundary');
    if (!boundary) return part.body;
    const children = multipartParts(part.body, boundary).map(splitPart);
    if (type === 'multipart/alternative') {
      const rank = (p: Part) => ['text/plain', 'text/html', 'text/enriched'].indexOf(contentType(p.headers.get('content-type')).type);
      const best = children.filter((p) => rank(p) >= 0).sort((a, b) => rank(a) - rank(b))[0];
      return best ? partText(best, depth + 1) : children.map((c) => partText(c, depth + 1)).join('\n');
    }
    return children
      .map((c) => partText(c, depth + 1))
      .filter((t) => t.trim() !== '')
      .join('\n');
  }
  if (type === 'message/rfc822') {
    const inner = readEmail(part.body, depth + 1);
    return `${inner.subject}\n${inner.body}`;
  }
  if (type.startsWith('text/') && type !== 'text/rfc822-headers' && type !== 'text/x-pgp') return leafText(part, type, params);
  return '';
}

/**
 * The subject and readable body of a raw e-mail (see the module comment for what is kept).
 * Never throws: a malformed message yields what could be read ('' at worst).
 */
export function readEmail(raw: string, depth = 0): EmailText {
  const part = splitPart(raw);
  const subject = decodeEncodedWords(part.headers.get('subject') ?? '');
  const body = partText(part, depth);
  return { subject: subject.replace(/\uFFFD/g, ' '), body: body.replace(/\uFFFD/g, ' ') };
}
