import { describe, expect, it } from 'vitest';
import { scheduledAt, shiftAt } from '../../src/incidents/rotation.js';
import { parseRunbook } from '../../src/runbook/runbook.js';
import { useBot } from '../support/bot-harness.js';
import { askPrivately } from '../support/oncall-flow.js';
import { testRunbookData, WEEKLY_ON_CALL, withRotation } from '../support/test-runbook.js';

/** Who is on call when a new override ends, as its reply says it, when something other than the rotation holds then. */
describe('an override whose end falls inside another override or a swap', () => {
  const runbook = parseRunbook(withRotation(testRunbookData(), 'on_call', 'On-Call Engineer', WEEKLY_ON_CALL));
  const bot = useBot({ runbook, timers: false });
  const ask = async (text: string) => (await askPrivately(bot, text, 'U0REPORTER')).text;
  const rotation = runbook.escalation.roles.on_call!.rotation!;

  it('inside a longer override of the same person: they stay on call, not "then @them takes over"', async () => {
    await bot.db.query('DELETE FROM oncall_overrides');
    await ask('oncall override <@U0BOB> 3h');
    const reply = await ask('oncall override <@U0BOB> 90m');
    expect(reply).not.toContain('then <@U0BOB> takes over');
    expect(reply).toContain('(an override; <@U0BOB> stays on call then, on another override by <@U0REPORTER>).');
  });

  it('inside a swap: names who the swap puts on call then, not "the rotation takes over again"', async (ctx) => {
    await bot.db.query('DELETE FROM oncall_overrides');
    const now = new Date();
    // Both hours within this week's shift (hand-offs are weekly, Monday 09:00 London).
    if (shiftAt(rotation, now).end.getTime() - now.getTime() < 4 * 3_600_000) ctx.skip();
    const onCall = scheduledAt(rotation, now);
    const other = WEEKLY_ON_CALL.people.find((p) => p !== onCall)!;
    expect(await ask(`oncall swap <@${onCall}> <@${other}> 3h`)).toContain('trade their');
    const reply = await ask(`oncall override <@${onCall}> 1h`);
    expect(reply).not.toContain('the rotation takes over again then');
    expect(reply).toContain(`(an override; then <@${other}> takes over, on a swap by <@U0REPORTER>).`);
    await bot.db.query('DELETE FROM oncall_overrides');
  });
});
