import { Redis } from '@upstash/redis';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GuardedKv, type KeyValue } from '../../src/store/kv.js';
import { MemoryKv } from '../../src/store/kv-memory.js';
import { openKv } from '../../src/store/kv-redis.js';
import { RedisRequester } from '../../src/store/redis-requester.js';
import { TEST_REDIS_URL, testKeyPrefix, UpstashRestFront } from '../support/upstash-rest.js';

const quiet = { warn: () => {}, info: () => {} };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let front: UpstashRestFront;
beforeAll(async () => {
  front = await UpstashRestFront.start();
});
afterAll(async () => {
  await front.close();
});

const backings: [string, () => GuardedKv][] = [
  ['in-process', () => new GuardedKv('in-process', new MemoryKv(), quiet)],
  ['redis://', () => openKv({ redisUrl: TEST_REDIS_URL, prefix: testKeyPrefix('kv'), timeoutMs: 2000 }, quiet)],
  [
    'Upstash REST',
    () =>
      openKv({ upstash: { url: front.url, token: front.token }, prefix: testKeyPrefix('kv'), timeoutMs: 2000 }, quiet),
  ],
];

describe.each(backings)('the key-value store (%s)', (_name, open) => {
  let kv: GuardedKv;
  beforeAll(() => {
    kv = open();
  });
  afterAll(async () => {
    await kv.close();
  });

  it('gets what was set, and null for what was not', async () => {
    expect(await kv.get('missing')).toBeNull();
    await kv.set('a', 'one', 10_000);
    expect(await kv.get('a')).toBe('one');
    await kv.set('a', 'two', 10_000);
    expect(await kv.get('a')).toBe('two');
  });

  it('keeps values that look like JSON as the strings they are', async () => {
    for (const v of ['123', '1.50', '"quoted"', '["U1","U2"]', '{"a":1}', 'true', 'null', 'null x', 'é ✓']) {
      await kv.set(`json:${v}`, v, 10_000);
      expect(await kv.get(`json:${v}`)).toBe(v);
    }
  });

  it('sets if absent only once', async () => {
    expect(await kv.setIfAbsent('once', 'first', 10_000)).toBe(true);
    expect(await kv.setIfAbsent('once', 'second', 10_000)).toBe(false);
    expect(await kv.get('once')).toBe('first');
  });

  it('a sliding window takes up to its limit, refuses past it (saying since when it is full), and takes again as the oldest leaves', async () => {
    // Redis counts by its own clock, so the window is walked through in real time, the same for every store.
    const first = await kv.takeInWindow('w', 'a', Date.now(), 1_500, 2);
    expect(first).toMatchObject({ taken: true, count: 1, oldestMs: null });
    expect(Math.abs(first.nowMs - Date.now())).toBeLessThan(5_000);
    expect(await kv.takeInWindow('w', 'b', Date.now(), 1_500, 2)).toMatchObject({
      taken: true,
      count: 2,
      oldestMs: null,
    });
    const refused = await kv.takeInWindow('w', 'c', Date.now(), 1_500, 2);
    expect(refused).toMatchObject({ taken: false, count: 2, oldestMs: first.nowMs });
    expect(refused.nowMs).toBeGreaterThanOrEqual(first.nowMs);
    // Given back: its place is free again.
    await kv.giveBackInWindow('w', 'b');
    expect(await kv.takeInWindow('w', 'd', Date.now(), 1_500, 2)).toMatchObject({ taken: true, count: 2 });
    // 1.5 s after the first, it has left the window.
    await sleep(1_600);
    expect(await kv.takeInWindow('w', 'e', Date.now(), 1_500, 2)).toMatchObject({ taken: true });
  });

  it('forgets what has expired', async () => {
    await kv.set('short', 'x', 100);
    expect(await kv.setIfAbsent('short-nx', 'x', 100)).toBe(true);
    await sleep(250);
    expect(await kv.get('short')).toBeNull();
    expect(await kv.setIfAbsent('short-nx', 'y', 100)).toBe(true);
  });

  it('answers a ping, and /health says ok', async () => {
    await kv.ping();
    expect(await kv.health()).toMatchObject({ status: 'ok' });
  });

  it('takes exactly the limit from a window under concurrency', async () => {
    const t = Date.now();
    const takes = await Promise.all(
      Array.from({ length: 50 }, (_, i) => kv.takeInWindow('concurrent', `m${i}`, t, 10_000, 20)),
    );
    expect(takes.filter((r) => r.taken)).toHaveLength(20);
  });
});

describe('two stores on one Redis', () => {
  it('see each other under the same prefix, and not under another', async () => {
    const prefix = testKeyPrefix('shared');
    const a = openKv({ redisUrl: TEST_REDIS_URL, prefix, timeoutMs: 2000 }, quiet);
    const b = openKv({ upstash: { url: front.url, token: front.token }, prefix, timeoutMs: 2000 }, quiet);
    const other = openKv({ redisUrl: TEST_REDIS_URL, prefix: testKeyPrefix('other'), timeoutMs: 2000 }, quiet);
    expect(await a.setIfAbsent('k', 'from a', 10_000)).toBe(true);
    expect(await b.setIfAbsent('k', 'from b', 10_000)).toBe(false);
    expect(await b.get('k')).toBe('from a');
    expect(await other.get('k')).toBeNull();
    expect(await a.takeInWindow('n', 'x', Date.now(), 10_000, 1)).toMatchObject({ taken: true });
    expect(await b.takeInWindow('n', 'y', Date.now(), 10_000, 1)).toMatchObject({ taken: false });
    await Promise.all([a.close(), b.close(), other.close()]);
  });
});

