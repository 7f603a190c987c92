import { describe, expect, it } from 'vitest';
import { useBot } from '../support/bot-harness.js';
import { cardShows, declareThroughBot, eventually, pageDmTo } from '../support/incident-flow.js';
import { testRunbook } from '../support/test-runbook.js';

const at = (dm: { channel: string; ts: string }) => (args: { channel?: unknown; ts?: unknown }) =>
  args.channel === dm.channel && args.ts === dm.ts;

/**
 * A page's own redraw of the incident's page DMs (showAnswered, after its DMs are recorded) and the page's timer
 * (`redraw_pages`, showing the earlier DMs that offered the role now paged) want the same DM: the one drawing it holds
 * it, and the other does not wait for it.
 */
describe('a page while its timer is showing an earlier page DM', () => {
  const bot = useBot({ runbook: testRunbook() });

  it("senior DevOps paged while Slack is slow to take on-call's DM offering them: the card shows the page without waiting for that DM", async () => {
    const card = await declareThroughBot(bot, 'sev2 payouts delayed', 'U0REPORTER');
    const dm = await pageDmTo(bot.fake, 'U0ONCALL', card.channelId);
    await cardShows(bot, card, 'Escalate now: Senior DevOps Engineer');
    await eventually(
      async () =>
        (
          await bot.db.query(
            `SELECT 1 FROM page_deliveries d JOIN pages p ON p.id = d.page_id
             WHERE p.incident_id = $1 AND d.user_id = 'U0ONCALL' AND d.dm_ts IS NOT NULL`,
            [card.incidentId],
          )
        ).rows.length
          ? true
          : undefined,
      "on-call's DM recorded",
    );
    // The redraw of on-call's DM (its Escalate to senior DevOps) is held by Slack until the card has shown the page (a
    // fixed delay of 7 s was outrun by a loaded machine's declaration of the page; under the client's 10 s timeout).
    let release = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    bot.fake.failNext('chat.update', { until: held }, 1, at(dm));
    await bot.command('escalate', { channel_id: card.channelId, user_id: 'U0REPORTER' });
    await pageDmTo(bot.fake, 'U0SENIOR', card.channelId);
    await cardShows(bot, card, 'Escalate now: Engineering Manager');
    // Shown while on-call's slow DM update is still on its way (a delayed call is recorded once answered): the page did
    // not wait for it. Other updates of that DM may come meanwhile (a redraw timer written when a change overtook it).
    expect(bot.fake.callsTo('chat.update').filter((c) => at(dm)(c.args) && c.delayedMs !== undefined)).toHaveLength(0);
    release();
    // The DM drawn by the one that held it, as the incident is now.
    await eventually(
      async () =>
        JSON.stringify(bot.fake.message(dm.channel, dm.ts)?.blocks ?? []).includes('Escalate to Engineering Manager')
          ? true
          : undefined,
      "on-call's DM offering the engineering manager",
    );
    await bot.command('resolve done', { channel_id: card.channelId, user_id: 'U0REPORTER' });
  }, 40_000);
});
