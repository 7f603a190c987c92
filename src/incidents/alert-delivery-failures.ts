import { type DeliveryRow, finishDelivery, retryDelivery } from '../store/alert-delivery.repo.js';
import { getAlertIncident, setAlertIncidentState } from '../store/alert-incident.repo.js';
import type { Database } from '../store/db.js';
import { ChatPlatformError } from './errors.js';
import { NotYet } from './not-yet.js';
import type { Logger } from './ports.js';

/** Attempts at a delivery's plan before it is given up (its alerts stay recorded and shown). */
const MAX_ATTEMPTS = 12;
/**
 * Slack refusing a channel the plan posts in (the bot removed from the incidents channel, the channel archived or
 * deleted, a scope taken away) is not a passing fault: a person has to fix it, which takes longer than the attempts
 * above last (about six minutes). Such a delivery is tried again (every minute, at most) for this long after it came,
 * whatever its attempts, so that what it has left to post (a notice, a storm's message) goes out once the bot is
 * invited back; it is logged as an error, once here, with the fix, and /health reports it meanwhile.
 */
export const CHANNEL_REFUSED_RETRY_MS = 60 * 60_000;
/** Slack's answers that mean a person must fix a channel or the app (see CHANNEL_REFUSED_RETRY_MS). */
const NEEDS_A_PERSON = new Set([
  'not_in_channel',
  'channel_not_found',
  'is_archived',
  'missing_scope',
  'restricted_action',
  'no_permission',
]);
/** Longest wait between two attempts. */
const MAX_BACKOFF_MS = 60_000;
/** A step waiting for a declaration in progress (here or in another process) looks again this soon. */
const WAIT_MS = 1000;

/** Whether Slack refused a step for a reason a person must fix (see CHANNEL_REFUSED_RETRY_MS). */
export function needsAPerson(err: unknown): err is ChatPlatformError {
  return err instanceof ChatPlatformError && NEEDS_A_PERSON.has(err.slackError);
}

/**
 * What a failed attempt at an alert delivery does (AlertService's loop): tried again later (waiting for a declaration
 * is not an attempt; a channel Slack refuses is tried for CHANNEL_REFUSED_RETRY_MS, said once), or given up after
 * MAX_ATTEMPTS, its declarations marked failed.
 */
export class DeliveryFailures {
  constructor(
    private readonly db: Database,
    private readonly log: Logger,
  ) {}

  /** A batch failed: before it was recorded, every delivery of it (`ids`) is tried again; after, the one left. */
  async failed(d: DeliveryRow, ids: number[], err: unknown): Promise<void> {
    const reason = err instanceof Error ? err.message : String(err);
    try {
      // Waiting for a declaration is not a failed attempt.
      if (err instanceof NotYet) {
        return await retryDelivery(this.db, ids, err.delayMs ?? WAIT_MS, reason, { counted: false });
      }
      const refused = needsAPerson(err);
      const until = d.receivedAt.getTime() + CHANNEL_REFUSED_RETRY_MS;
      if (d.attempts < MAX_ATTEMPTS || (refused && Date.now() < until)) {
        if (refused) this.tellNeedsAPerson(d.id, err, until);
        else this.log.warn(`alert delivery ${d.id}: attempt ${d.attempts} failed; trying again`, err);
        return await retryDelivery(this.db, ids, Math.min(MAX_BACKOFF_MS, 1000 * 2 ** (d.attempts - 1)), reason);
      }
      this.log.error(`alert delivery ${d.id}: given up after ${d.attempts} attempts (its alerts stay recorded)`, err);
      for (const step of d.plan) {
        if (step.kind !== 'declare') continue;
        const ai = await getAlertIncident(this.db, step.alertIncident);
        if (ai?.state === 'declaring' && ai.incidentId === null) {
          await setAlertIncidentState(this.db, step.alertIncident, 'failed');
        }
      }
      await finishDelivery(this.db, ids, 'failed', reason);
    } catch (inner) {
      // The database is gone too: the lease runs out and the delivery is taken again.
      this.log.warn(`alert delivery ${d.id}: could not record the failure`, inner);
    }
  }

  /** Deliveries whose refusal by Slack this process logged (once each). */
  private readonly toldNeedsAPerson = new Set<number>();

  /**
   * Slack refused a channel the plan posts in, which a person has to fix: logged as an error, once a delivery here,
   * with Slack's reason and the fix (the message says it), and until when it is tried again.
   */
  private tellNeedsAPerson(id: number, err: ChatPlatformError, until: number): void {
    if (this.toldNeedsAPerson.has(id)) return;
    if (this.toldNeedsAPerson.size >= 1000) this.toldNeedsAPerson.clear();
    this.toldNeedsAPerson.add(id);
    this.log.error(
      `alert delivery ${id}: ${err.message} What it has left to post is tried again every minute until ${new Date(until).toISOString()} (its alerts are recorded and on their cards meanwhile).`,
    );
  }
}
