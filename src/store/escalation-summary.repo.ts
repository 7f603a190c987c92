import type { NeverReached } from '../incidents/ports.js';
import { alertsAllResolvedOf } from './alert-incident.repo.js';
import { jsonOf, type Queryable, type StatementPart } from './db.js';
import { neverReachedOf } from './page-failure.repo.js';
import { PAGE_COUNTS, PAGE_SENT } from './page-predicates.js';

/*
 * What the incident's card shows of its escalation: who has been paged and how it went, and the next pending page.
 */

export interface EscalationSummary {
  /** `skipped`: the role had no contacts (nobody was paged). */
  /**
   * `declarer`: the declarer, on call for the role, reached by their own declaration and sent no page (the declaration's
   * page records them as reached; see EscalationService.page). `declarerOnly`: nobody else was reached by that page
   * (the role's only person is the declarer; a contact Slack could not reach, a user group it would not expand, was
   * not reached either): no page was sent at all.
   */
  /**
   * `going`: not gone out yet, its job still to send it (`error`: why its last try failed, when one did); `failed`:
   * given up before it went (giveUpPages), with the last error. A page called off before it went is not here.
   */
  paged: {
    role: string;
    rule: string;
    at: Date;
    skipped: boolean;
    declarer?: string;
    declarerOnly?: boolean;
    going?: { error: string | null };
    failed?: { error: string | null };
    /** It went out, and its DMs to these people failed till its job's last try (pages.missed): never reached by it. */
    missed?: NeverReached;
    /** Its deliveries Slack said cannot be made at all (page_deliveries.unreachable), with its answer. */
    unreachable?: NeverReached;
    /** It went out and reached nobody at all: every person it tried was `unreachable` (or never reached: `missed`). */
    reachedNobody?: true;
  }[];
  next: { role: string | null; rule: string; dueAt: Date } | null;
  /** The other timers due with `next` (within a second of it): a round of nobody acknowledging and another rule. */
  alsoDue: { role: string | null; rule: string; dueAt: Date }[];
  /** Roles escalated to by hand whose page has not gone out yet. */
  requested: string[];
  /** Every alert of the incident has resolved (false for an incident without alerts). */
  alertsAllResolved: boolean;
}

/**
 * What the card shows: who has been paged, and the next pending page with its time (one statement). Timers of the
 * `reminders` rules page nobody and are not a next page.
 */
/** How many pending timers the card's summary reads: the next, and those due with it. */
const NEXT_READ = 4;
/** Timers due this close to the next one are due with it (the card names them together). */
const DUE_TOGETHER_MS = 1000;

export async function escalationSummary(
  q: Queryable,
  incidentId: number,
  reminders: readonly string[],
  more?: (first: number) => StatementPart,
): Promise<EscalationSummary & { more?: unknown }> {
  const part = more?.(3);
  const { rows } = await q.query<{
    paged:
      | {
          role: string;
          rule: string;
          at: string;
          skipped: boolean;
          declarer: string | null;
          others: boolean;
          sent: boolean;
          reached: boolean;
          failed: boolean;
          error: string | null;
          missed: string[] | null;
          missed_errors: (string | null)[] | null;
          unreachable: string[] | null;
          unreachable_errors: (string | null)[] | null;
        }[]
      | string
      | null;
    next: { role: string | null; rule: string; due_at: string }[] | string | null;
    requested: string[] | null;
    quiet: boolean | null;
    more?: unknown;
  }>(
    `${part?.with ? `WITH ${part.with} ` : ''}SELECT
       (SELECT json_agg(json_build_object('role', p.role, 'rule', p.rule, 'at', p.created_at, 'skipped', p.skipped,
          'declarer', CASE WHEN p.rule = 'declared' THEN (
            SELECT d.user_id FROM page_deliveries d JOIN incidents i ON i.id = p.incident_id
            WHERE d.page_id = p.id AND d.user_id = i.reporter_id) END,
          'others', EXISTS (SELECT 1 FROM page_deliveries d JOIN incidents i ON i.id = p.incident_id
            WHERE d.page_id = p.id AND d.user_id <> i.reporter_id AND NOT d.unreachable),
          'sent', ${PAGE_SENT('p')},
          'reached', EXISTS (SELECT 1 FROM page_deliveries d WHERE d.page_id = p.id AND NOT d.unreachable),
          'failed', p.failed_at IS NOT NULL, 'error', coalesce(p.failure, j.last_error),
          'missed', p.missed, 'missed_errors', p.missed_errors,
          'unreachable', (SELECT array_agg(d.user_id ORDER BY d.delivered_at, d.user_id) FROM page_deliveries d
            WHERE d.page_id = p.id AND d.unreachable),
          'unreachable_errors', (SELECT array_agg(d.unreachable_error ORDER BY d.delivered_at, d.user_id)
            FROM page_deliveries d WHERE d.page_id = p.id AND d.unreachable))
          ORDER BY p.created_at, p.id)
        FROM pages p JOIN escalation_jobs j ON j.id = p.job_id
        WHERE p.incident_id = $1 AND (${PAGE_COUNTS('p')} OR p.failed_at IS NOT NULL)) AS paged,
       (SELECT json_agg(n ORDER BY n.due_at, n.id) FROM (
          SELECT id, role, rule, due_at FROM escalation_jobs
          WHERE incident_id = $1 AND state = 'pending' AND rule <> ALL($2::text[]) AND fired_at IS NULL
          ORDER BY due_at, id LIMIT ${NEXT_READ}) n) AS next,
       (SELECT array_agg(role) FROM escalation_jobs
        WHERE incident_id = $1 AND rule = 'manual' AND state = 'pending') AS requested,
       ${alertsAllResolvedOf('$1')} AS quiet
       ${part ? `, ${part.select} AS more` : ''}`,
    [incidentId, reminders, ...(part?.params ?? [])],
  );
  const paged = jsonOf(rows[0]?.paged) ?? [];
  const due = (jsonOf(rows[0]?.next) ?? []).map((n) => ({ role: n.role, rule: n.rule, dueAt: new Date(n.due_at) }));
  const [next] = due;
  return {
    paged: paged.map((r) => ({
      role: r.role,
      rule: r.rule,
      at: new Date(r.at),
      skipped: r.skipped === true,
      ...(r.declarer ? { declarer: r.declarer, ...(r.others ? {} : { declarerOnly: true }) } : {}),
      ...(r.sent ? {} : r.failed ? { failed: { error: r.error } } : { going: { error: r.error } }),
      ...(r.sent && r.missed?.length ? { missed: neverReachedOf(r.missed, r.missed_errors, r.error) } : {}),
      ...(r.sent && r.unreachable?.length
        ? { unreachable: neverReachedOf(r.unreachable, r.unreachable_errors ?? [], null) }
        : {}),
      // Announced, its every delivery one Slack could not make: it paged nobody (the declarer's own is a reached one).
      ...(r.sent && !r.reached && r.unreachable?.length ? { reachedNobody: true as const } : {}),
    })),
    next: next ?? null,
    alsoDue: next ? due.slice(1).filter((d) => d.dueAt.getTime() - next.dueAt.getTime() < DUE_TOGETHER_MS) : [],
    requested: rows[0]?.requested ?? [],
    alertsAllResolved: rows[0]?.quiet === true,
    ...(part ? { more: rows[0]?.more } : {}),
  };
}
