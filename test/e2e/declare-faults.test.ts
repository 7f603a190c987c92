import { describe, expect, it } from 'vitest';
import { INCIDENTS_CHANNEL_ID, useBot } from '../support/bot-harness.js';
import { BOT_USER_ID } from '../support/fake-slack.js';
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

  it('the announcement is refused (not_in_channel): the declarer is told, with the channel named and both fixes', async () => {
    const incidents = bot.fake.channels.get(INCIDENTS_CHANNEL_ID)!;
    const announced = bot.fake.messagesIn(INCIDENTS_CHANNEL_ID).length;
    incidents.members.delete(BOT_USER_ID);
    try {
      await bot.command('sev2 announce fails');
      const reply = (await bot.fake.waitFor('response_url')).args.text as string;
      const channel = createdChannel(bot);
      expect(bot.fake.messagesIn(INCIDENTS_CHANNEL_ID)).toHaveLength(announced);
      expect(reply).toContain(`is open: <#${channel.id}>`);
      expect(reply).toMatch(/It was not announced in the incidents channel/);
      expect(reply).toContain(`the bot is not a member of <#${INCIDENTS_CHANNEL_ID}>`);
      expect(reply).toContain('`/invite @Incident Bot`');
      expect(reply).toContain('`chat:write.public`');
      expect(reply).toContain(`post a link to <#${channel.id}> there`);
    } finally {
      incidents.members.add(BOT_USER_ID);
    }
  });
});
