import type { IncomingMessage, ServerResponse } from 'node:http';
import { writeDelivery } from '../incidents/alert-inbox.js';
import { createPostgresDatabase } from '../store/db.js';
import type { FrontAlerts, FrontReport } from './ack-front.protocol.js';
import { AlertAuth } from './alert-auth.js';
import { ALERT_SOURCES, alertHookRoutes } from './alert-hooks.js';

/** The alert hooks as the front serves them: whether it took the request, and how to let go of the database. */
export interface FrontAlertIntake {
  handle(req: IncomingMessage, res: ServerResponse): boolean;
  close(): Promise<void>;
}

/**
 * The alert hooks (`POST /hooks/alertmanager`, `POST /hooks/alerts`) served by the acknowledging front itself, with the
 * bot's own code (alertHookRoutes: method, size, proof of origin, payload) and a database pool of its own: a delivery
 * is written to the inbox and answered 202 without waiting for the bot's thread, which is told of it (to count it and
 * wake its alert loop). Other paths under /hooks go to the bot.
 */
export function frontAlertIntake(init: FrontAlerts, report: (m: FrontReport) => void): FrontAlertIntake {
  // A few connections kept open: a storm's first alerts are written at once, not after setting up connections.
  const db = createPostgresDatabase(init.connection, { max: 10, min: 4, prepare: init.prepare });
  const say =
    (level: 'warn' | 'debug') =>
    (...args: unknown[]) =>
      report({
        t: 'log',
        level,
        msg: args.map((a) => (a instanceof Error ? a.message : String(a))).join(': '),
      });
  const routes = alertHookRoutes({
    auth: new AlertAuth(init.settings),
    rules: init.rules,
    async accept(delivery, body) {
      const r = await writeDelivery(db, delivery, body, init.duplicateWindowMs);
      if (!r.duplicate)
        report({
          t: 'alerts',
          source: delivery.source,
          groupKey: delivery.groupKey,
          levels: delivery.alerts.map((a) => a.level),
        });
      return r;
    },
    log: { warn: say('warn'), info: say('debug') },
  });
  const paths = new Set(Object.values(ALERT_SOURCES).map((s) => s.path));
  const byPath = new Map(routes.filter((r) => paths.has(r.path)).map((r) => [r.path, r.handler]));
  return {
    handle(req, res) {
      const handler = byPath.get((req.url ?? '/').split('?')[0]!);
      if (!handler) return false;
      handler(req, res);
      return true;
    },
    close: () => db.close(),
  };
}
