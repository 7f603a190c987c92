import { describe, expect, it } from 'vitest';
import { ACTION } from '../../src/templates/ids.js';
import { type BotHarness, useBot } from '../support/bot-harness.js';
import type { FakeSlack, RecordedCall } from '../support/fake-slack.js';
import { acknowledgeInDm, cardShows, declareThroughBot, eventually, pageDmTo } from '../support/incident-flow.js';
import { testRunbook } from '../support/test-runbook.js';

const json = (v: unknown) => JSON.stringify(v);

/** The DM as it reads now (its last version), and whether it still offers Acknowledge. */
function dmNow(fake: FakeSlack, dm: { channel: string; ts: string }) {
  const blocks = json(fake.message(dm.channel, dm.ts)?.blocks ?? []);
  return { blocks, acknowledge: blocks.includes(`"action_id":"${ACTION.acknowledge}"`) };
}

const at = (dm: { channel: string; ts: string }) => (args: { channel?: unknown; ts?: unknown }) =>
  args.channel === dm.channel && args.ts === dm.ts;

/** The page DMs `user` was sent for the incident titled `title`, as Slack recorded them. */
const pagesTo = (bot: BotHarness, user: string, title: string): RecordedCall[] =>
  bot.fake
    .callsTo('chat.postMessage')
    .filter(
      (c) =>
        !c.failed && c.args.channel === user && json(c.args).includes(title) && json(c.args).includes('You are paged'),
    );

/**
 * The page DMs' redraws that were still made in memory once (a resolution's, a person acknowledging their own page),
 * and the one a round of nobody acknowledging never asked for, are timers (`redraw_pages`) written with their change:
 * a DM Slack refused to update is shown again until Slack takes it.
 */
