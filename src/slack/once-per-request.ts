import { createHash } from 'node:crypto';
import type { AnyMiddlewareArgs, Middleware } from '@slack/bolt';
import { noteOutcome } from '../audit/request-context.js';
import type { RequestDedupe } from '../store/request-dedupe.js';

/**
 * How long the same person's click on the same button of the same message counts as a repeat of it: a double click's
 * second click (two clicks, two trigger ids) arrives well within it, a click meant as a new one comes later.
 */
export const REPEAT_CLICK_MS = 2_000;

interface Check {
  key: string;
  ttlMs?: number;
  why: string;
}

interface Payload {
  type?: string;
  command?: string;
  trigger_id?: string;
  event_id?: string;
  team?: { id?: string } | null;
  user?: { id?: string; team_id?: string } | null;
  container?: { message_ts?: string; view_id?: string } | null;
  message?: { text?: string; blocks?: unknown } | null;
  view?: { id?: string; hash?: string } | null;
  actions?: { type?: string; action_id?: string; value?: string }[];
}

/** What makes a Slack request itself: a command's or click's trigger_id, an event's event_id. */
function requestCheck(b: Payload): Check | undefined {
  const why = 'repeat: a Slack request seen before (a retry, or delivered twice)';
  if ((typeof b.command === 'string' || b.type === 'block_actions') && b.trigger_id) {
    return { key: `trigger:${b.trigger_id}`, why };
  }
  if (b.type === 'event_callback' && b.event_id) return { key: `event:${b.event_id}`, why };
  return undefined;
}

/**
 * A person's click on a button as they saw it: who, which button with which value, on which message or view, and
 * the version of it the click came from (the message's content, the view's hash). A double click sends this twice
 * under two trigger ids; a click on the message once it changed (Undo after Done, then Done again) is a new one.
 * Buttons only: a select or a date picker is not double clicked, and picking A, B, then A again is meant.
 */
function clickCheck(b: Payload): Check | undefined {
  const user = b.user?.id;
  const where = b.container?.message_ts ?? b.container?.view_id ?? b.view?.id;
  const buttons = (b.actions ?? []).filter((a) => a.type === 'button');
  if (b.type !== 'block_actions' || !user || !where || buttons.length === 0) return undefined;
  const team = b.team?.id ?? b.user?.team_id ?? '';
  const seen = b.view?.hash ?? (b.message ? JSON.stringify([b.message.text ?? '', b.message.blocks ?? []]) : '');
  const what = createHash('sha256')
    .update(JSON.stringify([buttons.map((a) => [a.action_id, a.value ?? '']), seen]))
    .digest('base64url')
    .slice(0, 22);
  return {
    key: `click:${team}:${user}:${buttons.map((a) => a.action_id).join(',')}:${where}:${what}`,
    ttlMs: REPEAT_CLICK_MS,
    why: 'repeat: the same person clicked the same button moments before (a double click)',
  };
}

/**
 * A global middleware, in front of every listener: a command, click or event seen before by any replica (a Slack
 * retry, a request delivered twice), or the second click of a person's double click (another trigger id, maybe to
 * another replica), is acknowledged and goes no further, before any Postgres work. Only the same person's clicks are
 * so dropped: someone else's click goes on, to be told who acted first. Postgres stays the final guard, and when Redis
 * cannot be reached every request goes on to it. Modal submissions are left to Postgres's request keys: a form sent
 * back with errors is submitted again under the same view.
 */
export function oncePerRequest(dedupe: RequestDedupe): Middleware<AnyMiddlewareArgs> {
  return async (args) => {
    const body = args.body as Payload;
    const checks = [requestCheck(body), clickCheck(body)].filter((c): c is Check => c !== undefined);
    // Both keys are set together: one round trip before the ack.
    const firsts = await Promise.all(checks.map((c) => dedupe.first(c.key, c.ttlMs)));
    const repeat = checks.find((_, i) => !firsts[i]);
    if (!repeat) {
      await args.next();
      return;
    }
    noteOutcome('noop', repeat.why);
    const ack = (args as { ack?: () => Promise<void> }).ack;
    if (ack) await ack();
  };
}
