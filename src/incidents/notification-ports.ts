import type { AlertCardView } from './alert-types.js';
import type { Incident, RaisedFlag } from './types.js';

/** What a page says, whichever way it reaches the person. */
export interface PageNotification {
  roleName: string;
  /** Paged by name (`/incident page @dana`), not for a role: roleName is the person's name. */
  byName?: boolean;
  reason: string;
  /** Paged for a flag: which, for the page to say what was said with it (see flagNote). */
  flag?: RaisedFlag;
  /** Who is reached: their Slack user ID, and their name from the runbook's `people:` when it has one. */
  person: { id: string; name: string | null };
  /** The incident's monitoring alerts, when it was opened from (or joined by) alerts: the page says what fired. */
  alerts?: AlertCardView;
}

/** Where a PagerDuty event goes: the service's routing key, and the incident of the bot and role it is about. */
export interface PagerDutyTarget {
  routingKey: string;
  dedupKey: string;
}

/**
 * Email through SMTP. Throws DeliveryError. `step`: the notification step (its job's id) the email is, the same on
 * every attempt of it, so that an email sent again (a process killed between sending it and recording it, an answer
 * lost) is the same message to whoever receives it (its Message-ID), for them to drop the copy.
 */
export interface EmailPort {
  sendPage(incident: Incident, page: PageNotification, to: string, step: number): Promise<void>;
}

/** PagerDuty's Events API v2. Throws DeliveryError. */
export interface PagerDutyPort {
  trigger(incident: Incident, page: PageNotification, target: PagerDutyTarget): Promise<void>;
  /** Acknowledge or resolve what a trigger opened (same dedup key). */
  follow(action: 'acknowledge' | 'resolve', target: PagerDutyTarget): Promise<void>;
}

/** PagerDuty's REST API, when a token is configured: the email of a PagerDuty user, to find them in `people:`. */
export interface PagerDutyDirectory {
  emailOf(pagerdutyUserId: string): Promise<string | null>;
}

/** The ways out besides Slack; null: not configured (a step by it is recorded as skipped, and said in the channel). */
export interface NotificationSenders {
  email: EmailPort | null;
  pagerduty: PagerDutyPort | null;
}

/**
 * A method failed. `permanent`: trying again cannot help (PagerDuty's 400, an SMTP 5xx, an unreachable person);
 * otherwise the step is tried again with backoff.
 */
export class DeliveryError extends Error {
  constructor(
    message: string,
    readonly permanent: boolean,
  ) {
    super(message);
    this.name = 'DeliveryError';
  }
}
