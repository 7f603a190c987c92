import { describe, expect, it } from 'vitest';
import { ACTION } from '../../src/templates/ids.js';
import { useBot } from '../support/bot-harness.js';
import { declareThroughBot } from '../support/incident-flow.js';
import { TEST_GENERAL_CHANNEL_ID, TEST_REPORTER_ID } from '../support/slack-request.js';

/**
 * An error answered through a response_url that Slack refuses still reaches the person: an ephemeral
 * message in the channel, else a direct message. Never silence.
 */
describe('an error whose response_url Slack refuses', () => {
  const bot = useBot({ timers: false });

  it('a slash command: told in the channel instead', async () => {
    bot.fake.channels.get(TEST_GENERAL_CHANNEL_ID)!.members.add(TEST_REPORTER_ID);
    bot.fake.failNext('response_url', { status: 500 });
    await bot.command('resolve all good now');
    const told = await bot.fake.waitForTold(TEST_REPORTER_ID, undefined, 15_000);
    expect([told.via, told.channel]).toEqual(['ephemeral', TEST_GENERAL_CHANNEL_ID]);
    expect(told.text).toMatch(/incident channel/);
    expect(bot.fake.callsTo('response_url').map((c) => Boolean(c.failed))).toEqual([true]);
  });

  it('a click on the card: told in the incident channel instead', async () => {
    const opened = await declareThroughBot(bot, 'sev2 answers elsewhere');
    bot.fake.reset();
    bot.fake.failNext('response_url', { status: 500 });
    await bot.click({
      channelId: opened.channelId,
      messageTs: opened.cardTs,
      actionId: ACTION.escalate,
      value: JSON.stringify({ i: 99999, r: 'senior_devops' }),
      userId: TEST_REPORTER_ID,
    });
    const told = await bot.fake.waitForTold(TEST_REPORTER_ID, undefined, 15_000);
    expect([told.via, told.channel]).toEqual(['ephemeral', opened.channelId]);
    expect(told.text).toBe(':warning: There is no such incident.');
    expect(bot.fake.callsTo('response_url').map((c) => Boolean(c.failed))).toEqual([true]);
  });
});
