import { createHmac, timingSafeEqual } from 'node:crypto';

/** Bolt's own limit on a request body (4 MB); past it the front answers 413 as Bolt does. */
export const SLACK_BODY_LIMIT = 4 * 1024 * 1024;

/** How far a request's timestamp may be from this machine's clock, either way (as the bot's receiver checks). */
const SKEW_SECONDS = 5 * 60;

/**
 * Whether a request carries Slack's `v0` signature of its body made with the signing secret, and a timestamp within
 * five minutes of `nowMs` either way.
 */
export function signatureValid(
  secret: string,
  timestamp: string | undefined,
  signature: string | undefined,
  body: Buffer,
  nowMs: number,
): boolean {
  if (!timestamp || !signature || !/^\d{1,12}$/.test(timestamp)) return false;
  if (Math.abs(Number(timestamp) - nowMs / 1000) > SKEW_SECONDS) return false;
  const expected = Buffer.from(
    `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:`).update(body).digest('hex')}`,
  );
  const given = Buffer.from(signature);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** Interactive payloads whose answer is an empty 200 whatever the bot does with them. */
const PAYLOADS_ACKED_EMPTY = new Set([
  'block_actions',
  'interactive_message',
  'view_closed',
  'shortcut',
  'message_action',
]);
/** Events API bodies answered the same way (a url_verification challenge is answered by the bot's receiver). */
const EVENTS_ACKED_EMPTY = new Set(['event_callback', 'app_rate_limited']);

/**
 * Whether Slack's answer to this request is an empty 200 by its contract, so the front may give it before the bot has
 * read the request: a slash command (the bot replies through its response_url), a click or select, a closed form, an
 * event. A form submission (its answer may carry errors or the next view), an options load, a url_verification or
 * ssl_check, and anything the front cannot read are not: the bot answers those itself.
 */
export function fastAck(contentType: string | undefined, body: Buffer): boolean {
  const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  try {
    if (type === 'application/x-www-form-urlencoded') {
      const form = new URLSearchParams(body.toString('utf8'));
      const payload = form.get('payload');
      if (payload !== null) {
        const parsed = JSON.parse(payload) as { type?: unknown };
        return typeof parsed.type === 'string' && PAYLOADS_ACKED_EMPTY.has(parsed.type);
      }
      return form.has('command') && !form.has('ssl_check');
    }
    if (type === 'application/json') {
      const parsed = JSON.parse(body.toString('utf8')) as { type?: unknown };
      return typeof parsed.type === 'string' && EVENTS_ACKED_EMPTY.has(parsed.type);
    }
  } catch {
    return false;
  }
  return false;
}
