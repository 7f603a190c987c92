import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import { remoteAddress } from '../audit/bad-signatures.js';
import { fieldPath } from '../incidents/alert-formats.js';
import type { PagerDutyWebhookEvent, WebhookOutcome } from '../incidents/pagerduty-webhook.service.js';
import type { Logger } from '../incidents/ports.js';
import { isDatabaseUnavailable, mayHaveRun } from '../store/db.js';
import { HOOKS_PREFIX, MAX_BODY_BYTES, readBody, tooLarge } from './alert-hooks.js';
import { reply } from './json-reply.js';
import type { AdvertisedRoute } from './not-found.js';

export const PAGERDUTY_HOOK_PATH = `${HOOKS_PREFIX}/pagerduty`;
/** The hook's 404 while PAGERDUTY_WEBHOOK_SECRET is unset. */
export const PAGERDUTY_NOT_RECEIVED =
  "PagerDuty webhooks are not received: set PAGERDUTY_WEBHOOK_SECRET to the subscription's secret.";
export const PAGERDUTY_SIGNATURE_HEADER = 'x-pagerduty-signature';

/** The signature PagerDuty puts on a v3 webhook: `v1=<hex HMAC-SHA256 of the raw body>`. */
export function pagerdutySignature(secret: string, body: string): string {
  return `v1=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/**
 * Whether the header carries a good signature. It may hold several (`v1=…,v1=…`, while a secret is rotated): any one
 * matching passes. Compared in constant time.
 */
export function signatureMatches(header: string | undefined, secret: string, body: string): boolean {
  if (!header) return false;
  const expected = Buffer.from(pagerdutySignature(secret, body));
  let ok = false;
  for (const s of header.split(',')) {
    const given = Buffer.from(s.trim());
    if (given.length === expected.length && timingSafeEqual(given, expected)) ok = true;
  }
  return ok;
}

/** The part of a v3 webhook the bot reads; everything else PagerDuty sends is let through. */
const webhookSchema = z.object({
  event: z.object({
    id: z.string().optional(),
    event_type: z.string().min(1),
    agent: z.object({ id: z.string().optional(), summary: z.string().optional() }).nullish(),
    data: z.object({ incident_key: z.string().nullish() }).passthrough().nullish(),
  }),
});

export interface PagerDutyHookDeps {
  /** PAGERDUTY_WEBHOOK_SECRET; unset: the hook answers 404. */
  secret: string | undefined;
  handle(event: PagerDutyWebhookEvent): Promise<WebhookOutcome>;
  log: Pick<Logger, 'warn' | 'info'>;
}

async function handle(deps: PagerDutyHookDeps, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (req.method !== 'POST') {
    req.resume();
    return reply(
      res,
      405,
      { error: 'method_not_allowed', message: `${PAGERDUTY_HOOK_PATH} takes POST.` },
      { allow: 'POST' },
    );
  }
  if (!deps.secret) {
    req.resume();
    return reply(res, 404, { error: 'not_found', message: PAGERDUTY_NOT_RECEIVED });
  }
  const body = await readBody(req, MAX_BODY_BYTES);
  if (body === null) return tooLarge(req, res);
  const header = req.headers[PAGERDUTY_SIGNATURE_HEADER];
  if (!signatureMatches(Array.isArray(header) ? header.join(',') : header, deps.secret, body)) {
    deps.log.warn(`Refused a PagerDuty webhook from ${remoteAddress(req)}: ${header ? 'bad' : 'no'} signature`);
    return reply(res, 401, {
      error: 'unauthorized',
      message: `Refused: ${header ? 'no signature in X-PagerDuty-Signature matches' : 'no X-PagerDuty-Signature header'}.`,
    });
  }
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch (err) {
    return reply(res, 400, { error: 'invalid_json', message: `The body is not JSON: ${(err as Error).message}` });
  }
  const parsed = webhookSchema.safeParse(json);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${fieldPath(i.path)}: ${i.message}`);
    return reply(res, 400, {
      error: 'invalid_payload',
      message: `Not a PagerDuty v3 webhook (an object with event.event_type): ${problems.join('; ')}`,
      problems,
    });
  }
  const e = parsed.data.event;
  const outcome = await deps.handle({
    id: e.id ?? null,
    type: e.event_type,
    incidentKey: e.data?.incident_key ?? null,
    agent: e.agent ? { id: e.agent.id ?? null, name: e.agent.summary ?? null } : null,
  });
  reply(res, 200, { ...outcome });
}

/**
 * What a 503 says of a PagerDuty event not handled. A statement sent with no answer may have been applied: a resend is
 * applied once all the same (an event applied already finds its page acknowledged or resolved, and an acknowledgement
 * carries the event's id as its request key).
 */
export function pagerdutyUnhandled(err: unknown): string {
  if (mayHaveRun(err))
    return 'The database did not answer in time; the event may have been recorded. PagerDuty sends it again, and an event recorded already is not applied twice.';
  const unavailable = isDatabaseUnavailable(err) || (err as { code?: string })?.code === 'database_busy';
  return unavailable
    ? 'The database cannot be reached; nothing was recorded. PagerDuty sends it again.'
    : 'The event could not be handled; nothing was recorded. PagerDuty sends it again.';
}

/** `POST /hooks/pagerduty`: PagerDuty's v3 webhooks, signed with the subscription's secret. Mounted before /hooks/*. */
export function pagerdutyHookRoute(deps: PagerDutyHookDeps): AdvertisedRoute {
  return {
    path: PAGERDUTY_HOOK_PATH,
    method: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'],
    advertised: deps.secret ? ['POST'] : [],
    handler: (req, res) => {
      handle(deps, req, res).catch((err) => {
        deps.log.warn('a PagerDuty webhook could not be handled', err);
        reply(res, 503, { error: 'unavailable', message: pagerdutyUnhandled(err) });
      });
    },
  };
}