describe('page direct messages shown again by a timer after a resolution, an own acknowledgement, a round', () => {
  const bot = useBot({ runbook: testRunbook({ respond: { 0: '60s', 1: '60s', 2: '6s', 3: '60s' } }) });

  it('resolved: the DM Slack refused to update once is shown resolved by the timer loop', async () => {
    const card = await declareThroughBot(bot, 'sev1 invoices doubled', 'U0REPORTER');
    const dm = await pageDmTo(bot.fake, 'U0ONCALL', card.channelId);
    bot.fake.failNext('chat.update', { error: 'internal_error' }, 1, at(dm));
    await bot.command('resolve rolled back', { channel_id: card.channelId, user_id: 'U0REPORTER' });
    const resolved = await eventually(async () => {
      const now = dmNow(bot.fake, dm);
      return now.blocks.includes('The incident was *resolved* by <@U0REPORTER>') ? now : undefined;
    }, "the on-call engineer's DM, resolved");
    expect(resolved.acknowledge).toBe(false);
    const updates = bot.fake.callsTo('chat.update').filter((c) => at(dm)(c.args));
    expect(updates[0]?.failed).toEqual({ error: 'internal_error' });
    // The resolution's own timer, done once Slack took the DM (a moment after the fake shows it).
    const resolvedAt = (
      await bot.db.query<{ at: Date }>('SELECT resolved_at AS at FROM incidents WHERE id = $1', [card.incidentId])
    ).rows[0]!.at;
    const timer = async () =>
      (
        await bot.db.query<{ state: string }>('SELECT state FROM escalation_jobs WHERE incident_id = $1 AND key = $2', [
          card.incidentId,
          `redraw_pages@${resolvedAt.toISOString()}`,
        ])
      ).rows;
    const rows = await eventually(
      async () => ((await timer())[0]?.state === 'done' ? timer() : undefined),
      "the resolution's redraw timer done",
    );
    expect(rows).toEqual([{ state: 'done' }]);
  }, 30_000);

  it('a person acknowledging their own page after the incident was acknowledged: their DM, refused once, says so', async () => {
    const title = 'exports stalled';
    const card = await declareThroughBot(bot, `sev1 ${title}`, 'U0REPORTER');
    await pageDmTo(bot.fake, 'U0ONCALL', card.channelId);
    await bot.command('ack', { channel_id: card.channelId, user_id: 'U0REPORTER' });
    // Paged on once the acknowledgement is in (the card says who acknowledged it; it names the reporter from the start):
    // each command's work follows its answer, and a loaded machine may take the escalation's first.
    await cardShows(bot, card, /Acknowledged after [^"]* by <@U0REPORTER>/);
    // Paged after the acknowledgement: senior DevOps' page is theirs to acknowledge.
    await bot.command('escalate', { channel_id: card.channelId, user_id: 'U0REPORTER' });
    const senior = await pageDmTo(bot.fake, 'U0SENIOR', card.channelId);
    await eventually(
      async () =>
        (
          await bot.db.query(
            "SELECT 1 FROM page_deliveries d JOIN pages p ON p.id = d.page_id WHERE p.incident_id = $1 AND d.user_id = 'U0SENIOR' AND d.dm_ts IS NOT NULL",
            [card.incidentId],
          )
        ).rows.length
          ? true
          : undefined,
      "senior DevOps' DM recorded",
    );
    bot.fake.failNext('chat.update', { error: 'internal_error' }, 1, at(senior));
    await acknowledgeInDm(bot, senior, card.incidentId, 'U0SENIOR');
    const acked = await eventually(async () => {
      const now = dmNow(bot.fake, senior);
      return now.blocks.includes('This page was *acknowledged* by you') ? now : undefined;
    }, "senior DevOps' DM, acknowledged");
    expect(acked.acknowledge).toBe(false);
    const updates = bot.fake.callsTo('chat.update').filter((c) => at(senior)(c.args));
    expect(updates[0]?.failed).toEqual({ error: 'internal_error' });
    await bot.command('resolve done', { channel_id: card.channelId, user_id: 'U0REPORTER' });
  }, 30_000);

  it("a round of nobody acknowledging pages senior DevOps: the first DM's Escalate to senior DevOps, refused once by Slack, offers the engineering manager before the next round", async () => {
    const title = 'carts vanish';
    const card = await declareThroughBot(bot, `sev2 ${title}`, 'U0REPORTER');
    const dm = await pageDmTo(bot.fake, 'U0ONCALL', card.channelId);
    expect(dmNow(bot.fake, dm).blocks).toContain('Escalate to Senior DevOps Engineer');
    // Refused twice: the redraws each of the round's two pages makes in memory once its DMs are recorded.
    bot.fake.failNext('chat.update', { error: 'internal_error' }, 2, at(dm));
    // 6 s after declaring: the round pages on-call again and senior DevOps.
    await pageDmTo(bot.fake, 'U0SENIOR', card.channelId);
    const shown = await eventually(async () => {
      const now = dmNow(bot.fake, dm);
      return now.blocks.includes('Escalate to Engineering Manager') ? now : undefined;
    }, 'the first on-call DM offering the engineering manager');
    expect(shown.acknowledge).toBe(true);
    // Shown by the round's own timer, not by the next round's redraws (6 s later): on-call has had two pages so far.
    expect(pagesTo(bot, 'U0ONCALL', title)).toHaveLength(2);
    const updates = bot.fake.callsTo('chat.update').filter((c) => at(dm)(c.args));
    expect(updates[0]?.failed).toEqual({ error: 'internal_error' });
    await bot.command('resolve done', { channel_id: card.channelId, user_id: 'U0REPORTER' });
  }, 30_000);
});

describe("a page DM's Escalate to … is the card's Escalate now", () => {
  const bot = useBot({ runbook: testRunbook() });

  it("senior DevOps commands the reopened incident: on-call's page DM offers the engineering manager, and pressing it pages them, not the commander", async () => {
    const title = 'queue depth climbing';
    const card = await declareThroughBot(bot, `sev1 ${title}`, 'U0REPORTER');
    await pageDmTo(bot.fake, 'U0ONCALL', card.channelId);
    await bot.command('commander <@U0SENIOR|senior>', { channel_id: card.channelId, user_id: 'U0REPORTER' });
    // Resolved once the hand-over is in (the card's Commander field names senior DevOps; the card names them from the
    // start, as whom Escalate now pages): each command's work follows its answer, and a loaded machine took the
    // resolution first (the hand-over then refused, and the reopened incident had no commander).
    await cardShows(bot, card, /Commander\*\\n<@U0SENIOR>/);
    await bot.command('resolve drained', { channel_id: card.channelId, user_id: 'U0SENIOR' });
    await cardShows(bot, card, 'Resolved');
    await bot.command('reopen climbing again', { channel_id: card.channelId, user_id: 'U0SENIOR' });
    await cardShows(bot, card, 'Escalate now: On-Call Engineer');
    // On-call paged for this opening: their page offers what the card's Escalate now offers, past the commander.
    await bot.command('escalate on_call', { channel_id: card.channelId, user_id: 'U0SENIOR' });
    await eventually(async () => (pagesTo(bot, 'U0ONCALL', title).length === 2 ? true : undefined), 'on-call paged');
    await cardShows(bot, card, 'Escalate now: Engineering Manager');
    const sent = pagesTo(bot, 'U0ONCALL', title)[1]!;
    expect(json(sent.args)).toContain('Escalate to Engineering Manager');
    expect(json(sent.args)).not.toContain('Escalate to Senior DevOps Engineer');
    await bot.press(sent, ACTION.escalate, 'U0ONCALL');
    await eventually(async () => (pagesTo(bot, 'U0MANAGER', title).length ? true : undefined), 'the manager paged');
    expect(pagesTo(bot, 'U0SENIOR', title)).toHaveLength(0);
    await bot.command('resolve done', { channel_id: card.channelId, user_id: 'U0SENIOR' });
  }, 40_000);

  it("Slack refuses the card's update after a page: a timer shows it again, offering the role after the one paged", async () => {
    const title = 'webhooks lagging';
    const card = await declareThroughBot(bot, `sev2 ${title}`, 'U0REPORTER');
    await pageDmTo(bot.fake, 'U0ONCALL', card.channelId);
    await cardShows(bot, card, 'Escalate now: Senior DevOps Engineer');
    // The one update the page's card refresh makes (nothing else redraws this card until the next change).
    bot.fake.failNext('chat.update', { error: 'internal_error' }, 1, at({ channel: card.channelId, ts: card.cardTs }));
    await bot.command('escalate', { channel_id: card.channelId, user_id: 'U0REPORTER' });
    await pageDmTo(bot.fake, 'U0SENIOR', card.channelId);
    await cardShows(bot, card, 'Escalate now: Engineering Manager');
    const updates = bot.fake
      .callsTo('chat.update')
      .filter((c) => at({ channel: card.channelId, ts: card.cardTs })(c.args));
    expect(updates.filter((u) => u.failed)).toHaveLength(1);
    // Its timer, done once Slack took the card.
    await eventually(async () => {
      const { rows } = await bot.db.query<{ state: string }>(
        "SELECT state FROM escalation_jobs WHERE incident_id = $1 AND rule = 'redraw_card'",
        [card.incidentId],
      );
      return rows.length > 0 && rows.every((r) => r.state === 'done') ? true : undefined;
    }, 'the card redraw timer done');
    await bot.command('resolve done', { channel_id: card.channelId, user_id: 'U0REPORTER' });
  }, 40_000);
});

describe('a page DM Slack will never update', () => {
  const bot = useBot({ runbook: testRunbook() });

  it('message_not_found once: recorded as gone, and no later change tries it again', async () => {
    const card = await declareThroughBot(bot, 'sev2 thumbnails missing', 'U0REPORTER');
    const dm = await pageDmTo(bot.fake, 'U0ONCALL', card.channelId);
    bot.fake.failNext('chat.update', { error: 'message_not_found' }, 1, at(dm));
    await bot.command('severity sev1', { channel_id: card.channelId, user_id: 'U0REPORTER' });
    const gone = async () =>
      (
        await bot.db.query<{ dm_gone: string | null }>(
          `SELECT d.dm_gone FROM page_deliveries d JOIN pages p ON p.id = d.page_id
           WHERE p.incident_id = $1 AND d.user_id = 'U0ONCALL'`,
          [card.incidentId],
        )
      ).rows;
    await eventually(async () => ((await gone())[0]?.dm_gone ? true : undefined), 'the DM recorded as gone');
    expect(await gone()).toEqual([{ dm_gone: 'message_not_found' }]);
    // Later changes the DM would show: none of them asks Slack about it again.
    await bot.command('ack', { channel_id: card.channelId, user_id: 'U0REPORTER' });
    await bot.command('resolve done', { channel_id: card.channelId, user_id: 'U0REPORTER' });
    await cardShows(bot, card, 'Resolved');
    await eventually(
      async () =>
        (
          await bot.db.query(
            "SELECT 1 FROM escalation_jobs WHERE incident_id = $1 AND rule = 'redraw_pages' AND state = 'pending'",
            [card.incidentId],
          )
        ).rows.length === 0
          ? true
          : undefined,
      'the redraw timers done',
    );
    await new Promise((r) => setTimeout(r, 500));
    expect(bot.fake.callsTo('chat.update').filter((c) => at(dm)(c.args))).toHaveLength(1);
  }, 30_000);
});

describe('a redraw timer Slack keeps refusing', () => {
  const bot = useBot({ runbook: testRunbook(), escalation: { redrawTries: 2 } });

  it('is given up after its tries (here 2), not retried without end', async () => {
    const card = await declareThroughBot(bot, 'sev2 search results stale', 'U0REPORTER');
    const dm = await pageDmTo(bot.fake, 'U0ONCALL', card.channelId);
    bot.fake.failNext('chat.update', { error: 'internal_error' }, 50, at(dm));
    await bot.command('severity sev1', { channel_id: card.channelId, user_id: 'U0REPORTER' });
    const timer = async () =>
      (
        await bot.db.query<{ state: string; attempts: number }>(
          "SELECT state, attempts FROM escalation_jobs WHERE incident_id = $1 AND rule = 'redraw_pages'",
          [card.incidentId],
        )
      ).rows;
    const rows = await eventually(
      async () => ((await timer())[0]?.state === 'cancelled' ? timer() : undefined),
      'the redraw timer given up',
    );
    expect(rows).toEqual([{ state: 'cancelled', attempts: 2 }]);
    const tried = bot.fake.callsTo('chat.update').filter((c) => at(dm)(c.args)).length;
    await new Promise((r) => setTimeout(r, 2500));
    expect(bot.fake.callsTo('chat.update').filter((c) => at(dm)(c.args))).toHaveLength(tried);
    await bot.command('resolve done', { channel_id: card.channelId, user_id: 'U0REPORTER' });
  }, 30_000);
});
