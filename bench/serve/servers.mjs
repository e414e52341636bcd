/**
 * The servers bench/serve runs: `krs serve` (the built bin) and the bare ceiling server
 * (bare.mjs), each a child process on a free loopback port (port 0; the printed URL is
 * parsed). Every child is killed when the bench ends, however it ends: on exit (SIGKILL), on
 * SIGINT/SIGTERM/SIGHUP (after the registered clean-ups ran), and — when the bench itself is
 * killed — by guard.mjs in the child, which exits when its stdin pipe closes.
 */
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { root } from '../score/common.mjs';

const BIN = join(root, 'dist/cli/main.js');
const GUARD = new URL('./guard.mjs', import.meta.url).href;
const BARE = join(dirname(fileURLToPath(import.meta.url)), 'bare.mjs');

/** Every child this process started and has not seen exit. */
const children = new Set();
/** Async clean-ups (temporary stores) run once, at the end or on a signal. */
const cleanups = [];
let cleaned = null;

function killAll() {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
}

/** Register an async clean-up (drop a schema, remove a folder); run by {@link cleanup}. */
export function onCleanup(fn) {
  cleanups.push(fn);
}

/** Kill every child, then run the clean-ups (once; later calls wait for the first). */
export function cleanup() {
  killAll();
  cleaned ??= (async () => {
    for (const fn of cleanups.splice(0).reverse()) {
      try {
        await fn();
      } catch (e) {
        process.stderr.write(`clean-up failed: ${e.message}\n`);
      }
    }
  })();
  return cleaned;
}

process.on('exit', killAll);
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.once(sig, () => {
    process.stderr.write(`\n${sig}: stopping the servers and removing the temporary stores …\n`);
    const force = setTimeout(() => process.exit(130), 10_000);
    force.unref();
    void cleanup().finally(() => process.exit(130));
  });
}

/** Start a child that prints `<prefix>: http://…` when it listens; resolves {child, url, stderr()}. */
function start(args, prefix, what) {
  const child = spawn(process.execPath, ['--import', GUARD, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  children.add(child);
  child.once('exit', () => children.delete(child));
  let err = '';
  child.stderr.on('data', (c) => {
    err = (err + c).slice(-4000);
  });
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`${what} did not start within 30 s: ${err}`)), 30_000);
    const re = new RegExp(`${prefix}: (http://\\S+)`);
    const onData = (c) => {
      out += c;
      const m = re.exec(out);
      if (m) {
        clearTimeout(timer);
        child.stdout.off('data', onData);
        child.stdout.resume();
        resolve({ child, url: m[1], stderr: () => err });
      }
    };
    child.stdout.on('data', onData);
    child.once('exit', (code, sig) => {
      clearTimeout(timer);
      reject(new Error(`${what} exited (${code ?? sig}): ${err.trim()}`));
    });
  });
}

/** `krs serve` on `store` (file or postgres:// URL): no rate limit, 64 MiB bodies, no tokens (loopback). */
export function serveKrs(store) {
  return start([BIN, 'serve', '--store', store, '--port', '0', '--rate-limit', '0', '--body-limit', '64'], 'krs serve', 'krs serve');
}

/** The bare ceiling server (bare.mjs) on `store`. */
export function serveBare(store) {
  return start([BARE, '--store', store], 'bare', 'bare server');
}

/** SIGKILL a child and wait until it is gone. */
export function stop(child) {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}
