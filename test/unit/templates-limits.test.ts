import type { HeaderBlock, KnownBlock, SectionBlock } from '@slack/types';
import { describe, expect, it } from 'vitest';
import { USAGE } from '../../src/commands/subcommands.js';
import type { IncidentNotice } from '../../src/incidents/ports.js';
import type { Incident, IncidentEvent } from '../../src/incidents/types.js';
import { loadRunbook } from '../../src/runbook/runbook.js';
import { renderStatusUpdate } from '../../src/templates/communication.js';
import { renderHelp } from '../../src/templates/help.js';
import { type Message, renderIncidentCard } from '../../src/templates/incident-card.js';
import { renderIncidentList } from '../../src/templates/incident-list.js';
import { resolveModal, statusUpdateModal } from '../../src/templates/modals.js';
import { renderAnnouncement, renderNotice, renderResolved } from '../../src/templates/notices.js';
import { renderTimeline } from '../../src/templates/timeline.js';
import { escapingProblems, limitProblems, mrkdwnTexts, plainTexts } from '../support/block-kit-limits.js';
import {
  CHANNEL,
  COMMANDER,
  makeEvent,
  makeIncident,
  makeResolvedIncident,
  makeUpdate,
  minutes,
  NOW,
  REPORTER,
} from '../support/incident-fixture.js';

/** The bundled runbook's severity levels (SEV-1: High, respond within 15 minutes). */
const SEV = (await loadRunbook()).severities;

/**
 * Every builder in src/templates, fed hostile and non-Latin input, walked block by block: Slack's limits, escaping of
 * user text in mrkdwn and fallbacks, and text kept as written. Spot checks of each builder are in templates.test.ts.
 */

const KNOWN_USERS = [REPORTER, COMMANDER] as const;

const header = (m: Message) => m.blocks.find((b): b is HeaderBlock => b.type === 'header');
const allMrkdwn = (m: Message) => mrkdwnTexts(m).map((t) => t.text);
const everything = (m: Message) => [m.text, ...allMrkdwn(m), ...plainTexts(m)].join('\n');

/** Events of every kind, with the user text of `incident`-style hostile strings, `n` of them. */
function makeEvents(n: number, userText: string): IncidentEvent[] {
  const kinds: Array<Pick<IncidentEvent, 'kind' | 'details'>> = [
    { kind: 'declared', details: { title: userText, severity: 1 } },
    { kind: 'channel_created', details: { channelName: 'inc-42-db-down', channelId: CHANNEL } },
    { kind: 'severity_changed', details: { from: 1, to: 0 } },
    { kind: 'acknowledged', details: { commander: COMMANDER } },
    { kind: 'status_update', details: { status: 'investigating', currentStatus: userText } },
    { kind: 'mitigated', details: {} },
    { kind: 'phase_changed', details: { from: 'detection', to: 'assessment' } },
    { kind: 'note', details: { text: userText } },
    { kind: 'resolved', details: { summary: userText } },
  ];
  return Array.from({ length: n }, (_, i) => makeEvent({ ...kinds[i % kinds.length]!, at: minutes(i), id: i + 1 }));
}

