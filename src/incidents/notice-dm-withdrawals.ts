import type { Database } from '../store/db.js';
import { claimNoticeDms, noticeDmsDrawn, noticeDmsDueAt } from '../store/notice-dm.repo.js';
import type { Logger } from './ports.js';
import { retryWaitMs } from './retry-schedule.js';
import type { Sweep } from './timer-loop.js';

/** The first wait before on-call's copies of a withdrawn notice are drawn again, by default (ALERTS_DM_RETRY). */
export const DEFAULT_NOTICE_DM_RETRY_MS = 2000;
/** The wait doubles with each refusal up to this many times the first (24 s by default), then stays. */
const MOST_TIMES_FIRST = 12;
/** Claimed per round at most, and for how long (a process that dies drawing them leaves them to another). */
const BATCH = 20;
const LEASE_MS = 60_000;

/**
 * The wait before the next drawing, after the sweep's `attempts` refused ones: the first wait, doubled each time, at
 * most 12x, never given up. The sweep's first refusal is the copies' second (the notice's step drew them once, then
 * waited the first wait: `later`), hence `attempts + 1`.
 */
export const noticeDmRetryAfterMs = (firstMs: number, attempts: number) =>
  retryWaitMs({ firstMs, mostMs: firstMs * MOST_TIMES_FIRST }, attempts + 1);

/**
 * The alert loop's drawings of on-call's copies of withdrawn notices (a warning's notice sent them whole as it read as a
 * security matter, then withdrawn as its group's private incident took it): the notice's step draws them once, and
 * Slack refusing that (rate limited, a 5xx, a timeout) leaves them due here, in Postgres, not to the delivery's own
 * attempts, which end. Each round draws the due ones with growing waits until Slack takes them: the whole alert must
 * not stay in a direct message.
 */
export class NoticeDmWithdrawals implements Sweep {
  constructor(
    private readonly db: Database,
    /** Draws a lead's copies as its notice stands (withdrawn); throws while Slack refuses one. */
    private readonly draw: (leadId: number) => Promise<void>,
    private readonly firstRetryMs: number = DEFAULT_NOTICE_DM_RETRY_MS,
    private readonly log: Logger = console,
  ) {}

  /** Marks a lead's copies due, Slack having refused them (`err`): drawn by a round after the first wait. */
  async later(leadId: number, err: unknown): Promise<void> {
    this.log.warn(`could not withdraw on-call's copy of alert ${leadId}'s notice; drawing it again shortly`, err);
    await noticeDmsDueAt(this.db, leadId, new Date(Date.now() + this.firstRetryMs));
  }

  async sweep(): Promise<void> {
    for (const d of await claimNoticeDms(this.db, BATCH, LEASE_MS)) {
      try {
        await this.draw(d.leadId);
        await noticeDmsDrawn(this.db, d.leadId);
      } catch (err) {
        const wait = noticeDmRetryAfterMs(this.firstRetryMs, d.attempts);
        this.log.warn(
          `could not withdraw on-call's copy of alert ${d.leadId}'s notice (attempt ${d.attempts}); again in ${wait} ms`,
          err,
        );
        await noticeDmsDueAt(this.db, d.leadId, new Date(Date.now() + wait)).catch((e) =>
          this.log.warn(`could not plan withdrawing alert ${d.leadId}'s copies again; its lease will run out`, e),
        );
      }
    }
  }
}
