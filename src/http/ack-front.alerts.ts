import type { IncomingMessage, ServerResponse } from 'node:http';
import { parseJson } from '../incidents/alert-formats.js';
import { sha256, writeDelivery } from '../incidents/alert-inbox.js';
import type { AlertDelivery, AlertRule } from '../incidents/alert-types.js';
import { insertDelivery } from '../store/alert-delivery.repo.js';
import { createPostgresDatabase, type Database } from '../store/db.js';
import { FRONT_ALERT_CONNECTIONS, type FrontAlerts, type FrontReport } from './ack-front.protocol.js';
import { AlertAuth } from './alert-auth.js';
import { ALERT_SOURCES, alertHookRoutes } from './alert-hooks.js';

/** A sample delivery of each format, as a sender posts it. */
const SAMPLES: Record<keyof typeof ALERT_SOURCES, string> = {
  generic: JSON.stringify({
    source: 'warm-up',
    key: 'warm-up',
    status: 'firing',
    level: 'critical',
    metric: 'error_rate',
    value: '12%',
    threshold: '> 10%',
    service: 'api-service',
    summary: 'warm-up',
    labels: { seq: '1' },
    url: 'https://example.com/warm-up',
  }),
  alertmanager: JSON.stringify({
    version: '4',
    status: 'firing',
    receiver: 'warm-up',
    groupKey: '{}:{alertname="WarmUp"}',
    groupLabels: { alertname: 'WarmUp' },
    commonLabels: { alertname: 'WarmUp', severity: 'critical' },
    commonAnnotations: { summary: 'warm-up' },
    externalURL: 'http://alertmanager:9093',
    alerts: [
      {
        status: 'firing',
        labels: { alertname: 'WarmUp', severity: 'critical', service: 'api-service' },
        annotations: { summary: 'warm-up' },
        startsAt: '2026-01-01T00:00:00Z',
        endsAt: '0001-01-01T00:00:00Z',
        generatorURL: 'http://prometheus:9090/graph',
        fingerprint: 'warmup',
      },
    ],
  }),
};
/** Times each sample is read at start: enough for V8 to compile the parsers' hot code. */
const WARM_UP_ROUNDS = 200;

/**
 * Reads each format's sample as a delivery would be read (JSON, payload, rows, hash), a few hundred times, when the
 * front starts: a storm's first alerts would otherwise pay for compiling all of it (the schemas' first checks, then
 * V8's optimised code) while the bot's thread declares their incidents beside. Nothing is written.
 */
function warmUp(rules: readonly AlertRule[]): void {
  const url = new URL('http://localhost/');
  for (let i = 0; i < WARM_UP_ROUNDS; i++) {
    for (const [name, body] of Object.entries(SAMPLES) as [keyof typeof ALERT_SOURCES, string][]) {
      const json = parseJson(body);
      if (json.ok) ALERT_SOURCES[name].parse(json.value, rules, url);
      sha256(body);
    }
  }
}

/** Thrown to roll a warm-up's transaction back. */
class WarmedUp extends Error {}

/**
 * Writes a sample delivery on each of the `connections` kept open, in a transaction rolled back: a connection's first
 * write of a delivery costs the server about ten times a later one (the tables' and indexes' descriptions loaded, the
 * statement prepared and planned), which a storm's first alerts would otherwise pay while the bot's thread declares
 * their incidents beside. Nothing is kept (the ids' sequence moves on by one per connection). A failure is ignored:
 * the first deliveries pay as before.
 */
async function warmStatements(db: Database, connections: number, duplicateWindowMs: number): Promise<void> {
  const delivery: AlertDelivery = { source: 'warm-up', format: 'generic', groupKey: 'warm-up', alerts: [] };
  await Promise.allSettled(
    Array.from({ length: connections }, () =>
      db.transaction(async (tx) => {
        await insertDelivery(tx, delivery, sha256(SAMPLES.generic), duplicateWindowMs);
        throw new WarmedUp();
      }),
    ),
  );
}

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
  // Connections kept open: a storm's first alerts are written at once, not after setting up connections.
  const db = createPostgresDatabase(init.connection, {
    max: FRONT_ALERT_CONNECTIONS,
    min: Math.min(init.keepOpen, FRONT_ALERT_CONNECTIONS),
    prepare: init.prepare,
  });
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
    duplicateWindowMs: init.duplicateWindowMs,
    log: { warn: say('warn'), info: say('debug') },
  });
  warmUp(init.rules);
  void warmStatements(db, Math.min(init.keepOpen, FRONT_ALERT_CONNECTIONS), init.duplicateWindowMs);
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
