import { describe, expect, it } from 'vitest';
import { type BotHarness, useBot } from '../support/bot-harness.js';
import type { RecordedCall } from '../support/fake-slack.js';
import { cardShows, declareThroughBot, eventually } from '../support/incident-flow.js';
import { testRunbook } from '../support/test-runbook.js';

const json = (c: RecordedCall) => JSON.stringify(c.args);
/** The page direct messages `user` was sent for the incident titled `title`. */
const pagesTo = (bot: BotHarness, user: string, title: string) =>
  bot.fake
    .callsTo('chat.postMessage')
    .filter(
      (c) => !c.failed && c.args.channel === user && json(c).includes(title) && json(c).includes('You are paged'),
    );

/**
 * A reopened incident is paged as a new one is: its rounds of nobody acknowledging climb the contact order again from
 * the pages of this opening (as PagerDuty runs an escalation policy again from level 1 for an incident triggered
 * again), as Escalate now counts them.
 */
describe('reopened: the rounds of nobody acknowledging start again from the pages of this opening', () => {
  // SEV-2 responds within 2 s here.
  const bot = useBot({ runbook: testRunbook({ respond: { 0: '60s', 1: '60s', 2: '2s', 3: '60s' } }) });

  it('a round after the reopening pages senior DevOps again, paged before the resolution: its turn comes in this opening', async () => {
    const title = 'thumbnails not generated';
    const card = await declareThroughBot(bot, `sev2 ${title}`, 'U0REPORTER');
    // Round 1 (2 s): on-call again and senior DevOps.
    await eventually(async () => (pagesTo(bot, 'U0SENIOR', title).length ? true : undefined), 'the first round');
    await bot.command('resolve it came back by itself', { channel_id: card.channelId, user_id: 'U0REPORTER' });
    await cardShows(bot, card, 'Resolved');
    const oncallBefore = pagesTo(bot, 'U0ONCALL', title).length;
    await bot.command('reopen it is back', { channel_id: card.channelId, user_id: 'U0REPORTER' });
    // The first round of this opening: on-call and, climbing from this opening's pages, senior DevOps again.
    const again = await eventually(
      async () => pagesTo(bot, 'U0SENIOR', title)[1],
      'senior DevOps paged again by the first round after the reopening',
    );
    expect(json(again)).toContain('nobody acknowledged within the SEV-2 response time');
    expect(pagesTo(bot, 'U0ONCALL', title).length).toBeGreaterThan(oncallBefore);
    // Nobody further up for a SEV-2 with no customer impact, as before the resolution.
    expect(pagesTo(bot, 'U0MANAGER', title)).toHaveLength(0);
    expect(pagesTo(bot, 'U0CTO', title)).toHaveLength(0);
    await bot.command('ack', { channel_id: card.channelId, user_id: 'U0ONCALL' });
    await bot.command('resolve done', { channel_id: card.channelId, user_id: 'U0ONCALL' });
  }, 40_000);
});
