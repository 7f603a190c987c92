import { describe, expect, it } from 'vitest';
import { noticeDmRetryAfterMs } from '../../src/incidents/notice-dm-withdrawals.js';
import { retryWaitMs } from '../../src/incidents/retry-schedule.js';

const waits = (r: Parameters<typeof retryWaitMs>[0], attempts: number[]) => attempts.map((a) => retryWaitMs(r, a));

describe('retryWaitMs', () => {
  it('waits the first wait after the first refusal, doubled after each one, at most the longest', () => {
    expect(waits({ firstMs: 100, mostMs: 1000 }, [1, 2, 3, 4, 5, 6, 50])).toEqual([
      100, 200, 400, 800, 1000, 1000, 1000,
    ]);
  });

  it('never gives up without maxAttempts, however many refusals (no overflow past the longest wait)', () => {
    expect(retryWaitMs({ firstMs: 100, mostMs: 1000 }, 5000)).toBe(1000);
  });

  it('gives up (null) once maxAttempts refusals are reached', () => {
    expect(waits({ firstMs: 100, mostMs: 1000, maxAttempts: 3 }, [1, 2, 3, 4])).toEqual([100, 200, null, null]);
  });

  it('reads no refusal yet (0) as the first', () => {
    expect(retryWaitMs({ firstMs: 100, mostMs: 1000 }, 0)).toBe(100);
  });

  it('the redraws’ schedule: 30 s, doubled, at most 10 minutes, given up after 8 attempts', () => {
    const redraws = { firstMs: 30_000, mostMs: 600_000, maxAttempts: 8 };
    expect(waits(redraws, [1, 2, 3, 4, 5, 6, 7, 8])).toEqual([
      30_000,
      60_000,
      120_000,
      240_000,
      480_000,
      600_000,
      600_000,
      null,
    ]);
  });

  it('the storm withdrawals’ schedule by default: 10 s, doubled, at most 10 minutes, given up after 10 attempts', () => {
    const storm = { firstMs: 10_000, mostMs: 600_000, maxAttempts: 10 };
    expect(waits(storm, [1, 2, 3, 4, 5, 6, 7, 9, 10])).toEqual([
      10_000,
      20_000,
      40_000,
      80_000,
      160_000,
      320_000,
      600_000,
      600_000,
      null,
    ]);
  });

  it('the notice copies’ schedule: the sweep’s first refusal waits twice the first wait, at most 12 times it, for good', () => {
    expect([0, 1, 2, 3, 4, 5, 40].map((a) => noticeDmRetryAfterMs(2000, a))).toEqual([
      2000, 4000, 8000, 16_000, 24_000, 24_000, 24_000,
    ]);
  });
});
