import { describe, expect, it } from 'vitest';
import { parseRunbook } from '../../src/runbook/runbook.js';
import { BLOCK, FLAG, INPUT, VIEW } from '../../src/templates/ids.js';
import { declareMetadata } from '../../src/templates/payloads.js';
import { type BotHarness, useBot } from '../support/bot-harness.js';
import { stateValue, TEST_REPORTER_ID } from '../support/slack-request.js';
import { testRunbookData, UNAUTHORIZED_ACCESS_PLAYBOOK } from '../support/test-runbook.js';

const GENERAL = 'C0GENERAL';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The declare form, opened from #general, sent with a SEV-3 and `title` (and `values` beside). */
const declareFrom = (bot: BotHarness, title: string, values: Record<string, unknown> = {}) =>
  bot.submit({
    callbackId: VIEW.declare,
    privateMetadata: declareMetadata.encode({ from: 'command', channelId: GENERAL }),
    values: {
      [BLOCK.declareSeverity]: { [INPUT.severity]: stateValue.staticSelect('3') },
      [BLOCK.declareTitle]: { [INPUT.text]: stateValue.plainText(title) },
      ...values,
    },
  });

/**
 * A form sent from a channel is answered only to the person there (chat.postEphemeral), and by direct message where
 * that cannot reach them; any other failure of Slack's is not hidden by a second post, and the person is answered
 * through the bot's one error path.
 */
describe('the answer to a form sent from a channel', () => {
  const bot = useBot({ timers: false });

  const directsTo = (user: string) => bot.fake.callsTo('chat.postMessage').filter((c) => c.args.channel === user);

  it('goes by direct message when the channel cannot take it (archived, the bot not in it, …)', async () => {
    bot.fake.channels.get(GENERAL)!.members.add(TEST_REPORTER_ID);
    for (const error of ['is_archived', 'not_in_channel', 'channel_not_found']) {
      bot.fake.reset();
      bot.fake.failNext('chat.postEphemeral', { error });
      await declareFrom(bot, `checkout slow ${error}`);
      const told = await bot.fake.waitForTold(TEST_REPORTER_ID);
      expect([error, told.via, told.text]).toEqual([
        error,
        'direct',
        expect.stringMatching(/^Incident #\d+ \(SEV-3\) is open/),
      ]);
    }
  });

  it('any other failure is not posted again by direct message: the person gets the error path’s answer, with a reference, not told that nothing was done', async () => {
    bot.fake.channels.get(GENERAL)!.members.add(TEST_REPORTER_ID);
    // A message Slack refuses (a malformed one): the same message again as a direct message would fail alike.
    bot.fake.failNext('chat.postEphemeral', { error: 'invalid_blocks' });
    await declareFrom(bot, 'checkout slower');
    const told = await bot.fake.waitForTold(TEST_REPORTER_ID);
    expect(told.via).toBe('ephemeral');
    // The incident was declared: the person is told which it is, not that nothing was changed.
    const { rows } = await bot.db.query<{ number: number; channel_id: string }>(
      'SELECT number, channel_id FROM incidents WHERE title = $1',
      ['checkout slower'],
    );
    expect(rows).toHaveLength(1);
    expect(told.text).toMatch(
      new RegExp(
        `^:warning: Incident #${rows[0]!.number} \\(SEV-3\\) was declared: <#${rows[0]!.channel_id}> .*but the bot's answer could not be shown to you \\(reference [0-9A-F]{6}\\)`,
      ),
    );
    expect(bot.fake.callsTo('chat.postEphemeral').map((c) => c.failed && 'failed')).toEqual(['failed', undefined]);
    await sleep(300);
    expect(directsTo(TEST_REPORTER_ID)).toEqual([]);
  });

  it('a bad token is not hidden behind a direct message either', async () => {
    bot.fake.channels.get(GENERAL)!.members.add(TEST_REPORTER_ID);
    bot.fake.failNext('chat.postEphemeral', { error: 'invalid_auth' }, 2);
    await declareFrom(bot, 'checkout slowest');
    // The answer, then the error path's answer: both refused, neither sent again.
    const answers = await bot.fake.waitForCount('chat.postEphemeral', 2, undefined, 5000, { includeFailed: true });
    expect(answers.map((c) => c.failed && 'failed')).toEqual(['failed', 'failed']);
    await sleep(300);
    expect(bot.fake.callsTo('chat.postEphemeral')).toHaveLength(2);
    expect(directsTo(TEST_REPORTER_ID)).toEqual([]);
  });
});

/** A security playbook's words in a title make the incident private, whichever way it is declared. */
describe('the answer to a declare form whose incident is private', () => {
  const bot = useBot({
    timers: false,
    runbook: parseRunbook({
      ...testRunbookData(),
      playbooks: { 'unauthorized-access': UNAUTHORIZED_ACCESS_PLAYBOOK },
    }),
  });

  it('a form whose title made the incident private says why, as the slash command does; ticking Private says nothing more', async () => {
    bot.fake.channels.get(GENERAL)!.members.add(TEST_REPORTER_ID);
    await declareFrom(bot, 'unauthorized access on the admin console');
    const told = await bot.fake.waitForTold(TEST_REPORTER_ID);
    expect(told.text).toMatch(/:lock: It is private because its title reads as a security incident: announced nowhere/);
    bot.fake.reset();
    await declareFrom(bot, 'payroll export mismatch', {
      [BLOCK.declarePrivate]: { [INPUT.checks]: stateValue.checkboxes([{ value: FLAG.private }]) },
    });
    const asked = await bot.fake.waitForTold(TEST_REPORTER_ID);
    expect(asked.text).toMatch(/:lock: It is private: announced nowhere/);
  });
});
