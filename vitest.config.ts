import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Generous for a busy 2-core machine: model runs, the demo and Chromium take seconds each.
    testTimeout: 60_000,
    // beforeAll hooks train the demo or start Chromium; vitest's default (10 s) is too short for them.
    hookTimeout: 120_000,
    pool: 'forks',
    // vitest's default is one worker fewer than the cores: a single worker on 2 cores, which
    // leaves one core idle now that CLI tests run in-process instead of in child processes.
    maxWorkers: Math.max(2, availableParallelism() - 1),
    globalSetup: ['test/global-setup.ts'],
    // Model workers started from the sources load the worker dist/ was just built from (by
    // the global setup) instead of compiling it through tsx in every worker thread.
    env: {
      KRS_MODEL_WORKER: fileURLToPath(new URL('./dist/runtime/model-worker.js', import.meta.url)),
      // The service's threads (src/serve/threads.ts) likewise load their built files.
      KRS_DIST: fileURLToPath(new URL('./dist', import.meta.url)),
    },
  },
});
