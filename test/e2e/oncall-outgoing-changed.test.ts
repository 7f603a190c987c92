import { describe, expect, it } from 'vitest';
import { scheduledAt } from '../../src/incidents/rotation.js';
import { INCIDENTS_CHANNEL_ID } from '../support/bot-harness.js';
import { eventually } from '../support/incident-flow.js';
import { askPrivately as ask, DAILY_ROTATION, hhmmUtc, useHandoffNoticeBot } from '../support/oncall-flow.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('a new override that changes only who hands over at a hand-off already told', () => {
  // The rotation's own daily hand-off three to four minutes from now.
  const handoff = new Date(Math.ceil((Date.now() + 180_000) / 60_000) * 60_000);
  const ctx = useHandoffNoticeBot({ ...DAILY_ROTATION, handoff: { time: hhmmUtc(handoff), time_zone: 'UTC' } });
  const posts = (channel: string) => ctx.posts(channel);

  it('names the new outgoing person in the notice, and tells the channel and the incoming person of the change', async () => {
    const rotation = ctx.runbook.escalation.roles.on_call!.rotation!;
    const onCall = scheduledAt(rotation, new Date());
    const next = scheduledAt(rotation, new Date(handoff.getTime() + 1000));
    const stand = DAILY_ROTATION.people.find((p) => p !== onCall && p !== next)!;
    await eventually(
      async () =>
        posts(next).some((t) => t.includes(`taking over from <@${onCall}>`)) &&
        posts(INCIDENTS_CHANNEL_ID).some((t) => t.includes(`<@${next}> takes *On-Call Engineer* from <@${onCall}>`))
          ? true
          : undefined,
      `the rotation's hand-off told ahead: ${JSON.stringify({ next: posts(next), ch: posts(INCIDENTS_CHANNEL_ID) })}`,
      20_000,
    );
    // Someone else stands in from now until the hand-off: the same person takes over then, from someone else.
    const made = await ask(ctx.bot, `oncall override <@${stand}> until ${hhmmUtc(handoff)} UTC`, 'U0BOSS');
    expect(made.text).toContain(`<@${stand}>`);

    await eventually(
      async () => {
        const { rows } = await ctx.bot.db.query<{ outgoing_id: string; incoming_id: string }>(
          "SELECT outgoing_id, incoming_id FROM oncall_handoffs WHERE role = 'on_call' AND handoff_at = $1",
          [handoff],
        );
        return rows[0]?.outgoing_id === stand &&
          posts(next).some((t) => t.includes(`taking over from <@${stand}>`)) &&
          posts(INCIDENTS_CHANNEL_ID).some((t) => t.includes(`<@${next}> takes *On-Call Engineer* from <@${stand}>`))
          ? rows[0]
          : undefined;
      },
      `the notice follows the override: ${JSON.stringify({ next: posts(next), ch: posts(INCIDENTS_CHANNEL_ID) })}`,
      20_000,
    );
    const fixed = posts(INCIDENTS_CHANNEL_ID).find((t) => t.includes(`from <@${stand}>`))!;
    expect(fixed).toContain(`not <@${onCall}>`);
    expect(posts(next).find((t) => t.includes(`taking over from <@${stand}>`))).toContain(`not <@${onCall}>`);
    // Once: later sweeps say nothing more of it.
    await sleep(2_500);
    expect(posts(next).filter((t) => t.includes(`taking over from <@${stand}>`))).toHaveLength(1);
    expect(posts(INCIDENTS_CHANNEL_ID).filter((t) => t.includes(`<@${next}> takes`))).toHaveLength(2);
    expect(Date.now()).toBeLessThan(handoff.getTime());
  }, 60_000);
});
