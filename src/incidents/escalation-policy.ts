import { describeDuration } from '../runbook/duration.js';
import type { Runbook } from '../runbook/runbook.js';
import type { Incident } from './types.js';

export const ESCALATION_RULES = [
  'declared',
  'unresolved',
  'unacknowledged',
  'customer_impact',
  'critical',
  'manual',
  'next_update',
] as const;
export type EscalationRule = (typeof ESCALATION_RULES)[number];

/** A timer that should exist for an incident in its current state. */
export interface JobSpec {
  key: string;
  rule: EscalationRule;
  role: string | null;
  dueAt: Date;
}

/** Why a page was sent, in words for the channel and the page itself. */
export function ruleReason(rule: EscalationRule, rb: Runbook, i: Pick<Incident, 'severity'>): string {
  switch (rule) {
    case 'declared':
      return 'a new incident was declared';
    case 'unresolved':
      return `it is still not resolved ${describeDuration(rb.escalation.rules.unresolved.afterMs)} after it was declared`;
    case 'unacknowledged':
      return `nobody acknowledged within the SEV-${i.severity} response time (${describeDuration(rb.severities[i.severity].respondWithinMs)})`;
    case 'customer_impact':
      return 'customer impact was flagged';
    case 'critical':
      return 'the incident is SEV-0 or at risk of data loss';
    case 'manual':
      return 'someone escalated by hand';
    case 'next_update':
      return 'the promised status update is overdue';
  }
}

/** For the card: what stops a pending page ("unless acknowledged by then"), or null when nothing does. */
export function ruleUnless(rule: string): string | null {
  if (rule === 'unresolved') return 'mitigated or resolved by then';
  if (rule === 'unacknowledged') return 'acknowledged by then';
  return null;
}

/**
 * The timers an incident should have, derived from its state alone (the runbook's Escalation Procedures). Comparing
 * this with what is stored tells what to add, cancel or move; re-checking it when a timer fires tells whether the
 * reason still holds.
 */
export function desiredJobs(i: Incident, rb: Runbook, now: Date): JobSpec[] {
  if (i.status === 'resolved') return [];
  const jobs: JobSpec[] = [];
  const r = rb.escalation.rules;
  if (i.status === 'investigating') {
    const at = (ms: number) => new Date(i.createdAt.getTime() + ms);
    jobs.push({ key: 'declared', rule: 'declared', role: r.onDeclare, dueAt: i.createdAt });
    jobs.push({ key: 'unresolved', rule: 'unresolved', role: r.unresolved.page, dueAt: at(r.unresolved.afterMs) });
    if (!i.acknowledgedAt) {
      jobs.push({
        key: 'unacknowledged',
        rule: 'unacknowledged',
        role: r.unacknowledged,
        dueAt: at(rb.severities[i.severity].respondWithinMs),
      });
    }
    if (i.customerImpact)
      jobs.push({ key: 'customer_impact', rule: 'customer_impact', role: r.customerImpact, dueAt: now });
    if (i.severity === 0 || i.dataLossRisk)
      jobs.push({ key: 'critical', rule: 'critical', role: r.critical, dueAt: now });
  }
  // The commander is reminded when the promised next update passes with no new update (mitigated incidents too).
  if (i.nextUpdateAt && (!i.lastUpdateAt || i.lastUpdateAt < i.nextUpdateAt)) {
    jobs.push({
      key: `next_update:${i.nextUpdateAt.toISOString()}`,
      rule: 'next_update',
      role: null,
      dueAt: i.nextUpdateAt,
    });
  }
  return jobs;
}

/** Whether a stored job's reason still holds for the incident as it is now. */
export function stillHolds(job: { key: string; rule: string }, i: Incident, rb: Runbook, now: Date): boolean {
  if (job.rule === 'manual') return i.status === 'investigating';
  return desiredJobs(i, rb, now).some((d) => d.key === job.key);
}

/** Rules whose due time follows the incident (severity changes move it); the others keep the time they were set. */
export const MOVABLE_RULES: ReadonlySet<EscalationRule> = new Set(['unacknowledged', 'unresolved']);

/**
 * The roles a firing job pages. `unacknowledged` pages its role again together with the next role in the contact
 * order that has not been paged yet.
 */
export function rolesToPage(
  job: { rule: string; role: string | null },
  rb: Runbook,
  pagedRoles: ReadonlySet<string>,
): string[] {
  if (!job.role) return [];
  if (job.rule !== 'unacknowledged') return [job.role];
  const order = rb.escalation.order;
  const after = order.slice(order.indexOf(job.role) + 1);
  const next = after.find((r) => !pagedRoles.has(r));
  return next ? [job.role, next] : [job.role];
}

/** The next role in the contact order that has not been paged, for "Escalate now". */
export function nextRoleToPage(rb: Runbook, pagedRoles: ReadonlySet<string>): string | null {
  return rb.escalation.order.find((r) => !pagedRoles.has(r)) ?? null;
}
