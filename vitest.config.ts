import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Keeps the test server's catalogs vacuumed while the suite makes and drops schemas (test/support/catalog-vacuum.ts).
    globalSetup: ['test/support/catalog-vacuum.ts'],
    testTimeout: 30_000,
    // An embedded PostgreSQL (a test file's own) starts in a second on a quiet machine, far slower on a loaded 2-core one.
    hookTimeout: 90_000,
    pool: 'forks',
    // A worker runs its files one after the other in one process, without importing every module again for each
    // file: importing the sources (Bolt, pg, the whole bot) took about 250 s of the suite's 1,900 s of test time on a
    // 2-core machine, 30 s this way, and the run went from 766 s to 646 s (same machine, one after the other). Files
    // leave nothing behind that another reads: each starts its bots on a schema of its own, stops them, and restores
    // what it spied on.
    isolate: false,
    fileParallelism: true,
    // Four files at a time on a 2-core machine: most e2e files wait (timers of seconds, processes starting). With two
    // the cores were about half idle through a run (vmstat); three ran the suite in 389 s against 544 s, and on a
    // slower day of the same machine in 806 s (the last session's code alike: 905 s), past CI's 15 minutes with its
    // install and build. Five: with four, process accounting over a whole run counted 1,430 s of CPU in 921 s, the
    // two cores a fifth idle while the files waited on their timers.
    maxWorkers: 5,
  },
});
