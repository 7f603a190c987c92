import type { Logger } from '../incidents/ports.js';

/**
 * A small key-value store for what replicas share and may lose: rate-limit counters, the channel-creation budget,
 * the first check against repeated Slack requests, short caches. Redis (over Upstash's REST API or a plain
 * connection) shares it between replicas; the in-process one serves a single replica. Keys are namespaced by the
 * implementation; values are strings. Nothing here may be needed for the bot to work: Postgres holds what must last.
 */
export interface KeyValue {
  get(key: string): Promise<string | null>;
  /** Sets the key with a time to live; returns false (and changes nothing) when it already exists. */
  setIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean>;
  /** Sets the key with a time to live, replacing any value. */
  set(key: string, value: string, ttlMs: number): Promise<void>;
  /**
   * A sliding window's log (a rate limit): drops what is older than `windowMs` before now, then adds `member` at now
   * when fewer than `limit` are left. Atomic. Now is the store's own clock when replicas share it (Redis's `TIME`,
   * read once a minute beside this process's), so every replica counts the same window however far apart their clocks
   * are; `callerNowMs` (the caller's clock) is used only by the store in this process. `nowMs`: the now it counted from; `count`: how many are in the window with
   * it (or without, when refused); `oldestMs`: when the oldest left was added (when refused), so one more fits
   * `windowMs` after it.
   */
  takeInWindow(key: string, member: string, callerNowMs: number, windowMs: number, limit: number): Promise<WindowTake>;
  /** Takes `member` back out of a window's log (what it was taken for did not happen). */
  giveBackInWindow(key: string, member: string): Promise<void>;
  /** Answers when the store is reachable (throws otherwise). */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** What a take from a sliding window answers (see KeyValue.takeInWindow). */
export interface WindowTake {
  taken: boolean;
  count: number;
  oldestMs: number | null;
  /** The clock the window was counted by, at the take (Redis's own when the store is shared). */
  nowMs: number;
}

/** Which store the bot shares state through, as /health names it. */
export type KvKind = 'upstash' | 'redis' | 'in-process';

/** The shared store was unreachable or slow: the caller goes on without it (limits off, cache missed). */
export class KvUnavailableError extends Error {
  constructor(reason: string) {
    super(`the shared key-value store is unavailable: ${reason}`);
    this.name = 'KvUnavailableError';
  }
}

export interface KvHealth {
  kind: KvKind;
  status: 'ok' | 'degraded';
  latencyMs?: number;
  error?: string;
}

export interface GuardOptions {
  /** Longer than this, a call counts as failed (default 250 ms): nothing waits on Redis for long. */
  timeoutMs?: number;
  /** While down, one call in this long tries the store again (default 2 s); the others fail at once. */
  retryMs?: number;
}

/**
 * The store as the bot uses it: every call is bounded by a short timeout, and once a call fails the store counts as
 * down. While down, calls fail at once with KvUnavailableError (so a slow Redis costs no request more than the one
 * timeout) and every `retryMs` one call is let through to find out whether it is back. Going down and coming back are
 * each logged once.
 */
export class GuardedKv implements KeyValue {
  private down: { since: number; triedAt: number; error: string } | null = null;
  private readonly timeoutMs: number;
  private readonly retryMs: number;

  constructor(
    readonly kind: KvKind,
    private readonly inner: KeyValue,
    private readonly log: Pick<Logger, 'warn' | 'info'>,
    opts: GuardOptions = {},
  ) {
    this.timeoutMs = opts.timeoutMs ?? 250;
    this.retryMs = opts.retryMs ?? 2000;
  }

  private async guard<T>(what: string, fn: () => Promise<T>, force = false): Promise<T> {
    const now = Date.now();
    if (this.down && !force) {
      if (now - this.down.triedAt < this.retryMs) throw new KvUnavailableError(this.down.error);
      this.down.triedAt = now;
    }
    let timer: NodeJS.Timeout | undefined;
    try {
      const result = await Promise.race([
        fn(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no answer within ${this.timeoutMs} ms`)), this.timeoutMs);
        }),
      ]);
      if (this.down) {
        this.log.info(
          `${this.kind} store is reachable again after ${Math.round((Date.now() - this.down.since) / 1000)} s; shared limits and caches are back on`,
        );
        this.down = null;
      }
      return result;
    } catch (err) {
      const error = err instanceof Error ? err.message : String(err);
      // The next try is `retryMs` after this failure, not after this call began (a timeout may have taken a while).
      if (this.down) this.down.triedAt = Date.now();
      else {
        this.log.warn(
          `${this.kind} store unavailable (${what}: ${error}); rate limits, the shared channel budget and caches are off until it is back`,
        );
        this.down = { since: now, triedAt: Date.now(), error };
      }
      throw new KvUnavailableError(error);
    } finally {
      clearTimeout(timer);
    }
  }

  get(key: string) {
    return this.guard('get', () => this.inner.get(key));
  }

  setIfAbsent(key: string, value: string, ttlMs: number) {
    return this.guard('set-if-absent', () => this.inner.setIfAbsent(key, value, ttlMs));
  }

  set(key: string, value: string, ttlMs: number) {
    return this.guard('set', () => this.inner.set(key, value, ttlMs));
  }

  takeInWindow(key: string, member: string, callerNowMs: number, windowMs: number, limit: number) {
    return this.guard('take-in-window', () => this.inner.takeInWindow(key, member, callerNowMs, windowMs, limit));
  }

  giveBackInWindow(key: string, member: string) {
    return this.guard('give-back-in-window', () => this.inner.giveBackInWindow(key, member));
  }

  /** Always asks the store (even while it counts as down): /health uses it, and it brings the store back. */
  ping() {
    return this.guard('ping', () => this.inner.ping(), true);
  }

  /** What /health shows: the store's kind, and whether it answers now. */
  async health(): Promise<KvHealth> {
    const started = Date.now();
    try {
      await this.ping();
      return { kind: this.kind, status: 'ok', latencyMs: Date.now() - started };
    } catch (err) {
      return { kind: this.kind, status: 'degraded', error: err instanceof Error ? err.message : String(err) };
    }
  }

  close() {
    return this.inner.close();
  }
}
