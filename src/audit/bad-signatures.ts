import type { IncomingMessage, RequestListener } from 'node:http';
import type { App } from '@slack/bolt';
import type { AuditTrail } from '../incidents/audit.service.js';
import { PerMinuteBudget } from './per-minute.js';

/** Bolt's HTTP endpoint for Slack's requests (its default; the bot sets no other). */
const SLACK_ENDPOINT = '/slack/events';

/** Refused requests written one row each, per minute; past this a flood costs one summary row, not one row each. */
const ROWS_PER_MINUTE = 30;

/**
 * Who sent it, as far as HTTP can tell. The peer's address, which nobody can forge; when the peer is this machine (the
 * bot's own acknowledging front, or a proxy beside it), the hop it added last to X-Forwarded-For. Whatever the header
 * claims before that is said as a claim: taken as the actor, its first hop let anyone write `ip:203.0.113.66`, or a
 * user's id, into the audit.
 */
export function remoteAddress(req: IncomingMessage): string {
  const peer = req.socket.remoteAddress || 'unknown';
  const header = req.headers['x-forwarded-for'];
  const chain = (Array.isArray(header) ? header.join(',') : (header ?? ''))
    .split(',')
    .map((h) => h.replace(/[^0-9A-Za-z.:_-]/g, '').slice(0, 45))
    .filter(Boolean);
  const address = chain.length > 0 && LOOPBACK.test(peer) ? chain.pop()! : peer;
  const claimed = chain.join(', ').slice(0, 80);
  return claimed ? `${address} (forwarded for ${claimed})` : address;
}

/** This machine's own addresses, as a socket names them. */
const LOOPBACK = /^(127\.|::1$|::ffff:127\.)/;

/** Slack's window for a request timestamp, either way. */
const TIMESTAMP_WINDOW_MS = 5 * 60_000;

/** Why the receiver most likely refused it, from what the request carries (Bolt does not say). */
function whyRefused(req: IncomingMessage, now: number): string {
  if (req.headers['x-slack-signature'] === undefined) return 'the request is not signed';
  const ts = Number(req.headers['x-slack-request-timestamp']);
  if (!Number.isFinite(ts) || Math.abs(now - ts * 1000) > TIMESTAMP_WINDOW_MS) {
    return 'the request timestamp is missing or more than 5 minutes off';
  }
  return 'the request signature does not verify';
}

/**
 * Audits every request to the Slack endpoint that Bolt's HTTP receiver refuses with 401 (a missing, bad or stale
 * signature), by watching the status of each response: Bolt has no hook of its own there. The receiver is Bolt's
 * own, reached through the App; with Socket Mode there is none and nothing is done.
 */
export function auditBadSignatures(
  app: App,
  trail: Pick<AuditTrail, 'record'>,
  now: () => number = Date.now,
  rowsPerMinute = ROWS_PER_MINUTE,
): void {
  const receiver = (app as unknown as { receiver?: { requestListener?: RequestListener } }).receiver;
  const inner = receiver?.requestListener;
  if (!receiver || typeof inner !== 'function') return;

  const budget = new PerMinuteBudget(rowsPerMinute, now);
  const refused = (req: IncomingMessage) => {
    const { write, heldBefore } = budget.take();
    if (heldBefore > 0) {
      void trail.record({
        actor: 'unknown',
        action: 'bad_signature',
        surface: 'http',
        outcome: 'refused',
        reason: `${heldBefore} more requests with a bad signature in the minute before, not written one by one`,
        details: { suppressed: heldBefore },
      });
    }
    if (!write) return;
    void trail.record({
      actor: `ip:${remoteAddress(req)}`,
      action: 'bad_signature',
      surface: 'http',
      outcome: 'refused',
      reason: whyRefused(req, now()),
      details: {
        timestamp: req.headers['x-slack-request-timestamp'],
        userAgent: req.headers['user-agent'],
      },
    });
  };

  receiver.requestListener = (req, res) => {
    res.once('finish', () => {
      if (res.statusCode === 401 && (req.url ?? '').split('?')[0] === SLACK_ENDPOINT) refused(req);
    });
    return inner(req, res);
  };
}
