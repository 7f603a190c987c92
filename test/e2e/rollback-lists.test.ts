import { readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { beforeAll, describe, expect, it } from 'vitest';
import { ACTION } from '../../src/templates/ids.js';
import type { BotHarness } from '../support/bot-harness.js';
import type { RecordedCall } from '../support/fake-slack.js';
import { buttonsOf, RESPONDER, tsOf, useRollbackBot } from '../support/rollback-bot.js';

/**
 * Every list of deployments an incident posted (`/incident deployments`, `/incident rollback`) shows its Roll back
 * buttons only while they are right: a rollback or a deploy of that incident redraws each list still showing them as
 * out of date, not only the one clicked; Slack refusing is retried by the timer loop.
 */
describe('the lists of deployments of an incident, after a rollback or a deploy', () => {
  const rb = useRollbackBot({
    name: 'rollback-lists',
    playbooks: {
      'ship-fix': {
        title: 'Ship a Fix',
        kind: 'incident',
        match: ['ship the fix'],
        symptoms: ['Broken'],
        detection: [],
        mitigation: [{ text: 'Deploy the fix', run: ['atom-cli', 'deploy'], destructive: true, timeout: '10s' }],
        resolution: [],
        prevention: [],
      },
    },
  });
  let bot: BotHarness;
  let log: string;
  beforeAll(() => {
    ({ bot, log } = rb);
  });
  const scenario = (s: Record<string, string>) => rb.scenario(s);
  const declare = (title: string) => rb.declare(title);
  const list = (channelId: string, text?: string) => rb.list(channelId, text);
  const press = (posted: RecordedCall, version: string) => rb.press(posted, version);

  /** The list as Slack shows it now. */
  const shown = (posted: RecordedCall) => bot.fake.message(String(posted.args.channel), tsOf(posted));

  it('a rollback from one list redraws the earlier ones too, their buttons gone; a press on one still asks first', async () => {
    await rm(`${log}.running`, { force: true });
    await scenario({ logs: 'clean' });
    const channelId = await declare('checkout down again');
    const first = await list(channelId);
    const second = await list(channelId, 'rollback');
    const third = await list(channelId);
    await press(third, 'v57');
    for (const posted of [first, second, third]) {
      await expect
        .poll(() => String(shown(posted)?.text), { timeout: 20_000 })
        .toMatch(
          /^:rewind: Rolled back to `v57` at \d\d:\d\d UTC by <@U0RESPONDER>; `v57` is running\. This list is out of date/,
        );
      expect(buttonsOf(shown(posted)?.blocks)).toEqual([]);
    }
    // A press on an earlier one (as Slack had it before) still runs nothing: it asks first, saying what happened.
    const replies = bot.replies().length;
    await press(first, 'v55');
    const asked = (await bot.fake.waitForCount('response_url', replies + 1)).at(-1)!.args as { text: string };
    expect(asked.text).toMatch(
      /^:warning: Since this list was posted, rolled back to `v57`.*This list is out of date\. Roll back to `v55`\?$/,
    );
  });

  it("a rollback in one incident redraws another open incident's lists too (the history is the service's); a press on one asks first", async () => {
    await rm(`${log}.running`, { force: true });
    await scenario({ logs: 'clean' });
    const other = await declare('payments slow meanwhile');
    const there = await list(other);
    const channelId = await declare('checkout down here');
    const here = await list(channelId);
    await press(here, 'v57');
    await expect
      .poll(() => String(shown(there)?.text), { timeout: 20_000 })
      .toMatch(
        /^:rewind: Rolled back to `v57` at \d\d:\d\d UTC by <@U0RESPONDER>; `v57` is running\. This list is out of date/,
      );
    expect(buttonsOf(shown(there)?.blocks)).toEqual([]);
    // A press on the other incident's list (as Slack had it before) runs nothing: it asks first, saying what happened.
    const before = await rb.rollbacks();
    const replies = bot.replies().length;
    await press(there, 'v55');
    const asked = (await bot.fake.waitForCount('response_url', replies + 1)).at(-1)!.args as { text: string };
    expect(asked.text).toMatch(
      /^:warning: Since this list was posted, rolled back to `v57`.*This list is out of date\. Roll back to `v55`\?$/,
    );
    expect(await rb.rollbacks()).toBe(before);
  });

  it('the lists are marked out of date in the transaction that puts the rollback on the record, never after it', async () => {
    await rm(`${log}.running`, { force: true });
    await scenario({ logs: 'clean' });
    // At each commit of a rollback's record: is a list of its incident still live? (A crash then would leave it so.)
    await bot.db.query(`
      CREATE TABLE zz_unmarked_at_commit (event_id integer NOT NULL);
      CREATE FUNCTION zz_lists_marked() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.kind = 'rollback_verified' AND EXISTS (
          SELECT 1 FROM rollback_lists WHERE incident_id = NEW.incident_id AND out_of_date IS NULL) THEN
          INSERT INTO zz_unmarked_at_commit VALUES (NEW.id);
        END IF;
        RETURN NULL;
      END $$;
      CREATE CONSTRAINT TRIGGER zz_lists_marked AFTER INSERT ON incident_events
        DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION zz_lists_marked();`);
    try {
      const channelId = await declare('checkout down at commit');
      const older = await list(channelId);
      const newer = await list(channelId);
      await press(newer, 'v57');
      await expect.poll(() => String(shown(older)?.text), { timeout: 20_000 }).toMatch(/This list is out of date/);
      const { rows: recorded } = await bot.db.query(
        `SELECT e.id FROM incident_events e JOIN incidents i ON i.id = e.incident_id
          WHERE i.channel_id = $1 AND e.kind = 'rollback_verified'`,
        [channelId],
      );
      expect(recorded).toHaveLength(1);
      const { rows } = await bot.db.query('SELECT event_id FROM zz_unmarked_at_commit');
      expect(rows).toEqual([]);
    } finally {
      await bot.db.query(`
        DROP TRIGGER zz_lists_marked ON incident_events;
        DROP FUNCTION zz_lists_marked();
        DROP TABLE zz_unmarked_at_commit;`);
    }
  });

  it('a list Slack would not redraw is redrawn again by the timer loop', async () => {
    await rm(`${log}.running`, { force: true });
    await scenario({ logs: 'clean' });
    const channelId = await declare('checkout down once more');
    const older = await list(channelId);
    const newer = await list(channelId);
    bot.fake.failNext('chat.update', { error: 'ratelimited' }, 3, (a) => a.ts === tsOf(older));
    await press(newer, 'v57');
    await expect.poll(() => String(shown(newer)?.text), { timeout: 20_000 }).toMatch(/^:rewind: Rolled back to `v57`/);
    await expect
      .poll(() => bot.fake.callsTo('chat.update').filter((u) => u.args.ts === tsOf(older) && u.failed).length, {
        timeout: 10_000,
      })
      .toBeGreaterThan(0);
    expect(buttonsOf(shown(older)?.blocks).length).toBeGreaterThan(0);
    // Due again (after a wait); moved up to now, as the sweep would come to it.
    const due = async () =>
      (
        await bot.db.query<{ n: number }>(
          'SELECT count(*)::int AS n FROM rollback_lists WHERE ts = $1 AND redraw_due_at IS NOT NULL',
          [tsOf(older)],
        )
      ).rows[0]!.n;
    await expect.poll(due, { timeout: 10_000 }).toBe(1);
    for (let i = 0; i < 3 && buttonsOf(shown(older)?.blocks).length > 0; i++) {
      await bot.db.query('UPDATE rollback_lists SET redraw_due_at = now() WHERE ts = $1', [tsOf(older)]);
      await new Promise((r) => setTimeout(r, 1500));
    }
    await expect
      .poll(() => String(shown(older)?.text), { timeout: 10_000 })
      .toMatch(/^:rewind: Rolled back to `v57`.*This list is out of date/);
    expect(buttonsOf(shown(older)?.blocks)).toEqual([]);
    await expect.poll(due, { timeout: 10_000 }).toBe(0);
  });

  it('a deploy redraws the lists as out of date; a press on one is refused, saying why, and runs nothing', async () => {
    await rm(`${log}.running`, { force: true });
    await scenario({ logs: 'clean' });
    const channelId = await declare('ship the fix now');
    const pb = await bot.fake.waitFor(
      'chat.postMessage',
      (m) => m.args.channel === channelId && /^Playbook: Ship a Fix/.test(String(m.args.text)),
    );
    const posted = await list(channelId);
    await bot.click({
      channelId,
      messageTs: tsOf(pb),
      actionId: ACTION.runStep,
      value: JSON.stringify({ p: 'ship-fix', s: 'mitigation.0' }),
      userId: RESPONDER,
    });
    await expect
      .poll(() => String(shown(posted)?.text), { timeout: 20_000 })
      .toMatch(
        /^:rewind: Deployed with `atom-cli deploy` at \d\d:\d\d UTC by <@U0RESPONDER> since this list was posted\. This list is out of date/,
      );
    expect(buttonsOf(shown(posted)?.blocks)).toEqual([]);
    expect(JSON.stringify(shown(posted)?.blocks)).not.toContain('*current*');
    const rollbacks = async () => (await readRuns()).filter((argv) => argv[0] === 'rollback').length;
    const before = await rollbacks();
    const replies = bot.replies().length;
    await press(posted, 'v57');
    const told = (await bot.fake.waitForCount('response_url', replies + 1)).at(-1)!.args as { text: string };
    expect(told.text).toMatch(
      /This list is out of date: since it was posted, `atom-cli deploy` at \d\d:\d\d UTC by <@U0RESPONDER> deployed another version\./,
    );
    expect(told.text).toContain('Nothing was rolled back');
    expect(await rollbacks()).toBe(before);
  });

  it('a failed rollback says so at once, with what the list it came from showed; the history is read again after', async () => {
    await rm(`${log}.running`, { force: true });
    await scenario({ rollback: 'does-not-take', logs: 'clean' });
    const channelId = await declare('rollback fails fast');
    const posted = await list(channelId);
    const historyReads = () =>
      readFileSync(log, 'utf8')
        .split('\n')
        .filter((l) => l.startsWith('{"argv":["deployments"')).length;
    const before = historyReads();
    const failed = (c: RecordedCall) =>
      c.method === 'chat.postMessage' &&
      c.args.channel === channelId &&
      /^:x: Rollback to `v57`/.test(String(c.args.text));
    let readsWhenSaid = -1;
    const stop = bot.fake.subscribe((c) => {
      if (failed(c)) readsWhenSaid = historyReads();
    });
    try {
      await press(posted, 'v57');
      const result = await bot.fake.waitFor('chat.postMessage', failed, 20_000);
      // Said before the history was read again, naming the version to try again with as the list offered it.
      expect(readsWhenSaid).toBe(before);
      expect(String(result.args.text)).toContain('Try again with `/incident rollback v57`');
    } finally {
      stop();
    }
    // Then read again (quietly), after.
    await expect.poll(historyReads, { timeout: 10_000 }).toBe(before + 1);
  });

  async function readRuns(): Promise<string[][]> {
    const { atomCliRuns } = await import('../support/atom-cli-log.js');
    return (await atomCliRuns(log)).map((r) => r.argv);
  }
});
