import type { IncomingMessage, ServerResponse } from 'node:http';
import { remoteAddress } from '../audit/bad-signatures.js';
import { PerMinuteBudget } from '../audit/per-minute.js';
import type { AuditTrail } from '../incidents/audit.service.js';
import type { BotMetrics } from '../metrics/metrics.js';
import { authorized } from './audit-route.js';
import type { HealthRoute } from './health.js';

export const METRICS_PATH = '/metrics';

/** Refused scrapes written one audit row each, per minute; past this, one row counting the rest. */
const REFUSALS_PER_MINUTE = 10;

/**
 * `GET /metrics`: the Prometheus text format. With ADMIN_TOKEN set, only with `Authorization: Bearer <ADMIN_TOKEN>`
 * (401 otherwise, and the refusal is audited, a few rows a minute at most); without it, open, as Prometheus
 * endpoints usually are (keep the port private then).
 */
export function metricsRoute(
  metrics: Pick<BotMetrics, 'text' | 'contentType'>,
  adminToken: string | undefined,
  trail: Pick<AuditTrail, 'record'>,
): HealthRoute {
  const budget = new PerMinuteBudget(REFUSALS_PER_MINUTE);
  const refuse = async (req: IncomingMessage, res: ServerResponse) => {
    const { write, heldBefore } = budget.take();
    if (heldBefore > 0) {
      await trail.record({
        actor: 'unknown',
        action: 'metrics_scrape',
        surface: 'http',
        outcome: 'refused',
        reason: `${heldBefore} more scrapes refused in the minute before, not written one by one`,
        details: { held: heldBefore },
      });
    }
    if (write) {
      await trail.record({
        actor: `ip:${remoteAddress(req)}`,
        action: 'metrics_scrape',
        surface: 'http',
        outcome: 'refused',
        reason: req.headers.authorization ? 'wrong admin token' : 'no admin token',
      });
    }
    res.writeHead(401, {
      'content-type': 'application/json',
      'cache-control': 'no-store',
      'www-authenticate': 'Bearer',
    });
    res.end(JSON.stringify({ error: 'unauthorized', message: 'Send Authorization: Bearer <ADMIN_TOKEN>.' }));
  };
  return {
    path: METRICS_PATH,
    method: 'GET',
    handler: async (req, res) => {
      if (adminToken && !authorized(req, adminToken)) return refuse(req, res);
      let body: string;
      try {
        body = await metrics.text();
      } catch (err) {
        res.writeHead(503, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' });
        res.end(`# metrics could not be collected: ${err instanceof Error ? err.message : String(err)}\n`);
        return;
      }
      res.writeHead(200, { 'content-type': metrics.contentType, 'cache-control': 'no-store' });
      res.end(body);
    },
  };
}
