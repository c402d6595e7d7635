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
    // The functions' logger reads its level once, when first imported; a test file that imports
    // function code before a local cloud sets WARN would otherwise log every task at INFO.
    env: { POWERTOOLS_LOG_LEVEL: process.env.POWERTOOLS_LOG_LEVEL ?? 'WARN' },
    // The synthesized template behind local IAM, cached once for every worker.
    globalSetup: ['test/support/warm-iam.ts'],
  },
});
