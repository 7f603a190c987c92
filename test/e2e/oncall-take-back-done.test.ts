import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scheduledAt } from '../../src/incidents/rotation.js';
import { parseRunbook, type Runbook } from '../../src/runbook/runbook.js';
import { type BotHarness, INCIDENTS_CHANNEL_ID, startBot } from '../support/bot-harness.js';
import { eventually } from '../support/incident-flow.js';
import { askPrivately as ask, DAILY_ROTATION } from '../support/oncall-flow.js';
import { testRunbookData, withRotation } from '../support/test-runbook.js';

const hhmm = (t: Date) => `${String(t.getUTCHours()).padStart(2, '0')}:${String(t.getUTCMinutes()).padStart(2, '0')}`;

describe('cancelling an override whose hand-off notice is done already (it had no outgoing person to tell)', () => {
  let bot: BotHarness;
  let runbook: Runbook;
  beforeAll(async () => {
    runbook = parseRunbook(withRotation(testRunbookData(), 'on_call', 'On-Call Engineer', DAILY_ROTATION));
    bot = await startBot({ runbook, incidentsChannel: true, env: { ONCALL_HANDOFF_NOTICE: '15m' } });
  });
  afterAll(async () => bot?.stop());
  const posts = (channel: string) =>
    bot.fake
      .callsTo('chat.postMessage')
      .filter((c) => !c.failed && c.args.channel === channel)
      .map((c) => String(c.args.text));

  it('takes that notice back too', async () => {
    let start = new Date(Math.ceil((Date.now() + 120_000) / 60_000) * 60_000);
    const rotation = runbook.escalation.roles.on_call!.rotation!;
    const onCall = scheduledAt(rotation, start);
    if (scheduledAt(rotation, new Date(start.getTime() + 6 * 60_000)) !== onCall)
      start = new Date(start.getTime() + 10 * 60_000);
    const stand = DAILY_ROTATION.people.find((p) => p !== onCall)!;
    await ask(bot, `oncall override <@${stand}> from ${hhmm(start)} UTC for 5m`, 'U0BOSS');
    const id = (await bot.db.query<{ id: number }>('SELECT max(id) AS id FROM oncall_overrides')).rows[0]!.id;
    await eventually(
      async () => {
        const { rows } = await bot.db.query(
          `SELECT 1 FROM oncall_handoffs WHERE role = 'on_call' AND handoff_at = $1
           AND channel_posted_at IS NOT NULL AND dm_sent_at IS NOT NULL`,
          [start],
        );
        return rows.length > 0 ? true : undefined;
      },
      'the hand-off told ahead',
      20_000,
    );
    // A notice with nobody handing over is done once the channel and the incoming person are told (nothing is held for
    // the hand-off itself).
    await bot.db.query(
      `UPDATE oncall_handoffs SET outgoing_id = NULL, done_at = now(), leased_until = NULL
       WHERE role = 'on_call' AND handoff_at = $1`,
      [start],
    );

    const gone = await ask(bot, `oncall cancel ${id}`, 'U0BOSS');
    expect(gone.text).toContain('It will not start.');
    await eventually(
      async () =>
        posts(stand).some((t) => /Cancelled: you are not on call for \*On-Call Engineer\* from .* after all/.test(t)) &&
        posts(INCIDENTS_CHANNEL_ID).some((t) => t.includes(`is off: <@${stand}> does not take`))
          ? true
          : undefined,
      `the done notice taken back: ${JSON.stringify({ stand: posts(stand), ch: posts(INCIDENTS_CHANNEL_ID) })}`,
      20_000,
    );
    // Done again, taken back (marked just after its messages are sent: waited for).
    await eventually(async () => {
      const row = await bot.db.query<{ done: boolean; back: boolean }>(
        `SELECT done_at IS NOT NULL AS done, withdrawn_channel_at IS NOT NULL AS back FROM oncall_handoffs
         WHERE role = 'on_call' AND handoff_at = $1`,
        [start],
      );
      return row.rows[0]?.done && row.rows[0].back ? true : undefined;
    }, 'the notice done again');
  }, 60_000);
});
