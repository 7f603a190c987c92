import { describe, expect, it } from 'vitest';
import { type BotHarness, useBot } from '../support/bot-harness.js';
import { declareThroughBot, eventually } from '../support/incident-flow.js';

/**
 * Someone a page could not reach (Slack answered its DM user_is_restricted: a guest the bot may not message) is recorded
 * as an unreachable delivery. Acknowledging from where the pages come, or acknowledging "their own page" in the
 * channel, must not take that page as one that reached them.
 */
describe('/incident ack by someone a page never reached', () => {
  const bot = useBot();

  const commanderOf = async (id: number) =>
    (await bot.db.query<{ commander_id: string | null }>('SELECT commander_id FROM incidents WHERE id = $1', [id]))
      .rows[0]!.commander_id;
  const typed = async (text: string, userId: string, channelId: string) =>
    (await bot.answer(await bot.command(text, { channel_id: channelId, user_id: userId }))).text;

  /** `/incident page <role>` in the channel, its DM to `userId` refused by Slack: recorded unreachable, announced. */
  const pageUnreachable = async (
    b: BotHarness,
    incidentId: number,
    channelId: string,
    role: string,
    userId: string,
  ) => {
    b.fake.failNext('chat.postMessage', { error: 'user_is_restricted' }, 1, (a) => a.channel === userId);
    await b.command(`page ${role}`, { channel_id: channelId, user_id: 'U0RESP1' });
    await eventually(async () => {
      const { rows } = await b.db.query(
        `SELECT 1 FROM page_deliveries d JOIN pages p ON p.id = d.page_id
         WHERE p.incident_id = $1 AND d.user_id = $2 AND d.unreachable AND p.announced_at IS NOT NULL`,
        [incidentId, userId],
      );
      return rows[0];
    }, `the page to ${userId} recorded as unreachable`);
  };

  it("typed in the bot's direct messages, is answered as someone never paged, and acknowledges nothing", async () => {
    const card = await declareThroughBot(bot, 'sev2 checkout latency doubled', 'U0REP');
    await pageUnreachable(bot, card.incidentId, card.channelId, 'cto', 'U0CTO');

    const ack = await typed('ack', 'U0CTO', 'D0CTO');
    expect(ack).toContain('No open incident has paged you');
    expect(ack).not.toContain('You acknowledged');
    expect(await commanderOf(card.incidentId)).toBeNull();
    const status = await typed('status', 'U0CTO', 'D0CTO');
    expect(status).toContain('No open incident has paged you');
  }, 40_000);

  it('typed in the channel of an acknowledged incident, does not acknowledge a page that never reached them', async () => {
    const card = await declareThroughBot(bot, 'sev2 replica lag growing', 'U0REP');
    await bot.command('ack', { channel_id: card.channelId, user_id: 'U0ONCALL' });
    await eventually(async () => ((await commanderOf(card.incidentId)) === 'U0ONCALL' ? true : undefined), 'acked');
    await pageUnreachable(bot, card.incidentId, card.channelId, 'database team', 'U0DBTEAM');

    const said = await typed('ack', 'U0DBTEAM', card.channelId);
    expect(said).not.toContain('your page');
    expect(said).toContain('<@U0ONCALL>');
    const { rows } = await bot.db.query<{ acknowledged_by: string | null }>(
      `SELECT acknowledged_by FROM pages WHERE incident_id = $1 AND role = 'database_team'`,
      [card.incidentId],
    );
    expect(rows).toEqual([{ acknowledged_by: null }]);
    const events = await bot.db.query(
      `SELECT 1 FROM incident_events WHERE incident_id = $1 AND kind = 'page_acknowledged'`,
      [card.incidentId],
    );
    expect(events.rows).toEqual([]);
    expect(await commanderOf(card.incidentId)).toBe('U0ONCALL');
  }, 40_000);
});
