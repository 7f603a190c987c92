import type { KeyValue } from './kv.js';

/**
 * Answers from Slack that change rarely (user-group members, user names), kept for a short while in the shared store so
 * replicas ask Slack once a minute rather than on every page. A store that cannot be reached is a cache miss.
 */
export class KvCache {
  constructor(
    private readonly kv: KeyValue,
    private readonly ttlMs = 60_000,
  ) {}

  /** The cached value under `key`, or `load()`'s (then cached). Only JSON values. */
  async get<T>(key: string, load: () => Promise<T>): Promise<T> {
    try {
      const hit = await this.kv.get(`cache:${key}`);
      if (hit !== null) return JSON.parse(hit) as T;
    } catch {
      // A miss: the store is unreachable or the entry is not JSON.
    }
    return this.loadAndKeep(key, load);
  }

  /**
   * `load()`'s value, cached anew in place of what `key` held, for a lookup that missed in a copy that may be out of
   * date (someone who joined since it was read): at most once every `everyMs` for the key across replicas, so a name
   * typed wrong again and again does not ask Slack each time. Within that, null: nothing newer is to be had.
   */
  async reload<T>(key: string, load: () => Promise<T>, everyMs: number): Promise<T | null> {
    const due = await this.kv.setIfAbsent(`cache-reloaded:${key}`, '1', everyMs).catch(() => true);
    if (!due) return null;
    return this.loadAndKeep(key, load);
  }

  /** `load()`'s value, kept under `key` for the cache's time (a store that cannot be reached keeps nothing). */
  private async loadAndKeep<T>(key: string, load: () => Promise<T>): Promise<T> {
    const value = await load();
    await this.kv.set(`cache:${key}`, JSON.stringify(value), this.ttlMs).catch(() => {});
    return value;
  }
}
