import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { ChannelBudget } from '../../src/incidents/channel-budget.js';
import { UserLimits } from '../../src/incidents/rate-limits.js';
import { GuardedKv, type KeyValue, KvUnavailableError } from '../../src/store/kv.js';
import { KvCache } from '../../src/store/kv-cache.js';
import { openKv } from '../../src/store/kv-redis.js';
import { RequestDedupe } from '../../src/store/request-dedupe.js';
import { TcpProxy } from '../support/tcp-proxy.js';
import { testKeyPrefix, UpstashRestFront } from '../support/upstash-rest.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A port nothing listens on (for now). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const { port } = server.address() as { port: number };
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

function recordingLog() {
  const lines: { level: 'warn' | 'info'; text: string }[] = [];
  return {
    lines,
    warn: (...a: unknown[]) => lines.push({ level: 'warn', text: a.map(String).join(' ') }),
    info: (...a: unknown[]) => lines.push({ level: 'info', text: a.map(String).join(' ') }),
  };
}

describe('Redis down, then back (redis://)', () => {
  it('fails fast while down, logs it once, says degraded, and recovers by itself', async () => {
    const port = await closedPort();
    const log = recordingLog();
    const kv = openKv({ redisUrl: `redis://127.0.0.1:${port}`, prefix: testKeyPrefix('down'), timeoutMs: 250 }, log);

    await expect(kv.takeInWindow('n', 'a', Date.now(), 10_000, 5)).rejects.toBeInstanceOf(KvUnavailableError);
    const started = Date.now();
    for (let i = 0; i < 20; i++) await expect(kv.get('x')).rejects.toBeInstanceOf(KvUnavailableError);
    // Twenty calls in less than one timeout (250 ms): none waited for it (a loaded machine's pauses aside).
    expect(Date.now() - started).toBeLessThan(250);
    expect(await kv.health()).toMatchObject({ kind: 'redis', status: 'degraded' });
    expect(log.lines.filter((l) => l.level === 'warn')).toHaveLength(1);
    expect(log.lines[0]!.text).toMatch(/rate limits.*off/);

    // Redis comes back on the same address: the next call after the retry interval finds it.
    const proxy = await TcpProxy.start('127.0.0.1', 6379, port);
    try {
      expect(await kv.health()).toMatchObject({ kind: 'redis', status: 'ok' });
      expect(await kv.takeInWindow('n', 'b', Date.now(), 10_000, 5)).toMatchObject({ taken: true, count: 1 });
      expect(log.lines.filter((l) => l.level === 'info')).toHaveLength(1);
      expect(log.lines.filter((l) => l.level === 'info')[0]!.text).toMatch(/reachable again/);
      expect(log.lines.filter((l) => l.level === 'warn')).toHaveLength(1);

      // Cut again: down again (logged again, once), and back again without a ping.
      await proxy.cut();
      await expect(kv.get('n')).rejects.toBeInstanceOf(KvUnavailableError);
      expect(log.lines.filter((l) => l.level === 'warn')).toHaveLength(2);
    } finally {
      await proxy.cut().catch(() => {});
    }
    const again = await TcpProxy.start('127.0.0.1', 6379, port);
    try {
      await sleep(2100);
      expect(await kv.takeInWindow('n', 'c', Date.now(), 10_000, 5)).toMatchObject({ taken: true, count: 2 });
    } finally {
      await again.cut();
      await kv.close();
    }
  });
});

describe('Upstash slow or hung (REST)', () => {
  it('gives up after the timeout, fails at once meanwhile, and recovers when it answers again', async () => {
    const front = await UpstashRestFront.start();
    const log = recordingLog();
    const prefix = testKeyPrefix('slow');
    const kv = openKv({ upstash: { url: front.url, token: front.token }, prefix, timeoutMs: 250 }, log);
    // The key is written by a patient client: a stall of the machine during this set-up is not the outage under test.
    const setup = openKv(
      { upstash: { url: front.url, token: front.token }, prefix, timeoutMs: 10_000 },
      recordingLog(),
    );
    try {
      expect(await setup.setIfAbsent('k', 'v', 10_000)).toBe(true);
      front.hold();
      let started = Date.now();
      await expect(kv.get('k')).rejects.toBeInstanceOf(KvUnavailableError);
      const waited = Date.now() - started;
      expect(waited).toBeGreaterThanOrEqual(200);
      expect(waited).toBeLessThan(1000);
      started = Date.now();
      await expect(kv.get('k')).rejects.toBeInstanceOf(KvUnavailableError);
      // At once: not after another timeout (250 ms). The bound is the timeout, not a few milliseconds a loaded
      // machine may not keep (it took 55 ms once on CI with three test files running).
      expect(Date.now() - started).toBeLessThan(250);
      expect(await kv.health()).toMatchObject({ kind: 'upstash', status: 'degraded' });

      front.release();
      // It recovers by itself: its first probe after the release may itself take past the 250 ms on a loaded machine
      // (CI with four test files running), so the probes go on for a few seconds.
      let health = await kv.health();
      for (const until = Date.now() + 5000; health.status !== 'ok' && Date.now() < until; ) health = await kv.health();
      expect(health).toMatchObject({ kind: 'upstash', status: 'ok' });
      expect(await kv.get('k')).toBe('v');
      expect(log.lines.map((l) => l.level)).toEqual(['warn', 'info']);
    } finally {
      await kv.close();
      await setup.close();
      await front.close();
    }
  });
});

describe('the guard', () => {
  it('waits the retry interval after a failure ends, not after it began', async () => {
    const hung: KeyValue = {
      get: () => new Promise(() => {}),
      setIfAbsent: () => new Promise(() => {}),
      set: () => new Promise(() => {}),
      takeInWindow: () => new Promise(() => {}),
      giveBackInWindow: () => new Promise(() => {}),
      ping: () => new Promise(() => {}),
      close: async () => {},
    };
    const kv = new GuardedKv('redis', hung, recordingLog(), { timeoutMs: 300, retryMs: 200 });
    await expect(kv.get('a')).rejects.toBeInstanceOf(KvUnavailableError);
    const started = Date.now();
    await expect(kv.get('a')).rejects.toBeInstanceOf(KvUnavailableError);
    // At once: not after another timeout (300 ms).
    expect(Date.now() - started).toBeLessThan(300);
  });
});

describe('every use goes on without the store', () => {
  it('limits are off, every request counts as new, the cache loads each time', async () => {
    const kv = openKv(
      { redisUrl: `redis://127.0.0.1:${await closedPort()}`, prefix: testKeyPrefix(), timeoutMs: 250 },
      recordingLog(),
    );
    const tight = { limit: 1, windowMs: 60_000 };
    const limits = new UserLimits(kv, { declare: tight, run: tight });
    const budget = new ChannelBudget(kv, tight);
    const dedupe = new RequestDedupe(kv);
    const cache = new KvCache(kv);
    let loads = 0;
    for (let i = 0; i < 3; i++) {
      await limits.declaring(
        'U1',
        async () => 'opened',
        () => true,
      );
      await limits.run('U1');
      await budget.take();
      expect(await dedupe.first('trigger:1')).toBe(true);
      expect(await cache.get('usergroup:S1', async () => ++loads)).toBe(loads);
    }
    expect(loads).toBe(3);
    await kv.close();
  });
});