/** Every message the bot builds for one incident, by name. */
function allMessages(i: Incident, events: IncidentEvent[]): Record<string, Message> {
  const update = makeUpdate({
    affected: i.affected ?? 'x',
    currentImpact: i.currentImpact ?? 'x',
    currentStatus: i.currentStatus ?? 'x',
    mitigationSteps: i.mitigationSteps ?? 'x',
  });
  const notices: IncidentNotice[] = [
    { kind: 'severity_changed', from: 1, to: 0, actorId: COMMANDER },
    { kind: 'severity_changed', from: 0, to: 2, actorId: COMMANDER },
    { kind: 'acknowledged', actorId: COMMANDER, previousCommanderId: null },
    { kind: 'acknowledged', actorId: COMMANDER, previousCommanderId: REPORTER },
    { kind: 'status_update', update, authorId: COMMANDER },
    { kind: 'mitigated', actorId: COMMANDER },
    { kind: 'resolved', actorId: COMMANDER, summary: i.resolutionSummary ?? i.title },
  ];
  const resolved = makeResolvedIncident({ ...i, status: 'resolved' });
  return {
    card: renderIncidentCard(i, NOW, SEV),
    cardAcknowledged: renderIncidentCard({ ...i, commanderId: COMMANDER, acknowledgedAt: minutes(4) }, NOW, SEV),
    cardResolved: renderIncidentCard(resolved, NOW, SEV),
    statusUpdate: renderStatusUpdate(i, update, COMMANDER),
    ...Object.fromEntries(notices.map((n, k) => [`notice:${n.kind}:${k}`, renderNotice(resolved, n, SEV)])),
    resolved: renderResolved(resolved, COMMANDER, i.resolutionSummary ?? i.title),
    announcement: renderAnnouncement(i, SEV),
    list: renderIncidentList([i, { ...i, id: 8, number: 43 }], NOW),
    timeline: renderTimeline(i, events),
    help: renderHelp(USAGE),
    helpWithProblem: renderHelp(USAGE, '`sev9` is not a severity.'),
  };
}

describe('renderTimeline with 1000 events', () => {
  it('fits 1000 events into 50 blocks, the latest of them, and says how to read them from the first', () => {
    const events = makeEvents(1000, 'x'.repeat(300));
    const msg = renderTimeline(makeIncident(), events);
    expect(msg.blocks.length).toBeLessThanOrEqual(50);
    expect(limitProblems(msg, 'message')).toEqual([]);
    expect(allMrkdwn(msg).at(-1)).toMatch(
      /^1000 events · started .* · showing the latest, events \d+–1000 of 1000: `\/incident timeline from 1` shows them from the first$/,
    );
  });
});

/**
 * An alert storm's timeline (found from outside: 2,000 alert events showed the oldest and dropped the newest, "the
 * latest 33 part(s) did not fit", with no way to see them).
 */
describe('renderTimeline of an alert storm', () => {
  const storm = Array.from({ length: 2000 }, (_, k) =>
    makeEvent({
      id: k + 1,
      kind: 'note',
      at: minutes(k / 100),
      actorId: COMMANDER,
      details: { text: `alert ${k + 1} fired on node-${k % 40} ${'·'.repeat(60)}` },
    }),
  );
  const shows = (m: Message, k: number) => m.text.includes(`alert ${k} fired `);

  it('shows the latest events, the newest last, in the blocks and the text', () => {
    const msg = renderTimeline(makeIncident(), storm);
    expect(limitProblems(msg, 'message')).toEqual([]);
    expect(msg.text.length).toBeLessThanOrEqual(40_000);
    const [, first] = /events (\d+)–2000 of 2000/.exec(allMrkdwn(msg).at(-1)!)!;
    expect(Number(first)).toBeGreaterThan(1);
    expect(allMrkdwn(msg).at(-2)).toContain('alert 2000 fired ');
    expect(shows(msg, 2000)).toBe(true);
    expect(shows(msg, Number(first))).toBe(true);
    expect(shows(msg, Number(first) - 1)).toBe(false);
    expect(msg.text.startsWith(`Timeline of incident #42 (events ${first}–2000 of 2000):\n`)).toBe(true);
  });

  it('`from N` pages through every event once, each page saying where the next starts', () => {
    const seen: number[] = [];
    let from: number | undefined = 1;
    for (let pages = 0; from !== undefined; pages++) {
      expect(pages).toBeLessThan(50);
      const msg = renderTimeline(makeIncident(), storm, undefined, from);
      expect(limitProblems(msg, 'message')).toEqual([]);
      expect(msg.text.length).toBeLessThanOrEqual(40_000);
      const context = allMrkdwn(msg).at(-1)!;
      const [, a, b] = /showing events (\d+)–(\d+) of 2000/.exec(context)!;
      expect(Number(a)).toBe(from);
      for (let k = Number(a); k <= Number(b); k++) seen.push(k);
      expect(shows(msg, Number(b))).toBe(true);
      const next = /next: `\/incident timeline from (\d+)`/.exec(context);
      from = next ? Number(next[1]) : undefined;
      if (!next) expect(Number(b)).toBe(2000);
    }
    expect(seen).toEqual(Array.from({ length: 2000 }, (_, k) => k + 1));
  });
});

