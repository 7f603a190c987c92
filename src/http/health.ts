import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Database } from '../store/db.js';
import type { GuardedKv } from '../store/kv.js';

export interface HealthRoute {
  path: string;
  method: string;
  handler: (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;
}

const json = (res: ServerResponse, status: number, body: unknown) => {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
};

/** `GET /alive`: the process answers. No database, always 200. */
export const aliveRoute: HealthRoute = {
  path: '/alive',
  method: 'GET',
  handler: (_req, res) => json(res, 200, { status: 'alive' }),
};

/** The embedded server as /health reports it: up or not, its pid, where its data is, the user it runs as. */
function embeddedServer(db: Database) {
  const e = db.embedded;
  if (!e) return undefined;
  const pid = e.pid();
  return { status: e.state(), ...(pid ? { pid } : {}), dataDir: e.dataDir, runAs: e.runAs };
}

/**
 * A configured URL as /health shows it (to anyone who can reach the port): its origin and path, without a user,
 * password, query or fragment, where a proxy's credentials or a token may be.
 */
export function shownUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.origin}${u.pathname}`;
  } catch {
    return '(not a URL)';
  }
}

/**
 * `GET /health`: the database answers within a second and a half; 200, or 503 with what is wrong. The embedded
 * database also reports its server (up, or stopped on its own: then 503). With a shared store (`kv`), it is named
 * too, and `degraded` while it cannot be reached: still 200, for the bot works without it.
 */
export function healthRoute(
  db: Database,
  mode: string,
  kv?: GuardedKv,
  /** How pages reach people besides Slack: whether email is set up, where PagerDuty events go, whether its webhook is. */
  notify?: { email: boolean; pagerduty: { events: string; webhook: boolean } },
  /** Alert deliveries whose plan keeps failing (Slack refusing the incidents channel, say): reported, `degraded`. */
  alerts?: () => Promise<{ count: number; oldest: Date; lastError: string } | null>,
): HealthRoute {
  return {
    path: '/health',
    method: 'GET',
    handler: async (_req, res) => {
      const started = Date.now();
      const shared = kv?.health();
      const server = embeddedServer(db);
      try {
        if (server && server.status !== 'up') {
          throw new Error(
            `the embedded PostgreSQL server is not running (${server.status}); see ${db.embedded?.logFile}`,
          );
        }
        await Promise.race([
          db.query('SELECT 1'),
          new Promise((_, reject) =>
            setTimeout(() => reject(new Error('database did not answer within 1500 ms')), 1500).unref(),
          ),
        ]);
        const database = {
          kind: db.kind,
          status: 'ok',
          latencyMs: Date.now() - started,
          ...(server ? { server } : {}),
        };
        const redis = await shared;
        const failing = await alerts?.();
        json(res, 200, {
          status: redis?.status === 'degraded' || failing ? 'degraded' : 'ok',
          mode,
          database,
          ...(redis ? { redis } : {}),
          ...(failing
            ? {
                alerts: {
                  status: 'retrying',
                  failing: failing.count,
                  since: failing.oldest.toISOString(),
                  error: failing.lastError,
                },
              }
            : {}),
          ...(notify
            ? { notify: { ...notify, pagerduty: { ...notify.pagerduty, events: shownUrl(notify.pagerduty.events) } } }
            : {}),
        });
      } catch (err) {
        // An exhausted pool means load, not an outage: say so, so an orchestrator does not restart a busy bot blindly.
        const busy = db.saturated();
        json(res, 503, {
          status: busy ? 'overloaded' : 'unhealthy',
          mode,
          database: {
            kind: db.kind,
            status: busy ? 'busy' : 'unreachable',
            error: err instanceof Error ? err.message : String(err),
            ...(server ? { server } : {}),
          },
          ...(shared ? { redis: await shared } : {}),
        });
      }
    },
  };
}
