import { describe, expect, it } from 'vitest';
import type { EscalationView } from '../../src/incidents/ports.js';
import { loadRunbook } from '../../src/runbook/runbook.js';
import { renderIncidentCard } from '../../src/templates/incident-card.js';
import { limitProblems } from '../support/block-kit-limits.js';
import { makeIncident, minutes, NOW } from '../support/incident-fixture.js';

const SEV = (await loadRunbook()).severities;
const line = (v: EscalationView) =>
  JSON.stringify(renderIncidentCard(makeIncident(), NOW, SEV, v).blocks.filter((b) => b.type === 'context'));

describe("the card's escalation line with the people on call", () => {
  const due = minutes(30);
  const until = minutes(120);
  const base = (who: NonNullable<EscalationView['next']>['who']): EscalationView => ({
    paged: [{ roleName: 'On-Call Engineer', at: minutes(1) }],
    next: { roleName: 'Senior DevOps Engineer', reason: 'r', unless: 'resolved', dueAt: due, ...(who ? { who } : {}) },
    escalateTo: {
      role: 'engineering_manager',
      roleName: 'Engineering Manager',
      who: { userIds: ['U0MGR'], until: null },
    },
  });

  it('names the person on call with the end of their shift, and a fixed contact without one', () => {
    const text = line(base({ userIds: ['U0SEN1'], until }));
    expect(text).toContain(
      `Next: Senior DevOps Engineer (<@U0SEN1>, on call until <!date^${until.getTime() / 1000}^{date_short_pretty} {time}|`,
    );
    expect(text).toContain('Escalate now: Engineering Manager (<@U0MGR>)');
  });

  it('names three at most, counts the rest, and never mentions a user group (it would ping all of it)', () => {
    const text = line(base({ userIds: ['U0A1', 'S0GROUP', 'U0A3', 'U0A4', 'U0A5'], until: null }));
    expect(text).toContain('Next: Senior DevOps Engineer (<@U0A1>, `S0GROUP`, <@U0A3> +2 more) <!date^');
    expect(text).not.toContain('subteam');
    expect(line(base(undefined))).toContain('Next: Senior DevOps Engineer <!date^');
  });

  it('stays within Block Kit limits with long role names and many people', () => {
    const v = base({ userIds: Array.from({ length: 200 }, (_, i) => `U0P${i}`), until });
    v.next!.roleName = 'R'.repeat(2000);
    v.escalateTo = { role: 'x', roleName: 'E'.repeat(2000), who: { userIds: ['U0X'], until } };
    const card = renderIncidentCard(makeIncident(), NOW, SEV, v);
    expect(limitProblems(card, 'message')).toEqual([]);
  });
});
