import { describe, expect, it } from 'vitest';
import { useBot } from '../support/bot-harness.js';
import { incidentRow } from '../support/incident-row.js';

const createdChannel = (bot: ReturnType<typeof useBot>) =>
  bot.fake.channelByName(bot.fake.callsTo('conversations.create').find((c) => !c.failed)!.args.name as string)!;

describe('declaring when a Slack step after the channel fails', () => {
  const bot = useBot({ incidentsChannel: true, timers: false });

  it('the card cannot be posted: the reply says what happened and what to do, not that the card has the buttons', async () => {
    bot.fake.failNext('chat.postMessage', { error: 'channel_not_found' });
    await bot.command('sev2 card fails');
    const reply = (await bot.fake.waitFor('response_url')).args.text as string;
    const channel = createdChannel(bot);
    expect(channel.pins).toEqual([]);
    expect((await incidentRow(bot.db, { channelId: channel.id }))?.card_ts).toBeNull();
    expect(reply).not.toMatch(/card there has the buttons/);
    expect(reply).toContain(`is open: <#${channel.id}>, but its card could not be posted there`);
    expect(reply).toMatch(/the channel does not exist or the bot cannot see it/);
    expect(reply).toMatch(/`\/incident ack`.*`\/incident update`.*`\/incident resolve`.*`\/incident status`/);
  });
});
