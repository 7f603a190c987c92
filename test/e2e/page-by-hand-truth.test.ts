import { describe, expect, it } from 'vitest';
import { scheduledAt } from '../../src/incidents/rotation.js';
import { parseRunbook, type Runbook } from '../../src/runbook/runbook.js';
import { type BotHarness, useBot } from '../support/bot-harness.js';
import { declareThroughBot, eventually } from '../support/incident-flow.js';
import { askPrivately as ask, DAILY_ROTATION } from '../support/oncall-flow.js';
import { testRunbookData, withRotation } from '../support/test-runbook.js';

function runbookWithLead(): Runbook {
  const data = withRotation(testRunbookData(), 'on_call', 'On-Call Engineer', DAILY_ROTATION);
  (data.escalation.roles as Record<string, { contacts: string[] }>).on_call!.contacts = ['U0LEAD'];
  return parseRunbook(data);
}

const deliveries = async (bot: BotHarness, incidentId: number, userId: string) =>
  (
    await bot.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM page_deliveries d JOIN pages p ON p.id = d.page_id
       WHERE p.incident_id = $1 AND d.user_id = $2`,
      [incidentId, userId],
    )
  ).rows[0]!.n;

const delivered = (bot: BotHarness, incidentId: number, userId: string, n = 1) =>
  eventually(async () => ((await deliveries(bot, incidentId, userId)) >= n ? true : undefined), `a page to ${userId}`);

describe('paging by hand: the reply says what the page does', () => {
  const runbook = runbookWithLead();
  const bot = useBot({ runbook, env: { ONCALL_OVERRIDE_MAX: '7d' } });
  const onCallNow = () => scheduledAt(runbook.escalation.roles.on_call!.rotation!, new Date());
  const otherThan = (who: string) => DAILY_ROTATION.people.find((p) => p !== who)!;

  it('everyone on call now was paged already: the reply says nobody new is paged, as the channel does', async () => {
    await bot.db.query('DELETE FROM oncall_overrides');
    const onCall = onCallNow();
    const stand = otherThan(onCall);
    const card = await declareThroughBot(bot, 'sev2 orders stuck in queue');
    await delivered(bot, card.incidentId, onCall);
    await ask(bot, `page <@${stand}>`, 'U0RESP1', card.channelId);
    await delivered(bot, card.incidentId, stand);
    await ask(bot, `oncall override <@${stand}> 1h`);
    const reply = await ask(bot, 'page on-call', 'U0RESP1', card.channelId);
    const channel = await bot.fake.waitFor(
      'chat.postMessage',
      (c) => c.args.channel === card.channelId && /Nobody new to page/.test(String(c.args.text)),
    );
    expect(String(channel.args.text)).toContain(`<@${stand}>, <@U0LEAD> were paged`);
    expect(reply.text).not.toContain('is paged');
    expect(reply.text).toContain('Nobody new to page for *On-Call Engineer*');
    expect(reply.text).toContain(
      `<@${stand}> and <@U0LEAD> were paged for this incident already and are not paged again.`,
    );
    expect(await deliveries(bot, card.incidentId, stand)).toBe(1);
    await bot.db.query('DELETE FROM oncall_overrides');
  }, 40_000);

  it('the declarer on call, not sent a page, is not told they were paged', async () => {
    await bot.db.query('DELETE FROM oncall_overrides');
    const onCall = onCallNow();
    const stand = otherThan(onCall);
    const card = await declareThroughBot(bot, 'sev2 my own cache is cold', onCall);
    await delivered(bot, card.incidentId, 'U0LEAD');
    const own = await ask(bot, 'page on-call', onCall, card.channelId);
    expect(own.text).not.toContain(`reaching <@${onCall}>`);
    expect(own.text).toContain('reaching <@U0LEAD>');
    expect(own.text).toContain('you declared this and are on call for *On-Call Engineer*, so you were not sent a page');
    // Handed over: the reply does not say the declarer was paged either.
    await ask(bot, `oncall override <@${stand}> 1h`);
    const handed = await ask(bot, 'page on-call', 'U0RESP1', card.channelId);
    expect(handed.text).not.toMatch(/when .* were on call/);
    expect(handed.text).toContain('reaching <@U0LEAD>');
    expect(handed.text).toContain(
      `<@${onCall}> declared this and is on call for *On-Call Engineer*, so was not sent a page`,
    );
    expect(handed.text).toContain(`<@${stand}> is on call now and is paged.`);
    expect(handed.text).toContain('<@U0LEAD> was paged for this incident already and is not paged again.');
    await delivered(bot, card.incidentId, stand);
    await bot.db.query('DELETE FROM oncall_overrides');
  }, 40_000);

  it('a role paged before the resolution is paged again by role after a reopening', async () => {
    await bot.db.query('DELETE FROM oncall_overrides');
    const card = await declareThroughBot(bot, 'sev2 payments timing out');
    await ask(bot, 'page cto', 'U0RESP1', card.channelId);
    const cto = runbook.escalation.roles.cto!.contacts[0]!;
    await delivered(bot, card.incidentId, cto);
    await bot.command('resolve retried the queue', { channel_id: card.channelId, user_id: 'U0RESP1' });
    await eventually(async () => {
      const { rows } = await bot.db.query('SELECT status FROM incidents WHERE id = $1', [card.incidentId]);
      return rows[0]?.status === 'resolved' ? true : undefined;
    }, 'resolved');
    await bot.command('reopen timing out again', { channel_id: card.channelId, user_id: 'U0RESP1' });
    await eventually(async () => {
      const { rows } = await bot.db.query('SELECT reopened_at FROM incidents WHERE id = $1', [card.incidentId]);
      return rows[0]?.reopened_at ? true : undefined;
    }, 'reopened');
    const again = await ask(bot, 'page cto', 'U0RESP1', card.channelId);
    expect(again.text).toContain('Paging *CTO* now.');
    await delivered(bot, card.incidentId, cto, 2);
  }, 40_000);

  it('someone a page could not reach is not counted as paged, and the reply says so', async () => {
    await bot.db.query('DELETE FROM oncall_overrides');
    const onCall = onCallNow();
    const stand = otherThan(onCall);
    bot.fake.unknownUsers.add('U0LEAD');
    try {
      const card = await declareThroughBot(bot, 'sev2 inventory counts wrong');
      await delivered(bot, card.incidentId, onCall);
      await bot.fake.waitFor(
        'chat.postMessage',
        (c) => c.args.channel === card.channelId && /Could not reach <@U0LEAD>/.test(String(c.args.text)),
      );
      const reply = await ask(bot, 'page on-call', 'U0RESP1', card.channelId);
      expect(reply.text).toContain(`reaching <@${onCall}>; Slack could not reach <@U0LEAD>`);
      // Handed over: the page tries the lead again (not "paged already") and pages the person on call now.
      await ask(bot, `oncall override <@${stand}> 1h`);
      const handed = await ask(bot, 'page on-call', 'U0RESP1', card.channelId);
      expect(handed.text).not.toContain('<@U0LEAD> was paged');
      expect(handed.text).toContain('Slack could not reach <@U0LEAD>');
      await delivered(bot, card.incidentId, stand);
      const { rows } = await bot.db.query<{ details: { alreadyPaged?: string[]; unreachable?: string[] } }>(
        "SELECT details FROM incident_events WHERE incident_id = $1 AND kind = 'paged' ORDER BY id DESC LIMIT 1",
        [card.incidentId],
      );
      expect(rows[0]?.details.alreadyPaged ?? []).not.toContain('U0LEAD');
      expect(rows[0]?.details.unreachable).toContain('U0LEAD');
    } finally {
      bot.fake.unknownUsers.delete('U0LEAD');
      await bot.db.query('DELETE FROM oncall_overrides');
    }
  }, 40_000);
});
