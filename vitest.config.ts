import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Generous for a busy 2-core machine: model runs, the demo and Chromium take seconds each.
    testTimeout: 60_000,
    // beforeAll hooks train the demo or start Chromium; vitest's default (10 s) is too short for them.
    hookTimeout: 120_000,
    pool: 'forks',
    globalSetup: ['test/global-setup.ts'],
  },
});
