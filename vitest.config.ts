import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['test/bench/**', 'node_modules/**'],
    pool: 'forks',
    // Two cores: integration files each start a local cloud; run at most two at once.
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // The synthesized template behind local IAM, cached once for every worker.
    globalSetup: ['test/support/warm-iam.ts'],
  },
});
