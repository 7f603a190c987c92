import { describe, expect, it } from 'vitest';
import { ACTION } from '../../src/templates/ids.js';
import { useBot } from '../support/bot-harness.js';
import type { FakeSlack } from '../support/fake-slack.js';
import { declareThroughBot, eventually, pageDmTo } from '../support/incident-flow.js';
import { testRunbook } from '../support/test-runbook.js';

const json = (v: unknown) => JSON.stringify(v);

/** The DM as it reads now (its last version), and whether it still offers Acknowledge. */
function dmNow(fake: FakeSlack, dm: { channel: string; ts: string }) {
  const blocks = json(fake.message(dm.channel, dm.ts)?.blocks ?? []);
  return { blocks, acknowledge: blocks.includes(`"action_id":"${ACTION.acknowledge}"`) };
}

/**
 * A page's direct message shown again after an acknowledgement, or after a flag paged more roles, is the change's own
 * timer's (`redraw_pages`, written with it), as a severity change's is: a DM Slack refused to update is shown again by
 * the timer loop until Slack takes it, not left offering Acknowledge (or an Escalate to … paged already).
 */
describe('page direct messages shown again after an acknowledgement or a flag page, until Slack takes each', () => {
  // The runbook's "CTO (if SEV-0 or data loss risk)", with senior DevOps paged at once for them too.
  const bot = useBot({ runbook: testRunbook({ critical: ['senior_devops', 'cto'] }) });

  it('acknowledged: the on-call DM Slack refused to update is shown acknowledged by the timer loop', async () => {
    const card = await declareThroughBot(bot, 'sev2 carts emptied at random', 'U0REPORTER');
    const dm = await pageDmTo(bot.fake, 'U0ONCALL', card.channelId);
    const isDm = (args: { channel?: unknown; ts?: unknown }) => args.channel === dm.channel && args.ts === dm.ts;
    bot.fake.failNext('chat.update', { error: 'internal_error' }, 1, isDm);
    await bot.command('ack', { channel_id: card.channelId, user_id: 'U0REPORTER' });
    const acked = await eventually(async () => {
      const now = dmNow(bot.fake, dm);
      return now.blocks.includes('acknowledged') && !now.acknowledge ? now : undefined;
    }, "the on-call engineer's DM, acknowledged");
    expect(acked.blocks).toContain('<@U0REPORTER>');
    const updates = bot.fake.callsTo('chat.update').filter((c) => isDm(c.args));
    expect(updates[0]?.failed).toEqual({ error: 'internal_error' });
    expect(updates.some((c) => !c.failed)).toBe(true);
    // Recorded once Slack has answered the update: a moment after the fake shows it.
    const state = async () =>
      (
        await bot.db.query<{ dm_state: string }>(
          `SELECT d.dm_state FROM page_deliveries d JOIN pages p ON p.id = d.page_id
           WHERE p.incident_id = $1 AND d.user_id = 'U0ONCALL'`,
          [card.incidentId],
        )
      ).rows;
    const rows = await eventually(
      async () => ((await state())[0]?.dm_state === 'acknowledged' ? state() : undefined),
      'the DM recorded as acknowledged',
    );
    expect(rows).toEqual([{ dm_state: 'acknowledged' }]);
    await bot.command('resolve done', { channel_id: card.channelId, user_id: 'U0REPORTER' });
  }, 30_000);

  it("a data-loss risk paged senior DevOps: the on-call DM's Escalate to senior DevOps, refused once by Slack, is shown as the engineering manager", async () => {
    const card = await declareThroughBot(bot, 'sev2 replica lagging behind', 'U0REPORTER');
    const dm = await pageDmTo(bot.fake, 'U0ONCALL', card.channelId);
    expect(dmNow(bot.fake, dm).blocks).toContain('Escalate to Senior DevOps Engineer');
    const isDm = (args: { channel?: unknown; ts?: unknown }) => args.channel === dm.channel && args.ts === dm.ts;
    bot.fake.failNext('chat.update', { error: 'internal_error' }, 1, isDm);
    await bot.command('data-loss writes may be lost', { channel_id: card.channelId, user_id: 'U0REPORTER' });
    await pageDmTo(bot.fake, 'U0SENIOR', card.channelId);
    const shown = await eventually(async () => {
      const now = dmNow(bot.fake, dm);
      return now.blocks.includes('Escalate to Engineering Manager') ? now : undefined;
    }, "the on-call engineer's DM offering the engineering manager");
    expect(shown.acknowledge).toBe(true);
    expect(shown.blocks).not.toContain('Escalate to Senior DevOps Engineer');
    const updates = bot.fake.callsTo('chat.update').filter((c) => isDm(c.args));
    expect(updates[0]?.failed).toEqual({ error: 'internal_error' });
    await bot.command('resolve done', { channel_id: card.channelId, user_id: 'U0REPORTER' });
  }, 30_000);
});
