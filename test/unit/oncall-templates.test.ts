import { describe, expect, it } from 'vitest';
import type { HomeData, HomeOnCall } from '../../src/incidents/home.service.js';
import type { HandoffNotice, WithdrawnHandoff } from '../../src/incidents/oncall-handoffs.js';
import type { EscalationView } from '../../src/incidents/ports.js';
import { loadRunbook } from '../../src/runbook/runbook.js';
import { HOME_MAX_BLOCKS, renderHome } from '../../src/templates/app-home.js';
import { ACTION } from '../../src/templates/ids.js';
import { renderIncidentCard } from '../../src/templates/incident-card.js';
import {
  renderHandoffDm,
  renderHandoffNotice,
  renderHandoffOutgoingDm,
  renderHandoffWithdrawn,
  renderHandoffWithdrawnDm,
  rotationTime,
} from '../../src/templates/oncall.js';
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

  it('says the end of the shift of the person on call only, not of the second layer or contacts after them', () => {
    const at = `<!date^${until.getTime() / 1000}^{date_short_pretty} {time}|`;
    const text = line(base({ userIds: ['U0CAROL', 'U0DAVE'], until }));
    expect(text).toContain(`Next: Senior DevOps Engineer (<@U0CAROL>, on call until ${at}`);
    expect(text).toMatch(/on call until <!date\^[^>]+>; <@U0DAVE>\)/);
    expect(line(base({ userIds: ['U0A1', 'U0A2', 'U0A3', 'U0A4'], until }))).toMatch(
      /\(<@U0A1>, on call until <!date\^[^>]+>; <@U0A2>, <@U0A3> \+1 more\)/,
    );
  });

  it('names three at most, counts the rest, and never mentions a user group (it would ping all of it)', () => {
    const text = line(base({ userIds: ['U0A1', 'S0GROUP', 'U0A3', 'U0A4', 'U0A5'], until: null }));
    expect(text).toContain('Next: Senior DevOps Engineer (<@U0A1>, `S0GROUP`, <@U0A3> +2 more) <!date^');
    expect(text).not.toContain('subteam');
    expect(line(base(undefined))).toContain('Next: Senior DevOps Engineer <!date^');
  });

  it('names the roles other timers due at the same time page, each with what stops it', () => {
    const v = base(undefined);
    v.next = {
      ...v.next!,
      roleName: 'On-Call Engineer',
      again: true,
      with: [{ roleName: 'Senior DevOps Engineer' }],
      unless: 'acknowledged by then',
      also: [
        { roles: [{ roleName: 'CTO' }], unless: 'resolved by then' },
        { roles: [{ roleName: 'Engineering Manager', noContacts: true }], unless: null },
      ],
    };
    expect(line(v)).toMatch(
      /Next: On-Call Engineer again and Senior DevOps Engineer <!date\^[^>]+> unless acknowledged by then; then too: CTO unless resolved by then, and Engineering Manager \(no contacts\)/,
    );
  });

  it('a next role with nobody to page beside roles that have someone: each said, not "nobody will be paged"', () => {
    const v = base({ userIds: [], until: null });
    v.next = {
      ...v.next!,
      roleName: 'On-Call Engineer',
      with: [{ roleName: 'Senior DevOps Engineer' }],
      unless: 'acknowledged by then',
      also: [{ roles: [{ roleName: 'CTO' }], unless: 'resolved by then' }],
    };
    const text = line(v);
    expect(text).toMatch(
      /Next: On-Call Engineer \(no contacts\) and Senior DevOps Engineer <!date\^[^>]+> unless acknowledged by then; then too: CTO unless resolved by then/,
    );
    expect(text).not.toContain('nobody will be paged');
  });

  it('a role with nobody to page is not said to be due: its timer pages nobody', () => {
    const v = base({ userIds: [], until: null });
    v.escalateTo = { role: 'engineering_manager', roleName: 'Engineering Manager', who: { userIds: [], until: null } };
    const text = line(v);
    expect(text).toMatch(/Next: Senior DevOps Engineer <!date\^[^>]+>, but it has no contacts: nobody will be paged/);
    expect(text).not.toContain('unless resolved');
    expect(text).toContain('Escalate now: Engineering Manager (no contacts)');
    // The same role next and to escalate to: said of both.
    const same = base({ userIds: [], until: null });
    same.escalateTo = { role: 'senior_devops', roleName: 'Senior DevOps Engineer', who: { userIds: [], until: null } };
    expect(line(same)).toContain('Escalate now: Senior DevOps Engineer (no contacts)');
    // A role paged already (Escalate now) whose timer pages it once more: said as such.
    const again = base({ userIds: ['U0SEN1'], until: null });
    again.next!.again = true;
    expect(line(again)).toContain('Next: Senior DevOps Engineer again (<@U0SEN1>) <!date^');
    // Who is on call could not be read: nothing is said of contacts.
    expect(line(base(undefined))).not.toContain('no contacts');
  });

  it('stays within Block Kit limits with long role names and many people', () => {
    const v = base({ userIds: Array.from({ length: 200 }, (_, i) => `U0P${i}`), until });
    v.next!.roleName = 'R'.repeat(2000);
    v.escalateTo = { role: 'x', roleName: 'E'.repeat(2000), who: { userIds: ['U0X'], until } };
    const card = renderIncidentCard(makeIncident(), NOW, SEV, v);
    expect(limitProblems(card, 'message')).toEqual([]);
  });
});

