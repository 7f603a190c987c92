import type { ActionsBlock, Button } from '@slack/types';
import { describe, expect, it } from 'vitest';
import { loadRunbook } from '../../src/runbook/runbook.js';
import { renderCommandHeld } from '../../src/templates/commander.js';
import { renderAlreadyEscalated } from '../../src/templates/escalation.js';
import { ACTION } from '../../src/templates/ids.js';
import { type Message, renderIncidentCard } from '../../src/templates/incident-card.js';
import { ackRef, escalateRef } from '../../src/templates/payloads.js';
import { describeEvent } from '../../src/templates/timeline.js';
import { limitProblems } from '../support/block-kit-limits.js';
import { COMMANDER, makeEvent, makeIncident, minutes, NOW } from '../support/incident-fixture.js';

const SEV = (await loadRunbook()).severities;
const buttons = (m: Message) =>
  m.blocks.filter((b): b is ActionsBlock => b.type === 'actions').flatMap((b) => b.elements as Button[]);
const find = (m: Message, actionId: string) => buttons(m).find((e) => e.action_id === actionId);

describe('the card carries what it showed', () => {
  const escalation = {
    paged: [{ roleName: 'On-Call Engineer', at: minutes(1) }],
    next: null,
    escalateTo: { role: 'senior_devops', roleName: 'Senior DevOps Engineer' },
  };

  it('says whom Escalate now pages, and its button carries that role', () => {
    const card = renderIncidentCard(makeIncident(), NOW, SEV, escalation);
    expect(JSON.stringify(card.blocks)).toContain('Escalate now: Senior DevOps Engineer');
    expect(escalateRef.decode(find(card, ACTION.escalate)?.value)).toEqual({ incidentId: 7, role: 'senior_devops' });
  });

  it('says when each role was paged as Slack counts it for the reader, so the card renders the same whenever', () => {
    const at = minutes(1);
    const card = JSON.stringify(renderIncidentCard(makeIncident(), NOW, SEV, escalation).blocks);
    const stamp = at.toISOString().slice(11, 16);
    expect(card).toContain(`Paged: On-Call Engineer (<!date^${at.getTime() / 1000}^{ago}|at ${stamp} UTC>)`);
    // Rendered an hour later from the same state: the same card, so an update to it can be left out.
    const later = new Date(NOW.getTime() + 3_600_000);
    expect(JSON.stringify(renderIncidentCard(makeIncident(), later, SEV, escalation).blocks)).toBe(card);
  });

  it('a role paged several times (rounds nobody acknowledged) is named once, with how many times and the last', () => {
    const card = JSON.stringify(
      renderIncidentCard(makeIncident(), NOW, SEV, {
        ...escalation,
        paged: [
          { roleName: 'On-Call Engineer', at: minutes(10) },
          { roleName: 'On-Call Engineer', at: minutes(25) },
          { roleName: 'Senior DevOps Engineer', at: minutes(25) },
          { roleName: 'On-Call Engineer', at: minutes(40) },
          { roleName: 'Engineering Manager', at: minutes(40) },
        ],
      }).blocks,
    );
    const ago = (d: Date) => `<!date^${d.getTime() / 1000}^{ago}|at ${d.toISOString().slice(11, 16)} UTC>`;
    expect(card).toContain(
      `Paged: On-Call Engineer ×3 (last ${ago(minutes(40))}), Senior DevOps Engineer (${ago(minutes(25))}), Engineering Manager (${ago(minutes(40))})`,
    );
  });

  it('with every role paged, the card has no Escalate now to press for nothing, and says why', () => {
    const card = renderIncidentCard(makeIncident(), NOW, SEV, { ...escalation, escalateTo: null });
    expect(JSON.stringify(card.blocks)).not.toContain('Escalate now:');
    expect(find(card, ACTION.escalate)).toBeUndefined();
    expect(JSON.stringify(card.blocks)).toContain('Everyone in the contact order has been paged');
    // Without the escalation read (the card could not read it), the button stays: a click still pages.
    expect(find(renderIncidentCard(makeIncident(), NOW, SEV), ACTION.escalate)?.value).toBe('7');
  });

  it('a mitigated incident still offers Escalate now (its root cause is still to fix; `/incident escalate` works), a resolved one not', () => {
    const mitigated = renderIncidentCard(
      makeIncident({ status: 'mitigated', phase: 'resolution' }),
      NOW,
      SEV,
      escalation,
    );
    expect(JSON.stringify(mitigated.blocks)).toContain('Escalate now: Senior DevOps Engineer');
    expect(escalateRef.decode(find(mitigated, ACTION.escalate)?.value)).toEqual({
      incidentId: 7,
      role: 'senior_devops',
    });
    expect(find(mitigated, ACTION.markMitigated)).toBeUndefined();
    const everyone = renderIncidentCard(makeIncident({ status: 'mitigated' }), NOW, SEV, {
      ...escalation,
      escalateTo: null,
    });
    expect(JSON.stringify(everyone.blocks)).toContain('Everyone in the contact order has been paged');
    expect(find(everyone, ACTION.escalate)).toBeUndefined();
  });

  it('once acknowledged, Take command carries the commander it shows', () => {
    const card = renderIncidentCard(
      makeIncident({ commanderId: COMMANDER, acknowledgedAt: minutes(2), acknowledgedBy: COMMANDER }),
      NOW,
      SEV,
    );
    expect(ackRef.decode(find(card, ACTION.acknowledge)?.value)).toEqual({ incidentId: 7, takeFrom: COMMANDER });
  });
});

