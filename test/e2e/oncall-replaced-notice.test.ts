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

describe('a new override that changes who takes over at a hand-off already told', () => {
  const ctx = useHandoffNoticeBot();
  const posts = (channel: string) => ctx.posts(channel);

  it('takes back the old notice and announces the new person, once', async () => {
    // Two to five minutes from now, for five minutes: both its hand-offs (in, and back) are told ahead of time.
    const { start, onCall } = overrideSlot(ctx.runbook);
    const [first, second] = DAILY_ROTATION.people.filter((p) => p !== onCall) as [string, string];
    await ask(ctx.bot, `oncall override <@${first}> from ${hhmmUtc(start)} UTC for 5m`, 'U0BOSS');
    await eventually(
      async () =>
        posts(first).some((t) => t.includes('You are on call for *On-Call Engineer*')) &&
        posts(INCIDENTS_CHANNEL_ID).some((t) => t.includes(`<@${first}> takes`))
          ? true
          : undefined,
      `the first hand-off told ahead: ${JSON.stringify(posts(first))}`,
      20_000,
    );

    // Another override, made later, for the same hours: it wins, so someone else takes over at the same moment.
    const made = await ask(ctx.bot, `oncall override <@${second}> from ${hhmmUtc(start)} UTC for 5m`, 'U0BOSS');
    expect(made.text).toContain(`<@${second}>`);

    await eventually(
      async () =>
        posts(first).some((t) => /Cancelled: you are not on call for \*On-Call Engineer\* from .* after all/.test(t)) &&
        posts(second).some((t) => t.includes('You are on call for *On-Call Engineer*')) &&
        posts(INCIDENTS_CHANNEL_ID).some((t) => t.includes(`<@${second}> takes *On-Call Engineer* from <@${onCall}>`))
          ? true
          : undefined,
      `the new person announced: ${JSON.stringify({ first: posts(first), second: posts(second), ch: posts(INCIDENTS_CHANNEL_ID) })}`,
      20_000,
    );
    expect(posts(first).find((t) => t.includes('Cancelled'))).toContain(`<@${second}> is on call then.`);
    expect(posts(second).find((t) => t.includes('You are on call'))).toContain(`taking over from <@${onCall}>`);
    // Once: later sweeps say nothing more of it.
    await sleep(2_500);
    expect(posts(second).filter((t) => t.includes('You are on call for *On-Call Engineer*'))).toHaveLength(1);
    expect(posts(INCIDENTS_CHANNEL_ID).filter((t) => t.includes(`<@${second}> takes`))).toHaveLength(1);
    expect(posts(first).filter((t) => t.includes('Cancelled'))).toHaveLength(1);
    const row = await ctx.bot.db.query<{ incoming_id: string }>(
      "SELECT incoming_id FROM oncall_handoffs WHERE role = 'on_call' AND handoff_at = $1",
      [start],
    );
    expect(row.rows[0]?.incoming_id).toBe(second);
  }, 60_000);
});
