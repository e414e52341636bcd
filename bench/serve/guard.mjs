/**
 * Preloaded (`node --import`) into every server bench/serve starts: the server exits when its
 * stdin closes, i.e. when the bench process is gone however it ended (even SIGKILL, which it
 * cannot catch), so no server outlives the benchmark. Worker threads inherit the preload and
 * have no stdin of their own: only the main thread watches.
 */
import { isMainThread } from 'node:worker_threads';

if (isMainThread) {
  process.stdin.on('data', () => {});
  process.stdin.on('end', () => process.exit(1));
  process.stdin.on('error', () => process.exit(1));
}
