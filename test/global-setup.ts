/**
 * Builds dist/ once before the suite, so CLI tests run the same JavaScript that `krs` runs.
 * Type errors do not stop the build here (tsc still emits): `npm test` type-checks first.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export default function setup(): void {
  const root = fileURLToPath(new URL('..', import.meta.url));
  spawnSync(process.execPath, [`${root}node_modules/typescript/bin/tsc`, '-p', `${root}tsconfig.build.json`], { stdio: 'inherit', cwd: root });
  if (!existsSync(`${root}dist/cli/main.js`)) throw new Error('build failed: dist/cli/main.js is missing');
}
