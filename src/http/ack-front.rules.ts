import { createHmac, timingSafeEqual } from 'node:crypto';
import { parse as parseQuery } from 'node:querystring';

/** Bolt's own limit on a request body (4 MB); past it the front answers 413 as Bolt does. */
export const SLACK_BODY_LIMIT = 4 * 1024 * 1024;

/** How far a request's `X-Slack-Request-Timestamp` may be from this machine's clock, either way: five minutes. */
export const MAX_CLOCK_SKEW_SECONDS = 5 * 60;

/**
 * How many seconds the request's timestamp is away from now, when it is further than MAX_CLOCK_SKEW_SECONDS (in the
 * past or the future); null when it is within, or missing or not a number (Bolt's own check refuses those).
 */
export function clockSkew(header: string | string[] | undefined, nowMs: number): number | null {
  if (typeof header !== 'string') return null;
  const ts = Number(header);
  if (header.trim() === '' || !Number.isFinite(ts)) return null;
  const skew = Math.round(ts - nowMs / 1000);
  return Math.abs(skew) > MAX_CLOCK_SKEW_SECONDS ? skew : null;
}

/** A Content-Type's media type, lower case and without its parameters (`; charset=utf-8`). */
export function mediaType(contentType: string | undefined): string {
  return (contentType ?? '').split(';')[0]!.trim().toLowerCase();
}

const FORM = 'application/x-www-form-urlencoded';

/** A request body as Bolt reads it: a form (its `payload` JSON when it has one), else JSON. */
export function parseSlackBody(contentType: string, body: string): unknown {
  if (mediaType(contentType) === FORM) {
    const form = parseQuery(body);
    return typeof form.payload === 'string' ? JSON.parse(form.payload) : form;
  }
  return JSON.parse(body);
}

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
  if (clockSkew(timestamp, nowMs) !== null) return false;
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
 * What a form's checks say of it: the errors to show inline; null when the form reads; `pass` when the answer needs
 * more than the form (the bot answers); `{ ifOpen }` when it reads and its answer is an empty 200 unless that incident
 * is resolved (then the bot answers: its refusal shows inline).
 */
export type FormCheck = Record<string, string> | null | 'pass' | { ifOpen: number };

/** The checks of a form by its callback id. */
export type FormChecks = Readonly<
  Record<string, (view: { private_metadata?: string; state?: { values?: unknown } }) => FormCheck>
>;

/** What the front does with a correctly signed request. */
export type FrontAnswer =
  /** Answer with an empty 200, then hand it to the bot. */
  | { kind: 'ack' }
  /** Answer a form with the errors to show inline; the bot does nothing with it. */
  | { kind: 'errors'; errors: Record<string, string> }
  /** As `ack` when the incident is not resolved (read by the front), else (or unread) as `pass`. */
  | { kind: 'ackIfOpen'; incidentId: number }
  /** Pass it to the bot, which answers. */
  | { kind: 'pass' };

/** Whether a body may be a form submission (a cheap look, before the form checks are loaded). */
export function isSubmission(contentType: string | undefined, body: Buffer): boolean {
  return mediaType(contentType) === FORM && body.includes('view_submission');
}

const ACK: FrontAnswer = { kind: 'ack' };
const PASS: FrontAnswer = { kind: 'pass' };

/**
 * What the front may answer before the bot has read the request. An empty 200 is Slack's whole answer to a slash
 * command (the bot replies through its response_url), a click or select, a closed form, an event; a form submission's
 * answer is known from the form alone for the forms in `forms` (its errors, or an empty 200), or from the form and
 * whether its incident is resolved (`ackIfOpen`, which the caller reads). Every other submission
 * (its answer may need the database, or be the next view), an options load, a url_verification or ssl_check, and
 * anything the front cannot read are passed to the bot.
 */
export function frontAnswer(contentType: string | undefined, body: Buffer, forms: FormChecks = {}): FrontAnswer {
  const type = mediaType(contentType);
  try {
    if (type === FORM) {
      const form = new URLSearchParams(body.toString('utf8'));
      const payload = form.get('payload');
      if (payload === null) return form.has('command') && !form.has('ssl_check') ? ACK : PASS;
      const parsed = JSON.parse(payload) as {
        type?: unknown;
        view?: { callback_id?: unknown; private_metadata?: string; state?: { values?: unknown } };
      };
      if (typeof parsed.type !== 'string') return PASS;
      if (PAYLOADS_ACKED_EMPTY.has(parsed.type)) return ACK;
      if (parsed.type !== 'view_submission' || typeof parsed.view?.callback_id !== 'string') return PASS;
      const check = Object.hasOwn(forms, parsed.view.callback_id) ? forms[parsed.view.callback_id] : undefined;
      if (!check) return PASS;
      const checked = check(parsed.view);
      if (checked === 'pass') return PASS;
      if (checked && typeof checked.ifOpen === 'number') return { kind: 'ackIfOpen', incidentId: checked.ifOpen };
      return checked ? { kind: 'errors', errors: checked as Record<string, string> } : ACK;
    }
    if (type === 'application/json') {
      const parsed = JSON.parse(body.toString('utf8')) as { type?: unknown };
      return typeof parsed.type === 'string' && EVENTS_ACKED_EMPTY.has(parsed.type) ? ACK : PASS;
    }
  } catch {
    return PASS;
  }
  return PASS;
}
