/**
 * The CLI loads lazily (issue 23, docs/architecture.md §cli): what `krs --help` and `krs score`
 * load must not include the training, service or report code, nor tfjs, onnxruntime, fastify
 * or vega — those load with `await import()` inside the actions that use them.
 *
 * Checked on the built JavaScript (dist/, built by the global setup), where TypeScript has
 * already dropped type-only imports: the static import closure of the bin (what every command
 * loads, `--help` included) and of the score action (what `krs score` loads on top). Dynamic
 * imports are not followed: they run only when a flag asks (`--shard`, `--serve`, `--report`).
 * `lazy-imports-process.test.ts` (end-to-end) records what a real process loads.
 * Not timed: bench/cli/startup.mjs measures the CPU time.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { DEFAULT_STORE, normaliseOrigin } from '../../src/serve/defaults.js';
import { normaliseOrigin as serviceNormaliseOrigin } from '../../src/serve/security.js';
import { DEFAULT_STORE as STORE_DEFAULT } from '../../src/serve/store/store.js';

const DIST = fileURLToPath(new URL('../../dist', import.meta.url));

/** Folders of src/ the CLI's start-up must not reach, and the one light file of src/serve/ it may. */
const LAZY_FOLDERS = ['train/', 'serve/', 'report/'];
const LIGHT_SERVE_FILES = ['serve/defaults.js'];
/** Packages that load only inside the actions that use them. */
const LAZY_PACKAGES = /^(@tensorflow\/|onnxruntime|fastify|@fastify\/|vega|d3|@resvg\/|pg$|better-sqlite3|kysely)/;

/** The files (relative to dist/) and packages a module reaches through static imports. */
function staticClosure(entry: string): { files: Set<string>; packages: Set<string> } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const visit = (file: string) => {
    const rel = relative(DIST, file);
    if (files.has(rel)) return;
    files.add(rel);
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/^(?:import|export)\s(?:[^;'"]*?\sfrom\s*)?['"]([^'"]+)['"]/gm)) {
      const spec = m[1]!;
      if (spec.startsWith('.')) visit(resolve(dirname(file), spec));
      else if (!spec.startsWith('node:')) packages.add(spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!);
    }
  };
  visit(join(DIST, entry));
  return { files, packages };
}

/** What of a closure breaks the rule: files of the lazy folders and lazy packages. */
function heavy(c: { files: Set<string>; packages: Set<string> }): string[] {
  const files = [...c.files].filter((f) => LAZY_FOLDERS.some((d) => f.startsWith(d)) && !LIGHT_SERVE_FILES.includes(f));
  return [...files, ...[...c.packages].filter((p) => LAZY_PACKAGES.test(p))].sort();
}

describe('the CLI loads only what a command uses', () => {
  it('the bin (every command, --help included) loads no training, service, report, tfjs, onnxruntime, fastify or vega code', () => {
    expect(existsSync(join(DIST, 'cli/main.js'))).toBe(true);
    const c = staticClosure('cli/main.js');
    expect(c.files.has('cli/score.js')).toBe(true); // the walk follows the imports
    expect(heavy(c)).toEqual([]);
    // Nor any command's action or the data readers: those load when their command runs.
    expect([...c.files].filter((f) => /^cli\/.*-action\.js$|^runtime\/(data\/|node-onnx|eval|capture-run|inspect)/.test(f))).toEqual([]);
    expect(c.packages).not.toContain('@stdlib/stats-base-dists-t-quantile');
    expect(c.packages).not.toContain('cli-progress');
  });

  it('krs score loads none of them either (the report, shards and --serve load only when asked)', () => {
    const c = staticClosure('cli/score-action.js');
    expect(c.files.has('krs/score-captures.js')).toBe(true);
    expect(heavy(c)).toEqual([]);
  });

  it('the walk sees what it must catch: the serve command and the report code reach them', () => {
    expect(heavy(staticClosure('serve/app.js'))).toEqual(expect.arrayContaining(['fastify', 'serve/app.js']));
    expect(heavy(staticClosure('report/node-report.js')).some((f) => f.startsWith('report/'))).toBe(true);
  });

  it("the light defaults the option declarations use are the service's own", () => {
    expect(DEFAULT_STORE).toBe(STORE_DEFAULT);
    expect(serviceNormaliseOrigin).toBe(normaliseOrigin);
    expect(normaliseOrigin('HTTPS://Edge.Example.com:443/')).toBe('https://edge.example.com');
    expect(normaliseOrigin('ftp://x')).toBeNull();
  });
});
