import { describe, expect, it } from 'vitest';
import { ACTION } from '../../src/templates/ids.js';
import { type BotHarness, type CardRef, useBot } from '../support/bot-harness.js';

const json = (v: unknown) => JSON.stringify(v ?? {});

async function declare(bot: BotHarness, text: string): Promise<CardRef> {
  await bot.command(text);
  const created = await bot.fake.waitFor('conversations.create');
  const channelId = bot.fake.channelByName(created.args.name as string)!.id;
  await bot.fake.waitFor('pins.add', (c) => c.args.channel === channelId);
  await bot.fake.waitFor('response_url', (c) => /is open/.test(String(c.args.text)));
  const { rows } = await bot.db.query<{ id: number; card_ts: string }>(
    'SELECT id, card_ts FROM incidents WHERE channel_id = $1',
    [channelId],
  );
  return { id: Number(rows[0]!.id), channelId, cardTs: rows[0]!.card_ts };
}

const events = async (bot: BotHarness, id: number) =>
  (
    await bot.db.query<{ kind: string; actor_id: string; details: Record<string, unknown> }>(
      'SELECT kind, actor_id, details FROM incident_events WHERE incident_id = $1 ORDER BY id',
      [id],
    )
  ).rows;
const commander = async (bot: BotHarness, id: number) =>
  (await bot.db.query<{ commander_id: string }>('SELECT commander_id FROM incidents WHERE id = $1', [id])).rows[0]!
    .commander_id;
const channelSays = (bot: BotHarness, channelId: string, re: RegExp) =>
  bot.fake.callsTo('chat.postMessage').filter((c) => c.args.channel === channelId && re.test(String(c.args.text)));

/** The Take command button in a private reply, as Slack would send its click back. */
function takeCommandButton(reply: { blocks?: unknown[] }): { action_id: string; value: string; block_id: string } {
  const blocks = (reply.blocks ?? []) as { block_id: string; elements?: { action_id: string; value: string }[] }[];
  for (const b of blocks) {
    const e = b.elements?.find((x) => json(x).includes('Take command'));
    if (e) return { ...e, block_id: b.block_id };
  }
  throw new Error(`no Take command button in ${json(reply)}`);
}

describe('Acknowledge: the first makes the commander; the others are told and offered Take command', () => {
  const bot = useBot({ timers: false });

  it('20 simultaneous clicks: one acknowledgement, one commander, no "took command" notice, 19 told who commands', async () => {
    const card = await declare(bot, 'sev1 everyone clicks');
    bot.fake.reset();
    const users = Array.from({ length: 20 }, (_, n) => `U0ACK${String(n).padStart(2, '0')}`);
    await Promise.all(users.map((u) => bot.clickCard(card, ACTION.acknowledge, u)));
    await bot.fake.waitForCount('response_url', 19);
    // The first click's notice is posted once its change is recorded, which the other clicks' replies need not wait
    // for: on a loaded machine they can all come before it.
    await bot.fake.waitFor(
      'chat.postMessage',
      (c) => c.args.channel === card.channelId && /acknowledged the incident/.test(String(c.args.text)),
    );
    const evs = await events(bot, card.id);
    const acks = evs.filter((e) => e.kind === 'acknowledged');
    expect(acks).toHaveLength(1);
    const first = acks[0]!.actor_id;
    expect(await commander(bot, card.id)).toBe(first);
    expect(channelSays(bot, card.channelId, /took command/)).toHaveLength(0);
    expect(channelSays(bot, card.channelId, /acknowledged the incident/)).toHaveLength(1);
    const replies = bot.replies();
    expect(replies).toHaveLength(19);
    for (const r of replies) {
      expect(r.text).toContain(`<@${first}>`);
      expect(r.text).toMatch(/is the commander/);
      takeCommandButton(r);
    }
  });

  it('Acknowledge in a page DM does not take command silently; Take command does, recorded and announced', async () => {
    const card = await declare(bot, 'sev1 page dm ack');
    await bot.clickCard(card, ACTION.acknowledge, 'U0FIRST');
    await bot.fake.waitFor(
      'chat.postMessage',
      (c) => c.args.channel === card.channelId && /acknowledged/.test(String(c.args.text)),
    );
    bot.fake.reset();
    // The page's Acknowledge: the incident id as value, in a DM.
    await bot.click({
      channelId: 'D0ONCALL',
      messageTs: '1.000001',
      actionId: ACTION.acknowledge,
      value: String(card.id),
      userId: 'U0ONCALL',
    });
    const told = await bot.fake.waitFor('response_url');
    expect(told.args.text).toContain('<@U0FIRST>');
    expect(await commander(bot, card.id)).toBe('U0FIRST');
    expect(channelSays(bot, card.channelId, /took command/)).toHaveLength(0);

    const take = takeCommandButton(told.args as { blocks?: unknown[] });
    await bot.click({
      channelId: 'D0ONCALL',
      messageTs: '1.000001',
      actionId: take.action_id,
      blockId: take.block_id,
      value: take.value,
      userId: 'U0ONCALL',
    });
    await bot.fake.waitFor(
      'chat.postMessage',
      (c) => c.args.channel === card.channelId && /<@U0ONCALL> took command from <@U0FIRST>/.test(String(c.args.text)),
    );
    expect(await commander(bot, card.id)).toBe('U0ONCALL');
    const taken = (await events(bot, card.id)).filter((e) => e.kind === 'command_taken');
    expect(taken).toEqual([
      { kind: 'command_taken', actor_id: 'U0ONCALL', details: { from: 'U0FIRST', to: 'U0ONCALL' } },
    ]);
    expect((await events(bot, card.id)).filter((e) => e.kind === 'acknowledged')).toHaveLength(1);
  });

  it('a stale Take command (the commander changed meanwhile) takes nothing and says who commands now', async () => {
    const card = await declare(bot, 'sev1 stale take');
    await bot.clickCard(card, ACTION.acknowledge, 'U0FIRST');
    await bot.fake.waitFor(
      'chat.postMessage',
      (c) => c.args.channel === card.channelId && /acknowledged/.test(String(c.args.text)),
    );
    bot.fake.reset();
    await Promise.all([bot.clickCard(card, ACTION.acknowledge, 'U0B'), bot.clickCard(card, ACTION.acknowledge, 'U0C')]);
    const [b, c] = await bot.fake.waitForCount('response_url', 2);
    const click = (reply: typeof b, user: string) => {
      const take = takeCommandButton(reply!.args as { blocks?: unknown[] });
      return bot.click({
        channelId: card.channelId,
        messageTs: card.cardTs,
        actionId: take.action_id,
        blockId: take.block_id,
        value: take.value,
        userId: user,
      });
    };
    bot.fake.reset();
    await click(b, 'U0B');
    await bot.fake.waitFor('chat.postMessage', (m) => /took command/.test(String(m.args.text)));
    await click(c, 'U0C');
    const stale = await bot.fake.waitFor('response_url');
    expect(stale.args.text).toContain('<@U0B>');
    expect(await commander(bot, card.id)).toBe('U0B');
    expect((await events(bot, card.id)).filter((e) => e.kind === 'command_taken')).toHaveLength(1);
  });
});
