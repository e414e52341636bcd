/**
 * What the CLI writes, made safe to show: text that reaches stdout and stderr may hold bytes
 * of the files and services it read (layer names, a state file's context, a server's
 * message), and a terminal obeys escape sequences. Every write is passed through
 * {@link safeText}:
 *
 * - option references of the library's messages (`opt('batchSize')`, private-use brackets
 *   U+E000/U+E001) become the CLI's flags (`--batch-size`), in text and JSON alike;
 * - control characters other than tab and newline — C0, DEL, C1 — and the bidirectional
 *   overrides and isolates (U+202A–U+202E, U+2066–U+2069, which reorder what a terminal
 *   shows) are written as `\uXXXX`, which is also their JSON escape, so JSON output stays
 *   valid and means the same. On a terminal, carriage returns and the erase-line sequence
 *   `ESC [ K` of the progress bars pass.
 */
import { nameOptions, type OptionNamer } from '../core/errors.js';
import type { CliStream } from './io.js';

/** C0 controls but tab, newline, carriage return and ESC; DEL and C1; bidi overrides and isolates. */
const alwaysUnsafe = (c: number) =>
  (c < 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d && c !== 0x1b) ||
  (c >= 0x7f && c <= 0x9f) ||
  (c >= 0x202a && c <= 0x202e) ||
  (c >= 0x2066 && c <= 0x2069);

const escapeCode = (c: number) => `\\u${c.toString(16).padStart(4, '0')}`;

/**
 * `text` safe to write to a stream (see the module comment).
 * @param terminal true for a terminal: `\r` and `ESC [ K` (the progress bars' redraw) pass
 */
export function safeText(text: string, name: OptionNamer, terminal = false): string {
  const s = nameOptions(text, name);
  let out = '';
  let from = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const redraw = terminal && (c === 0x0d || (c === 0x1b && s.startsWith('[K', i + 1)));
    if (!(alwaysUnsafe(c) || ((c === 0x0d || c === 0x1b) && !redraw))) continue;
    out += s.slice(from, i) + escapeCode(c);
    from = i + 1;
  }
  return from === 0 ? s : out + s.slice(from);
}

/** A stream whose every write is {@link safeText}. `name` is read at each write (the program is built after the streams). */
export function safeStream(stream: CliStream, name: () => OptionNamer): CliStream {
  const terminal = stream.isTTY === true;
  return {
    write: (text: string) => stream.write(safeText(String(text), name(), terminal)),
    isTTY: stream.isTTY,
    columns: stream.columns,
  };
}
