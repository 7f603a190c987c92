import { describe, expect, it } from 'vitest';
import { INCIDENTS_CHANNEL_ID } from '../support/bot-harness.js';
import { eventually } from '../support/incident-flow.js';
import {
  askPrivately as ask,
  DAILY_ROTATION,
  hhmmUtc,
  overrideSlot,
  useHandoffNoticeBot,
} from '../support/oncall-flow.js';

describe('cancelling an override whose hand-off notice is done already (it had no outgoing person to tell)', () => {
  const ctx = useHandoffNoticeBot();
  const posts = (channel: string) => ctx.posts(channel);

  it('takes that notice back too', async () => {
    // Two to five minutes from now, for five minutes: both its hand-offs (in, and back) are told ahead of time.
    const { start, onCall } = overrideSlot(ctx.runbook);
    const stand = DAILY_ROTATION.people.find((p) => p !== onCall)!;
    await ask(ctx.bot, `oncall override <@${stand}> from ${hhmmUtc(start)} UTC for 5m`, 'U0BOSS');
    const id = (await ctx.bot.db.query<{ id: number }>('SELECT max(id) AS id FROM oncall_overrides')).rows[0]!.id;
    await eventually(
      async () => {
        const { rows } = await ctx.bot.db.query(
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
    // the hand-off itself). The rotation says someone does hand over then: a sweep between this and the cancel would
    // tell the notice again from them (renewHandoff, its sent marks cleared), and a cancel before it is told again
    // finds nothing told to take back. The loop is held (its sweep in flight waited for) until the cancel is in.
    await ctx.bot.timers.stop();
    await ctx.bot.db.query(
      `UPDATE oncall_handoffs SET outgoing_id = NULL, done_at = now(), leased_until = NULL
       WHERE role = 'on_call' AND handoff_at = $1`,
      [start],
    );

    const gone = await ask(ctx.bot, `oncall cancel ${id}`, 'U0BOSS');
    expect(gone.text).toContain('It will not start.');
    ctx.bot.timers.start();
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
      const row = await ctx.bot.db.query<{ done: boolean; back: boolean }>(
        `SELECT done_at IS NOT NULL AS done, withdrawn_channel_at IS NOT NULL AS back FROM oncall_handoffs
         WHERE role = 'on_call' AND handoff_at = $1`,
        [start],
      );
      return row.rows[0]?.done && row.rows[0].back ? true : undefined;
    }, 'the notice done again');
    // Taken back as it was made here (nobody handing over), not told again first.
    expect(posts(stand).filter((t) => t.startsWith(':pager: You are on call'))).toHaveLength(1);
  }, 60_000);
});
