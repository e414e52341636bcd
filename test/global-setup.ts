/**
 * Builds dist/ before the suite when the sources changed since the last build, so the tests
 * that start the real bin (`krsProcess`) run the same JavaScript that `krs` runs. Most CLI
 * tests run in-process from the sources and need no build.
 *
 * The build is incremental (tsc's build info in node_modules/.cache) and skipped outright
 * when a stamp written after the last build is newer than every file under src/ and the
 * tsconfigs. Type errors do not stop the build here (tsc still emits): `npm test`
 * type-checks first.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Latest modification time (ms) of a file or of any file under a folder. */
function newest(path: string): number {
  const s = statSync(path);
  if (!s.isDirectory()) return s.mtimeMs;
  let t = s.mtimeMs;
  for (const name of readdirSync(path)) t = Math.max(t, newest(join(path, name)));
  return t;
}

export default function setup(): void {
  const root = fileURLToPath(new URL('..', import.meta.url));
  const cache = join(root, 'node_modules/.cache');
  const stamp = join(cache, 'krs-dist.stamp');
  const main = join(root, 'dist/cli/main.js');
  const inputs = ['src', 'tsconfig.json', 'tsconfig.build.json'].map((p) => join(root, p));
  if (existsSync(main) && existsSync(stamp) && statSync(stamp).mtimeMs > Math.max(...inputs.map(newest))) return;
  mkdirSync(cache, { recursive: true });
  const started = Date.now();
  spawnSync(
    process.execPath,
    [
      join(root, 'node_modules/typescript/bin/tsc'),
      '-p',
      join(root, 'tsconfig.build.json'),
      '--incremental',
      '--tsBuildInfoFile',
      join(cache, 'krs-dist.tsbuildinfo'),
    ],
    { stdio: 'inherit', cwd: root },
  );
  if (!existsSync(main)) throw new Error('build failed: dist/cli/main.js is missing');
  // Stamped with the build's start time: a source saved during the build makes the next run build again.
  writeFileSync(stamp, '');
  utimesSync(stamp, new Date(started), new Date(started));
}
