/**
 * Golden files for charts and reports. Numbers are normalised (rounded) before comparing, so
 * a change in the last digits of a float does not fail a test but a change in what is drawn
 * does. On a difference the actual output is written next to the golden file as
 * `<name>.received.<ext>` (gitignored) for inspection or copying over; `UPDATE_GOLDEN=1`
 * rewrites the golden files instead. A missing golden file always fails (locally as under
 * CI, so a golden file is never created by accident and left uncommitted): the output is
 * written as `<name>.received.<ext>` and the message says how to create the golden file
 * (`UPDATE_GOLDEN=1 npx vitest run <test file>`).
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';

export const GOLDEN_DIR = fileURLToPath(new URL('./golden/', import.meta.url));
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** The command that (re)writes the golden files of the running test file. */
function updateCommand(): string {
  const testPath = expect.getState().testPath;
  return `UPDATE_GOLDEN=1 npx vitest run ${testPath ? relative(ROOT, testPath) : 'test/report'}`;
}

/** Round every number in a JSON-like value to `digits` decimals (−0 becomes 0). */
export function normaliseValue(v: unknown, digits = 3): unknown {
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) return v;
    const r = Number(v.toFixed(digits));
    return Object.is(r, -0) ? 0 : r;
  }
  if (Array.isArray(v)) return v.map((x) => normaliseValue(x, digits));
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, normaliseValue(x, digits)]));
  return v;
}

/** Stable JSON of a normalised value: indented, with every array or object that fits on one line of 100 characters kept on one line. */
export function normalisedJson(v: unknown, digits = 3): string {
  return `${compactJson(normaliseValue(v, digits), '')}\n`;
}

function compactJson(v: unknown, indent: string): string {
  const flat = JSON.stringify(v);
  if (flat === undefined) return 'null';
  if (flat.length + indent.length <= 100 || v === null || typeof v !== 'object') return flat;
  const inner = `${indent}  `;
  if (Array.isArray(v)) return `[\n${v.map((x) => inner + compactJson(x, inner)).join(',\n')}\n${indent}]`;
  const entries = Object.entries(v as Record<string, unknown>).filter(([, x]) => x !== undefined);
  return `{\n${entries.map(([k, x]) => `${inner}${JSON.stringify(k)}: ${compactJson(x, inner)}`).join(',\n')}\n${indent}}`;
}

/** Round every decimal number in a text (SVG coordinates, say) to `digits` decimals, trailing zeros dropped. */
export function normaliseText(text: string, digits = 1): string {
  return text.replace(/-?\d+\.\d+(e-?\d+)?/g, (m) => {
    const r = Number(Number(m).toFixed(digits));
    return String(Object.is(r, -0) ? 0 : r);
  });
}

function receivedPath(file: string): string {
  const dot = file.indexOf('.', file.lastIndexOf('/') + 1);
  return dot < 0 ? `${file}.received` : `${file.slice(0, dot)}.received${file.slice(dot)}`;
}

/**
 * Compare `actual` with test/report/golden/<name>. See the module comment.
 * @example expectGolden('heatmap.vl.json', normalisedJson(chart.spec))
 */
export function expectGolden(name: string, actual: string): void {
  const file = join(GOLDEN_DIR, name);
  const received = receivedPath(file);
  mkdirSync(dirname(file), { recursive: true });
  if (process.env.UPDATE_GOLDEN === '1') {
    writeFileSync(file, actual);
    rmSync(received, { force: true });
    return;
  }
  if (!existsSync(file)) {
    writeFileSync(received, actual);
    expect.fail(
      `golden file ${relative(ROOT, file)} is missing; the output is in ${relative(ROOT, received)}: create it with \`${updateCommand()}\` and commit it`,
    );
  }
  const golden = readFileSync(file, 'utf8');
  if (golden === actual) {
    rmSync(received, { force: true });
    return;
  }
  writeFileSync(received, actual);
  expect(actual, `${name} differs from its golden file; the new output is in ${received} (\`${updateCommand()}\` accepts it)`).toBe(golden);
}
