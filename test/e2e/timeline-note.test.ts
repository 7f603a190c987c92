import { describe, expect, it } from 'vitest';
import { type BotHarness, type CardRef, useBot } from '../support/bot-harness.js';
import { declareThroughBot } from '../support/incident-flow.js';

/** Declares through the bot as a person does; the incident as a card reference. */
async function declare(bot: BotHarness, text: string): Promise<CardRef> {
  const { incidentId, channelId, cardTs } = await declareThroughBot(bot, text);
  return { id: incidentId, channelId, cardTs };
}

const notes = async (bot: BotHarness, id: number) =>
  (
    await bot.db.query<{ actor_id: string; details: { text: string; source: string } }>(
      "SELECT actor_id, details FROM incident_events WHERE incident_id = $1 AND kind = 'note' ORDER BY id",
      [id],
    )
  ).rows;

describe('/incident note TEXT: a note on the timeline, posted in the channel', () => {
  const bot = useBot({ timers: false, env: { COMMAND_ENV: 'DB_PASSWORD', DB_PASSWORD: 'hunter2-very-secret' } });

  it('records the note with who wrote it, posts it, and the timeline shows it; a resolved incident takes notes too', async () => {
    const card = await declare(bot, 'sev2 notes on search');
    const res = await bot.command('note EU customers report timeouts since 02:10 @senior is on it', {
      channel_id: card.channelId,
    });
    expect(res.status).toBe(200);
    const posted = await bot.fake.waitFor(
      'chat.postMessage',
      (c) => c.args.channel === card.channelId && /noted on the timeline/.test(String(c.args.text)),
    );
    expect(String(posted.args.text)).toBe(
      ':memo: <@U0REPORTER> noted on the timeline: EU customers report timeouts since 02:10 @senior is on it',
    );
    expect(await notes(bot, card.id)).toEqual([
      {
        actor_id: 'U0REPORTER',
        details: { text: 'EU customers report timeouts since 02:10 @senior is on it', source: 'command' },
      },
    ]);
    const timeline = await bot.answer(await bot.command('timeline', { channel_id: card.channelId }));
    expect(timeline.text).toContain('<@U0REPORTER>: EU customers report timeouts since 02:10');

    await bot.command('resolve rolled back', { channel_id: card.channelId });
    await bot.fake.waitFor(
      'chat.postMessage',
      (c) => c.args.channel === card.channelId && /resolved/i.test(String(c.args.text)),
    );
    await bot.command('log: the pool size was halved by the last deploy', { channel_id: card.channelId });
    await bot.fake.waitFor(
      'chat.postMessage',
      (c) => c.args.channel === card.channelId && /pool size was halved/.test(String(c.args.text)),
    );
    expect(await notes(bot, card.id)).toHaveLength(2);
  }, 30_000);

  it('a known secret value is masked; nothing, invisible characters or a NUL are refused or dropped', async () => {
    const card = await declare(bot, 'sev3 notes refused');
    await bot.command('note the password hunter2-very-secret leaked into the log', { channel_id: card.channelId });
    const posted = await bot.fake.waitFor(
      'chat.postMessage',
      (c) => c.args.channel === card.channelId && /noted on the timeline/.test(String(c.args.text)),
    );
    expect(String(posted.args.text)).not.toContain('hunter2-very-secret');
    expect((await notes(bot, card.id))[0]!.details.text).not.toContain('hunter2-very-secret');

    const say = async (text: string) =>
      (await bot.answer(await bot.command(text, { channel_id: card.channelId }))).text;
    expect(await say('note')).toMatch(/Write the note after it/);
    expect(await say('note \u200b\u202e')).toMatch(/shows nothing: it is only invisible characters/);
    expect(await say(`note ${'x'.repeat(2001)}`)).toMatch(/keep it to 2000 or fewer/);
    await bot.command('note null\u0000byte here', { channel_id: card.channelId });
    await bot.fake.waitFor(
      'chat.postMessage',
      (c) => c.args.channel === card.channelId && /nullbyte here|null byte here/.test(String(c.args.text)),
    );
    expect(await notes(bot, card.id)).toHaveLength(2);
  }, 30_000);
});
