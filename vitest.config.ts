import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 180_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Two files at a time even on two cores: much of a store test is waiting on PostgreSQL, a
    // child process or a socket, so one file at a time leaves a core idle.
    maxWorkers: 2,
    globalSetup: ['test/global-setup.ts'],
    // The JSON report is what CI counts (.ci/test-summary.ts).
    reporters: ['default', ['json', { outputFile: 'test-results/vitest.json' }]],
  },
});
