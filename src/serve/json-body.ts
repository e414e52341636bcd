/**
 * JSON request bodies, read as hostile (docs/service.md §"Errors"): UTF-8 checked, nesting
 * bounded before parsing (a body nested 100 000 deep would otherwise overflow the stack of
 * whatever walks it), and one-line 400 errors naming the problem.
 */
import { isUtf8 } from 'node:buffer';
import { httpErrors } from './http-error.js';

/** Deepest nesting of arrays and objects a body may have (a batch needs 3: body, layer, rows). */
const MAX_JSON_DEPTH = 32;

/** Brackets, and whole strings (skipped in one native step: a state's base64 is most of its text). */
const TOKENS = /[[\]{}]|"[^"\\]*(?:\\[\s\S][^"\\]*)*"?/g;

/** The deepest nesting of `[` and `{` in JSON text, outside strings; stops counting past `limit`. */
function jsonDepth(text: string, limit = Number.POSITIVE_INFINITY): number {
  let depth = 0;
  let deepest = 0;
  TOKENS.lastIndex = 0;
  for (let m = TOKENS.exec(text); m !== null; m = TOKENS.exec(text)) {
    const c = m[0].charCodeAt(0);
    if (c === 91 || c === 123) {
      depth++;
      if (depth > deepest) {
        deepest = depth;
        if (deepest > limit) return deepest;
      }
    } else if (c === 93 || c === 125) depth--;
  }
  return deepest;
}

/** Parse a JSON body. @throws HttpError 400 BAD_REQUEST for bytes that are not UTF-8, JSON too deep, or not JSON. */
export function parseJsonBody(body: string | Uint8Array, what = 'body'): unknown {
  if (typeof body !== 'string' && !isUtf8(body)) throw httpErrors.badRequest(`${what}: not UTF-8 text`);
  const text = typeof body === 'string' ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8');
  if (jsonDepth(text, MAX_JSON_DEPTH) > MAX_JSON_DEPTH) throw httpErrors.badRequest(`${what}: JSON nested deeper than ${MAX_JSON_DEPTH} levels`);
  try {
    return JSON.parse(text);
  } catch (e) {
    throw httpErrors.badRequest(`${what}: not JSON (${(e as Error).message.split('\n')[0]})`);
  }
}
