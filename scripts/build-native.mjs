#!/usr/bin/env node
/**
 * `npm run build:native`: build the optional OpenBLAS addon (native/krs_blas.c) with the
 * node-gyp that npm bundles, against the installed Node headers (`--nodedir`, default the
 * prefix of this node, e.g. /usr; nothing is downloaded), and install it as
 * native/krs_blas.node — the only file src/runtime/blas-backend.ts loads.
 *
 * Never run by `npm ci` or `npm run build` (binding.gyp lives in native/, not at the package
 * root, so npm does not build it on its own). Before building it checks, in order, for a C
 * compiler, make, python3, node-gyp, node_api.h, cblas.h and libopenblas; the first one
 * missing is printed as one line and the script exits 1. node-gyp's output goes to
 * native/build-native.log. The installed file is removed first and replaced only by a build
 * that loaded and ran in a child process (copied under a temporary name, then renamed), so a
 * failed or interrupted build leaves no addon rather than a broken one.
 *
 *     npm run build:native                    # node scripts/build-native.mjs
 *     node scripts/build-native.mjs --nodedir /opt/node
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, openSync, renameSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const native = join(root, 'native');
const target = join(native, 'krs_blas.node');
const built = join(native, 'build', 'Release', 'krs_blas.node');
const logFile = join(native, 'build-native.log');
const args = process.argv.slice(2);
const at = args.indexOf('--nodedir');
const nodedir = at >= 0 ? args[at + 1] : dirname(dirname(process.execPath));

/** Print one line and exit 1. */
function stop(line) {
  console.error(`build:native: ${line}`);
  process.exit(1);
}

/** Whether `cmd args…` runs and exits 0 (stdin `input`, output discarded). */
function runs(cmd, cmdArgs, input) {
  const r = spawnSync(cmd, cmdArgs, { input, stdio: [input === undefined ? 'ignore' : 'pipe', 'ignore', 'ignore'] });
  return r.status === 0;
}

/** node-gyp bundled with the npm running this script, else with the npm next to this node. */
function findNodeGyp() {
  const candidates = [];
  if (process.env.npm_execpath) candidates.push(join(dirname(process.env.npm_execpath), '..', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'));
  candidates.push(join(nodedir, 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'));
  return candidates.find((c) => existsSync(c));
}

const probe = '#include <cblas.h>\nint main(void) { return openblas_get_num_threads() > 0 ? 0 : 1; }\n';
rmSync(target, { force: true });
if (!runs('cc', ['--version'])) stop('no C compiler (cc) found: install gcc (apt-get install build-essential)');
if (!runs('make', ['--version'])) stop('make not found: install make (apt-get install build-essential)');
if (!runs('python3', ['--version'])) stop('python3 not found (node-gyp needs it)');
const nodeGyp = findNodeGyp();
if (!nodeGyp) stop("npm's bundled node-gyp not found (looked next to npm and under --nodedir)");
if (!existsSync(join(nodedir, 'include', 'node', 'node_api.h')))
  stop(`Node headers not found: ${join(nodedir, 'include', 'node', 'node_api.h')} (pass --nodedir)`);
if (!runs('cc', ['-fsyntax-only', '-x', 'c', '-'], probe)) stop('cblas.h not found: install libopenblas-dev');
if (!runs('cc', ['-x', 'c', '-', '-lopenblas', '-o', '/dev/null'], probe)) stop('libopenblas not found by the linker (-lopenblas): install libopenblas-dev');

const log = openSync(logFile, 'w');
const gyp = spawnSync(process.execPath, [nodeGyp, 'rebuild', `--nodedir=${nodedir}`, '--directory', native], { stdio: ['ignore', log, log] });
if (gyp.status !== 0 || !existsSync(built)) stop(`node-gyp failed to build native/krs_blas.c (see ${logFile})`);
const check = spawnSync(process.execPath, ['-e', `const b = require(${JSON.stringify(built)}); if (!(b.threads() >= 1)) process.exit(1);`], {
  stdio: 'ignore',
});
if (check.status !== 0) stop(`the built addon ${built} does not load (see ${logFile})`);
copyFileSync(built, `${target}.tmp`);
renameSync(`${target}.tmp`, target);
console.log(`build:native: built ${target}`);
