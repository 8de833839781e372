import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // One Temporal dev server, one workflow bundle and one database for the whole run (test/global-setup.ts);
    // test files run one at a time in forked processes so they never race on shared state.
    globalSetup: ['test/global-setup.ts'],
    pool: 'forks',
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 180_000,
    teardownTimeout: 60_000,
    env: { PROVISIO_ENV: 'test', LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn' },
  },
});