describe("the Home tab's On call section", () => {
  const seg = (userId: string, start: Date, end: Date) => ({
    userId,
    via: 'rotation' as const,
    override: null,
    start,
    end,
  });
  const role = (k: number): HomeOnCall['roles'][number] => ({
    role: `r${k}`,
    roleName: `Role ${k} ${'x'.repeat(200)}`,
    contacts: [],
    rotation: {
      timeZone: 'Europe/London',
      now: seg(`U0NOW${k}`, minutes(-60), minutes(600)),
      next: seg(`U0NEXT${k}`, minutes(600), minutes(1200)),
      layer: { name: 'Shadow', userId: `U0SH${k}`, on: true, hours: null, days: null },
    },
  });
  const homeData = (oncall: HomeOnCall): HomeData => {
    const open = Array.from({ length: 120 }, (_, k) => ({
      incident: makeIncident({ id: k + 1, number: k + 1 }),
      mine: false,
    }));
    return { open, openTotal: 300, items: [], itemsTotal: 0, resolved: [], resolvedTotal: 0, oncall };
  };

  it('keeps the tab within 100 blocks and each section within 3000 characters, however many roles and incidents', () => {
    const roles = Array.from({ length: 40 }, (_, k) => role(k));
    const home = renderHome(homeData({ roles, mine: null, days: 14 }), NOW, SEV, 'U0NOW1');
    expect(home.blocks.length).toBeLessThanOrEqual(HOME_MAX_BLOCKS);
    expect(limitProblems({ blocks: home.blocks }, 'modal')).toEqual([]);
    const body = JSON.stringify(home.blocks);
    expect(body).toContain('<@U0NOW1> _(you)_');
    expect(body).toContain('…and 28 more roles');
    expect(body).toContain('You have no shift in the next 14 days.');
    expect(body).toContain(ACTION.homeTakeOnCall);
  });

  it('says your next shift, or the one you are in, with its role and layer', () => {
    const mine = {
      ...seg('U0ME', minutes(600), minutes(1200)),
      roleName: 'On-Call Engineer',
      timeZone: 'UTC',
      layerName: 'Shadow',
    };
    const next = JSON.stringify(renderHome(homeData({ roles: [role(1)], mine, days: 14 }), NOW, SEV, 'U0ME'));
    expect(next).toContain('Your next shift: *On-Call Engineer* (Shadow) from ');
    const nowMine = { ...mine, start: minutes(-5), layerName: null };
    const now = JSON.stringify(renderHome(homeData({ roles: [role(1)], mine: nowMine, days: 14 }), NOW, SEV, 'U0ME'));
    expect(now).toContain('You are on call now for *On-Call Engineer* until ');
  });
});

