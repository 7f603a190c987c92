import type { KeyValue } from './kv.js';

/** The key-value store in this process: for a single replica, when no Redis is configured. */
export class MemoryKv implements KeyValue {
  private readonly entries = new Map<string, { value: string; expiresAt: number }>();
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

  async incr(key: string, ttlMs: number): Promise<number> {
    const e = this.live(key);
    const count = (e ? Number(e.value) || 0 : 0) + 1;
    this.entries.set(key, { value: String(count), expiresAt: e?.expiresAt ?? this.now() + ttlMs });
    return count;
  }

  async ping(): Promise<void> {}

  async close(): Promise<void> {
    this.entries.clear();
  }
}
