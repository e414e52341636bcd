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

/** Characters written as `\uXXXX` (carriage return and ESC are decided by the stream). */
const UNSAFE = /[\u0000-\u0008\u000b\u000c\u000e-\u001a\u001c-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;
const escapeChar = (c: string) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;

/**
 * `text` safe to write to a stream (see the module comment).
 * @param terminal true for a terminal: `\r` and `ESC [ K` (the progress bars' redraw) pass
 */
export function safeText(text: string, name: OptionNamer, terminal = false): string {
  const named = nameOptions(text, name).replace(UNSAFE, escapeChar);
  const esc = terminal ? named.replace(/\u001b(?!\[K)/g, escapeChar) : named.replace(/[\r\u001b]/g, escapeChar);
  return esc;
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
