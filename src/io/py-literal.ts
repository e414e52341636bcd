/**
 * A parser for the small subset of Python literal syntax that .npy headers use
 * (what `ast.literal_eval` accepts there): dicts, lists, tuples, str ('…' or "…"
 * with backslash escapes), int (with an optional legacy `L` suffix), True, False, None.
 * Tuples are returned as arrays; a one-element tuple `(3,)` is `[3]`.
 */

/** A parsed Python literal. */
export type PyValue = string | number | boolean | null | PyValue[] | { [key: string]: PyValue };

/**
 * Parse `text` as one Python literal, surrounded by optional whitespace.
 * @throws Error with a short reason (callers wrap it in a BAD_FILE message).
 */
export function parsePyLiteral(text: string): PyValue {
  let i = 0;
  const ws = () => {
    while (i < text.length && /\s/.test(text[i]!)) i++;
  };
  const fail = (what: string): never => {
    throw new Error(`${what} at character ${i}`);
  };
  const value = (): PyValue => {
    ws();
    const c = text[i];
    if (c === undefined) return fail('unexpected end');
    if (c === '{') return dict();
    if (c === '[') return seq(']');
    if (c === '(') return seq(')');
    if (c === "'" || c === '"') return str();
    const m = /^(-?\d+)L?|^(True|False|None)\b/.exec(text.slice(i, i + 64));
    if (!m) return fail(`unexpected ${JSON.stringify(c)}`);
    i += m[0].length;
    if (m[1] !== undefined) return Number(m[1]);
    return m[2] === 'True' ? true : m[2] === 'False' ? false : null;
  };
  const str = (): string => {
    const quote = text[i++];
    let out = '';
    for (;;) {
      const c = text[i++];
      if (c === undefined) return fail('unterminated string');
      if (c === quote) return out;
      if (c === '\\') {
        const e = text[i++];
        if (e === undefined) return fail('unterminated string');
        out += e === 'n' ? '\n' : e === 't' ? '\t' : e === 'r' ? '\r' : e === '0' ? '\0' : e;
      } else out += c;
    }
  };
  const seq = (close: string): PyValue[] => {
    i++;
    const out: PyValue[] = [];
    for (;;) {
      ws();
      if (text[i] === close) {
        i++;
        return out;
      }
      out.push(value());
      ws();
      if (text[i] === ',') i++;
      else if (text[i] !== close) fail(`expected ',' or '${close}'`);
    }
  };
  const dict = (): { [key: string]: PyValue } => {
    i++;
    const out: { [key: string]: PyValue } = {};
    for (;;) {
      ws();
      if (text[i] === '}') {
        i++;
        return out;
      }
      const k = value();
      if (typeof k !== 'string') fail('dict key is not a string');
      ws();
      if (text[i++] !== ':') fail("expected ':'");
      out[k as string] = value();
      ws();
      if (text[i] === ',') i++;
      else if (text[i] !== '}') fail("expected ',' or '}'");
    }
  };
  const v = value();
  ws();
  if (i !== text.length) fail('trailing characters');
  return v;
}
