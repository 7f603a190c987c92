import type { Runbook } from './runbook.js';

/**
 * The escalation roles a page would reach nobody in: no contacts, no rotation and no PagerDuty service, while the
 * order or a rule names them. The bundled runbook leaves every role so, to be filled in; a bot started with it pages
 * nobody, and is told so at start, once per role, with where to add people.
 */
export function unstaffedRoles(runbook: Runbook, file: string): string[] {
  const named = new Set<string>(runbook.escalation.order);
  for (const rule of Object.values(runbook.escalation.rules)) for (const id of rule?.roles ?? []) named.add(id);
  return Object.values(runbook.escalation.roles)
    .filter((r) => named.has(r.id) && r.contacts.length === 0 && !r.rotation && !r.pagerdutyRoutingKey)
    .map(
      (r) =>
        `The runbook's escalation role ${r.id} (${r.name}) has no contacts, rotation or PagerDuty service: its pages ` +
        `reach nobody. Add Slack user or user-group IDs under escalation.roles.${r.id}.contacts in ${file}.`,
    );
}
