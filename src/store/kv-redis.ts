import { Redis } from '@upstash/redis';
import type { Logger } from '../incidents/ports.js';
import { GuardedKv, type KeyValue } from './kv.js';
import { MemoryKv } from './kv-memory.js';
import { RedisRequester } from './redis-requester.js';

/**
 * A sliding window's log in a sorted set (member scored by when it was added): what is older than the window goes,
 * then the member is added when fewer than the limit are left. One round trip, atomic. Now (ARGV[4]) is Redis's clock
 * as the caller reads it (RedisKv.redisNow), not read here: a script that calls `TIME` is refused by some Redis
 * services (AWS's serverless ElastiCache) and Upstash asks scripts to take no clock of their own.
 * Answers {taken, count, oldest, now}.
 */
const TAKE_IN_WINDOW = `local now = tonumber(ARGV[4])
local window = tonumber(ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local n = redis.call('ZCARD', KEYS[1])
if n < tonumber(ARGV[2]) then
  redis.call('ZADD', KEYS[1], now, ARGV[3])
  redis.call('PEXPIRE', KEYS[1], window)
  return {1, n + 1, -1, now}
end
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return {0, n, tonumber(oldest[2]), now}`;

/** How often a store reads Redis's clock again (TIME) to know how far this process's clock is from it. */
export const CLOCK_READ_EVERY_MS = 60_000;

/**
 * The client over a Requester of one's own. Its constructor takes no options in that form, so the one the store needs
 * is set here: values come back as stored, not parsed as JSON.
 */
class RequesterRedis extends Redis {
  constructor(requester: RedisRequester) {
    super(requester);
    this.opts = { automaticDeserialization: false };
  }
}

/** The shared store in Redis, through `@upstash/redis`: over Upstash's REST API, or a plain connection. */
export class RedisKv implements KeyValue {
  constructor(
    private readonly redis: Redis,
    /** Put before every key, so several bots (or test files) can share one Redis. */
    private readonly prefix: string,
    private readonly onClose: () => void = () => {},
    /** This process's clock (a test gives a replica's clock that is off). */
    private readonly clock: () => number = Date.now,
  ) {}

  /** Redis's clock less this process's, as last read, and when it was read (by this process's clock). */
  private offsetMs = 0;
  private offsetReadAt = Number.NEGATIVE_INFINITY;
  private offsetReading: Promise<void> | null = null;

  /**
   * Now by Redis's clock: this process's clock and how far it is from Redis's, read with `TIME` (a command of its own,
   * once a minute; the half round trip is the error, a few milliseconds). So replicas whose clocks differ count one
   * window and tell a person the same wait.
   */
  private async redisNow(): Promise<number> {
    if (this.clock() - this.offsetReadAt >= CLOCK_READ_EVERY_MS || this.clock() < this.offsetReadAt) {
      this.offsetReading ??= this.readOffset().finally(() => {
        this.offsetReading = null;
      });
      await this.offsetReading;
    }
    return Math.round(this.clock() + this.offsetMs);
  }

  private async readOffset(): Promise<void> {
    const before = this.clock();
    const [seconds, micros] = (await this.redis.time()).map(Number);
    const after = this.clock();
    if (!Number.isFinite(seconds) || !Number.isFinite(micros)) throw new Error("unexpected answer to Redis's TIME");
    this.offsetMs = seconds! * 1000 + Math.floor(micros! / 1000) - (before + after) / 2;
    this.offsetReadAt = after;
  }

  async get(key: string): Promise<string | null> {
    // Both clients are made not to parse values as JSON; should one still, the value is turned back into its string.
    const v = await this.redis.get<unknown>(this.prefix + key);
    return v === null || v === undefined ? null : typeof v === 'string' ? v : JSON.stringify(v);
  }

  async setIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean> {
    return (await this.redis.set(this.prefix + key, value, { nx: true, px: Math.max(1, Math.round(ttlMs)) })) !== null;
  }

  async set(key: string, value: string, ttlMs: number): Promise<void> {
    await this.redis.set(this.prefix + key, value, { px: Math.max(1, Math.round(ttlMs)) });
  }

  /** The window is counted by Redis's clock (see redisNow); the caller's is not used. */
  async takeInWindow(key: string, member: string, _callerNowMs: number, windowMs: number, limit: number) {
    const at = await this.redisNow();
    const r = await this.redis.eval<string[], unknown>(
      TAKE_IN_WINDOW,
      [this.prefix + key],
      [String(Math.max(1, Math.round(windowMs))), String(limit), member, String(at)],
    );
    const [taken, count, oldest, now] = (Array.isArray(r) ? r : []).map(Number);
    if (now === undefined || !Number.isFinite(now))
      throw new Error(`unexpected answer to a window take: ${JSON.stringify(r)}`);
    return {
      taken: taken === 1,
      count: count ?? 0,
      oldestMs: oldest === undefined || oldest < 0 ? null : oldest,
      nowMs: now,
    };
  }

  async giveBackInWindow(key: string, member: string): Promise<void> {
    await this.redis.zrem(this.prefix + key, member);
  }

  async ping(): Promise<void> {
    await this.redis.ping();
  }

  async close(): Promise<void> {
    this.onClose();
  }
}

export interface KvSettings {
  /** Upstash's REST API: UPSTASH_REDIS_REST_URL and UPSTASH_REDIS_REST_TOKEN. */
  upstash?: { url: string; token: string };
  /** A Redis of one's own: REDIS_URL (`redis://…` or `rediss://…`). */
  redisUrl?: string;
  prefix: string;
  timeoutMs: number;
  /** This process's clock, against which Redis's is read (Date.now; a test gives one that is off). */
  clock?: () => number;
}

/**
 * The store the settings name, guarded (a short timeout; calls fail at once while it is down). Upstash's REST API
 * and a plain Redis go through the same client, the latter with RedisRequester; neither: in this process, for one
 * replica. Nothing connects here: the first call does.
 */
export function openKv(settings: KvSettings, log: Pick<Logger, 'warn' | 'info'>): GuardedKv {
  const guard = { timeoutMs: settings.timeoutMs };
  if (settings.upstash) {
    const redis = new Redis({
      url: settings.upstash.url,
      token: settings.upstash.token,
      // The guard bounds every call; the client must neither retry nor hang on its own.
      retry: false,
      signal: () => AbortSignal.timeout(settings.timeoutMs),
      enableTelemetry: false,
      enableAutoPipelining: false,
      automaticDeserialization: false,
    });
    return new GuardedKv('upstash', new RedisKv(redis, settings.prefix, undefined, settings.clock), log, guard);
  }
  if (settings.redisUrl) {
    const requester = new RedisRequester(new URL(settings.redisUrl), settings.timeoutMs);
    return new GuardedKv(
      'redis',
      new RedisKv(new RequesterRedis(requester), settings.prefix, () => requester.close(), settings.clock),
      log,
      guard,
    );
  }
  return new GuardedKv('in-process', new MemoryKv(), log, guard);
}
