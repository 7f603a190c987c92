import { describe, expect, it } from 'vitest';
import { ACTION } from '../../src/templates/ids.js';
import { type BotHarness, type CardRef, useBot } from '../support/bot-harness.js';
import type { RecordedCall } from '../support/fake-slack.js';
import { cardShows, declareThroughBot } from '../support/incident-flow.js';
import { testRunbook } from '../support/test-runbook.js';

const json = (c: RecordedCall | undefined) => JSON.stringify(c?.args ?? {});
const pagesTo = (bot: BotHarness, user: string, title: string) =>
  bot.fake.callsTo('chat.postMessage').filter((c) => !c.failed && c.args.channel === user && json(c).includes(title));
const channelSays = (bot: BotHarness, channelId: string, re: RegExp) =>
  bot.fake
    .callsTo('chat.postMessage')
    .filter((c) => !c.failed && c.args.channel === channelId && re.test(String(c.args.text)));
const buttonsOf = (dm: RecordedCall) =>
  (dm.args.blocks as { type: string; elements?: { text: { text: string } }[] }[])
    .find((b) => b.type === 'actions')!
    .elements!.map((e) => e.text.text);

async function declare(bot: BotHarness, text: string): Promise<CardRef> {
  const opened = await declareThroughBot(bot, text);
  return { id: opened.incidentId, channelId: opened.channelId, cardTs: opened.cardTs };
}

async function climbHeldEvents(bot: BotHarness, incidentId: number) {
  const { rows } = await bot.db.query<{ details: Record<string, unknown> }>(
    "SELECT details FROM incident_events WHERE incident_id = $1 AND kind = 'climb_held'",
    [incidentId],
  );
  return rows.map((r) => r.details);
}

/**
 * The runbook's Escalation Contact Order: On-Call Engineer, Senior DevOps Engineer (if unresolved in 30 minutes),
 * Engineering Manager (if customer impact), CTO (if SEV-0 or data loss risk). A round of nobody acknowledging climbs
 * the order only as far as those conditions let it.
 */
