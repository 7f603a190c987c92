import { describe, expect, it } from 'vitest';
import type { EscalationView } from '../../src/incidents/ports.js';
import { loadRunbook } from '../../src/runbook/runbook.js';
import { renderIncidentCard } from '../../src/templates/incident-card.js';
import { LIMITS } from '../../src/templates/text.js';
import { limitProblems } from '../support/block-kit-limits.js';
import { makeIncident, minutes, NOW } from '../support/incident-fixture.js';

const SEV = (await loadRunbook()).severities;

/** Pages of roles Slack could reach nobody of (every delivery unreachable), as the card draws them. */

type Paged = EscalationView['paged'][number];
const view = (paged: Paged[], escalateTo: EscalationView['escalateTo'] = null): EscalationView => ({
  paged,
  next: null,
  escalateTo,
});
const nobodyReached = (roleName: string, at: number, ids: string[], error = 'user_not_found'): Paged => ({
  roleName,
  at: minutes(at),
  unreachable: { userIds: ids, errors: ids.map(() => error) },
  reachedNobody: true,
});
const lineOf = (v: EscalationView) => {
  const card = renderIncidentCard(makeIncident(), NOW, SEV, v);
  expect(limitProblems(card, 'message')).toEqual([]);
  const { blocks } = card;
  const last = blocks.filter((b) => b.type === 'context').at(-1);
  return last?.type === 'context' && last.elements[0]?.type === 'mrkdwn' ? last.elements[0].text : '';
};

describe("the card's escalation line, a page that reached nobody", () => {
  it('a role reached by an earlier page, whose latest page reached nobody, is paged, and could not be paged again', () => {
    const line = lineOf(
      view([{ roleName: 'On-Call Engineer', at: minutes(1) }, nobodyReached('On-Call Engineer', 3, ['U0NEW'])], {
        role: 'cto',
        roleName: 'CTO',
      }),
    );
    expect(line).toContain(':pager: Paged: On-Call Engineer (');
    expect(line).not.toContain('×2');
    expect(line).toContain(':warning: Could not page On-Call Engineer again: nobody of it was reached');
    expect(line).toContain('`/incident escalate On-Call Engineer`');
    expect(line).toContain('Escalate now: CTO');
  });

  it('a person paged by name whom Slack could not reach is not said to be paged', () => {
    const line = lineOf(view([{ ...nobodyReached('Dana', 2, ['U0DANA']), byName: true }]));
    expect(line).not.toContain('Paged: Dana');
    expect(line).toMatch(/Could not reach: <@U0DANA> \(user_not_found: no such Slack user\) paged by name/);
  });

  it('nobody left to escalate to, a role not reached: tried, not all paged', () => {
    const line = lineOf(view([{ roleName: 'CTO', at: minutes(1) }, nobodyReached('Database Team', 2, ['U0DB'])]));
    expect(line).toContain('Everyone in the contact order has been paged or tried');
  });

  it('many roles, pages and people not reached: each role names five people at most, and the line fits a block', () => {
    const people = (role: number, page: number) =>
      Array.from({ length: 6 }, (_, n) => `U0R${role}P${page}N${n}`.padEnd(11, 'X'));
    const paged = Array.from({ length: 12 }, (_, role) =>
      [0, 1, 2].map((page) => nobodyReached(`Role number ${role} ${'x'.repeat(40)}`, role + page, people(role, page))),
    ).flat();
    const line = lineOf(view(paged, { role: 'cto', roleName: 'CTO' }));
    expect(line.length).toBeLessThanOrEqual(LIMITS.sectionText);
    expect(line).toContain('+13 more');
    expect(line).toContain('Could not page Role number 0');
    // The paged part gives way: what to press is not cut off.
    expect(line).toMatch(/ {2}· {2}Escalate now: CTO$/);
  });
});
