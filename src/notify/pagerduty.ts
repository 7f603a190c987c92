import {
  DeliveryError,
  type PageNotification,
  type PagerDutyDirectory,
  type PagerDutyPort,
  type PagerDutyTarget,
} from '../incidents/notification-ports.js';
import type { Incident } from '../incidents/types.js';
import { pagerdutyPayload } from '../templates/page-notifications.js';

const TIMEOUT_MS = 10_000;

/** PagerDuty's answer in words: its `message` and `errors` (never the routing key). */
async function answer(res: Response): Promise<string> {
  const text = await res.text().catch(() => '');
  try {
    const body = JSON.parse(text) as { message?: unknown; errors?: unknown };
    const errors = Array.isArray(body.errors) ? `: ${body.errors.map(String).join('; ')}` : '';
    return `${String(body.message ?? res.statusText)}${errors}`.slice(0, 300);
  } catch {
    return (text || res.statusText).slice(0, 300);
  }
}

/**
 * PagerDuty's Events API v2 (`POST PAGERDUTY_EVENTS_URL`): trigger, acknowledge and resolve by dedup key. 202 is
 * taken; 400 is a mistake a retry repeats (permanent); 429 and 5xx (and no answer) are tried again by the caller.
 */
export class PagerDutyEvents implements PagerDutyPort {
  constructor(
    private readonly url: string,
    /** The zone the event's communication template gives times in (TIME_ZONE). */
    private readonly timeZone = 'UTC',
  ) {}

  trigger(incident: Incident, page: PageNotification, target: PagerDutyTarget): Promise<void> {
    return this.post({
      routing_key: target.routingKey,
      event_action: 'trigger',
      dedup_key: target.dedupKey,
      ...pagerdutyPayload(incident, page, this.timeZone),
    });
  }

  follow(action: 'acknowledge' | 'resolve', target: PagerDutyTarget): Promise<void> {
    return this.post({ routing_key: target.routingKey, event_action: action, dedup_key: target.dedupKey });
  }

  private async post(body: Record<string, unknown>): Promise<void> {
    let res: Response;
    try {
      res = await fetch(this.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(TIMEOUT_MS),
      });
    } catch (err) {
      throw new DeliveryError(`PagerDuty could not be reached: ${(err as Error).message}`, false);
    }
    if (res.status === 202 || res.status === 200) {
      await res.body?.cancel().catch(() => {});
      return;
    }
    const why = await answer(res);
    if (res.status === 429) throw new DeliveryError(`PagerDuty 429 (rate limited): ${why}`, false);
    if (res.status >= 500) throw new DeliveryError(`PagerDuty ${res.status}: ${why}`, false);
    throw new DeliveryError(`PagerDuty refused the event (${res.status}): ${why}`, true);
  }
}

/** PagerDuty's REST API with a read-only key: a user's email, to find them under people:. */
export class PagerDutyUsers implements PagerDutyDirectory {
  constructor(
    private readonly apiUrl: string,
    private readonly token: string,
  ) {}

  async emailOf(userId: string): Promise<string | null> {
    if (!/^[A-Z0-9]{1,20}$/i.test(userId)) return null;
    const res = await fetch(`${this.apiUrl.replace(/\/+$/, '')}/users/${userId}`, {
      headers: { authorization: `Token token=${this.token}`, accept: 'application/vnd.pagerduty+json;version=2' },
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
    if (!res.ok) {
      await res.body?.cancel().catch(() => {});
      return null;
    }
    const body = (await res.json()) as { user?: { email?: unknown } };
    return typeof body.user?.email === 'string' ? body.user.email : null;
  }
}
