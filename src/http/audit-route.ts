import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { remoteAddress } from '../audit/bad-signatures.js';
import { AUDIT_PAGE_MAX, type AuditRow, type AuditTrail } from '../incidents/audit.service.js';
import { parseDuration } from '../runbook/duration.js';
import type { HealthRoute } from './health.js';

export const AUDIT_PATH = '/audit.jsonl';

const digest = (s: string) => createHash('sha256').update(s).digest();

/** The bearer token matches, compared in constant time (by digest, so the lengths need not match). */
export function authorized(req: IncomingMessage, token: string): boolean {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
  return m !== null && timingSafeEqual(digest(m[1]!), digest(token));
}

/** A JSON error answer; a 401 says which scheme to use. */
export const problem = (res: ServerResponse, status: number, error: string, message: string) => {
  res.writeHead(status, {
    'content-type': 'application/json',
    'cache-control': 'no-store',
    ...(status === 401 ? { 'www-authenticate': 'Bearer' } : {}),
  });
  res.end(JSON.stringify({ error, message }));
};

/**
 * `since` as a time: an ISO time (`2026-11-30T00:00:00Z`, `2026-11-30`), Unix seconds (`1764460800`, what a log
 * shipper's checkpoint holds, from `0`) or milliseconds (`1764460800000`), or a length of time back from now (`15m`,
 * `24h`, `7d`). Null when it is none of these.
 */
export function sinceTime(text: string | null, now = Date.now()): Date | null {
  if (!text) return new Date(0);
  if (/^\d{1,11}$/.test(text)) return new Date(Number(text) * 1000);
  if (/^\d{12,13}$/.test(text)) return new Date(Number(text));
  const back = parseDuration(text);
  // Further back than the epoch is everything (`since=100000000d` reached Postgres as a year BC, out of its range).
  if (back !== null) return Number.isFinite(back) ? new Date(Math.max(0, now - back)) : new Date(0);
  return isoTime(text);
}

const ISO_TIME =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?)?(?:(Z)|([+ -])(\d{2}):?(\d{2}))?$/i;

/**
 * An ISO 8601 date or time, read the same on every server: without a zone it is UTC (not the server's own zone), a
 * space where the zone's `+` was (a `+` left unencoded in a query string reaches us as one) is a `+`, and a day the
 * month does not have (`2026-02-30`), an hour past 23 or an offset past 23:59 is no time at all (not the day after).
 */
function isoTime(text: string): Date | null {
  const m = ISO_TIME.exec(text);
  if (!m) return null;
  const [, y, mo, d, h = '0', mi = '0', s = '0', frac = '', , sign, oh = '0', om = '0'] = m;
  const [year, month, day, hour, minute, second] = [y, mo, d, h, mi, s].map(Number) as number[];
  const offset = (sign === '-' ? -1 : 1) * (Number(oh) * 60 + Number(om)) * 60_000;
  if (hour! > 23 || minute! > 59 || second! > 59 || Number(oh) > 23 || Number(om) > 59) return null;
  const utc = Date.UTC(year!, month! - 1, day!, hour, minute, second, Number(`${frac.slice(1)}000`.slice(0, 3)));
  const calendar = new Date(Date.UTC(year!, month! - 1, day!));
  if (calendar.getUTCMonth() !== month! - 1 || calendar.getUTCDate() !== day) return null;
  const at = new Date(utc - offset);
  return Number.isNaN(at.getTime()) ? null : at;
}

/** A row as one line of the export: who, what, where, when, outcome. */
const line = (r: AuditRow) =>
  `${JSON.stringify({
    id: r.id,
    at: r.at.toISOString(),
    actor: r.actor,
    action: r.action,
    surface: r.surface,
    team: r.teamId,
    channel: r.channelId,
    incident: r.incidentId,
    outcome: r.outcome,
    reason: r.reason,
    requestId: r.requestId,
    details: r.details,
  })}\n`;

/**
 * `GET /audit.jsonl?since=<ISO time, Unix seconds or 24h>[&after=<cursor>][&limit=<n>]`: the audit as JSON lines, oldest first, one page
 * of at most `limit` rows (default and most AUDIT_PAGE_MAX). When more rows may follow, the `Link` header (rel=next)
 * and `X-Next-Cursor` give the next page. A page ends below any audit insert still in flight (AuditTrail.page), so a
 * reader following the cursor never passes over a row that commits late; 503 when one is still in flight after a
 * wait. `Authorization: Bearer <ADMIN_TOKEN>`; 401 without it (and the refusal is audited), 404 when no ADMIN_TOKEN
 * is configured.
 */
export function auditRoute(trail: Pick<AuditTrail, 'page' | 'record'>, adminToken: string | undefined): HealthRoute {
  return {
    path: AUDIT_PATH,
    method: 'GET',
    handler: async (req, res) => {
      if (!adminToken) return problem(res, 404, 'not_found', 'Set ADMIN_TOKEN to export the audit.');
      if (!authorized(req, adminToken)) {
        await trail.record({
          actor: `ip:${remoteAddress(req)}`,
          action: 'audit_export',
          surface: 'http',
          outcome: 'refused',
          reason: req.headers.authorization ? 'wrong admin token' : 'no admin token',
        });
        return problem(res, 401, 'unauthorized', 'Send Authorization: Bearer <ADMIN_TOKEN>.');
      }
      const url = new URL(req.url ?? '/', 'http://localhost');
      const since = sinceTime(url.searchParams.get('since'));
      if (since === null) {
        return problem(
          res,
          400,
          'bad_since',
          'since must be an ISO time (2026-11-30T00:00:00Z), Unix seconds (1764460800) or a time back from now (24h, 7d).',
        );
      }
      const after = Number(url.searchParams.get('after') ?? 0);
      const limit = Number(url.searchParams.get('limit') ?? AUDIT_PAGE_MAX);
      if (!Number.isSafeInteger(after) || after < 0 || !Number.isSafeInteger(limit) || limit < 1) {
        return problem(res, 400, 'bad_cursor', 'after and limit must be whole numbers (limit at least 1).');
      }
      let rows: AuditRow[];
      try {
        rows = await trail.page(since, after, limit);
      } catch (err) {
        return problem(res, 503, 'unavailable', err instanceof Error ? err.message : String(err));
      }
      const headers: Record<string, string> = {
        'content-type': 'application/x-ndjson; charset=utf-8',
        'cache-control': 'no-store',
      };
      const last = rows.at(-1);
      if (last && rows.length >= Math.min(limit, AUDIT_PAGE_MAX)) {
        const next = new URLSearchParams({ since: since.toISOString(), after: String(last.id), limit: String(limit) });
        headers['x-next-cursor'] = String(last.id);
        headers.link = `<${AUDIT_PATH}?${next}>; rel="next"`;
      }
      res.writeHead(200, headers);
      for (const r of rows) res.write(line(r));
      res.end();
    },
  };
}
