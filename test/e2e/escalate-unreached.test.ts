import { describe, expect, it } from 'vitest';
import { scheduledAt } from '../../src/incidents/rotation.js';
import { parseRunbook, type Runbook } from '../../src/runbook/runbook.js';
import { type BotHarness, useBot } from '../support/bot-harness.js';
import { declareThroughBot, eventually } from '../support/incident-flow.js';
import { askPrivately as ask, DAILY_ROTATION } from '../support/oncall-flow.js';
import { testRunbookData, withRotation } from '../support/test-runbook.js';

/** On-call on a daily rotation, with a lead (U0LEAD) paged beside whoever is on call. */
function runbookWithLead(): Runbook {
  const data = withRotation(testRunbookData(), 'on_call', 'On-Call Engineer', DAILY_ROTATION);
  (data.escalation.roles as Record<string, { contacts: string[] }>).on_call!.contacts = ['U0LEAD'];
  return parseRunbook(data);
}

/** The DMs the bot tried to send `userId` (Slack took them or not). */
const dmsTo = (bot: BotHarness, userId: string) =>
  bot.fake.callsTo('chat.postMessage').filter((c) => c.args.channel === userId).length;

/** Waits for `n` pages of the incident's `role` to be done (announced: the channel was told). */
const announced = (bot: BotHarness, incidentId: number, role: string, n = 1) =>
  eventually(async () => {
    const { rows } = await bot.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM pages WHERE incident_id = $1 AND role = $2 AND announced_at IS NOT NULL`,
      [incidentId, role],
    );
    return rows[0]!.n >= n ? true : undefined;
  }, `${n} page(s) of ${role} announced`);

describe('Escalate now and people a page could not reach', () => {
  const runbook = runbookWithLead();
  const bot = useBot({ runbook });
  const onCallNow = () => scheduledAt(runbook.escalation.roles.on_call!.rotation!, new Date());

  it('the person on call, unreachable and still on call, is not taken for a hand-over', async () => {
    const onCall = onCallNow();
    // The declaration's page: Slack refuses the DM to the person on call; the lead is reached.
    bot.fake.failNext('chat.postMessage', { error: 'user_is_restricted' }, 1, (a) => a.channel === onCall);
    const card = await declareThroughBot(bot, 'sev2 cart totals off by a cent');
    await announced(bot, card.incidentId, 'on_call');
    const tries = dmsTo(bot, onCall);

    const reply = await ask(bot, 'page on-call', 'U0RESP1', card.channelId);
    // Nobody handed over: the same person is on call, whom Slack could not reach; the role's page reached the lead.
    expect(reply.text).toContain('*On-Call Engineer* was already paged');
    expect(reply.text).toContain(`reaching <@U0LEAD>; Slack could not reach <@${onCall}>`);
    expect(reply.text).toContain('so nobody else was paged');
    expect(reply.text).not.toContain('is on call now');
    const { rows } = await bot.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM pages WHERE incident_id = $1 AND role = 'on_call'`,
      [card.incidentId],
    );
    expect(rows[0]!.n).toBe(1);
    expect(dmsTo(bot, onCall)).toBe(tries);
  }, 40_000);

  it('a role named whose last page reached nobody is paged again, and the reply says why', async () => {
    // Slack refuses the CTO's one contact once (a guest account), then takes it (made a full member meanwhile).
    bot.fake.failNext('chat.postMessage', { error: 'user_is_restricted' }, 1, (a) => a.channel === 'U0CTO');
    const card = await declareThroughBot(bot, 'sev2 invoices emailed twice');
    await ask(bot, 'page cto', 'U0RESP1', card.channelId);
    await announced(bot, card.incidentId, 'cto');

    const again = await ask(bot, 'page cto', 'U0RESP1', card.channelId);
    expect(again.text).toContain('*CTO* was paged');
    expect(again.text).toContain('that page reached nobody: Slack could not reach <@U0CTO>');
    expect(again.text).toContain('user_is_restricted');
    expect(again.text).toContain('Paging *CTO* again now.');
    await announced(bot, card.incidentId, 'cto', 2);
    const { rows } = await bot.db.query<{ unreachable: boolean }>(
      `SELECT d.unreachable FROM page_deliveries d JOIN pages p ON p.id = d.page_id
       WHERE p.incident_id = $1 AND p.role = 'cto' AND d.user_id = 'U0CTO' ORDER BY p.id`,
      [card.incidentId],
    );
    expect(rows).toEqual([{ unreachable: true }, { unreachable: false }]);

    // Reached now: asked once more, the role is paged already, not a third time.
    const third = await ask(bot, 'page cto', 'U0RESP1', card.channelId);
    expect(third.text).toContain('*CTO* was already paged');
    expect(third.text).toContain('reaching <@U0CTO>');
  }, 40_000);
});
