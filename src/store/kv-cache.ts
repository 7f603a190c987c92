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
    const value = await load();
    await this.kv.set(`cache:${key}`, JSON.stringify(value), this.ttlMs).catch(() => {});
    return value;
  }
}
