import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import { RUN_COMMAND_DEFAULTS, runCommand } from '../../src/ops/run-command.js';
import { ATOM_CLI, FAKE_SECRETS } from './fake-atom-cli.js';

const MIB = 1024 * 1024;

interface Ticks {
  /** When each tick of a 10 ms interval timer fired, in ms from the start. */
  at: number[];
  /** The longest wait between two ticks (or from the start to the first) after `from`. */
  maxGapAfter(from: number): number;
}

/** Runs `work` while a 10 ms timer ticks: if something blocks the event loop, the ticks show a gap. */
async function withTicker<T>(
  work: (now: () => number) => Promise<T>,
): Promise<{ value: T; ticks: Ticks; p99Ms: number }> {
  const histogram = monitorEventLoopDelay({ resolution: 10 });
  histogram.enable();
  const started = performance.now();
  const now = (): number => performance.now() - started;
  const at: number[] = [];
  const timer = setInterval(() => at.push(now()), 10);
  try {
    const value = await work(now);
    const ticks: Ticks = {
      at,
      maxGapAfter(from) {
        let max = 0;
        let previous = from;
        for (const tick of at.filter((t) => t > from)) {
          max = Math.max(max, tick - previous);
          previous = tick;
        }
        return max;
      },
    };
    return { value, ticks, p99Ms: histogram.percentile(99) / 1e6 };
  } finally {
    clearInterval(timer);
    histogram.disable();
  }
}

describe('runCommand with 10 MiB of output', () => {
  it('keeps the event loop responsive and memory bounded', async () => {
    /** One flood, timed by a 10 ms ticker. */
    const flood = async () => {
      const rssBefore = process.memoryUsage().rss;
      let streaming = Number.POSITIVE_INFINITY;
      const {
        value: result,
        ticks,
        p99Ms,
      } = await withTicker((now) =>
        runCommand([ATOM_CLI, 'status'], {
          env: { ATOM_CLI_FLOOD_MB: '10' },
          onOutput: () => {
            streaming = Math.min(streaming, now());
          },
        }),
      );
      const rssGrowthMb = (process.memoryUsage().rss - rssBefore) / MIB;
      // Spawning is synchronous in Node (fork + exec): a fixed cost paid before the first byte, measured apart.
      const firstTickMs = ticks.at[0] ?? result.durationMs;
      const streamingGapMs = ticks.maxGapAfter(streaming);
      const streamingTicks = ticks.at.filter((t) => t > streaming).length;
      const streamingMs = result.durationMs - streaming;
      console.info(
        `flood 10 MiB: ${result.durationMs} ms (${(10_000 / result.durationMs).toFixed(1)} MiB/s); first tick after ` +
          `${firstTickMs.toFixed(0)} ms (spawn); while streaming ${streamingMs.toFixed(0)} ms: ${streamingTicks} ticks ` +
          `of a 10 ms timer, max gap ${streamingGapMs.toFixed(1)} ms; loop delay p99 ${p99Ms.toFixed(1)} ms; ` +
          `rss +${rssGrowthMb.toFixed(0)} MiB; full ${(result.full.length / MIB).toFixed(2)} MiB`,
      );
      return { result, streamingGapMs, streamingTicks, streamingMs };
    };
    // A stall of the whole machine (other test files loading it) shows as a gap too, whatever the code does: the
    // flood runs again, up to three times in all, and the quietest run is judged. Code that blocks the event loop
    // while the output streams shows the gap in every run.
    // A loop blocked while the output streams shows a gap about as long as the streaming (a second); a full suite on
    // a loaded machine showed a quietest gap of 172 ms in three runs of code that does not block.
    const MAX_GAP_MS = 300;
    // Too few ticks (under a third of one every 10 ms) is the other sign of a blocked loop; a loaded machine can show
    // it too (30 ticks for 34 wanted in a full CI run, no gap past 300 ms): it is run again for it as for a gap.
    const held = (r: { streamingGapMs: number; streamingTicks: number; streamingMs: number }) =>
      r.streamingGapMs < MAX_GAP_MS && r.streamingTicks >= Math.floor(r.streamingMs / 10 / 3);
    const runs = [await flood()];
    while (runs.length < 3 && !runs.some(held)) runs.push(await flood());
    const quietest = runs.find(held) ?? runs.reduce((a, b) => (b.streamingGapMs < a.streamingGapMs ? b : a));
    const { result } = runs[0]!;

    expect(result.exitCode).toBe(0);
    expect(result.bytes).toBe(10 * MIB);
    expect(result.truncated).toBe(true);
    expect(result.tail.length).toBeLessThanOrEqual(RUN_COMMAND_DEFAULTS.maxTailChars);
    expect(result.tail.split('\n').at(-1)).toMatch(/^END OF FLOOD\.+$/);
    expect(result.full.length).toBeLessThanOrEqual(RUN_COMMAND_DEFAULTS.maxFullBytes + 200 + result.tail.length);
    expect(result.full).toMatch(/\[output truncated: kept the first \d+ of \d+ bytes; the last lines follow\]/);
    // The secret printed every 1 024 lines is masked in what is kept.
    expect(result.full).not.toContain(FAKE_SECRETS.openai.slice(-20, -4));
    expect(result.full).toContain('OPENAI_API_KEY=***');

    // The 10 ms timer kept firing while the output streamed (about a second): no long block of the event loop.
    expect(quietest.streamingGapMs).toBeLessThan(MAX_GAP_MS);
    expect(quietest.streamingTicks).toBeGreaterThanOrEqual(Math.floor(quietest.streamingMs / 10 / 3));
  });

  it('keeps only maxFullBytes with a smaller cap', async () => {
    const result = await runCommand([ATOM_CLI, 'status'], {
      env: { ATOM_CLI_FLOOD_MB: '10' },
      maxFullBytes: MIB,
      maxTailChars: 1_000,
    });
    expect(result.bytes).toBe(10 * MIB);
    expect(result.truncated).toBe(true);
    expect(result.tail.length).toBeLessThanOrEqual(1_000);
    const head = result.full.slice(0, result.full.indexOf('[output truncated'));
    expect(Buffer.byteLength(head)).toBeLessThanOrEqual(MIB);
    expect(Buffer.byteLength(head)).toBeGreaterThan(MIB - 100);
    expect(head.endsWith('\n')).toBe(true);
  });
});
