import { createHash } from 'node:crypto';
import type { KeyValue } from '../store/kv.js';
import { MemoryKv } from '../store/kv-memory.js';

/** How long a card's last update is trusted to be what the card shows: past it, an identical update is sent. */
export const SHOWN_TRUSTED_MS = 60_000;
/** Stands for "not known" (a refused update): never a hash. */
const UNKNOWN = '-';

/**
 * What each card was last put in Slack as (posted or updated, and answered ok), so that an update that would show
 * exactly that again is left out. A declaration's card is refreshed by several things that each may have changed it
 * (the pages made while it was posted, the notification run, the alert loop), and the same card was sent two or three
 * times over; each update is a call Slack rate-limits.
 *
 * Kept in the store replicas share (Redis, when configured): a card another replica changed meanwhile is not taken
 * for the one this replica showed (a severity set to SEV-2, then SEV-1 by another replica, then SEV-2 again here, is
 * sent). Without Redis the store is this process's, which is right for one replica. Trusted for a minute at most; a
 * store that cannot be reached knows nothing, so the update is sent.
 */
export class ShownCards {
  constructor(
    private readonly kv: Pick<KeyValue, 'get' | 'set'> = new MemoryKv(),
    private readonly trustedMs = SHOWN_TRUSTED_MS,
  ) {}

  /** Whether the card at `channel`/`ts` was last put in Slack as `body`, as far as is known. */
  async shows(channel: string, ts: string, body: string): Promise<boolean> {
    try {
      return (await this.kv.get(key(channel, ts))) === hash(body);
    } catch {
      return false;
    }
  }

  /** The card shows `body` now (Slack answered ok). */
  async showing(channel: string, ts: string, body: string): Promise<void> {
    await this.kv.set(key(channel, ts), hash(body), this.trustedMs).catch(() => {});
  }

  /** What the card shows is not known (an update failed, or may have reached Slack without an answer). */
  async forget(channel: string, ts: string): Promise<void> {
    await this.kv.set(key(channel, ts), UNKNOWN, this.trustedMs).catch(() => {});
  }
}

const key = (channel: string, ts: string) => `card:${channel}:${ts}`;
const hash = (body: string) => createHash('sha256').update(body).digest('base64url').slice(0, 22);
