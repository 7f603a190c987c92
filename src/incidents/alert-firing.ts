import type { AlertRow } from '../store/alert.repo.js';
import { alertsOf } from '../store/alert-card.repo.js';
import { alertIncidentsOf } from '../store/alert-incident.repo.js';
import { firingAlerts, firingTitlesHolding } from '../store/alert-list.repo.js';
import type { Queryable } from '../store/db.js';
import { leftOut } from './alert-cards.js';
import { alertTitle } from './alert-rows.js';
import type { AlertList, AlertQuery, AlertRule, AlertView, FiringAlertPlace, FiringAlerts } from './alert-types.js';

/**
 * Every alert of an incident (`/incident alerts` in its channel): firing first, at most `limit`, and how many there
 * are; with a query, those holding its words, from its `from`th.
 */
export async function alertsOfIncident(
  db: Queryable,
  incidentId: number,
  limit: number,
  query: AlertQuery,
): Promise<AlertList> {
  const ais = await alertIncidentsOf(db, incidentId);
  const list = await alertsOf(
    db,
    ais.map((a) => a.id),
    limit,
    query,
  );
  // What their sources left out of the groups' latest deliveries (Alertmanager's max_alerts): not recorded, said.
  return { ...list, query, truncated: leftOut(ais) };
}

/**
 * What is firing now, whatever the source, most severe first: each alert with where it is (its incident, named only
 * to those who may see it; its notice; or recorded only). `/incident alerts` outside an incident channel, the Home tab.
 */
export async function firingNow(
  db: Queryable,
  userId: string,
  limit: number,
  /** The heartbeat rows (a Watchdog always fires while monitoring works: not something firing to look at). */
  heartbeats: readonly string[] = [],
  /** Only those holding every word, from the `from`th of them (`/incident alerts WORDS from N`). */
  query: AlertQuery = { words: [], from: 1 },
  /**
   * Whether an alert reads as a security matter (securityAlert): one in no incident says nothing of itself either, as
   * its notice in the incidents channel does not (its details went to on-call by direct message).
   */
  security: (alert: { rule: string | null; title: string }) => boolean = () => false,
): Promise<FiringAlerts> {
  const secret = (a: Pick<AlertRow, 'rule' | 'name' | 'summary'>) =>
    security({ rule: a.rule, title: alertTitle(a.summary, a.name) });
  // Which words a security alert's text holds is what it is kept out of sight for: one in no incident matches no word,
  // so it is left out before the matches are counted and paged (the count of a search for its address said it held
  // it, "holding “203.0.113.9”: 1, none from number 1 on", found from outside).
  const unseen =
    query.words.length === 0 ? [] : (await firingTitlesHolding(db, heartbeats, query.words)).filter(secret);
  const { alerts, total } = await firingAlerts(db, userId, limit, heartbeats, query, unseen);
  return {
    total,
    query,
    alerts: alerts
      // A security alert in no incident, told once per alert (the check reads the runbook's playbooks).
      .map((found) => ({ ...found, secret: found.incident === null && secret(found.alert) }))
      // Left out already (unseen); kept, so that an alert that came between the two reads is not found either.
      .filter(({ secret }) => query.words.length === 0 || !secret)
      .map(({ alert, incident, secret }) => {
        // An alert of a private incident the person may not see says nothing of itself either: a security alert's
        // summary ("suspicious logins on the admin console") is what the incident is private for.
        if (incident && !incident.visible) return { ...hidden(alert), place: { kind: 'private' as const } };
        if (secret) return { ...hidden(alert), name: 'A security alert', place: { kind: 'security' as const } };
        const place: FiringAlertPlace = incident
          ? { kind: 'incident', number: incident.number, channelId: incident.channelId, resolved: incident.resolved }
          : alert.notice
            ? { kind: 'notice', channelId: alert.notice.channel }
            : { kind: 'recorded' };
        return { ...alert, place };
      }),
  };
}

/** The runbook's heartbeat rows by name: their alerts always fire, and are not among the alerts firing now. */
export const heartbeatRules = (rules: Iterable<AlertRule>): string[] =>
  [...rules].filter((r) => r.heartbeatMs).map((r) => r.name);

/** An alert with nothing of what it says: its level, state and times only. */
function hidden(a: AlertView): AlertView {
  return {
    id: a.id,
    source: a.source,
    level: a.level,
    status: a.status,
    firstSeen: a.firstSeen,
    lastSeen: a.lastSeen,
    resolvedAt: a.resolvedAt,
    count: a.count,
    maintenance: a.maintenance,
    name: 'An alert',
    summary: '',
    service: null,
    metric: null,
    value: null,
    threshold: null,
    url: null,
    runbookUrl: null,
    silenceUrl: null,
    dashboardUrl: null,
  };
}
