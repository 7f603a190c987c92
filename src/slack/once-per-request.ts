import type { AnyMiddlewareArgs, Middleware } from '@slack/bolt';
import type { RequestDedupe } from '../store/request-dedupe.js';

/** What makes a Slack request itself: a command's or click's trigger_id, an event's event_id. */
function requestKey(body: unknown): string | undefined {
  const b = body as { type?: string; command?: string; trigger_id?: string; event_id?: string };
  if ((typeof b.command === 'string' || b.type === 'block_actions') && b.trigger_id) return `trigger:${b.trigger_id}`;
  if (b.type === 'event_callback' && b.event_id) return `event:${b.event_id}`;
  return undefined;
}

/**
 * A global middleware, in front of every listener: a command, click or event seen before by any replica (a Slack
 * retry, a request delivered twice) is acknowledged and goes no further, before any Postgres work. Modal submissions
 * are left to Postgres's request keys: a form sent back with errors is submitted again under the same view.
 */
export function oncePerRequest(dedupe: RequestDedupe): Middleware<AnyMiddlewareArgs> {
  return async (args) => {
    const key = requestKey(args.body);
    if (!key || (await dedupe.first(key))) {
      await args.next();
      return;
    }
    const ack = (args as { ack?: () => Promise<void> }).ack;
    if (ack) await ack();
  };
}
