import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scheduledAt } from '../../src/incidents/rotation.js';
import { parseRunbook, type Runbook } from '../../src/runbook/runbook.js';
import { type BotHarness, SIGNING_SECRET, startBot } from '../support/bot-harness.js';
import { eventually } from '../support/incident-flow.js';
import { askPrivately as ask, DAILY_ROTATION } from '../support/oncall-flow.js';
import { postSlashCommand } from '../support/slack-request.js';
import { testRunbookData, withRotation } from '../support/test-runbook.js';

describe('/incident oncall overrides and /incident oncall cancel N', () => {
  let bot: BotHarness;
  let runbook: Runbook;
  beforeAll(async () => {
    runbook = parseRunbook(withRotation(testRunbookData(), 'on_call', 'On-Call Engineer', DAILY_ROTATION));
    bot = await startBot({ runbook, env: { ONCALL_OVERRIDE_MAX: '7d', ONCALL_HANDOFF_NOTICE: '1m' } });
  });
  afterAll(async () => bot?.stop());
  const dmsTo = (user: string) =>
    bot.fake
      .callsTo('chat.postMessage')
      .filter((c) => c.args.channel === user)
      .map((c) => String(c.args.text));
  const ids = async () =>
    (await bot.db.query<{ id: number }>('SELECT id FROM oncall_overrides ORDER BY id')).rows.map((r) => r.id);

  it('lists the overrides and swaps now and to come, numbered, with who set each; cancels one, recorded', async () => {
    const onCall = scheduledAt(runbook.escalation.roles.on_call!.rotation!, new Date());
    const stand = DAILY_ROTATION.people.find((p) => p !== onCall)!;
    expect((await ask(bot, 'oncall overrides')).text).toContain('No override or swap is on now or to come');
    await ask(bot, `oncall override <@${stand}> 2h`, 'U0BOSS');
    await ask(bot, 'oncall override <@U0CAROL> from 2030-01-07 10:00 until 2030-01-07 18:00', 'U0LEAD');
    const [current, later] = (await ids()) as [number, number];
    const list = await ask(bot, 'oncall overrides', 'U0ANYONE');
    expect(list.text).toContain(`*#${current}* :repeat: <@${stand}> on call for *On-Call Engineer* now (since `);
    expect(list.text).toContain('set by <@U0BOSS>');
    expect(list.text).toContain(
      `*#${later}* :repeat: <@U0CAROL> on call for *On-Call Engineer* from Mon 7 Jan 2030 10:00 (UTC) until Mon 7 Jan 2030 18:00 (UTC); set by <@U0LEAD>`,
    );
    // Later first would be wrong: soonest first.
    expect(list.text.indexOf(`#${current}`)).toBeLessThan(list.text.indexOf(`#${later}`));

    // The one to come: cancelled, never starts; the board then reads the rotation on that day.
    const gone = await ask(bot, `oncall cancel ${later}`, 'U0ANYONE');
    expect(gone.text).toContain(`<@U0ANYONE> cancelled #${later}, the override putting <@U0CAROL> on call`);
    expect(gone.text).toContain('(set by <@U0LEAD>). It will not start.');
    expect((await ask(bot, 'oncall 2030-01-07 12:00 UTC')).text).not.toContain(':repeat:');
    const row = (
      await bot.db.query<{ cancelled_by: string }>('SELECT cancelled_by FROM oncall_overrides WHERE id = $1', [later])
    ).rows[0];
    expect(row?.cancelled_by).toBe('U0ANYONE');

    // The one on now: ends now; the person on call by rotation is back, and the hand-off is announced.
    const back = await ask(bot, `oncall cancel #${current}`, stand);
    expect(back.text).toContain(`<@${stand}> cancelled #${current}`);
    expect(back.text).toContain(`It ended now. <@${onCall}> is on call for *On-Call Engineer* now`);
    expect((await ask(bot, 'oncall')).text).toContain(`On-Call Engineer: <@${onCall}>`);
    // The hand-off back: the person on call again is told, as at any hand-off (the sweep's notice).
    await eventually(
      async () =>
        dmsTo(onCall).some(
          (t) => t.includes(`You are on call for *On-Call Engineer*`) && t.includes(`taking over from <@${stand}>`),
        )
          ? true
          : undefined,
      `the hand-off back told to ${onCall}: ${JSON.stringify(dmsTo(onCall))}`,
    );
    expect((await ask(bot, 'oncall overrides')).text).toContain('No override or swap is on now or to come');

    // Twice, unknown, or no number: refused saying so.
    expect((await ask(bot, `oncall cancel ${current}`)).text).toContain(
      `Override #${current} was cancelled already, by <@${stand}>`,
    );
    expect((await ask(bot, 'oncall cancel 999999')).text).toContain('There is no override or swap #999999');
    expect((await ask(bot, 'oncall cancel bob')).text).toContain('Name the override or swap to cancel by its number');
  }, 30_000);

  it('a Slack retry of `/incident oncall cancel N` (same trigger, X-Slack-Retry-Num) gets no second answer: not "cancelled already, by you"', async () => {
    await ask(bot, 'oncall override <@U0CAROL> from 2030-02-04 10:00 until 2030-02-04 18:00', 'U0LEAD');
    const id = (await ids()).at(-1)!;
    const first = await bot.command(`oncall cancel ${id}`, { user_id: 'U0RETRY' });
    const key = decodeURIComponent(first.sent.response_url.split('/').at(-1)!);
    const answers = () => bot.fake.callsTo('response_url').filter((c) => c.key === key);
    await eventually(async () => (answers().length ? true : undefined), 'the first answer');
    for (const retryNum of [1, 2]) {
      const again = await postSlashCommand(bot.baseUrl, SIGNING_SECRET, first.sent, {
        retryNum,
        retryReason: 'http_timeout',
      });
      expect(again.status).toBe(200);
    }
    await new Promise((r) => setTimeout(r, 1500));
    const texts = answers().map((c) => String(c.args.text));
    expect(texts, JSON.stringify(texts)).toHaveLength(1);
    expect(texts[0]).toContain(`<@U0RETRY> cancelled #${id}`);
    const row = (
      await bot.db.query<{ cancelled_by: string }>('SELECT cancelled_by FROM oncall_overrides WHERE id = $1', [id])
    ).rows[0];
    expect(row?.cancelled_by).toBe('U0RETRY');
  }, 30_000);
});
