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

/**
 * A Redis that is down on a port of its own: it takes each connection and closes it at once, and counts them, so a test
 * can tell whether a call tried Redis at all without timing it (a loaded machine's pauses are longer than any timeout).
 */
async function refusingRedis(): Promise<{ port: number; connections: () => number; close: () => Promise<void> }> {
  let n = 0;
  const server = createServer((socket) => {
    n++;
    socket.destroy();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const { port } = server.address() as { port: number };
  return { port, connections: () => n, close: () => new Promise<void>((r) => server.close(() => r())) };
}

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
    const down = await refusingRedis();
    const { port } = down;
    const log = recordingLog();
    const kv = openKv({ redisUrl: `redis://127.0.0.1:${port}`, prefix: testKeyPrefix('down'), timeoutMs: 250 }, log);

    await expect(kv.takeInWindow('n', 'a', Date.now(), 10_000, 5)).rejects.toBeInstanceOf(KvUnavailableError);
    const tried = down.connections();
    expect(tried).toBeGreaterThan(0);
    for (let i = 0; i < 20; i++) await expect(kv.get('x')).rejects.toBeInstanceOf(KvUnavailableError);
    // Twenty calls within the retry interval (2 s) failed at once: none of them tried Redis. (Said by counting, not by
    // timing: a loaded CI machine once took more than the 250 ms timeout over twenty rejected promises.)
    expect(down.connections()).toBe(tried);
    expect(await kv.health()).toMatchObject({ kind: 'redis', status: 'degraded' });
    await down.close();
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
      const started = Date.now();
      await expect(kv.get('k')).rejects.toBeInstanceOf(KvUnavailableError);
      const waited = Date.now() - started;
      // It gave up at the timeout (250 ms), not before; the upper bound only says it did not wait for Upstash (a
      // loaded machine's pauses stretch a 250 ms timer well past a second).
      expect(waited).toBeGreaterThanOrEqual(200);
      expect(waited).toBeLessThan(5000);
      expect(front.heldArrivals()).toHaveLength(1);
      await expect(kv.get('k')).rejects.toBeInstanceOf(KvUnavailableError);
      // At once: the second call did not reach Upstash at all (said by counting what the front took, not by timing).
      expect(front.heldArrivals()).toHaveLength(1);
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
    let gets = 0;
    const hung: KeyValue = {
      get: () => {
        gets++;
        return new Promise(() => {});
      },
      setIfAbsent: () => new Promise(() => {}),
      set: () => new Promise(() => {}),
      takeInWindow: () => new Promise(() => {}),
      giveBackInWindow: () => new Promise(() => {}),
      ping: () => new Promise(() => {}),
      close: async () => {},
    };
    const kv = new GuardedKv('redis', hung, recordingLog(), { timeoutMs: 1000, retryMs: 500 });
    await expect(kv.get('a')).rejects.toBeInstanceOf(KvUnavailableError);
    expect(gets).toBe(1);
    await expect(kv.get('a')).rejects.toBeInstanceOf(KvUnavailableError);
    // At once, without asking the store again: the retry interval (500 ms) runs from when the 1 s timeout ended, so
    // this call, made right after it, is within it. (Counted, not timed.)
    expect(gets).toBe(1);
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