describe('nobody acknowledging climbs the contact order only to roles whose condition holds', () => {
  // SEV-2 responds within 2 s here; the rules as runbooks/atom.yml has them.
  const bot = useBot({
    runbook: testRunbook({
      respond: { 0: '60s', 1: '60s', 2: '2s', 3: '60s' },
      critical: ['senior_devops', 'cto'],
      dataLoss: 'database_team',
    }),
    escalation: { repeatWindowMs: 0 },
  });

  it('a SEV-2 nobody acknowledges pages senior DevOps, then on-call alone: never the engineering manager nor the CTO, and the channel is told why once', async () => {
    const card = await declare(bot, 'sev2 search slow for some');
    const title = 'search slow for some';
    // Round 1 (2 s): on-call again and senior DevOps; rounds 2 and 3 (4 s, 6 s): on-call again, alone.
    await bot.fake.waitFor('chat.postMessage', (c) => c.args.channel === 'U0SENIOR' && json(c).includes(title), 10_000);
    await bot.fake.waitForCount(
      'chat.postMessage',
      4,
      (c) => c.args.channel === 'U0ONCALL' && json(c).includes(title),
      15_000,
    );
    const told = await bot.fake.waitFor(
      'chat.postMessage',
      (c) => c.args.channel === card.channelId && /nobody further up/.test(String(c.args.text)),
    );
    expect(String(told.args.text)).toBe(
      ":information_source: Nobody acknowledged: *On-Call Engineer* was paged again, and nobody further up. The runbook's contact order pages *Engineering Manager* for customer impact and *CTO* for SEV-0 or a data-loss risk, neither of which applies to this incident. To page one of them now: `/incident escalate engineering_manager`, `/incident escalate cto`.",
    );
    expect(pagesTo(bot, 'U0MANAGER', title)).toHaveLength(0);
    expect(pagesTo(bot, 'U0CTO', title)).toHaveLength(0);
    expect(pagesTo(bot, 'U0SENIOR', title)).toHaveLength(1);
    // Said once, however many rounds page on-call alone; recorded once on the timeline.
    await bot.fake.waitForCount(
      'chat.postMessage',
      5,
      (c) => c.args.channel === 'U0ONCALL' && json(c).includes(title),
      10_000,
    );
    expect(channelSays(bot, card.channelId, /nobody further up/)).toHaveLength(1);
    expect(await climbHeldEvents(bot, card.id)).toEqual([
      {
        rule: 'unacknowledged',
        role: 'on_call',
        held: [
          { role: 'engineering_manager', when: ['customer impact'] },
          { role: 'cto', when: ['SEV-0 or a data-loss risk'] },
        ],
      },
    ]);
    // The card's Next names on-call alone; Escalate now (a person's choice) still offers the engineering manager, as
    // does the on-call's page of a round that paged nobody further up.
    const shown = await cardShows(
      bot,
      card,
      /Next: On-Call Engineer again \(<@U0ONCALL>\) <!date[^"]*unless acknowledged by then/,
    );
    expect(shown).toMatch(/Paged: On-Call Engineer [^"]*Senior DevOps Engineer/);
    expect(shown).toContain('Escalate now: Engineering Manager');
    expect(buttonsOf(pagesTo(bot, 'U0ONCALL', title).at(-1)!)).toEqual([
      'Acknowledge',
      'Escalate to Engineering Manager',
      'Open the incident channel',
    ]);
    await bot.clickCard(card, ACTION.acknowledge, 'U0ONCALL');
    await bot.fake.waitFor(
      'chat.postMessage',
      (c) => c.args.channel === card.channelId && /acknowledged/.test(String(c.args.text)),
    );
    // A person escalates by hand: the engineering manager is paged, conditions or not.
    await bot.clickCard(card, ACTION.escalate, 'U0ONCALL');
    await bot.fake.waitFor('chat.postMessage', (c) => c.args.channel === 'U0MANAGER' && json(c).includes(title));
  });

  it('a SEV-2 with customer impact flagged has the engineering manager paged, never the CTO, and says the CTO is paged for SEV-0 or a data-loss risk', async () => {
    const card = await declare(bot, 'sev2 checkout errors for some');
    const title = 'checkout errors for some';
    await bot.command('impact some customers cannot pay', { channel_id: card.channelId });
    await bot.fake.waitFor('chat.postMessage', (c) => c.args.channel === 'U0MANAGER' && json(c).includes(title));
    await bot.fake.waitFor('chat.postMessage', (c) => c.args.channel === 'U0SENIOR' && json(c).includes(title), 10_000);
    await bot.fake.waitForCount(
      'chat.postMessage',
      4,
      (c) => c.args.channel === 'U0ONCALL' && json(c).includes(title),
      15_000,
    );
    const told = await bot.fake.waitFor(
      'chat.postMessage',
      (c) => c.args.channel === card.channelId && /nobody further up/.test(String(c.args.text)),
    );
    expect(String(told.args.text)).toContain(
      "The runbook's contact order pages *CTO* for SEV-0 or a data-loss risk, which does not apply to this incident. To page them now: `/incident escalate cto`.",
    );
    expect(pagesTo(bot, 'U0CTO', title)).toHaveLength(0);
    expect(pagesTo(bot, 'U0MANAGER', title)).toHaveLength(1);
    // Raised to SEV-0: the CTO is paged at once (critical), as the runbook says.
    await bot.command('sev0', { channel_id: card.channelId });
    await bot.fake.waitFor('chat.postMessage', (c) => c.args.channel === 'U0CTO' && json(c).includes(title));
    await bot.command('resolve done', { channel_id: card.channelId });
  });

  it('reopened and again nobody acknowledging: the channel is told once more why nobody further up is paged', async () => {
    const card = await declare(bot, 'sev2 queue backlog growing');
    await bot.fake.waitFor(
      'chat.postMessage',
      (c) => c.args.channel === card.channelId && /nobody further up/.test(String(c.args.text)),
      15_000,
    );
    await bot.command('resolve drained the queue', { channel_id: card.channelId });
    await bot.fake.waitFor(
      'chat.postMessage',
      (c) => c.args.channel === card.channelId && /resolved/.test(String(c.args.text)),
    );
    await bot.command('reopen backlog is back', { channel_id: card.channelId });
    // Said once for this opening too (rounds every 2 s: several page on-call alone before the end of the wait).
    await bot.fake.waitForCount(
      'chat.postMessage',
      2,
      (c) => c.args.channel === card.channelId && /nobody further up/.test(String(c.args.text)),
      15_000,
    );
    await new Promise((r) => setTimeout(r, 4500));
    expect(channelSays(bot, card.channelId, /nobody further up/)).toHaveLength(2);
    expect(await climbHeldEvents(bot, card.id)).toHaveLength(2);
    await bot.command('resolve done', { channel_id: card.channelId });
  }, 60_000);
});
