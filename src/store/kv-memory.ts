import type { KeyValue, WindowTake } from './kv.js';

/** The key-value store in this process: for a single replica, when no Redis is configured. */
export class MemoryKv implements KeyValue {
  private readonly entries = new Map<string, { value: string; expiresAt: number }>();
  /** Sliding windows' logs: each member and when it was added. */
  private readonly windows = new Map<string, Map<string, number>>();
  private nextSweep = 0;

  constructor(private readonly now: () => number = Date.now) {}

  private live(key: string): { value: string; expiresAt: number } | undefined {
    const now = this.now();
    // Expired entries are dropped as they are met, and all of them about once a minute, so memory stays bounded.
    if (now >= this.nextSweep) {
      for (const [k, e] of this.entries) if (e.expiresAt <= now) this.entries.delete(k);
      this.nextSweep = now + 60_000;
    }
    const e = this.entries.get(key);
    if (e && e.expiresAt <= now) {
      this.entries.delete(key);
      return undefined;
    }
    return e;
  }

  async get(key: string): Promise<string | null> {
    return this.live(key)?.value ?? null;
  }

  async setIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean> {
    if (this.live(key)) return false;
    this.entries.set(key, { value, expiresAt: this.now() + ttlMs });
    return true;
  }

  async set(key: string, value: string, ttlMs: number): Promise<void> {
    this.entries.set(key, { value, expiresAt: this.now() + ttlMs });
  }

  /** In one process the caller's clock is the process's: the window is counted by it. */
  async takeInWindow(key: string, member: string, nowMs: number, windowMs: number, limit: number): Promise<WindowTake> {
    const log = this.windows.get(key) ?? new Map<string, number>();
    for (const [m, at] of log) if (at <= nowMs - windowMs) log.delete(m);
    if (log.size === 0) this.windows.delete(key);
    if (log.size < limit) {
      log.set(member, nowMs);
      this.windows.set(key, log);
      return { taken: true, count: log.size, oldestMs: null, nowMs };
    }
    return { taken: false, count: log.size, oldestMs: Math.min(...log.values()), nowMs };
  }

  async giveBackInWindow(key: string, member: string): Promise<void> {
    const log = this.windows.get(key);
    log?.delete(member);
    if (log?.size === 0) this.windows.delete(key);
  }

  async ping(): Promise<void> {}

  async close(): Promise<void> {
    this.entries.clear();
    this.windows.clear();
  }
}
