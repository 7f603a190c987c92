import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    // PGlite starts in seconds on a quiet machine, but far slower on a loaded 2-core one.
    hookTimeout: 90_000,
    pool: 'forks',
    fileParallelism: true,
    maxWorkers: 2,
  },
});