describe('hand-off notices', () => {
  it('name a private incident nowhere: the channel notice and both direct messages say only that one is open', () => {
    const secret = makeIncident({
      id: 7,
      number: 42,
      title: 'admin console breach',
      channelId: 'C0SECRET',
      private: true,
    });
    const open = makeIncident({ id: 8, number: 43, title: 'checkout slow', channelId: 'C0PUBLIC' });
    const n: HandoffNotice = {
      roleName: 'On-Call Engineer',
      at: NOW,
      timeZone: 'Europe/London',
      outgoingId: 'U0OUT',
      incomingId: 'U0IN',
      until: null,
      incidents: [secret, open],
      openTotal: 2,
    };
    for (const m of [renderHandoffNotice(n), renderHandoffDm(n), renderHandoffOutgoingDm(n)]) {
      const all = JSON.stringify(m);
      expect(all).not.toMatch(/breach|#42|C0SECRET/);
      expect(all).toContain('a private incident');
      expect(all).toContain('checkout slow');
    }
  });
});

describe('a hand-off taken back, said to the channel and to the person who was to take over', () => {
  const at = rotationTime(NOW, 'UTC');
  const off = (onCallId: string, outgoingId: string | null = 'U0OUT'): WithdrawnHandoff => ({
    roleName: 'On-Call Engineer',
    at: NOW,
    timeZone: 'UTC',
    outgoingId,
    incomingId: 'U0IN',
    onCallId,
  });
  const texts = (w: WithdrawnHandoff) => [renderHandoffWithdrawn(w).text, renderHandoffWithdrawnDm(w).text] as const;

  it('the person handing over stays on call', () => {
    expect(texts(off('U0OUT'))).toEqual([
      `:leftwards_arrow_with_hook: The hand-off at ${at} is off: <@U0IN> does not take *On-Call Engineer* (an override or a swap changed it); <@U0OUT> stays on call.`,
      `:leftwards_arrow_with_hook: Cancelled: you are not on call for *On-Call Engineer* from ${at} after all (an override or a swap changed it). <@U0OUT> stays on call.`,
    ]);
  });

  it('the person taking over is on call before it already: named once, not told they do not take it', () => {
    const [channel, dm] = texts(off('U0IN'));
    expect(channel).toBe(
      `:leftwards_arrow_with_hook: The hand-off at ${at} is off: <@U0IN> is already on call for *On-Call Engineer* before then (an override or a swap changed it) and stays on through it.`,
    );
    expect(dm).toBe(
      `:leftwards_arrow_with_hook: Cancelled: the hand-off of *On-Call Engineer* from <@U0OUT> at ${at} you were told of is off (an override or a swap changed it). You are on call for *On-Call Engineer* then all the same.`,
    );
    for (const t of [channel, dm]) expect(t.match(/<@U0IN>/g)?.length ?? 0).toBeLessThanOrEqual(1);
    expect(channel).not.toContain('does not take');
  });

  it('someone else is on call then', () => {
    expect(texts(off('U0ELSE'))).toEqual([
      `:leftwards_arrow_with_hook: The hand-off at ${at} is off: <@U0IN> does not take *On-Call Engineer* (an override or a swap changed it); <@U0ELSE> is on call then.`,
      `:leftwards_arrow_with_hook: Cancelled: you are not on call for *On-Call Engineer* from ${at} after all (an override or a swap changed it). <@U0ELSE> is on call then.`,
    ]);
  });

  it('nobody was handing over', () => {
    const [channel, dm] = texts(off('U0IN', null));
    expect(channel).toContain('<@U0IN> is already on call for *On-Call Engineer* before then');
    expect(dm).toContain(`Cancelled: the hand-off of *On-Call Engineer* at ${at} you were told of is off`);
  });
});

describe('a hand-off told again because who hands over changed', () => {
  const n: HandoffNotice = {
    roleName: 'On-Call Engineer',
    at: NOW,
    timeZone: 'UTC',
    outgoingId: 'U0NEW',
    incomingId: 'U0IN',
    replacedOutgoingId: 'U0OLD',
    until: null,
    incidents: [],
    openTotal: 0,
  };
  const at = rotationTime(NOW, 'UTC');

  it('names the one who hands over now, and the one told before', () => {
    expect(renderHandoffNotice(n).text).toBe(
      `:pager: Hand-off at ${at}, changed: <@U0IN> takes *On-Call Engineer* from <@U0NEW>, not <@U0OLD> (an override or a swap changed it).`,
    );
    expect(renderHandoffDm(n).text).toBe(
      `:pager: You are on call for *On-Call Engineer* from ${at}, taking over from <@U0NEW>, not <@U0OLD> as you were told (an override or a swap changed it).`,
    );
    // The one who hands over now is told at the hand-off as anyone would be.
    expect(renderHandoffOutgoingDm(n).text).not.toContain('U0OLD');
  });

  it('says nothing of a change when there was none', () => {
    const plain = { ...n, replacedOutgoingId: null };
    expect(renderHandoffNotice(plain).text).toBe(
      `:pager: Hand-off at ${at}: <@U0IN> takes *On-Call Engineer* from <@U0NEW>.`,
    );
    expect(renderHandoffDm(plain).text).not.toContain('not <@');
  });
});
