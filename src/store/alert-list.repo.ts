import type { IncidentStatus } from '../incidents/types.js';
import { type AlertDbRow, toAlert } from './alert.repo.js';
import type { Queryable } from './db.js';
import { visibleTo } from './incident-members.repo.js';

/*
 * Alerts as people list them: their order by level and the words they hold (the card's lists use both too), and the
 * alerts firing now, whatever their source (`/incident alerts`).
 */

/** Critical alerts first, then warnings, then info: an incident's lists put what it is about before what came along. */
export const LEVEL_ORDER = "CASE a.level WHEN 'critical' THEN 0 WHEN 'warning' THEN 1 ELSE 2 END";

/**
 * The alert `a` holds every word of the text array parameter `param` (lower case; none: every alert does): in its
 * name, summary, state, level, service, metric, value, source or labels (as `key=value`), its fields also as
 * `key=value` whatever its format (`service=api`). `/incident alerts node-12 firing`.
 */
export const holdsEvery = (param: string) =>
  `NOT EXISTS (SELECT 1 FROM unnest(${param}::text[]) AS w(word) WHERE strpos(lower(concat_ws(' ', a.name, a.summary,
     a.status, a.level, a.service, a.metric, a.value, a.source,
     'source=' || a.source, 'service=' || a.service, 'metric=' || a.metric, 'level=' || a.level, 'status=' || a.status,
     (SELECT string_agg(l.k || '=' || l.v, ' ') FROM jsonb_each_text(a.labels) AS l(k, v)))), w.word) = 0)`;

/** What tells whether an alert is a security matter: its row, name and summary (alertTitle of them). */
export interface AlertTitleRow {
  rule: string | null;
  name: string;
  summary: string;
}

/**
 * Which alerts are firing now (the `$except` rows' left out): each fingerprint's latest alert, when it fires.
 * firingAlerts and firingTitlesHolding share it.
 */
const firingNowWhere = (
  except: string,
) => `a.status = 'firing' AND (a.rule IS NULL OR NOT a.rule = ANY(${except}::text[]))
       AND NOT EXISTS (SELECT 1 FROM alerts b WHERE b.source = a.source AND b.format = a.format AND b.fingerprint = a.fingerprint AND b.id > a.id)`;

/**
 * The row, name and summary of each alert firing now in no incident that holds every word (lower case), once each:
 * what tells which of them are security alerts, for firingAlerts to leave out (`unseen`) before it counts them.
 */
export async function firingTitlesHolding(
  q: Queryable,
  exceptRules: readonly string[],
  words: readonly string[],
): Promise<AlertTitleRow[]> {
  const { rows } = await q.query<AlertTitleRow>(
    `SELECT DISTINCT a.rule, a.name, a.summary
     FROM alerts a
     LEFT JOIN alert_incidents ai ON ai.id = a.alert_incident_id AND ai.state = 'declared'
     LEFT JOIN incidents i ON i.id = ai.incident_id
     WHERE i.id IS NULL AND ${firingNowWhere('$1')} AND ${holdsEvery('$2')}`,
    [exceptRules, words],
  );
  return rows;
}

/**
 * The alerts firing now, whatever their source: each fingerprint's latest alert when it is firing, the most severe
 * level first, then the latest seen; at most `limit`, and how many there are. With each, the incident it is in and
 * whether `userId` may see that incident (a private one only its people).
 */
export async function firingAlerts(
  q: Queryable,
  userId: string | null,
  limit: number,
  /** Rows whose alerts are left out (heartbeats: they always fire). */
  exceptRules: readonly string[] = [],
  /**
   * Only those holding every word (lower case), from the `from`th of them (counted from 1). An alert of a private
   * incident `userId` may not see matches no word: which words its text holds is what it is private for.
   */
  query: { words: readonly string[]; from: number } = { words: [], from: 1 },
  /**
   * Alerts in no incident left out by their row, name and summary (those firingTitlesHolding found that read as a
   * security matter): before they are counted and paged, so that neither a count nor a page says one holds the words.
   */
  unseen: readonly AlertTitleRow[] = [],
) {
  const { rows } = await q.query<
    AlertDbRow & {
      incident_number: number | null;
      incident_channel: string | null;
      incident_status: IncidentStatus | null;
      incident_visible: boolean;
      firing_total: string | number;
    }
  >(
    `SELECT a.*, i.number AS incident_number, i.channel_id AS incident_channel, i.status AS incident_status,
            (i.id IS NULL OR ${visibleTo('$1')}) AS incident_visible, count(*) OVER () AS firing_total
     FROM alerts a
     LEFT JOIN alert_incidents ai ON ai.id = a.alert_incident_id AND ai.state = 'declared'
     LEFT JOIN incidents i ON i.id = ai.incident_id
     WHERE ${firingNowWhere('$3')}
       AND (cardinality($4::text[]) = 0 OR ((i.id IS NULL OR ${visibleTo('$1')}) AND ${holdsEvery('$4')}))
       AND (i.id IS NOT NULL OR NOT EXISTS (SELECT 1 FROM unnest($6::text[], $7::text[], $8::text[]) AS u(rule, name, summary)
         WHERE u.rule IS NOT DISTINCT FROM a.rule AND u.name = a.name AND u.summary = a.summary))
     ORDER BY ${LEVEL_ORDER}, a.last_seen DESC, a.id DESC
     LIMIT $2 OFFSET $5`,
    [
      userId,
      limit,
      exceptRules,
      query.words,
      query.from - 1,
      unseen.map((u) => u.rule),
      unseen.map((u) => u.name),
      unseen.map((u) => u.summary),
    ],
  );
  // Asked from past the end: how many there are all the same (the window counts only the rows it returns).
  const total: number =
    rows.length === 0 && query.from > 1
      ? (await firingAlerts(q, userId, 1, exceptRules, { words: query.words, from: 1 }, unseen)).total
      : Number(rows[0]?.firing_total ?? 0);
  return {
    total,
    alerts: rows.map((r) => ({
      alert: toAlert(r),
      incident:
        r.incident_number === null
          ? null
          : {
              number: Number(r.incident_number),
              channelId: r.incident_channel,
              resolved: r.incident_status === 'resolved',
              visible: r.incident_visible,
            },
    })),
  };
}
