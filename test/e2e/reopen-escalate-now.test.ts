import { describe, expect, it } from 'vitest';
import { type BotHarness, useBot } from '../support/bot-harness.js';
import type { RecordedCall } from '../support/fake-slack.js';
import { cardShows, declareThroughBot, eventually } from '../support/incident-flow.js';
import { testRunbook } from '../support/test-runbook.js';

const json = (c: RecordedCall) => JSON.stringify(c.args);
/** The card's Commander field naming on-call (its page line names on-call too: not enough to know the change is in). */
const ON_CALL_COMMANDS = /Commander\*\\n<@U0ONCALL>/;
/** The page direct messages `user` was sent for the incident titled `title`. */
const pagesTo = (bot: BotHarness, user: string, title: string) =>
  bot.fake
    .callsTo('chat.postMessage')
    .filter(
      (c) => !c.failed && c.args.channel === user && json(c).includes(title) && json(c).includes('You are paged'),
    );

describe("reopened: the card's Escalate now names the role Escalate pages", () => {
  const bot = useBot({ runbook: testRunbook() });

  it('on-call commands the incident: after the reopening the card offers senior DevOps, and escalating pages senior DevOps, not the commander', async () => {
    const title = 'login page blank';
    const card = await declareThroughBot(bot, `sev1 ${title}`, 'U0REPORTER');
    await eventually(async () => (pagesTo(bot, 'U0ONCALL', title).length ? true : undefined), 'the page to on-call');
    // The reporter acknowledges and hands command to on-call.
    await bot.command('ack', { channel_id: card.channelId, user_id: 'U0REPORTER' });
    await bot.command('commander <@U0ONCALL|oncall>', { channel_id: card.channelId, user_id: 'U0REPORTER' });
    await cardShows(bot, card, ON_CALL_COMMANDS);
    await bot.command('resolve rolled back', { channel_id: card.channelId, user_id: 'U0ONCALL' });
    await cardShows(bot, card, 'Resolved');
    await bot.command('reopen still blank', { channel_id: card.channelId, user_id: 'U0ONCALL' });
    const shown = await cardShows(bot, card, 'Escalate now: Senior DevOps Engineer');
    expect(shown).not.toContain('Escalate now: On-Call Engineer');

    // Typed with no role: the role the card names, not on-call who runs the incident.
    await bot.command('escalate', { channel_id: card.channelId, user_id: 'U0ONCALL' });
    await eventually(async () => (pagesTo(bot, 'U0SENIOR', title).length ? true : undefined), 'senior DevOps paged');
    expect(pagesTo(bot, 'U0ONCALL', title)).toHaveLength(1);
    await bot.command('resolve done', { channel_id: card.channelId, user_id: 'U0ONCALL' });
  }, 40_000);

  it('on-call acknowledged before the resolution: after the reopening the card offers senior DevOps, not on-call again', async () => {
    const title = 'exports time out';
    const card = await declareThroughBot(bot, `sev1 ${title}`, 'U0REPORTER');
    await eventually(async () => (pagesTo(bot, 'U0ONCALL', title).length ? true : undefined), 'the page to on-call');
    await bot.command('ack', { channel_id: card.channelId, user_id: 'U0ONCALL' });
    // Resolved once the acknowledgement is in: each command's work follows its answer, and a loaded machine took the
    // resolution first (the acknowledgement then refused, nobody commander).
    await cardShows(bot, card, ON_CALL_COMMANDS);
    await bot.command('resolve raised the timeout', { channel_id: card.channelId, user_id: 'U0ONCALL' });
    await cardShows(bot, card, 'Resolved');
    await bot.command('reopen timing out again', { channel_id: card.channelId, user_id: 'U0ONCALL' });
    await cardShows(bot, card, 'Escalate now: Senior DevOps Engineer');
    await bot.command('escalate', { channel_id: card.channelId, user_id: 'U0REPORTER' });
    await eventually(async () => (pagesTo(bot, 'U0SENIOR', title).length ? true : undefined), 'senior DevOps paged');
    expect(pagesTo(bot, 'U0ONCALL', title)).toHaveLength(1);
    await bot.command('resolve done', { channel_id: card.channelId, user_id: 'U0ONCALL' });
  }, 40_000);
});