describe("windows counted by Redis's clock, read apart from the script", () => {
  it('work on a Redis whose scripts may not read the clock (as serverless ElastiCache refuses TIME in a script)', async () => {
    const strict = await UpstashRestFront.start(TEST_REDIS_URL, { scriptsWithoutClock: true });
    const kv = openKv(
      { upstash: { url: strict.url, token: strict.token }, prefix: testKeyPrefix('strict'), timeoutMs: 2000 },
      quiet,
    );
    try {
      const takes = [];
      for (const m of ['a', 'b', 'c']) takes.push(await kv.takeInWindow('w', m, Date.now(), 10_000, 2));
      expect(takes.map((t) => t.taken)).toEqual([true, true, false]);
      expect(takes[2]).toMatchObject({ count: 2, oldestMs: takes[0]!.nowMs });
      expect(await kv.health()).toMatchObject({ status: 'ok' });
    } finally {
      await kv.close();
      await strict.close();
    }
  });

  it("count by Redis's clock when this process's clock is off, and read it again when this one jumps", async () => {
    let skewMs = 3_600_000;
    const kv = openKv(
      { redisUrl: TEST_REDIS_URL, prefix: testKeyPrefix('skew'), timeoutMs: 2000, clock: () => Date.now() + skewMs },
      quiet,
    );
    try {
      const nearRedis = async (member: string) => {
        const t = await kv.takeInWindow('w', member, Date.now() + skewMs, 60_000, 100);
        // The test's process and Redis share this machine's clock: Redis's now is about the real now.
        expect(Math.abs(t.nowMs - Date.now())).toBeLessThan(1_000);
      };
      await nearRedis('an hour ahead');
      // The clock is set right (an hour back): read again, not an hour off now.
      skewMs = 0;
      await nearRedis('set right');
      // Then it jumps two minutes ahead: past the minute between reads, read again.
      skewMs = 120_000;
      await nearRedis('two minutes ahead');
    } finally {
      await kv.close();
    }
  });
});

describe('what Redis itself holds', () => {
  it('is what the store wrote, with its expiry, as redis-cli reads it', async () => {
    const url = new URL(TEST_REDIS_URL);
    const cli = async (...args: string[]) =>
      (await execa('redis-cli', ['-h', url.hostname, '-p', url.port || '6379', ...args])).stdout.trim();
    for (const kv of [
      { prefix: testKeyPrefix('cli'), via: 'redis' as const },
      { prefix: testKeyPrefix('cli'), via: 'upstash' as const },
    ]) {
      const store = openKv(
        kv.via === 'redis'
          ? { redisUrl: TEST_REDIS_URL, prefix: kv.prefix, timeoutMs: 2000 }
          : { upstash: { url: front.url, token: front.token }, prefix: kv.prefix, timeoutMs: 2000 },
        quiet,
      );
      await store.set('v', 'é "x" [1]', 60_000);
      await store.takeInWindow('n', 'first', Date.now(), 60_000, 5);
      await store.takeInWindow('n', 'second', Date.now(), 60_000, 5);
      expect(await cli('GET', `${kv.prefix}v`)).toBe('é "x" [1]');
      expect(await cli('ZCARD', `${kv.prefix}n`)).toBe('2');
      const ttl = Number(await cli('PTTL', `${kv.prefix}n`));
      expect(ttl).toBeGreaterThan(50_000);
      expect(ttl).toBeLessThanOrEqual(60_000);
      await store.close();
    }
  });
});

describe('the @upstash/redis client over both protocols', () => {
  const clients: [string, () => Redis][] = [
    ['RedisRequester', () => new Redis(new RedisRequester(new URL(TEST_REDIS_URL)))],
    ['the REST front', () => new Redis({ url: front.url, token: front.token, enableTelemetry: false })],
  ];
  it.each(clients)('runs pipelines and transactions (%s)', async (_name, make) => {
    const redis = make();
    const k = `${testKeyPrefix('pipe')}k`;
    const piped = await redis.pipeline().set(k, 'v', { px: 10_000 }).get(k).incr(`${k}:n`).exec();
    expect(piped).toEqual(['OK', 'v', 1]);
    const tx = await redis.multi().incr(`${k}:n`).incr(`${k}:n`).exec();
    expect(tx).toEqual([2, 3]);
    await redis.del(k, `${k}:n`);
  });

  it('the REST front refuses a wrong token, and the store counts as unavailable', async () => {
    const kv = openKv({ upstash: { url: front.url, token: 'wrong' }, prefix: testKeyPrefix(), timeoutMs: 2000 }, quiet);
    await expect(kv.get('x')).rejects.toThrow(/unavailable.*Unauthorized/);
    expect(await kv.health()).toMatchObject({ kind: 'upstash', status: 'degraded' });
  });
});

/** The port's contract is what the use modules rely on; MemoryKv also takes a clock for the tests that need one. */
describe('the in-process store', () => {
  it('expires by its clock', async () => {
    let now = 1_000;
    const kv: KeyValue = new MemoryKv(() => now);
    await kv.set('v', 'x', 1_000);
    now += 999;
    expect(await kv.get('v')).toBe('x');
    now += 1;
    expect(await kv.get('v')).toBeNull();
  });
});
