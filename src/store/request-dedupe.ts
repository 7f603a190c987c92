import type { KeyValue } from './kv.js';

/**
 * A fast first check, shared by every replica, that a Slack request (the same trigger_id or event_id, or the same
 * person's same click moments before) has not been seen before: a retry, a second delivery or a double click stops
 * here, before any Postgres work. Postgres stays the final guard (request-key.repo.ts), so when the store cannot be
 * reached every request counts as new.
 */
export class RequestDedupe {
  constructor(
    private readonly kv: KeyValue,
    /** Slack retries within minutes (after 1 s, 1 min and 5 min); keys live a little longer. */
    private readonly ttlMs = 10 * 60_000,
  ) {}

  /** True the first time `key` is seen within `ttlMs` (or when the store cannot tell). */
  async first(key: string, ttlMs = this.ttlMs): Promise<boolean> {
    try {
      return await this.kv.setIfAbsent(`seen:${key}`, '1', ttlMs);
    } catch {
      return true;
    }
  }
}
