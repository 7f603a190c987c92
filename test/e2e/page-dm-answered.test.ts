import { describe, expect, it } from 'vitest';
import { parseRunbook } from '../../src/runbook/runbook.js';
import { ACTION } from '../../src/templates/ids.js';
import { useBot } from '../support/bot-harness.js';
import type { FakeSlack } from '../support/fake-slack.js';
import { acknowledgeInDm, declareThroughBot, eventually, pageDmTo } from '../support/incident-flow.js';
import { TEST_TEAM_ID } from '../support/slack-request.js';
import { testRunbookData } from '../support/test-runbook.js';

const json = (v: unknown) => JSON.stringify(v);

/** The DM as it reads now (its last version), and whether it still offers Acknowledge. */
function dmNow(fake: FakeSlack, dm: { channel: string; ts: string }) {
  const blocks = json(fake.message(dm.channel, dm.ts)?.blocks ?? []);
  return { blocks, acknowledge: blocks.includes(`"action_id":"${ACTION.acknowledge}"`) };
}

describe("a page's direct message once the page is answered", () => {
  const bot = useBot();

  it('says who acknowledged it and drops Acknowledge; a page made since keeps it until the incident is resolved', async () => {
    const card = await declareThroughBot(bot, 'sev2 checkout queue stuck', 'U0REP');
    const onCall = await pageDmTo(bot.fake, 'U0ONCALL', card.channelId);
    expect(dmNow(bot.fake, onCall).acknowledge).toBe(true);

    // The person paged presses Acknowledge in the DM: their DM says so, with no button to press again.
    await acknowledgeInDm(bot, onCall, card.incidentId, 'U0ONCALL');
    const acked = await eventually(async () => {
      const now = dmNow(bot.fake, onCall);
      return now.blocks.includes('This page was *acknowledged* by you') ? now : undefined;
    }, "the on-call engineer's DM, acknowledged");
    expect(acked.acknowledge).toBe(false);
    expect(acked.blocks).toContain('You were paged as *On-Call Engineer* for incident #');
    expect(acked.blocks).toContain('checkout queue stuck');
    expect(acked.blocks).toContain(
      `"url":"https://slack.com/app_redirect?team=${TEST_TEAM_ID}&channel=${card.channelId}"`,
    );

    // Escalated since: senior DevOps' page came after the acknowledgement, so it is theirs to acknowledge.
    await bot.command('escalate', { channel_id: card.channelId, user_id: 'U0ONCALL' });
    const senior = await pageDmTo(bot.fake, 'U0SENIOR', card.channelId);
    expect(dmNow(bot.fake, senior).acknowledge).toBe(true);

    // Resolved: every page's DM says by whom, and none offers Acknowledge.
    await bot.command('resolve the stuck consumer was restarted', { channel_id: card.channelId, user_id: 'U0REP' });
    for (const dm of [onCall, senior]) {
      const resolved = await eventually(async () => {
        const now = dmNow(bot.fake, dm);
        return now.blocks.includes('*resolved* by <@U0REP>') ? now : undefined;
      }, `${dm.channel}'s DM, resolved`);
      expect(resolved.acknowledge).toBe(false);
      // It had been acknowledged (by the on-call engineer): said, not "nothing to acknowledge".
      expect(resolved.blocks).toContain(
        `The incident was acknowledged ${dm === onCall ? 'by you' : 'by <@U0ONCALL>'} <!date^`,
      );
      expect(resolved.blocks).not.toContain('nothing to acknowledge');
    }
    // Each DM's state is recorded once Slack has taken its update (so a moment after the fake shows it).
    const states = async () =>
      (
        await bot.db.query<{ user_id: string; dm_state: string }>(
          `SELECT d.user_id, d.dm_state FROM page_deliveries d JOIN pages p ON p.id = d.page_id
           WHERE p.incident_id = $1 ORDER BY d.user_id`,
          [card.incidentId],
        )
      ).rows;
    const rows = await eventually(
      async () => ((await states()).every((r) => r.dm_state === 'resolved') ? states() : undefined),
      'both DMs recorded as resolved',
    );
    expect(rows).toEqual([
      { user_id: 'U0ONCALL', dm_state: 'resolved' },
      { user_id: 'U0SENIOR', dm_state: 'resolved' },
    ]);
  });

  it("the incident's acknowledgement on its card answers the pages that came before it, naming who", async () => {
    const card = await declareThroughBot(bot, 'sev2 search index lagging', 'U0REP');
    const onCall = await pageDmTo(bot.fake, 'U0ONCALL', card.channelId);
    await bot.clickCard(
      { id: card.incidentId, channelId: card.channelId, cardTs: card.cardTs },
      ACTION.acknowledge,
      'U0REP',
    );
    const acked = await eventually(async () => {
      const now = dmNow(bot.fake, onCall);
      return now.blocks.includes('This page was *acknowledged* by <@U0REP>') ? now : undefined;
    }, "the on-call engineer's DM, acknowledged by the reporter");
    expect(acked.acknowledge).toBe(false);
  });

  it('a DM Slack cannot update (gone) is left as it was; the acknowledgement stands', async () => {
    const card = await declareThroughBot(bot, 'sev2 billing export failing', 'U0REP');
    const onCall = await pageDmTo(bot.fake, 'U0ONCALL', card.channelId);
    bot.fake.message(onCall.channel, onCall.ts)!.deleted = true;
    await bot.clickCard(
      { id: card.incidentId, channelId: card.channelId, cardTs: card.cardTs },
      ACTION.acknowledge,
      'U0REP',
    );
    const refused = await bot.fake.waitFor(
      'chat.update',
      (c) => c.args.channel === onCall.channel && c.args.ts === onCall.ts,
    );
    expect(refused.response).toMatchObject({ ok: false, error: 'message_not_found' });
    const { rows } = await bot.db.query<{ commander_id: string; dm_state: string }>(
      `SELECT i.commander_id, d.dm_state FROM incidents i JOIN pages p ON p.incident_id = i.id
       JOIN page_deliveries d ON d.page_id = p.id WHERE i.id = $1`,
      [card.incidentId],
    );
    expect(rows).toEqual([{ commander_id: 'U0REP', dm_state: 'open' }]);
    await bot.fake.waitFor(
      'chat.postMessage',
      (c) => c.args.channel === card.channelId && json(c.args).includes('acknowledged the incident'),
    );
  });
});