describe('private replies', () => {
  it('an escalation already made names the role, who asked and when, and offers the next role', () => {
    const m = renderAlreadyEscalated(
      {
        kind: 'already',
        incidentId: 7,
        roleName: 'Engineering Manager',
        pending: false,
        at: minutes(4),
        by: 'U0ALICE',
        reason: null,
        next: { role: 'cto', roleName: 'CTO' },
      },
      NOW,
    );
    expect(m.text).toContain('*Engineering Manager* was already paged 1 minute ago (escalated by <@U0ALICE>)');
    expect(m.text).toContain('nobody else was paged');
    const offer = find(m, ACTION.escalate)!;
    expect(offer.text.text).toBe('Page CTO now');
    expect(escalateRef.decode(offer.value)).toEqual({ incidentId: 7, role: 'cto' });
    expect(limitProblems(m, 'message')).toEqual([]);
  });

  it('a role paged by a rule says why; with nobody left there is no button', () => {
    const m = renderAlreadyEscalated(
      {
        kind: 'already',
        incidentId: 7,
        roleName: 'CTO',
        pending: true,
        at: minutes(5),
        by: null,
        reason: 'the incident is SEV-0 or at risk of data loss',
        next: null,
      },
      NOW,
    );
    expect(m.text).toContain('*CTO* is already being paged (because the incident is SEV-0 or at risk of data loss');
    expect(buttons(m)).toEqual([]);
    expect(JSON.stringify(m.blocks)).toContain('Every role in the contact order has been paged.');
  });

  it('a role reached with no contacts is not called paged: it says nobody was, and how to add them', () => {
    const m = renderAlreadyEscalated(
      {
        kind: 'already',
        incidentId: 7,
        roleName: 'CTO',
        pending: false,
        skipped: true,
        at: minutes(4),
        by: 'U0ALICE',
        reason: null,
        next: null,
      },
      NOW,
    );
    expect(m.text).toContain('*CTO* has nobody to page');
    expect(m.text).toContain('so nobody was paged. Add contacts under `escalation.roles`');
    expect(m.text).not.toContain('was already paged');
  });

  it('a later acknowledgement names the commander and offers Take command from them', () => {
    const m = renderCommandHeld({
      kind: 'commanded',
      incident: makeIncident(),
      incidentId: 7,
      commanderId: COMMANDER,
      warnings: [],
    });
    expect(m.text).toContain(`<@${COMMANDER}> is the commander`);
    const take = find(m, ACTION.acknowledge)!;
    expect(take.text.text).toBe('Take command');
    expect(ackRef.decode(take.value)).toEqual({ incidentId: 7, takeFrom: COMMANDER });
  });

  it('the timeline says who took command from whom', () => {
    const e = makeEvent({ kind: 'command_taken', actorId: 'U0NEW', details: { from: COMMANDER, to: 'U0NEW' } });
    expect(describeEvent(e)).toBe(`<@U0NEW> took command from <@${COMMANDER}>`);
  });
});
