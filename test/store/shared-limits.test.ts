import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChannelBudget } from '../../src/incidents/channel-budget.js';
import { parseRate, RateLimit, RateLimitedError, UserLimits } from '../../src/incidents/rate-limits.js';
import type { GuardedKv } from '../../src/store/kv.js';
import { MemoryKv } from '../../src/store/kv-memory.js';
import { openKv } from '../../src/store/kv-redis.js';
import { RequestDedupe } from '../../src/store/request-dedupe.js';
import { TEST_REDIS_URL, testKeyPrefix, UpstashRestFront } from '../support/upstash-rest.js';

const quiet = { warn: () => {}, info: () => {} };
/** A declaration that opens an incident, as far as the limits can tell. */
const declare = (limits: UserLimits, userId: string) =>
  limits.declaring(
    userId,
    async () => 'opened',
    () => true,
  );

describe('rate limits as configured', () => {
  it('reads count/duration, and off', () => {
    expect(parseRate('5/1m')).toEqual({ limit: 5, windowMs: 60_000 });
    expect(parseRate(' 20 / 30s ')).toEqual({ limit: 20, windowMs: 30_000 });
    expect(parseRate('off')).toBe('off');
    expect(parseRate('0')).toBe('off');
    for (const bad of ['5', '5/', '/1m', '5/1y', '0/1m', 'five/1m', '5/0s']) expect(parseRate(bad)).toBeNull();
  });

  it('refuses past the limit, says when one more fits, and allows again then', async () => {
    let now = 60_000 * 1000 + 20_000;
    const limit = new RateLimit(new MemoryKv(() => now), 'x', { limit: 2, windowMs: 60_000 }, () => now);
    expect(await limit.take('U1')).toMatchObject({ ok: true });
    now += 10_000;
    expect(await limit.take('U1')).toMatchObject({ ok: true });
    // One more fits once the first leaves the last minute: 50 s from now.
    expect(await limit.take('U1')).toMatchObject({ ok: false, retryAfterMs: 50_000 });
    expect(await limit.take('U2')).toMatchObject({ ok: true });
    now += 49_999;
    expect(await limit.take('U1')).toMatchObject({ ok: false, retryAfterMs: 1 });
    now += 1;
    expect(await limit.take('U1')).toMatchObject({ ok: true });
    // The second one is still within the minute.
    expect(await limit.take('U1')).toMatchObject({ ok: false, retryAfterMs: 10_000 });
  });

  it('the window slides: a burst at the end of a minute is not followed by another at the start of the next', async () => {
    let now = 60_000 * 1000 + 59_000; // 59 s into a minute
    const limit = new RateLimit(new MemoryKv(() => now), 'x', { limit: 5, windowMs: 60_000 }, () => now);
    for (let i = 0; i < 5; i++) expect(await limit.take('U1')).toMatchObject({ ok: true });
    now += 2000; // 1 s into the next minute: the five are within the last minute still
    expect(await limit.take('U1')).toMatchObject({ ok: false, retryAfterMs: 58_000 });
    now += 57_000;
    expect(await limit.take('U1')).toMatchObject({ ok: false });
    now += 1000;
    // A minute after the burst the person has the whole limit again.
    for (let i = 0; i < 5; i++) expect(await limit.take('U1')).toMatchObject({ ok: true });
    expect(await limit.take('U1')).toMatchObject({ ok: false });
  });

  it('a declaration that failed or opened nothing does not count; a refused one neither', async () => {
    const limits = new UserLimits(new MemoryKv(), { declare: { limit: 2, windowMs: 60_000 }, run: null });
    // Slack down: the declaration throws. Three times: none counts.
    for (let i = 0; i < 3; i++)
      await expect(
        limits.declaring(
          'U1',
          () => Promise.reject(new Error('slack down')),
          () => true,
        ),
      ).rejects.toThrow('slack down');
    // A repeat of a declaration just made (the existing incident is shown): it opened nothing.
    for (let i = 0; i < 3; i++)
      await limits.declaring(
        'U1',
        async () => 'existing',
        (r) => r === 'opened',
      );
    await declare(limits, 'U1');
    await declare(limits, 'U1');
    // The third in the minute is refused, however many times it is tried: a refusal does not count either.
    for (let i = 0; i < 3; i++) await expect(declare(limits, 'U1')).rejects.toBeInstanceOf(RateLimitedError);
    let ran = false;
    await expect(
      limits.declaring(
        'U1',
        async () => {
          ran = true;
        },
        () => true,
      ),
    ).rejects.toBeInstanceOf(RateLimitedError);
    expect(ran).toBe(false);
  });

  it('names the window as people say it', async () => {
    const refusal = async (windowMs: number) => {
      const limits = new UserLimits(new MemoryKv(), { declare: { limit: 1, windowMs }, run: null });
      await declare(limits, 'U1');
      return (await declare(limits, 'U1').catch((e: Error) => e)) as Error;
    };
    expect((await refusal(60_000)).message).toMatch(/in the last minute,/);
    expect((await refusal(30_000)).message).toMatch(/in the last 30 seconds,/);
    expect((await refusal(90_000)).message).toMatch(/in the last 1 minute 30 seconds,/);
  });

  it('a limit that is off never refuses', async () => {
    const limit = new RateLimit(new MemoryKv(), 'x', null);
    for (let i = 0; i < 100; i++) expect(await limit.take('U1')).toMatchObject({ ok: true });
  });
});