describe("a page's later Slack step (notify: { via: slack, after: … }) once the page is answered", () => {
  const data = testRunbookData();
  const bot = useBot({
    runbook: parseRunbook({
      ...data,
      people: { U0ONCALL: { name: 'Olive', notify: [{ via: 'slack' }, { via: 'slack', after: '1s' }] } },
    }),
  });

  it('says so too: both the page and its reminder lose Acknowledge once the incident is acknowledged', async () => {
    const card = await declareThroughBot(bot, 'sev2 payments webhook backlog', 'U0REP');
    const first = await pageDmTo(bot.fake, 'U0ONCALL', card.channelId);
    // The step's DM: the second page DM to the same person for this channel.
    const step = await eventually(async () => {
      const calls = bot.fake
        .callsTo('chat.postMessage')
        .filter((c) => c.args.channel === 'U0ONCALL' && json(c.args).includes(card.channelId));
      return calls.length >= 2
        ? { channel: String(calls[1]!.response!.channel), ts: String(calls[1]!.response!.ts) }
        : undefined;
    }, 'the Slack step of the page');
    expect(dmNow(bot.fake, step).acknowledge).toBe(true);
    await bot.clickCard(
      { id: card.incidentId, channelId: card.channelId, cardTs: card.cardTs },
      ACTION.acknowledge,
      'U0REP',
    );
    for (const dm of [first, step]) {
      const acked = await eventually(async () => {
        const now = dmNow(bot.fake, dm);
        return now.blocks.includes('This page was *acknowledged* by <@U0REP>') ? now : undefined;
      }, `the DM ${dm.ts}, acknowledged`);
      expect(acked.acknowledge).toBe(false);
    }
    // Recorded once Slack has taken the update (read at once, a busy machine had not yet).
    const recorded = await eventually(async () => {
      const { rows } = await bot.db.query<{ dm_state: string }>(
        `SELECT dm_state FROM notification_jobs WHERE incident_id = $1 AND via = 'slack'`,
        [card.incidentId],
      );
      return rows.length === 1 && rows[0]!.dm_state === 'acknowledged' ? rows : undefined;
    }, "the step's DM recorded acknowledged");
    expect(recorded).toEqual([{ dm_state: 'acknowledged' }]);
  });
});
