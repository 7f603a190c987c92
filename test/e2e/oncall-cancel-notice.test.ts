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

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('cancelling an override whose hand-off was already told (it starts within ONCALL_HANDOFF_NOTICE)', () => {
  const ctx = useHandoffNoticeBot();
  const posts = (channel: string) => ctx.posts(channel);

  it('tells the person it is cancelled, and the one told they take over from them that they stay on call', async () => {
    // Two to five minutes from now, for five minutes: both its hand-offs (in, and back) are told ahead of time.
    const { start, onCall } = overrideSlot(ctx.runbook);
    const stand = DAILY_ROTATION.people.find((p) => p !== onCall)!;
    const made = await ask(ctx.bot, `oncall override <@${stand}> from ${hhmmUtc(start)} UTC for 5m`, 'U0BOSS');
    expect(made.text).toContain(`<@${stand}>`);
    const id = (await ctx.bot.db.query<{ id: number }>('SELECT max(id) AS id FROM oncall_overrides')).rows[0]!.id;

    // Told ahead: the channel, the person taking over, and the one on call by rotation of the hand-back.
    await eventually(
      async () =>
        posts(stand).some((t) => t.includes('You are on call for *On-Call Engineer*')) &&
        posts(onCall).some((t) => t.includes(`taking over from <@${stand}>`)) &&
        posts(INCIDENTS_CHANNEL_ID).filter((t) => t.includes('Hand-off at')).length >= 2
          ? true
          : undefined,
      `the hand-offs told ahead: ${JSON.stringify({ stand: posts(stand), onCall: posts(onCall) })}`,
      20_000,
    );

    const gone = await ask(ctx.bot, `oncall cancel ${id}`, 'U0BOSS');
    expect(gone.text).toContain('It will not start.');

    // Each person told is told it is off, and who is on call then.
    await eventually(
      async () =>
        posts(stand).some((t) => /Cancelled: you are not on call for \*On-Call Engineer\* from .* after all/.test(t)) &&
        posts(onCall).some((t) => /Cancelled: the hand-off of \*On-Call Engineer\* from <@\w+> at .* is off/.test(t))
          ? true
          : undefined,
      `the notices taken back: ${JSON.stringify({ stand: posts(stand), onCall: posts(onCall) })}`,
      20_000,
    );
    // The one handing over to them stays on call: said so.
    expect(posts(stand).find((t) => t.startsWith(':leftwards_arrow_with_hook: Cancelled'))).toContain(
      `<@${onCall}> stays on call.`,
    );
    expect(posts(onCall).find((t) => t.startsWith(':leftwards_arrow_with_hook: Cancelled'))).toContain(
      'You are on call for *On-Call Engineer* then all the same.',
    );
    // The channel's lines taken back too.
    await eventually(
      async () =>
        posts(INCIDENTS_CHANNEL_ID).filter((t) => /^:leftwards_arrow_with_hook: The hand-off at .* is off/.test(t))
          .length === 2
          ? true
          : undefined,
      `the channel's lines taken back: ${JSON.stringify(posts(INCIDENTS_CHANNEL_ID))}`,
    );
    // Nothing more is sent of them: no "your shift ended" at the time they would have been, their rows done (each
    // marked just after its message is sent: waited for, not read at once).
    await eventually(async () => {
      const rows = await ctx.bot.db.query<{ done: boolean }>(
        "SELECT done_at IS NOT NULL AS done FROM oncall_handoffs WHERE role = 'on_call' AND handoff_at >= $1",
        [start],
      );
      return rows.rows.length >= 2 && rows.rows.every((r) => r.done) ? true : undefined;
    }, 'the notices taken back, done');
    await sleep(500);
    expect(posts(onCall).some((t) => t.includes('shift ended'))).toBe(false);
  }, 60_000);
});