describe('shared by replicas', () => {
  let front: UpstashRestFront;
  beforeAll(async () => {
    front = await UpstashRestFront.start();
  });
  afterAll(async () => {
    await front.close();
  });

  /**
   * Two replicas' stores on one Redis: one over redis://, one over the REST front, under one prefix. `clocks`: each
   * replica's clock (a replica whose clock is off has it off for its store too).
   */
  function replicas(clocks: [() => number, () => number] = [Date.now, Date.now]): [GuardedKv, GuardedKv] {
    const prefix = testKeyPrefix('replicas');
    return [
      openKv({ redisUrl: TEST_REDIS_URL, prefix, timeoutMs: 2000, clock: clocks[0] }, quiet),
      openKv({ upstash: { url: front.url, token: front.token }, prefix, timeoutMs: 2000, clock: clocks[1] }, quiet),
    ];
  }

  it("a person's declarations count on every replica; the one over the limit is told when to try again", async () => {
    const [a, b] = replicas();
    const spec = { limit: 3, windowMs: 60_000 };
    const onA = new UserLimits(a, { declare: spec, run: null });
    const onB = new UserLimits(b, { declare: spec, run: null });
    await declare(onA, 'U1');
    await declare(onB, 'U1');
    await declare(onA, 'U1');
    const refused = await declare(onB, 'U1').catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(RateLimitedError);
    expect((refused as RateLimitedError).message).toMatch(/declared 3 incidents in the last minute/);
    expect((refused as RateLimitedError).message).toMatch(
      /Nothing was opened; try again in (\d+ seconds?|1 minute( \d+ seconds?)?)\./,
    );
    expect((refused as RateLimitedError).retryAfterMs).toBeGreaterThan(0);
    expect((refused as RateLimitedError).retryAfterMs).toBeLessThanOrEqual(120_000);
    // Someone else is not limited by it, and runs are unlimited here.
    await declare(onA, 'U2');
    for (let i = 0; i < 10; i++) await onB.run('U1');
    await Promise.all([a.close(), b.close()]);
  });

  it('runbook command runs have their own limit', async () => {
    const [a, b] = replicas();
    const specs = { declare: null, run: { limit: 2, windowMs: 60_000 } };
    await new UserLimits(a, specs).run('U1');
    await new UserLimits(b, specs).run('U1');
    await expect(new UserLimits(a, specs).run('U1')).rejects.toThrow(
      /run 2 runbook commands in the last minute.*Nothing was run; try again in (\d+ seconds?|1 minute( \d+ seconds?)?)\./,
    );
    await Promise.all([a.close(), b.close()]);
  });

  it("Slack's channel budget is one for all replicas", async () => {
    const [a, b] = replicas();
    const spec = { limit: 20, windowMs: 60_000 };
    // One clock for both, 30 s into a window, so all 30 fall in it.
    const now = () => 60_000 * 2_000_000 + 30_000;
    const budgets = [new ChannelBudget(a, spec, now), new ChannelBudget(b, spec, now)];
    const results = await Promise.allSettled(Array.from({ length: 30 }, (_, i) => budgets[i % 2]!.take()));
    const refused = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(refused).toHaveLength(10);
    expect(String(refused[0]!.reason.message)).toMatch(
      /only 20 channels a minute.*No incident was opened; declare again in 1 minute,/,
    );
    await Promise.all([a.close(), b.close()]);
  });

  it("replicas whose clocks differ count one window: Redis's clock, not theirs", async () => {
    const aheadClock = () => Date.now() + 20_000;
    const [a, b] = replicas([Date.now, aheadClock]);
    const spec = { limit: 1, windowMs: 15_000 };
    // B's clock runs 20 s ahead of A's: by its own clock, what A took has already left a 15 s window.
    const [onA, onB] = [new RateLimit(a, 'x', spec, Date.now), new RateLimit(b, 'x', spec, aheadClock)];
    expect(await onA.take('U1')).toMatchObject({ ok: true });
    const refusedOnB = await onB.take('U1');
    const refusedOnA = await onA.take('U1');
    // Both are refused, and both are told the same wait: the rest of the one window, never longer than it.
    for (const r of [refusedOnA, refusedOnB]) {
      expect(r).toMatchObject({ ok: false });
      const wait = (r as { retryAfterMs: number }).retryAfterMs;
      expect(wait).toBeGreaterThan(10_000);
      expect(wait).toBeLessThanOrEqual(15_000);
    }
    // The same holds the other way round: B takes first, A (20 s behind it) is refused for the rest of the window.
    const [c, d] = replicas([Date.now, aheadClock]);
    const [behind, ahead] = [new RateLimit(c, 'x', spec, Date.now), new RateLimit(d, 'x', spec, aheadClock)];
    expect(await ahead.take('U1')).toMatchObject({ ok: true });
    const refused = await behind.take('U1');
    expect(refused).toMatchObject({ ok: false });
    expect((refused as { retryAfterMs: number }).retryAfterMs).toBeLessThanOrEqual(15_000);
    await Promise.all([a.close(), b.close(), c.close(), d.close()]);
  });

  it('a request seen by one replica is not new to the other', async () => {
    const [a, b] = replicas();
    const [onA, onB] = [new RequestDedupe(a), new RequestDedupe(b)];
    expect(await onA.first('trigger:1.2.abc')).toBe(true);
    expect(await onB.first('trigger:1.2.abc')).toBe(false);
    expect(await onA.first('trigger:1.2.abc')).toBe(false);
    expect(await onB.first('trigger:3.4.def')).toBe(true);
    await Promise.all([a.close(), b.close()]);
  });
});
