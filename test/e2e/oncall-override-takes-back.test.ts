import { describe, expect, it } from 'vitest';
import { scheduledAt } from '../../src/incidents/rotation.js';
import { INCIDENTS_CHANNEL_ID } from '../support/bot-harness.js';
import { eventually } from '../support/incident-flow.js';
import { askPrivately as ask, DAILY_ROTATION, hhmmUtc, useHandoffNoticeBot } from '../support/oncall-flow.js';

describe('a new override over a hand-off already told (the person on call stays on through it)', () => {
  // The rotation's own daily hand-off three to four minutes from now.
  const handoff = new Date(Math.ceil((Date.now() + 180_000) / 60_000) * 60_000);
  const ctx = useHandoffNoticeBot({ ...DAILY_ROTATION, handoff: { time: hhmmUtc(handoff), time_zone: 'UTC' } });
  const posts = (channel: string) => ctx.posts(channel);

  it('takes back the notice of the hand-off that no longer happens at once, not at the hand-off', async () => {
    const rotation = ctx.runbook.escalation.roles.on_call!.rotation!;
    const onCall = scheduledAt(rotation, new Date());
    const next = scheduledAt(rotation, new Date(handoff.getTime() + 1000));
    expect(next).not.toBe(onCall);
    await eventually(
      async () => (posts(next).some((t) => t.includes('You are on call for *On-Call Engineer*')) ? true : undefined),
      `the rotation's hand-off told ahead: ${JSON.stringify(posts(next))}`,
      20_000,
    );
    // The person on call now stays on for ten minutes more: the hand-off at the rotation's time no longer happens.
    const made = await ask(ctx.bot, `oncall override <@${onCall}> 10m`, 'U0BOSS');
    expect(made.text).toContain(`<@${onCall}>`);
    await eventually(
      async () =>
        posts(next).some((t) => /Cancelled: you are not on call for \*On-Call Engineer\* from .* after all/.test(t)) &&
        posts(INCIDENTS_CHANNEL_ID).some((t) => t.includes(`is off: <@${next}> does not take`))
          ? true
          : undefined,
      `taken back before the hand-off: ${JSON.stringify({ next: posts(next), ch: posts(INCIDENTS_CHANNEL_ID) })}`,
      20_000,
    );
    expect(Date.now()).toBeLessThan(handoff.getTime());
  }, 60_000);
});
