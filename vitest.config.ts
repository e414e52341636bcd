import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

/**
 * The end-to-end tests: they train networks, run the demos, spawn krs processes and servers,
 * drive Chromium or write gigabyte files. `npm test` runs everything else (the library, the CLI
 * in-process, the service in-process); `npm run test:e2e` (KRS_E2E=1) runs these. CI runs both.
 */
const E2E = [
  // test/train/ trains networks, except these (kernel checks, scenes, metrics, losses, targets, statistics: seconds), which npm test runs.
  'test/train/**/!(wasm-kernels|scenes|protocol|coco-map|paired-error|mnist-split|rng|experiments|dense-losses|dense-targets|seg-losses|nlp-tokenizer|nlp-losses|nlp-metrics|loop|study-families).test.ts',
  'test/cluster/**/*.test.ts',
  'test/cli/demo*.test.ts',
  'test/cli/interrupt*.test.ts',
  'test/cli/{run,serve-clients,on-path,eval,eval-students,capture-pool,lazy-imports-process,shards}.test.ts',
  'test/serve/{dashboard,fault,python}.test.ts',
  'test/report/browser.test.ts',
  'test/io/large-file.test.ts',
  'test/krs/diagnose-pairs.test.ts',
  'test/cli/heatmap-eval.test.ts',
];
const e2e = process.env.KRS_E2E === '1';

export default defineConfig({
  test: {
    include: e2e ? E2E : ['test/**/*.test.ts'],
    exclude: e2e ? [] : E2E,
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
