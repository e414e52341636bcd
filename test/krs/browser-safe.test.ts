import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { VERSION } from '../../src/version.js';

const SRC = fileURLToPath(new URL('../../src/', import.meta.url));

/** Every module src/index.ts reaches through static and dynamic imports. */
function reachable(entry: string): Map<string, string[]> {
  const seen = new Map<string, string[]>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    const text = readFileSync(file, 'utf8');
    const specs = [...text.matchAll(/(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g)].map((m) => m[1] ?? m[2]!);
    seen.set(file, specs);
    for (const s of specs) if (s.startsWith('.')) visit(resolve(dirname(file), s.replace(/\.js$/, '.ts')));
  };
  visit(entry);
  return seen;
}

describe('the core library runs in a browser', () => {
  it('src/index.ts reaches no Node-only module and no native package', () => {
    const graph = reachable(`${SRC}index.ts`);
    expect(graph.size).toBeGreaterThan(20);
    const offenders: string[] = [];
    for (const [file, specs] of graph) {
      for (const s of specs) {
        if (s.startsWith('node:') || /^(fs|path|os|url|zlib|crypto|child_process|worker_threads|stream|buffer)$/.test(s) || s.startsWith('onnxruntime')) {
          offenders.push(`${file.slice(SRC.length)} imports ${s}`);
        }
      }
    }
    expect(offenders).toEqual([]);
  });
  it('VERSION matches package.json', () => {
    const pkg = JSON.parse(readFileSync(fileURLToPath(new URL('../../package.json', import.meta.url)), 'utf8'));
    expect(VERSION).toBe(pkg.version);
  });
});
