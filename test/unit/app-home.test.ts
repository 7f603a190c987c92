import { describe, expect, it } from 'vitest';
import type { ActionItemWithIncident } from '../../src/incidents/action-items.js';
import type { FiringAlerts } from '../../src/incidents/alert-types.js';
import type { HomeData } from '../../src/incidents/home.service.js';
import { parseRunbook } from '../../src/runbook/runbook.js';
import { HOME_MAX_BLOCKS, renderHome, share } from '../../src/templates/app-home.js';
import { ACTION, BLOCK } from '../../src/templates/ids.js';
import { escapingProblems, limitProblems, mrkdwnTexts } from '../support/block-kit-limits.js';
import { COMMANDER, makeIncident, makeResolvedIncident, minutes, NOW, REPORTER } from '../support/incident-fixture.js';
import { testRunbookData } from '../support/test-runbook.js';

const SEV = parseRunbook(testRunbookData()).severities;
const OWNER = 'U0OWNER';

const incidents = (n: number, mine = 0) =>
  Array.from({ length: n }, (_, k) => ({
    incident: makeIncident({ id: k + 1, number: k + 1, title: `incident ${k + 1}`, channelId: `C${k + 1}` }),
    mine: k < mine,
  }));

const items = (n: number): ActionItemWithIncident[] =>
  Array.from({ length: n }, (_, k) => ({
    item: {
      id: k + 1,
      incidentId: 1,
      teamId: 'T0001',
      text: `item ${k + 1}`,
      ownerId: OWNER,
      dueAt: minutes(60),
      source: 'person',
      state: 'open',
      createdBy: COMMANDER,
      createdAt: minutes(1),
      closedBy: null,
      closedAt: null,
      remindedAt: null,
    },
    incident: { id: 1, number: 1, title: 'db down', severity: 1, status: 'resolved', channelId: 'C1' },
  }));

function data(over: Partial<HomeData> = {}): HomeData {
  const open = over.open ?? incidents(2, 1);
  const it = over.items ?? items(1);
  const resolved = over.resolved ?? [makeResolvedIncident({ id: 99, number: 40, title: 'old one' })];
  return {
    open,
    openTotal: open.length,
    items: it,
    itemsTotal: it.length,
    resolved,
    resolvedTotal: resolved.length,
    ...over,
  };
}

const text = (v: unknown) => JSON.stringify(v);

