import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scheduledAt } from '../../src/incidents/rotation.js';
import { parseRunbook, type Runbook } from '../../src/runbook/runbook.js';
import { type BotHarness, startBot } from '../support/bot-harness.js';
import type { FakeSlack } from '../support/fake-slack.js';
import { declareThroughBot, eventually, pageDmTo } from '../support/incident-flow.js';
import { askPrivately as ask } from '../support/oncall-flow.js';
import { testRunbookData, withRotation } from '../support/test-runbook.js';

/** The blocks of the DM as it reads now (its last version). */
const dmNow = (fake: FakeSlack, dm: { channel: string; ts: string }) =>
  JSON.stringify(fake.message(dm.channel, dm.ts)?.blocks ?? []);

/**
 * A page DM's Escalate to … passes over a role whose people on call all run the incident: a change of who is on call
 * for that role (a rotation's hand-off, an override, a swap) changes what it offers, and the DMs still open are drawn
 * again, as the card is.
 */
describe("a page DM's Escalate to … after the person on call changes", () => {
  let bot: BotHarness;
  let runbook: Runbook;
  beforeAll(async () => {
    // The manager's rotation hands over twelve hours from now (on the hour): the test's override is within a shift.
    runbook = parseRunbook(
      withRotation(testRunbookData(), 'engineering_manager', 'Engineering Manager', {
        people: ['U0MGR1', 'U0MGR2'],
        shift: 'daily',
        handoff: { time: `${String((new Date().getUTCHours() + 12) % 24).padStart(2, '0')}:00`, time_zone: 'UTC' },
        start: '2026-01-05',
      }),
    );
    bot = await startBot({ runbook });
  });
  afterAll(async () => bot?.stop());

  it("an override of the manager who commands: senior DevOps' open DM that passed over the manager offers the manager", async () => {
    const rotation = runbook.escalation.roles.engineering_manager!.rotation!;
    const manager = scheduledAt(rotation, new Date());
    const other = manager === 'U0MGR1' ? 'U0MGR2' : 'U0MGR1';
    const card = await declareThroughBot(bot, 'sev2 refunds doubled', 'U0REPORTER');
    await pageDmTo(bot.fake, 'U0ONCALL', card.channelId);
    // The manager on call runs the incident; senior DevOps is paged after that.
    await bot.command(`commander <@${manager}|manager>`, { channel_id: card.channelId, user_id: 'U0REPORTER' });
    await eventually(
      async () =>
        (await bot.db.query('SELECT 1 FROM incidents WHERE id = $1 AND commander_id = $2', [card.incidentId, manager]))
          .rows.length
          ? true
          : undefined,
      'the manager in command',
    );
    await bot.command('escalate senior_devops', { channel_id: card.channelId, user_id: 'U0REPORTER' });
    const dm = await pageDmTo(bot.fake, 'U0SENIOR', card.channelId);
    // Paging the manager would page who runs it: the DM offers the CTO.
    expect(dmNow(bot.fake, dm)).toContain('Escalate to CTO');
    await eventually(
      async () =>
        (
          await bot.db.query(
            `SELECT 1 FROM page_deliveries d JOIN pages p ON p.id = d.page_id
             WHERE p.incident_id = $1 AND d.user_id = 'U0SENIOR' AND d.dm_ts = $2`,
            [card.incidentId, dm.ts],
          )
        ).rows.length
          ? true
          : undefined,
      "senior DevOps' DM recorded",
    );
    // Another manager on call now, who does not run the incident: the DM offers the manager, as the card does.
    await ask(bot, `oncall override <@${other}> engineering_manager 2h`);
    await eventually(
      async () => (dmNow(bot.fake, dm).includes('Escalate to Engineering Manager') ? true : undefined),
      "senior DevOps' DM offering the manager",
      20_000,
    );
    expect(dmNow(bot.fake, dm)).not.toContain('Escalate to CTO');
    // Shown by a timer the hand-off's sweep wrote (retried until Slack takes it), done once it did.
    await eventually(async () => {
      const { rows } = await bot.db.query<{ state: string }>(
        "SELECT state FROM escalation_jobs WHERE incident_id = $1 AND key LIKE 'redraw_pages@oncall:%'",
        [card.incidentId],
      );
      return rows.length > 0 && rows.every((r) => r.state === 'done') ? true : undefined;
    }, "the hand-off's redraw timer done");
    await bot.command('resolve done', { channel_id: card.channelId, user_id: 'U0REPORTER' });
  }, 60_000);
});
