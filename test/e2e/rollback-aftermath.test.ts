import { rm } from 'node:fs/promises';
import { beforeAll, describe, expect, it } from 'vitest';
import { ACTION } from '../../src/templates/ids.js';
import type { BotHarness } from '../support/bot-harness.js';
import type { RecordedCall } from '../support/fake-slack.js';
import { buttonsOf, RESPONDER, useRollbackBot } from '../support/rollback-bot.js';

/**
 * What a person meets around a rollback from the outside: the list pressed twice, a rollback that does not take, the
 * history that cannot be read, and `/incident deployments`. The fake atom-cli (test/fixtures/atom-cli) shows the
 * scenario set.
 */
describe('after a rollback', () => {
  // Through the acknowledging front, as a bot runs by default: a help comes through response_url.
  const rb = useRollbackBot({ name: 'rollback-aftermath', timers: false, env: { ACK_THREAD: 'on' } });
  let bot: BotHarness;
  let log: string;
  beforeAll(() => {
    ({ bot, log } = rb);
  });
  const scenario = (s: Record<string, string>) => rb.scenario(s);
  const rollbacks = () => rb.rollbacks();
  /** Declares an incident; its channel, with the responder in it. */
  const declare = (title: string) => rb.declare(title);
  /** Types `/incident <text>` in the channel as the responder; the next message the bot posts there matching `re`. */
  const typed = (channelId: string, text: string, re: RegExp) => rb.typed(channelId, text, re);
  /** Presses "Roll back to `version`" on a posted list, Slack echoing the list's blocks with the click. */
  const press = (list: RecordedCall, version: string, actionId: string = ACTION.rollbackTo) =>
    rb.press(list, version, actionId);

  it('the list pressed is updated with what happened; an older list pressed asks first, saying what happened', async () => {
    await scenario({ rollback: 'new-release', logs: 'clean' });
    const channelId = await declare('checkout down after deploy');
    const older = await typed(channelId, 'rollback', /^Recent deployments/);
    const list = await typed(channelId, 'rollback', /^Recent deployments/);
    const before = await rollbacks();

    await press(list, 'v57');
    const listTs = (list.response as { ts: string }).ts;
    const updated = await bot.fake.waitFor('chat.update', (u) => u.args.ts === listTs, 20_000);
    expect(String(updated.args.text)).toMatch(
      /^:rewind: Rolled back to `v57` at \d\d:\d\d UTC by <@U0RESPONDER>; `v59`, made from it, is running\. This list is out of date/,
    );
    expect(buttonsOf(updated.args.blocks, ACTION.rollbackTo)).toEqual([]);
    expect(JSON.stringify(updated.args.blocks)).not.toContain('*current*');
    expect(await rollbacks()).toBe(before + 1);

    // The older list, pressed later: nothing runs; it asks first with what happened.
    const replies = bot.replies().length;
    await press(older, 'v57');
    const asked = await bot.fake.waitForCount('response_url', replies + 1);
    const ask = asked.at(-1)!.args as { text: string; blocks: unknown[] };
    expect(ask.text).toMatch(
      /^:warning: Already rolled back to `v57` at \d\d:\d\d UTC by <@U0RESPONDER>; `v59`, made from it, is running\. This list is out of date\. Roll back to `v57` again\?$/,
    );
    const again = buttonsOf(ask.blocks, ACTION.rollbackAgain);
    expect(again.map((b) => b.text.text)).toEqual(['Roll back to v57 again']);
    expect(again[0]!.confirm?.text.text).toContain('atom-cli rollback v57');
    await bot.fake.waitFor('chat.update', (u) => u.args.ts === (older.response as { ts: string }).ts);
    expect(await rollbacks()).toBe(before + 1);

    // Confirmed: it rolls back again.
    await bot.click({
      channelId,
      messageTs: '1.000001',
      actionId: ACTION.rollbackAgain,
      value: again[0]!.value,
      userId: RESPONDER,
      ephemeral: true,
    });
    await expect.poll(rollbacks, { timeout: 20_000 }).toBe(before + 2);
    // Its verification ends here, not in the next test (whose fake CLI state it would change).
    const verified = (c: RecordedCall) =>
      c.args.channel === channelId && /(Rolled back to|Rollback to) `v57`/.test(String(c.args.text));
    await expect.poll(() => bot.fake.callsTo('chat.postMessage').filter(verified).length, { timeout: 20_000 }).toBe(2);
  });

  it('a rollback that does not take: the timeline and the post-mortem say so, and the channel says what to do next', async () => {
    await rm(`${log}.running`, { force: true });
    await scenario({ rollback: 'does-not-take', logs: 'clean' });
    const channelId = await declare('api errors after release');
    const list = await typed(channelId, 'rollback v57', /Recent deployments/);
    await press(list, 'v57');
    const result = await bot.fake.waitFor(
      'chat.postMessage',
      (c) => c.args.channel === channelId && /^:x: Rollback to `v57`/.test(String(c.args.text)),
      20_000,
    );
    // The list says so; the version it marked current still is.
    const listTs = (list.response as { ts: string }).ts;
    const updated = await bot.fake.waitFor('chat.update', (u) => u.args.ts === listTs);
    expect(String(updated.args.text)).toMatch(
      /^:rewind: Rolled back to `v57` at \d\d:\d\d UTC by <@U0RESPONDER>, but it did not take: `v58` is still running\./,
    );
    expect(JSON.stringify(updated.args.blocks)).toContain(':large_green_circle: *current* `v58`');
    expect(String(result.args.text)).toContain(
      '*What now:* `v58` is still running, not `v57`: the rollback did not take. Try again with `/incident rollback v57`, roll back further with `/incident rollback` (pick an older version), or check by hand: `atom-cli status`, `atom-cli deployments`, then `atom-cli rollback <version>`.',
    );

    const replies = bot.replies().length;
    await bot.command('timeline', { channel_id: channelId, user_id: RESPONDER });
    const timeline = (await bot.fake.waitForCount('response_url', replies + 1)).at(-1)!.args as { text: string };
    expect(JSON.stringify(timeline)).toContain(
      "<@U0RESPONDER>'s rollback to `v57`: verification failed — `atom-cli status`: status shows v58",
    );

    const { rows } = await bot.db.query<{ id: number }>('SELECT id FROM incidents WHERE channel_id = $1', [channelId]);
    const { rows: events } = await bot.db.query<{ details: Record<string, unknown> }>(
      "SELECT details FROM incident_events WHERE incident_id = $1 AND kind = 'rollback_verified'",
      [rows[0]!.id],
    );
    expect(events.map((e) => e.details)).toEqual([
      {
        version: 'v57',
        result: 'failed',
        running: 'v58',
        failed: [{ name: 'atom-cli status', detail: 'status shows v58' }],
      },
    ]);
  });

  it('/incident rollback v57 while the history cannot be read offers v57 anyway (asking first), else the commands', async () => {
    await scenario({ deployments: 'unreadable' });
    const channelId = await declare('deploys unreadable');
    const unread = await typed(channelId, 'rollback v57', /^:warning: Couldn't read the deployment history/);
    expect(String(unread.args.text)).toMatch(
      /^:warning: Couldn't read the deployment history \(`atom-cli deployments` failed: .*\), so the bot cannot check `v57`\.\nRoll back to `v57` anyway only if you know it is a good version, or run `atom-cli deployments` by hand to check first \(then `atom-cli rollback v57`\)\.$/s,
    );
    const [button] = buttonsOf(unread.args.blocks, ACTION.rollbackTo);
    expect(button?.text.text).toBe('Roll back to v57 anyway');
    expect(button?.confirm?.text.text).toContain('could not be read');

    const bare = await typed(channelId, 'rollback', /^:warning: Couldn't read the deployment history/);
    expect(String(bare.args.text)).toContain('Run `atom-cli deployments` by hand, then `/incident rollback <version>`');
    expect(buttonsOf(bare.args.blocks, ACTION.rollbackTo)).toEqual([]);

    // Pressed and confirmed: the rollback runs.
    const before = await rollbacks();
    await scenario({ logs: 'clean' });
    await press(unread, 'v57');
    await expect.poll(rollbacks, { timeout: 20_000 }).toBe(before + 1);
    await bot.fake.waitFor(
      'chat.postMessage',
      (c) => c.args.channel === channelId && /(Rolled back to|Rollback to) `v57`/.test(String(c.args.text)),
      20_000,
    );
  });

  it('a rollback to a version not in the history fails; its message offers no try again with that version', async () => {
    // The history could not be read when v99 was typed: offered anyway, asking first. Read again by the failure.
    await rm(`${log}.running`, { force: true });
    await scenario({ deployments: 'unreadable' });
    const channelId = await declare('rollback to a made-up version');
    const unread = await typed(channelId, 'rollback v99', /^:warning: Couldn't read the deployment history/);
    await scenario({ logs: 'clean' });
    await press(unread, 'v99');
    const result = await bot.fake.waitFor(
      'chat.postMessage',
      (c) => c.args.channel === channelId && /Rollback to `v99`/.test(String(c.args.text)),
      20_000,
    );
    // Said at once with what was known (no list was read: no version to try again with), then shown again once the
    // history read after says v99 is not in it.
    expect(String(result.args.text)).toContain('Roll back with `/incident rollback` (pick a version)');
    const said = () => String(bot.fake.message(channelId, (result.response as { ts: string }).ts)?.text);
    await expect.poll(said, { timeout: 10_000 }).toContain('is not in the deployment history');
    const text = said();
    expect(text).toContain('`atom-cli rollback v99` — expected exit 0; exit 1');
    expect(text).not.toContain('/incident rollback v99');
    expect(text).not.toMatch(/try again with/i);
    expect(text).toContain(
      '*What now:* The rollback failed, so nothing was rolled back: the version running before it still is. `v99` is not in the deployment history (`atom-cli deployments`): roll back with `/incident rollback` and pick a version it lists, or check by hand:',
    );
  });

  it('a rollback that failed while the history cannot be read names no version to try again with', async () => {
    await rm(`${log}.running`, { force: true });
    await scenario({ deployments: 'unreadable' });
    const channelId = await declare('rollback blind');
    const unread = await typed(channelId, 'rollback v98', /^:warning: Couldn't read the deployment history/);
    await press(unread, 'v98');
    const result = await bot.fake.waitFor(
      'chat.postMessage',
      (c) => c.args.channel === channelId && /Rollback to `v98`/.test(String(c.args.text)),
      20_000,
    );
    const text = String(result.args.text);
    expect(text).not.toContain('/incident rollback v98');
    expect(text).toContain('Roll back with `/incident rollback` (pick a version), or check by hand:');
  });

  it('/incident deployments (and deploys) lists the deployments as /incident rollback does; help names it', async () => {
    await scenario({});
    const channelId = await declare('which version is live');
    for (const word of ['deployments', 'deploys']) {
      const list = await typed(channelId, word, /^Recent deployments/);
      expect(buttonsOf(list.args.blocks, ACTION.rollbackTo).map((b) => b.value)).toEqual(['v57', 'v55', 'v54']);
    }
    const replies = bot.replies().length;
    await bot.command('help', { channel_id: channelId, user_id: RESPONDER });
    const help = (await bot.fake.waitForCount('response_url', replies + 1)).at(-1)!.args;
    expect(JSON.stringify(help)).toContain('`/incident deployments`');
  });
});
