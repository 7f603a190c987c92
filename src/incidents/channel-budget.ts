import type { KeyValue } from '../store/kv.js';
import { counted, eachWindow, RateLimit, RateLimitedError, type RateSpec, tryAgainIn } from './rate-limits.js';

/**
 * Slack lets an app create about 20 channels a minute (conversations.create is Tier 2), for the whole workspace: every
 * replica of the bot draws on one budget in the shared store. Past it, a declaration is refused with the time to
 * wait, instead of being held in Slack's retries. With the store unreachable the budget is off, as before it existed.
 */
export class ChannelBudget {
  private readonly rate: RateLimit;

  constructor(kv: KeyValue, spec: RateSpec | null, now?: () => number) {
    this.rate = new RateLimit(kv, 'channel-create', spec, now);
  }

  /**
   * Takes one channel creation from the budget; throws RateLimitedError when it is spent. What it returns gives it
   * back (no channel was made after all).
   */
  async take(): Promise<() => Promise<void>> {
    const r = await this.rate.take('workspace');
    if (!r.ok) {
      const { limit } = r.spec;
      const allowed = `Slack lets the bot create only ${counted(limit, 'channel')} ${eachWindow(r.spec)}`;
      throw new RateLimitedError(
        r.retryAfterMs,
        `${allowed} and ${limit === 1 ? 'it was' : 'they were all'} used just now. No incident was opened; declare again in ${tryAgainIn(r.retryAfterMs)}, or follow the runbook by hand if it cannot wait.`,
        allowed,
        r.spec.windowMs,
      );
    }
    return r.giveBack;
  }
}
