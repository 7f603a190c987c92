/**
 * Preloaded into the bench's children (`node --expose-gc --import ./bench/gc-probe.mjs …`); no part of
 * the bot. On SIGUSR2 it runs a full garbage collection and prints one line
 * `[gc-probe] {"heapUsed":…,"heapTotal":…,"external":…,"arrayBuffers":…,"rss":…}` (bytes), so bench/ack can tell
 * memory the process still holds (live objects) from heap it merely has not given back to the OS.
 */
process.on('SIGUSR2', () => {
  globalThis.gc?.();
  const { heapUsed, heapTotal, external, arrayBuffers, rss } = process.memoryUsage();
  console.log(`[gc-probe] ${JSON.stringify({ heapUsed, heapTotal, external, arrayBuffers, rss })}`);
});
