/**
 * The layering of docs/architecture.md §"Layout", enforced: a module imports (as a value, or
 * with a dynamic import) only modules of its own folder and of the folders its layer may use;
 * `import type` may point anywhere (shapes of options and results). Read from the sources'
 * text, so it needs no build.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SRC = fileURLToPath(new URL('../../src', import.meta.url));

const BASE = ['core', 'version.ts'];
const KRS_AND_BELOW = [...BASE, 'linalg', 'similarity', 'agreement', 'io', 'tasks', 'stats', 'krs'];
/** What each folder may import besides itself (docs/architecture.md's table). */
const MAY_IMPORT: Record<string, readonly string[]> = {
  core: [],
  linalg: BASE,
  similarity: [...BASE, 'linalg'],
  agreement: BASE,
  io: BASE,
  tasks: [...BASE, 'linalg', 'similarity', 'agreement'],
  stats: [...BASE, 'io'],
  krs: KRS_AND_BELOW.filter((f) => f !== 'krs'),
  analysis: KRS_AND_BELOW,
  runtime: [...KRS_AND_BELOW, 'analysis'],
  report: [...KRS_AND_BELOW, 'analysis'],
  train: [...KRS_AND_BELOW, 'analysis', 'runtime', 'report'],
  serve: [...KRS_AND_BELOW, 'analysis', 'runtime', 'report', 'train'],
  cli: [...KRS_AND_BELOW, 'analysis', 'runtime', 'report', 'train', 'serve'],
};

/** Every .ts file under `dir`, relative to src/. */
function sources(dir = SRC): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [relative(SRC, join(dir, e.name))] : [],
  );
}

/** The relative modules `file` imports as values (static imports that are not all types, and dynamic imports). */
function valueImports(file: string): string[] {
  const text = readFileSync(join(SRC, file), 'utf8');
  const out: string[] = [];
  for (const m of text.matchAll(/^import\s+(?!type\b)([^;]*?)from\s+'(\.[^']+)'|import\(\s*'(\.[^']+)'\s*\)/gms)) {
    const names = (m[1] ?? '').trim();
    const onlyTypes =
      /^\{[^}]*\}$/.test(names) &&
      names
        .slice(1, -1)
        .split(',')
        .every((n) => n.trim() === '' || n.trim().startsWith('type '));
    if (onlyTypes) continue;
    out.push(normalize(join(dirname(file), (m[2] ?? m[3])!)).replace(/\.js$/, '.ts'));
  }
  return out;
}

const folderOf = (file: string) => (file.includes('/') ? file.split('/')[0]! : file);

describe('layers (docs/architecture.md)', () => {
  it('no module imports a higher layer', () => {
    const violations: string[] = [];
    for (const file of sources()) {
      const from = folderOf(file);
      const allowed = MAY_IMPORT[from];
      if (!allowed) continue; // index.ts, node.ts, version.ts: the entry points and the version
      for (const target of valueImports(file)) {
        const to = folderOf(target);
        if (to !== from && !allowed.includes(to)) violations.push(`${file} → ${target}`);
      }
    }
    expect(violations).toEqual([]);
  });

  it('no file imports itself back through others (value imports, dynamic ones included)', () => {
    const graph = new Map(sources().map((f) => [f, valueImports(f)]));
    const cycles: string[] = [];
    const state = new Map<string, 'open' | 'done'>();
    const visit = (file: string, path: string[]): void => {
      if (state.get(file) === 'done') return;
      if (state.get(file) === 'open') {
        cycles.push([...path.slice(path.indexOf(file)), file].join(' → '));
        return;
      }
      state.set(file, 'open');
      for (const next of graph.get(file) ?? []) visit(next, [...path, file]);
      state.set(file, 'done');
    };
    for (const file of graph.keys()) visit(file, []);
    expect(cycles).toEqual([]);
  });

  it('the rule sees violations (a higher import in a lower layer is caught)', () => {
    expect(MAY_IMPORT.io).not.toContain('tasks');
    expect(MAY_IMPORT.stats).not.toContain('krs');
    expect(valueImports('krs/intervals.ts')).toContain('stats/jackknife.ts');
    expect(valueImports('cli/score-action.ts')).toContain('cli/score-shard.ts'); // a dynamic import counts
    expect(valueImports('cli/score.ts')).toContain('cli/score-action.ts');
    expect(valueImports('cli/score-shard.ts')).not.toContain('cli/score-action.ts');
  });
});

describe('the flow map of docs/architecture.md §"How a call flows"', () => {
  it('every arrow is an import in the sources (value or type)', () => {
    const doc = readFileSync(fileURLToPath(new URL('../../docs/architecture.md', import.meta.url)), 'utf8');
    const section = doc.slice(doc.indexOf('## How a call flows'), doc.indexOf('## The Measure contract'));
    const arrows = [...section.matchAll(/^ {4}src\/(\S+) → src\/(\S+)/gm)].map((m) => [m[1]!, m[2]!] as const);
    expect(arrows.length).toBeGreaterThanOrEqual(20);
    const wrong = arrows.filter(([from, to]) => {
      const text = readFileSync(join(SRC, from), 'utf8');
      const spec = relative(dirname(join(SRC, from)), join(SRC, to)).replace(/\.ts$/, '.js');
      const path = spec.startsWith('.') ? spec : `./${spec}`;
      return !text.includes(`'${path}'`);
    });
    expect(wrong.map(([a, b]) => `${a} → ${b}`)).toEqual([]);
  });
});
