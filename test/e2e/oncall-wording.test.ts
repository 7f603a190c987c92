import { describe, expect, it } from 'vitest';
import { scheduledAt, shiftAt } from '../../src/incidents/rotation.js';
import { parseRunbook } from '../../src/runbook/runbook.js';
import { rotationTime } from '../../src/templates/oncall.js';
import { useBot } from '../support/bot-harness.js';
import { askPrivately as ask, DAILY_ROTATION } from '../support/oncall-flow.js';
import { testRunbookData, withRotation } from '../support/test-runbook.js';

describe('on-call wording', () => {
  const runbook = parseRunbook(withRotation(testRunbookData(), 'on_call', 'On-Call Engineer', DAILY_ROTATION));
  const bot = useBot({ runbook, timers: false, env: { ONCALL_OVERRIDE_MAX: '7d' } });
  const rotation = () => runbook.escalation.roles.on_call!.rotation!;

  it('`oncall @person` lists a stretch on now whole, from its start (an override), not from now', async () => {
    await bot.db.query('DELETE FROM oncall_overrides');
    const now = new Date();
    const other = DAILY_ROTATION.people.find((p) => p !== scheduledAt(rotation(), now))!;
    // An override that began 30 minutes ago (as if typed then), on now.
    const began = new Date(Math.max(now.getTime() - 30 * 60_000, shiftAt(rotation(), now).start.getTime() + 60_000));
    began.setUTCSeconds(0, 0);
    await bot.db.query(
      `INSERT INTO oncall_overrides (role, kind, user_id, starts_at, ends_at, created_by, created_at)
       VALUES ('on_call', 'override', $1, $2, $3, 'U0BOSS', $2)`,
      [other, began, new Date(now.getTime() + 3_600_000)],
    );
    const reply = await ask(bot, `oncall <@${other}>`);
    expect(JSON.stringify(reply.blocks)).toContain(`${rotationTime(began, 'UTC')} → `);
    // The one on call by rotation (no override now): their shift from its hand-off, not from now.
    await bot.db.query('DELETE FROM oncall_overrides');
    const mine = scheduledAt(rotation(), now);
    const shift = shiftAt(rotation(), now);
    const theirs = await ask(bot, `oncall <@${mine}>`);
    expect(JSON.stringify(theirs.blocks)).toContain(`${rotationTime(shift.start, 'UTC')} → `);
    await bot.db.query('DELETE FROM oncall_overrides');
  });

  it('a role typed after the length is said to go before it, not "Say how long"', async () => {
    const reply = await ask(bot, 'oncall override <@U0BOB> 2h senior devops');
    expect(reply.text).not.toContain('Say how long');
    expect(reply.text).toContain('The role goes before the time: `senior devops` after `2h` is not read.');
  });

  it('a time of day typed without `until` is said to be one, with how to write an end or a start; nothing is recorded', async () => {
    await bot.db.query('DELETE FROM oncall_overrides');
    const reply = await ask(bot, 'oncall override <@U0BOB> 6 pm');
    expect(reply.text).not.toContain('Say how long');
    expect(reply.text).toContain(
      '`6 pm` is a time of day: write `until 6 pm` for the override to end then, or `from 6 pm for 2h` for one that starts then. Nothing was recorded.',
    );
    expect((await bot.db.query('SELECT 1 FROM oncall_overrides')).rows).toHaveLength(0);
  });

  it('a board years ahead names the year in its heading', async () => {
    const reply = await ask(bot, 'oncall 2029-09-01 09:00 UTC');
    expect(reply.text).toMatch(/^Who is on call on Sat 1 Sep 2029 09:00 \(UTC\)/);
    const soon = await ask(bot, 'oncall in 8h');
    expect(soon.text).not.toMatch(/ 20\d\d /);
  });
});
