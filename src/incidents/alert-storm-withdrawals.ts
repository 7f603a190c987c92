import {
  claimStormWithdrawals,
  stormPostWithdrawn,
  stormWithdrawalDueAt,
  withdrawStormPostLater,
} from '../store/alert-storm-message.repo.js';
import type { Database } from '../store/db.js';
import type { AlertChat } from './alert-ports.js';
import type { Logger } from './ports.js';
import { retryWaitMs } from './retry-schedule.js';
import type { Sweep } from './timer-loop.js';

/** How posts one too many Slack would not delete are tried again (StormWithdrawals); tests shorten both. */
export interface StormWithdrawalRetries {
  /** The first wait before a refused deletion is tried again (default 10 s); doubled each time, at most 10 minutes. */
  firstRetryMs?: number;
  /** The sweep's tries at one deletion before it is given up, logged as an error (default 10: about 50 minutes). */
  maxAttempts?: number;
}

const DEFAULT_FIRST_RETRY_MS = 10_000;
const DEFAULT_MAX_ATTEMPTS = 10;
const MOST_WAIT_MS = 600_000;
/** Claimed per round at most, and for how long (a process that dies deleting them leaves them to another). */
const BATCH = 20;
const LEASE_MS = 60_000;

/**
 * The wait before a deletion refused by the step and then by `sweepTries` tries of the sweep is tried again: the
 * schedule's first wait (`firstRetryMs`) after the step's own refusal, doubled with each refusal of the sweep after it,
 * at most MOST_WAIT_MS; null once the sweep has tried `maxAttempts` times (given up). The step's refusal counts as the
 * schedule's first, so that the sweep's first refusal waits twice as long, not the first wait once more.
 */
export function stormWithdrawalWaitMs(retries: Required<StormWithdrawalRetries>, sweepTries: number): number | null {
  if (sweepTries >= retries.maxAttempts) return null;
  return retryWaitMs({ firstMs: retries.firstRetryMs, mostMs: MOST_WAIT_MS }, sweepTries + 1);
}

/**
 * The posts of storms' incidents-channel messages that are one too many (a stalled step's, answered after the storm's
 * next step posted the message; one found after a crash when another was recorded first), deleted. Each is recorded
 * in Postgres (alert_storm_withdrawals) before its deletion is asked for: Slack refusing it (a 5xx, rate limited), or
 * the process dying first, leaves it due for the alert loop's sweep, which tries again with growing waits whether or
 * not the storm has steps left, and gives it up (logged, for a person to delete it) after `maxAttempts`.
 */
export class StormWithdrawals implements Sweep {
  private readonly retries: Required<StormWithdrawalRetries>;

  constructor(
    private readonly db: Database,
    private readonly chat: Pick<AlertChat, 'withdrawStormPost'>,
    retries: StormWithdrawalRetries = {},
    private readonly log: Logger = console,
  ) {
    this.retries = {
      firstRetryMs: retries.firstRetryMs ?? DEFAULT_FIRST_RETRY_MS,
      maxAttempts: retries.maxAttempts ?? DEFAULT_MAX_ATTEMPTS,
    };
  }

  /** A post of `source`'s storm message one too many: recorded, then deleted at once; refused, left to the sweep. */
  async withdraw(source: string, at: { channel: string; ts: string }): Promise<void> {
    // Due, should the step's deletion be refused, after the schedule's first wait (the sweep's tries come after it).
    await withdrawStormPostLater(this.db, source, at, this.retries.firstRetryMs);
    try {
      await this.chat.withdrawStormPost(at);
    } catch (err) {
      this.log.warn(
        `could not delete a post of ${source}'s storm message one too many (${at.ts}); trying again shortly`,
        err,
      );
      return;
    }
    await stormPostWithdrawn(this.db, at);
  }

  async sweep(): Promise<void> {
    for (const w of await claimStormWithdrawals(this.db, BATCH, LEASE_MS)) {
      const at = { channel: w.channel, ts: w.ts };
      try {
        await this.chat.withdrawStormPost(at);
      } catch (err) {
        await this.refused(w, err).catch((e) =>
          this.log.warn(`could not plan deleting ${w.source}'s storm post ${w.ts} again; its lease will run out`, e),
        );
        continue;
      }
      await stormPostWithdrawn(this.db, at);
    }
  }

  private async refused(w: { source: string; channel: string; ts: string; attempts: number }, err: unknown) {
    const at = { channel: w.channel, ts: w.ts };
    const wait = stormWithdrawalWaitMs(this.retries, w.attempts);
    if (wait === null) {
      this.log.error(
        `gave up deleting a post of ${w.source}'s storm message one too many (${w.ts} in ${w.channel}) after ${w.attempts} attempts: it shows twice until a person deletes it`,
        err,
      );
      await stormPostWithdrawn(this.db, at);
      return;
    }
    this.log.warn(
      `could not delete a post of ${w.source}'s storm message one too many (${w.ts}, attempt ${w.attempts}); again in ${wait} ms`,
      err,
    );
    await stormWithdrawalDueAt(this.db, at, new Date(Date.now() + wait));
  }
}