describe('the limit walker itself', () => {
  it('reports oversized blocks, texts, labels, options and modal titles', () => {
    const big = {
      blocks: [
        { type: 'header', text: { type: 'plain_text', text: 'h'.repeat(151) } },
        { type: 'section', text: { type: 'mrkdwn', text: 's'.repeat(3001) } },
        {
          type: 'actions',
          elements: [
            { type: 'button', action_id: 'a', text: { type: 'plain_text', text: 'b'.repeat(76) } },
            {
              type: 'static_select',
              action_id: 's',
              options: [{ text: { type: 'plain_text', text: 'o'.repeat(76) }, value: 'x' }],
            },
          ],
        },
        { type: 'section', text: { type: 'mrkdwn', text: '' } },
        ...Array.from({ length: 47 }, () => ({ type: 'divider' })),
      ],
    };
    const problems = limitProblems(big, 'message').join('\n');
    for (const what of ['51 blocks', 'header text', 'section text', 'button label', 'option text', 'empty mrkdwn']) {
      expect(problems).toContain(what);
    }
    const modal = { ...big, blocks: big.blocks.slice(0, 3), title: { type: 'plain_text', text: 't'.repeat(25) } };
    expect(limitProblems(modal, 'modal').join('\n')).toContain('title is 25 > 24');
  });

  it("reports bare ampersands and foreign tokens but accepts the bot's own", () => {
    expect(escapingProblems(`<@${REPORTER}> <#C1> <!date^1^{time}|x> &amp; &lt; &gt;`, KNOWN_USERS)).toEqual([]);
    expect(escapingProblems('a & b', KNOWN_USERS)).toHaveLength(1);
    expect(escapingProblems('<!channel> <@UEVIL> <!here>', KNOWN_USERS)).toHaveLength(3);
  });
});

