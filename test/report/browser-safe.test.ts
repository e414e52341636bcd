import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SRC = fileURLToPath(new URL('../../src/', import.meta.url));

describe('krs/report runs in a browser', () => {
  it('src/report/index.ts reaches no Node-only module and no native package', () => {
    const seen = new Map<string, string[]>();
    const visit = (file: string) => {
      if (seen.has(file)) return;
      const text = readFileSync(file, 'utf8');
      const specs = [...text.matchAll(/(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g)].map((m) => m[1] ?? m[2]!);
      seen.set(file, specs);
      for (const s of specs) if (s.startsWith('.')) visit(resolve(dirname(file), s.replace(/\.js$/, '.ts')));
    };
    visit(`${SRC}report/index.ts`);
    expect([...seen.keys()].some((f) => f.endsWith('render.ts'))).toBe(true);
    const offenders = [...seen].flatMap(([file, specs]) =>
      specs.filter((s) => s.startsWith('node:') || /^(fs|path|os|url|zlib|crypto|child_process|worker_threads|stream|buffer)$/.test(s) || s.startsWith('onnxruntime') || s.startsWith('@resvg')).map((s) => `${file.slice(SRC.length)} imports ${s}`),
    );
    expect(offenders).toEqual([]);
  });
});
