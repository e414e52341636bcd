import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

/** Node-only modules and native packages that browser-safe code must not reach. */
export const NODE_ONLY = /^(node:|onnxruntime|@resvg)|^(fs|path|os|url|zlib|crypto|child_process|worker_threads|stream|buffer)$/;

/** Every module an entry file reaches through static and dynamic relative imports, with its import specifiers. */
export function importGraph(entry: string): Map<string, string[]> {
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

/** `file imports spec` for every Node-only import in the graph. */
export function nodeOnlyImports(graph: Map<string, string[]>, root: string): string[] {
  return [...graph].flatMap(([file, specs]) => specs.filter((s) => NODE_ONLY.test(s)).map((s) => `${file.slice(root.length)} imports ${s}`));
}