describe('every builder, with hostile input', () => {
  const hostileTitle = '<!channel>&'.repeat(14).slice(0, 150);
  const longStatus = `<!here> & <@UEVIL> ${'&<>'.repeat(1200)}`;
  const hostile = makeIncident({
    number: 2_147_483_647,
    title: hostileTitle,
    affected: '<!everyone> & '.repeat(100),
    currentImpact: '<@UEVIL> & '.repeat(300),
    currentStatus: longStatus,
    mitigationSteps: longStatus,
    resolutionSummary: `<!channel> fixed & ${'x'.repeat(3500)}`,
    customerImpact: true,
    dataLossRisk: true,
    nextUpdateAt: minutes(30),
  });
  const messages = allMessages(hostile, makeEvents(1000, longStatus));
  const modals = {
    statusUpdate: statusUpdateModal(hostile, 'm'.repeat(100), NOW),
    resolve: resolveModal(hostile, 'm'.repeat(100)),
  };

  it('sanity: the hostile title has 150 code points and is accepted by the command parser limit', () => {
    expect([...hostileTitle]).toHaveLength(150);
    expect(longStatus.length).toBeGreaterThan(3000);
  });

  it.each(Object.keys(messages))('%s stays within Slack limits', (name) => {
    const msg = messages[name]!;
    expect(limitProblems(msg, 'message')).toEqual([]);
  });

  it.each(Object.keys(modals))('%s modal stays within Slack limits', (name) => {
    const view = modals[name as keyof typeof modals];
    expect(limitProblems(view, 'modal')).toEqual([]);
    expect([...view.title.text].length).toBeLessThanOrEqual(24);
  });

  it.each(Object.keys(messages))('%s has a non-empty text fallback', (name) => {
    expect(messages[name]!.text.trim().length).toBeGreaterThan(0);
  });

  it.each(Object.keys(messages))('%s escapes user text in every mrkdwn block', (name) => {
    const problems = mrkdwnTexts(messages[name]!).flatMap(({ path, text }) =>
      escapingProblems(text, KNOWN_USERS).map((p) => `${path}: ${p}`),
    );
    expect(problems).toEqual([]);
  });

  it.each(Object.keys(messages))('%s has no live mention or broadcast in the text fallback', (name) => {
    const text = messages[name]!.text;
    for (const raw of ['<!channel>', '<!here>', '<!everyone>', '<@UEVIL>']) expect(text).not.toContain(raw);
    expect(escapingProblems(text, KNOWN_USERS).filter((p) => !p.startsWith('bare'))).toEqual([]);
  });

  it.each(Object.keys(messages))('%s escapes every & in the text fallback, even where it is cut', (name) => {
    expect(escapingProblems(messages[name]!.text, KNOWN_USERS)).toEqual([]);
  });

  it('shows the hostile text escaped rather than dropping it', () => {
    const card = messages.card!;
    expect(card.text).toContain('&lt;!channel&gt;&amp;');
    expect(allMrkdwn(card).join('\n')).toContain('&lt;@UEVIL&gt; &amp;');
    expect(allMrkdwn(card).join('\n')).toContain('&lt;!here&gt; &amp; &lt;@UEVIL&gt;');
    expect(allMrkdwn(messages.announcement!).join('\n')).toContain('&lt;!channel&gt;&amp;');
    expect(allMrkdwn(messages.list!).join('\n')).toContain('&lt;!channel&gt;&amp;');
    expect(allMrkdwn(messages.statusUpdate!).join('\n')).toContain('&lt;!everyone&gt; &amp;');
    expect(allMrkdwn(messages.resolved!).join('\n')).toContain('&lt;!channel&gt; fixed &amp;');
  });

  it('keeps plain_text (header) as written, since Slack never parses it, cut to 150', () => {
    const text = header(messages.card!)!.text.text;
    expect([...text].length).toBe(150);
    expect(text.startsWith('SEV-1 · #2147483647 <!channel>&<!channel>&')).toBe(true);
    expect(text.endsWith('…')).toBe(true);
  });

  it('cuts long text on purpose, with an ellipsis', () => {
    const section = messages.card!.blocks.find(
      (b: KnownBlock): b is SectionBlock => b.type === 'section' && !!b.text?.text.includes('*Current status:*'),
    );
    expect(section?.text?.text).toMatch(/…$/);
  });
});

describe('emoji and non-Latin text', () => {
  const title = '🔥 データベース停止 — база данных упала 👩‍💻';
  const i = makeIncident({ title, currentStatus: 'Восстанавливаем 🚑', resolutionSummary: '修正済み ✅' });
  const messages = allMessages(i, makeEvents(9, title));

  it.each(['card', 'cardAcknowledged', 'cardResolved', 'statusUpdate', 'announcement', 'list', 'timeline'])(
    '%s keeps the title as written',
    (name) => {
      expect([...allMrkdwn(messages[name]!), ...plainTexts(messages[name]!)].join('\n')).toContain(title);
    },
  );

  it.each(['card', 'cardAcknowledged', 'cardResolved', 'statusUpdate', 'announcement', 'timeline'])(
    '%s keeps the title as written in the text fallback',
    (name) => {
      expect(messages[name]!.text).toContain(title);
    },
  );

  it('keeps the status text and the summary as written', () => {
    expect(everything(messages.statusUpdate!)).toContain('Восстанавливаем 🚑');
    expect(everything(messages.cardResolved!)).toContain('修正済み ✅');
    expect(messages.resolved!.text).toContain('修正済み ✅');
  });

  it('shows the title in the card header untouched', () => {
    expect(header(messages.card!)!.text.text).toBe(`SEV-1 · #42 ${title}`);
  });

  it('never splits an emoji when cutting', () => {
    const long = makeIncident({ title: '🔥'.repeat(150) });
    const h = header(renderIncidentCard(long, NOW, SEV))!.text.text;
    expect([...h].length).toBe(150);
    expect(h).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])/);
    expect(h.endsWith('🔥…')).toBe(true);
  });
});
