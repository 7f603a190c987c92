import { describe, expect, it } from 'vitest';
import { ACTION } from '../../src/templates/ids.js';
import { useBot } from '../support/bot-harness.js';
import type { FakeSlack } from '../support/fake-slack.js';
import { declareThroughBot, eventually, pageDmTo } from '../support/incident-flow.js';

const json = (v: unknown) => JSON.stringify(v);

/** The DM as it reads now (its last version), and whether it still offers Acknowledge. */
function dmNow(fake: FakeSlack, dm: { channel: string; ts: string }) {
  const blocks = json(fake.message(dm.channel, dm.ts)?.blocks ?? []);
  return {
    text: String(fake.message(dm.channel, dm.ts)?.text),
    blocks,
    acknowledge: blocks.includes(`"action_id":"${ACTION.acknowledge}"`),
  };
}

/**
 * A page direct message is drawn from the incident as it is when it is drawn, one redraw at a time: a page on its way
 * while a change was shown is shown as the change left the incident, and an older state is never drawn over a newer.
 */
describe('page direct messages drawn in order, from the incident as it is when drawn', () => {
  const bot = useBot();

  it('a page whose DM went out (slowly) before a severity change, recorded after the change was shown, is shown with the new severity', async () => {
    const card = await declareThroughBot(bot, 'sev2 webhooks delivered twice', 'U0REPORTER');
    await pageDmTo(bot.fake, 'U0ONCALL', card.channelId);
    // Senior DevOps' page takes 3 s to reach Slack; the first update of it fails too (shown again by the timer).
    bot.fake.failNext('chat.postMessage', { delayMs: 3000 }, 1, (a) => a.channel === 'U0SENIOR');
    bot.fake.failNext('chat.update', { error: 'internal_error' }, 1, (a) =>
      json(a).includes('Paged (Senior DevOps Engineer'),
    );
    await bot.command('escalate senior_devops', { channel_id: card.channelId, user_id: 'U0REPORTER' });
    await eventually(async () => {
      const { rows } = await bot.db.query(`SELECT 1 FROM pages WHERE incident_id = $1 AND role = 'senior_devops'`, [
        card.incidentId,
      ]);
      return rows.length ? true : undefined;
    }, "senior DevOps' page on its way");
    await bot.command('severity sev1', { channel_id: card.channelId, user_id: 'U0REPORTER' });
    const senior = await pageDmTo(bot.fake, 'U0SENIOR', card.channelId);
    expect(
      String(bot.fake.callsTo('chat.postMessage').find((c) => c.args.channel === 'U0SENIOR')?.args.text),
    ).toContain('SEV-2');
    await eventually(
      async () => (dmNow(bot.fake, senior).text.includes('[SEV-1]') ? true : undefined),
      `senior DevOps' page shown as SEV-1: ${dmNow(bot.fake, senior).text}`,
    );
    // Recorded as drawn with SEV-1 once Slack took it (just after the DM shows it).
    await eventually(async () => {
      const { rows } = await bot.db.query<{ dm_severity: number }>(
        `SELECT d.dm_severity FROM page_deliveries d JOIN pages p ON p.id = d.page_id
         WHERE p.incident_id = $1 AND d.user_id = 'U0SENIOR'`,
        [card.incidentId],
      );
      return rows.length === 1 && rows[0]!.dm_severity === 1 ? true : undefined;
    }, "senior DevOps' page recorded as drawn with SEV-1");
    await bot.command('resolve done', { channel_id: card.channelId, user_id: 'U0REPORTER' });
  }, 30_000);

  it('a severity redraw slow to reach Slack, then an acknowledgement: the DM ends acknowledged, not drawn open again over it', async () => {
    const card = await declareThroughBot(bot, 'sev2 invoices rounded wrong', 'U0REPORTER');
    const dm = await pageDmTo(bot.fake, 'U0ONCALL', card.channelId);
    const isDm = (args: { channel?: unknown; ts?: unknown }) => args.channel === dm.channel && args.ts === dm.ts;
    // The severity change's redraw (the DM still open, with Acknowledge) takes 4 s to reach Slack.
    bot.fake.failNext('chat.update', { delayMs: 4000 }, 1, isDm);
    await bot.command('severity sev1', { channel_id: card.channelId, user_id: 'U0REPORTER' });
    await new Promise((r) => setTimeout(r, 800));
    await bot.command('ack', { channel_id: card.channelId, user_id: 'U0REPORTER' });
    // The slow update landed.
    await eventually(
      async () => (bot.fake.callsTo('chat.update').some((c) => isDm(c.args) && c.delayedMs) ? true : undefined),
      'the slow redraw to reach Slack',
    );
    const acked = await eventually(
      async () => {
        const now = dmNow(bot.fake, dm);
        return now.blocks.includes('acknowledged') && !now.acknowledge ? now : undefined;
      },
      `the DM shown acknowledged: ${dmNow(bot.fake, dm).text}`,
    );
    expect(acked.blocks).toContain('<@U0REPORTER>');
    // The last update of the DM is the acknowledged one.
    const last = bot.fake
      .callsTo('chat.update')
      .filter((c) => isDm(c.args) && !c.failed)
      .at(-1)!;
    expect(json(last.args.blocks)).not.toContain(`"action_id":"${ACTION.acknowledge}"`);
    await bot.command('resolve done', { channel_id: card.channelId, user_id: 'U0REPORTER' });
  }, 30_000);
});
