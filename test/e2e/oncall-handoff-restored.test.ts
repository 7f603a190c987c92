import { describe, expect, it } from 'vitest';
import { scheduledAt } from '../../src/incidents/rotation.js';
import { rotationTime } from '../../src/templates/oncall.js';
import { INCIDENTS_CHANNEL_ID } from '../support/bot-harness.js';
import { eventually } from '../support/incident-flow.js';
import { askPrivately as ask, DAILY_ROTATION, hhmmUtc, useHandoffNoticeBot } from '../support/oncall-flow.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('a hand-off taken back (an override removed it), then restored (the override cancelled)', () => {
  // The rotation's own daily hand-off three to four minutes from now.
  const handoff = new Date(Math.ceil((Date.now() + 180_000) / 60_000) * 60_000);
  const ctx = useHandoffNoticeBot({ ...DAILY_ROTATION, handoff: { time: hhmmUtc(handoff), time_zone: 'UTC' } });
  const posts = (channel: string) => ctx.posts(channel);
  // What is said of that hand-off (not of another, such as the override's end).
  const told = (user: string) =>
    posts(user).filter((t) =>
      t.includes(`You are on call for *On-Call Engineer* from ${rotationTime(handoff, 'UTC')}`),
    );
  const lines = (user: string) =>
    posts(INCIDENTS_CHANNEL_ID).filter((t) =>
      t.includes(`Hand-off at ${rotationTime(handoff, 'UTC')}: <@${user}> takes`),
    );

  it('is announced again, as new', async () => {
    const rotation = ctx.runbook.escalation.roles.on_call!.rotation!;
    const onCall = scheduledAt(rotation, new Date());
    const next = scheduledAt(rotation, new Date(handoff.getTime() + 1000));
    await eventually(
      async () => (told(next).length === 1 && lines(next).length === 1 ? true : undefined),
      `the rotation's hand-off told ahead: ${JSON.stringify({ next: posts(next), ch: posts(INCIDENTS_CHANNEL_ID) })}`,
      20_000,
    );
    // The person on call now stays on through the hand-off: it is taken back. (Until past the notices' lead: the
    // override's own end is not told ahead.)
    await ask(ctx.bot, `oncall override <@${onCall}> 20m`, 'U0BOSS');
    const id = (await ctx.bot.db.query<{ id: number }>('SELECT max(id) AS id FROM oncall_overrides')).rows[0]!.id;
    await eventually(
      async () =>
        posts(next).some((t) => t.includes('Cancelled: you are not on call')) &&
        posts(INCIDENTS_CHANNEL_ID).some((t) => t.includes(`is off: <@${next}> does not take`))
          ? true
          : undefined,
      `taken back: ${JSON.stringify({ next: posts(next), ch: posts(INCIDENTS_CHANNEL_ID) })}`,
      20_000,
    );
    await eventually(async () => {
      const { rows } = await ctx.bot.db.query(
        "SELECT 1 FROM oncall_handoffs WHERE role = 'on_call' AND handoff_at = $1 AND done_at IS NOT NULL",
        [handoff],
      );
      return rows.length > 0 ? true : undefined;
    }, 'the taken-back notice done');

    // The override cancelled: the hand-off happens after all, and is told again.
    const gone = await ask(ctx.bot, `oncall cancel ${id}`, 'U0BOSS');
    expect(gone.text).toContain('It ended now.');
    await eventually(
      async () => (told(next).length === 2 && lines(next).length === 2 ? true : undefined),
      `told again: ${JSON.stringify({ next: posts(next), ch: posts(INCIDENTS_CHANNEL_ID) })}`,
      20_000,
    );
    expect(told(next).at(-1)).toContain(`taking over from <@${onCall}>`);
    expect(lines(next).at(-1)).toContain(`from <@${onCall}>`);
    await sleep(2_500);
    expect(told(next)).toHaveLength(2);
    expect(lines(next)).toHaveLength(2);
    expect(Date.now()).toBeLessThan(handoff.getTime());
  }, 60_000);
});