describe('the Home tab', () => {
  it('starts with Declare incident, then the open incidents, your action items, and the recently resolved', () => {
    const home = renderHome(data(), NOW, SEV);
    expect(home.type).toBe('home');
    const actions = home.blocks.find((b) => b.type === 'actions') as {
      block_id: string;
      elements: { action_id: string }[];
    };
    expect(actions.block_id).toBe(BLOCK.homeActions);
    expect(actions.elements.map((e) => e.action_id)).toEqual([ACTION.homeDeclare]);
    const body = text(home);
    const order = ['Open incidents* (2)', 'Your open action items* (1)', 'Resolved in the last 7 days* (1)'].map((s) =>
      body.indexOf(s),
    );
    expect(order.every((i) => i > 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
  });

  it('shows each open incident with severity, title, link, status, age, commander and next update due', () => {
    const i = makeIncident({ commanderId: COMMANDER, nextUpdateAt: minutes(30) });
    const home = renderHome(data({ open: [{ incident: i, mine: true }] }), NOW, SEV);
    const entry = mrkdwnTexts(home).find((t) => t.text.includes('#42 db down'))!.text;
    expect(entry).toContain('*SEV-1* (High)');
    expect(entry).toContain('<#CINC42>');
    expect(entry).toContain('_you are in it_');
    // Counted by Slack as it is read: a home published an hour ago does not say "started 5 minutes ago".
    expect(entry).toMatch(/Investigating · started <!date\^\d+\^\{ago\}\|\d{4}-\d\d-\d\d \d\d:\d\d UTC>/);
    expect(entry).toContain(`commander <@${COMMANDER}>`);
    expect(entry).toMatch(/next update due <!date\^\d+\^/);
  });

  it('gives each of your action items a Done button', () => {
    const home = renderHome(data({ items: items(2) }), NOW, SEV);
    const sections = home.blocks.filter((b) =>
      (b as { block_id?: string }).block_id?.startsWith(`${BLOCK.actionItem}:`),
    );
    expect(sections).toHaveLength(2);
    for (const s of sections)
      expect((s as { accessory: { action_id: string } }).accessory.action_id).toBe(ACTION.actionItemDone);
  });

  it('says when there is nothing to show', () => {
    const body = text(renderHome(data({ open: [], items: [], resolved: [] }), NOW, SEV));
    expect(body).toContain('No open incidents.');
    expect(body).toContain('You have no open action items.');
    expect(body).toContain('Nothing resolved in the last 7 days.');
  });

  it.each([
    [150, 80, 30],
    [150, 0, 0],
    [0, 150, 0],
    [45, 45, 25],
    [100, 100, 20],
  ])(
    'stays within 100 blocks with %i open incidents, %i action items and %i resolved, counting the rest',
    (o, a, r) => {
      const resolved = Array.from({ length: Math.min(r, 20) }, (_, k) =>
        makeResolvedIncident({ id: 500 + k, number: 500 + k }),
      );
      const d = data({
        open: incidents(Math.min(o, 100)),
        openTotal: o,
        items: items(Math.min(a, 100)),
        itemsTotal: a,
        resolved,
        resolvedTotal: r,
      });
      const home = renderHome(d, NOW, SEV);
      expect(home.blocks.length).toBeLessThanOrEqual(HOME_MAX_BLOCKS);
      expect(limitProblems(home, 'modal')).toEqual([]);
      const shownOpen = home.blocks.filter((b) => /#\d+ incident \d+/.test(text(b))).length;
      const shownItems = home.blocks.filter((b) => text(b).includes(ACTION.actionItemDone)).length;
      const body = text(home);
      if (o > shownOpen) expect(body).toContain(`…and ${o - shownOpen} more.`);
      if (a > shownItems) expect(body).toContain(`…and ${a - shownItems} more.`);
      // No command lists every resolved incident: the count is all it says, with nothing after it.
      if (r > 10) expect(JSON.stringify(home)).toContain(`"…and ${r - 10} more."`);
      // Room left over by one list goes to the other.
      if (a === 0) expect(shownOpen).toBeGreaterThan(80);
    },
  );

  it('escapes what people typed', () => {
    const i = makeIncident({ title: '<!channel> db & <@UEVIL>' });
    const home = renderHome(data({ open: [{ incident: i, mine: false }] }), NOW, SEV);
    for (const { text: t } of mrkdwnTexts(home)) expect(escapingProblems(t, [REPORTER, COMMANDER, OWNER])).toEqual([]);
  });
});

describe('share', () => {
  it.each([
    [10, 10, 50, [10, 10]],
    [100, 100, 50, [25, 25]],
    [100, 5, 50, [45, 5]],
    [5, 100, 50, [5, 45]],
    [0, 0, 50, [0, 0]],
  ] as const)('%i and %i in %i blocks: %j', (a, b, room, expected) => {
    expect(share(a, b, room)).toEqual(expected);
  });
});

describe('the Home tab: alerts firing now', () => {
  const alert = (
    id: number,
    level: 'critical' | 'warning' | 'info',
    place: FiringAlerts['alerts'][number]['place'],
  ) => ({
    id,
    source: 'alertmanager',
    name: `Alert${id}`,
    level,
    status: 'firing' as const,
    summary: `<!channel> summary ${id}`,
    service: null,
    metric: null,
    value: null,
    threshold: null,
    url: null,
    firstSeen: NOW,
    lastSeen: NOW,
    resolvedAt: null,
    count: 1,
    maintenance: false,
    place,
  });

  it('shows what fires, most severe first, with where each is, and how many more; nothing when nothing fires', () => {
    const firing: FiringAlerts = {
      total: 7,
      alerts: [
        alert(1, 'critical', { kind: 'incident', number: 4, channelId: 'C0INC4', resolved: false }),
        alert(2, 'warning', { kind: 'notice', channelId: 'C0INCIDENTS' }),
        alert(3, 'info', { kind: 'recorded' }),
      ],
    };
    const home = renderHome(data({ firing }), NOW, SEV);
    const t = text(home.blocks);
    expect(t).toContain('*Alerts firing now* (7)');
    expect(t).toContain(':rotating_light: *Alert1* · &lt;!channel&gt; summary 1 → incident #4 <#C0INC4>');
    expect(t).toContain(':warning: *Alert2*');
    expect(t).toContain('→ recorded only');
    expect(t).toContain('…and 4 more. `/incident alerts` lists them all.');
    expect(limitProblems(home, 'modal')).toEqual([]);
    expect(text(renderHome(data({ firing: { total: 0, alerts: [] } }), NOW, SEV).blocks)).not.toContain(
      'Alerts firing now',
    );
  });
});
