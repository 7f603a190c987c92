import { describe, expect, it } from 'vitest';
import { INCIDENTS_CHANNEL_ID, useBot } from '../support/bot-harness.js';
import { BOT_USER_ID } from '../support/fake-slack.js';
import { countIncidents, incidentRow } from '../support/incident-row.js';
import { useBotBehindProxy } from '../support/proxied-db.js';
import { TEST_REPORTER_ID } from '../support/slack-request.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(what: string, fn: () => Promise<T | undefined | false>, timeoutMs: number): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(100);
  }
}

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

  it('a resolution the incidents channel refuses (not_in_channel): told with the channel named and the fix, once', async () => {
    await bot.command('sev2 resolved unannounced');
    await bot.fake.waitFor('response_url', (c) => /is open/.test(String(c.args.text)));
    const channel = createdChannel(bot);
    const incidents = bot.fake.channels.get(INCIDENTS_CHANNEL_ID)!;
    incidents.members.delete(BOT_USER_ID);
    try {
      bot.fake.reset();
      await bot.command('resolve a bad index, rebuilt', { channel_id: channel.id });
      const reply = (await bot.fake.waitFor('response_url', (c) => /Recorded, but/.test(String(c.args.text)))).args
        .text as string;
      // The incident channel has it; the incidents channel did not take it, and the reply says how to fix that.
      expect(bot.fake.messagesIn(channel.id).some((m) => /resolved: a bad index, rebuilt/.test(m.text ?? ''))).toBe(
        true,
      );
      expect(reply).toContain(`Couldn't post in <#${INCIDENTS_CHANNEL_ID}>: the bot is not a member of`);
      expect(reply).toContain('`/invite @Incident Bot`');
      expect(reply).not.toMatch(/\.\)\.|\)\.$/);
    } finally {
      incidents.members.add(BOT_USER_ID);
    }
  });
});

describe('Postgres lost in the middle of a declaration', () => {
  const { bot, db } = useBotBehindProxy();

  it('leaves no incident: not listed, its number given back, its channel archived, the declarer told', async () => {
    // Slack takes its time creating the channel; the database goes while it does.
    bot.fake.failNext('conversations.create', { delayMs: 1500 });
    await bot.command('sev1 cut mid declaration');
    await until('the incident row', async () => (await countIncidents(db.direct)) > 0, 5000);
    await db.proxy.cut();
    const reply = (await bot.fake.waitFor('response_url', undefined, 10_000)).args.text as string;
    expect(reply).toMatch(/could not be recorded/);
    expect(reply).toMatch(/runbook by hand/);
    const created = bot.fake.callsTo('conversations.create').find((c) => !c.failed)!;
    expect(bot.fake.channelByName(created.args.name as string)!.isArchived).toBe(true);

    await db.proxy.restore();
    // Once the database is back, the half-made declaration is settled: removed, and the declarer hears why.
    await until('the row to go', async () => (await countIncidents(db.direct)) === 0, 30_000);
    const dm = await bot.fake.waitFor('chat.postMessage', (c) => c.args.channel === TEST_REPORTER_ID, 5000);
    expect(dm.args.text).toMatch(/cut mid declaration/);
    expect(dm.args.text).toMatch(/was not kept: there is no incident #1/);

    bot.fake.reset();
    await bot.command('list');
    expect((await bot.fake.waitFor('response_url')).args.text).toBe('No open incidents. :tada:');
    bot.fake.reset();
    await bot.command('sev1 db back');
    expect((await bot.fake.waitFor('response_url')).args.text).toMatch(/^Incident #1 \(SEV-1\) is open/);
  }, 60_000);
});
