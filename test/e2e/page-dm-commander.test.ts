import { describe, expect, it } from 'vitest';
import { useBot } from '../support/bot-harness.js';
import type { FakeSlack } from '../support/fake-slack.js';
import { cardShows, declareThroughBot, eventually } from '../support/incident-flow.js';
import { testRunbook } from '../support/test-runbook.js';

const json = (v: unknown) => JSON.stringify(v);

/** The blocks of the DM as it reads now (its last version). */
const dmNow = (fake: FakeSlack, dm: { channel: string; ts: string }) =>
  json(fake.message(dm.channel, dm.ts)?.blocks ?? []);

/**
 * A page DM's Escalate to … passes over a role whose people on call all run the incident (its commander): a change of
 * command changes what it offers, and the DMs still open are drawn again.
 */
describe("a page DM's Escalate to … after a change of command", () => {
  const bot = useBot({ runbook: testRunbook() });

  it('senior DevOps hands command back: the open on-call DM that passed over them offers senior DevOps again', async () => {
    const title = 'ledger drift';
    const card = await declareThroughBot(bot, `sev1 ${title}`, 'U0REPORTER');
    await bot.command('commander <@U0SENIOR|senior>', { channel_id: card.channelId, user_id: 'U0REPORTER' });
    // Resolved once the hand-over is in (the card's Commander field names senior DevOps; the card names them from the
    // start, as whom Escalate now pages): each command's work follows its answer, and a loaded machine took the
    // resolution first (the hand-over then refused, and the reopened incident had no commander).
    await cardShows(bot, card, /Commander\*\\n<@U0SENIOR>/);
    await bot.command('resolve drifted back', { channel_id: card.channelId, user_id: 'U0SENIOR' });
    await cardShows(bot, card, 'Resolved');
    await bot.command('reopen drifting again', { channel_id: card.channelId, user_id: 'U0SENIOR' });
    await cardShows(bot, card, 'Escalate now: On-Call Engineer');
    await bot.command('escalate on_call', { channel_id: card.channelId, user_id: 'U0SENIOR' });
    const sent = await eventually(
      async () =>
        bot.fake
          .callsTo('chat.postMessage')
          .filter((c) => !c.failed && c.args.channel === 'U0ONCALL' && json(c.args).includes(title))[1],
      "on-call's page of the reopened incident",
    );
    const dm = { channel: String(sent.response?.channel), ts: String(sent.response?.ts) };
    expect(dmNow(bot.fake, dm)).toContain('Escalate to Engineering Manager');
    await eventually(
      async () =>
        (
          await bot.db.query(
            `SELECT 1 FROM page_deliveries d JOIN pages p ON p.id = d.page_id
             WHERE p.incident_id = $1 AND d.user_id = 'U0ONCALL' AND d.dm_ts = $2`,
            [card.incidentId, dm.ts],
          )
        ).rows.length
          ? true
          : undefined,
      "on-call's DM recorded",
    );
    // Senior DevOps no longer runs it: the DM offers them, as the card's Escalate now does.
    await bot.command('commander <@U0REPORTER|reporter>', { channel_id: card.channelId, user_id: 'U0SENIOR' });
    await cardShows(bot, card, 'Escalate now: Senior DevOps Engineer');
    await eventually(
      async () => (dmNow(bot.fake, dm).includes('Escalate to Senior DevOps Engineer') ? true : undefined),
      "on-call's DM offering senior DevOps",
    );
    expect(dmNow(bot.fake, dm)).not.toContain('Escalate to Engineering Manager');
    // Shown by the timer written with the hand-over (retried until Slack takes it), done once it did.
    await eventually(async () => {
      const { rows } = await bot.db.query<{ state: string }>(
        "SELECT state FROM escalation_jobs WHERE incident_id = $1 AND key LIKE 'redraw_pages@command:%'",
        [card.incidentId],
      );
      return rows.length === 1 && rows[0]!.state === 'done' ? true : undefined;
    }, "the hand-over's redraw timer done");
    await bot.command('resolve done', { channel_id: card.channelId, user_id: 'U0REPORTER' });
  }, 40_000);
});
