import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    // An embedded PostgreSQL (a test file's own) starts in a second on a quiet machine, far slower on a loaded 2-core one.
    hookTimeout: 90_000,
    pool: 'forks',
    fileParallelism: true,
    // Three files at a time on a 2-core machine: most e2e files wait (timers of seconds, processes starting), and with
    // two the cores were about half idle through a run (vmstat); three ran the suite in 389 s against 544 s.
    maxWorkers: 3,
  },
});
