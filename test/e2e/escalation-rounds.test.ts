import { describe, expect, it } from 'vitest';
import { ACTION } from '../../src/templates/ids.js';
import { channelSays, declare, dmsTo, json, useEscalationRulesBot } from '../support/escalation-flow.js';
import type { RecordedCall } from '../support/fake-slack.js';
import { cardShows } from '../support/incident-flow.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Nobody acknowledging: each response time pages on-call again with the next role, counted again from a reopening or
 * a severity change.
 */
describe('escalation rules', () => {
  const bot = useEscalationRulesBot();

  it('nobody acknowledging within the response time pages on-call again together with the next role', async () => {
    const inc = await declare(bot, 'sev1 auth broken');
    await bot.fake.waitFor('chat.postMessage', (c) => c.args.channel === 'U0ONCALL' && json(c).includes('auth broken'));
    await bot.fake.waitForCount(
      'chat.postMessage',
      2,
      (c) => c.args.channel === 'U0ONCALL' && json(c).includes('auth broken'),
      5000,
    );
    await bot.fake.waitFor(
      'chat.postMessage',
      (c) => c.args.channel === 'U0SENIOR' && json(c).includes('auth broken'),
      3000,
    );
    expect(
      channelSays(bot, inc.channelId, /nobody acknowledged within the SEV-1 response time \(2 seconds\)/).length,
    ).toBeGreaterThanOrEqual(1);
  });

  it('nobody acknowledging: each response time pages on-call again with the next role whose condition holds, until someone acknowledges', async () => {
    const inc = await declare(bot, 'sev1 nobody answers');
    const title = (c: RecordedCall) => json(c).includes('nobody answers');
    // Round 1 (2 s): on-call again and senior DevOps; rounds 2 (4 s) and 3 (6 s): on-call again, alone. The engineering
    // manager (if customer impact) and the CTO (if SEV-0 or data loss risk) are not climbed to for a SEV-1 without
    // either (they were, in turn, before the climb followed the runbook's conditions).
    await bot.fake.waitFor('chat.postMessage', (c) => c.args.channel === 'U0SENIOR' && title(c), 10_000);
    // The card names on-call alone for the next round, once round 1's pages are out (drawn while they go, it says
    // "Paging: …" with the same next round).
    const shown = await cardShows(
      bot,
      inc,
      /Paged: On-Call Engineer [^"]*Senior DevOps Engineer[^"]*Next: On-Call Engineer again \(<@U0ONCALL>\) <!date[^"]*unless acknowledged by then/,
    );
    expect(shown).toMatch(/Paged: On-Call Engineer [^"]*Senior DevOps Engineer/);
    await bot.fake.waitForCount('chat.postMessage', 4, (c) => c.args.channel === 'U0ONCALL' && title(c), 10_000);
    expect(dmsTo(bot, 'U0SENIOR').filter(title)).toHaveLength(1);
    for (const user of ['U0MANAGER', 'U0CTO']) expect(dmsTo(bot, user).filter(title)).toHaveLength(0);
    await bot.fake.waitFor(
      'chat.postMessage',
      (c) => c.args.channel === inc.channelId && /paged again, and nobody further up/.test(String(c.args.text)),
    );
    expect(channelSays(bot, inc.channelId, /nobody further up/)).toHaveLength(1);
    // Round 1's two pages and one of on-call for each later round, each said in the channel.
    await bot.fake.waitForCount(
      'chat.postMessage',
      4,
      (c) =>
        c.args.channel === inc.channelId &&
        /nobody acknowledged within the SEV-1 response time \(2 seconds\)/.test(String(c.args.text)),
    );
    // Acknowledged: no round after it.
    await bot.clickCard(inc, ACTION.acknowledge, 'U0ONCALL');
    await bot.fake.waitFor(
      'chat.postMessage',
      (c) => c.args.channel === inc.channelId && /acknowledged/.test(String(c.args.text)),
    );
    const onCall = dmsTo(bot, 'U0ONCALL').filter(title).length;
    await sleep(4500);
    expect(dmsTo(bot, 'U0ONCALL').filter(title)).toHaveLength(onCall);
    const { rows } = await bot.db.query<{ n: string }>(
      "SELECT count(*) AS n FROM escalation_jobs WHERE incident_id = $1 AND rule = 'unacknowledged' AND state = 'pending'",
      [inc.id],
    );
    expect(Number(rows[0]!.n)).toBe(0);
  });

  it('reopened with nobody having acknowledged: the response time counts again from the reopening and pages as at first', async () => {
    // SEV-3 responds within 4 s here. Its first round fires (on-call again, senior DevOps), then it is resolved.
    const inc = await declare(bot, 'sev3 flapping link');
    const title = (c: RecordedCall) => json(c).includes('flapping link');
    await bot.fake.waitFor('chat.postMessage', (c) => c.args.channel === 'U0SENIOR' && title(c), 30_000);
    await bot.command('resolve it came back', { channel_id: inc.channelId });
    await bot.fake.waitFor(
      'chat.postMessage',
      (c) => c.args.channel === inc.channelId && /resolved/.test(String(c.args.text)),
    );
    const onCall = dmsTo(bot, 'U0ONCALL').filter(title).length;
    const reopened = Date.now();
    await bot.command('reopen it is down again', { channel_id: inc.channelId });
    await bot.fake.waitFor(
      'chat.postMessage',
      (c) => c.args.channel === inc.channelId && /reopened/.test(String(c.args.text)),
    );
    // One response time after the reopening, nobody having acknowledged: on-call again. Senior DevOps was paged, and
    // the engineering manager and the CTO are paged for customer impact, SEV-0 or data loss, none of which holds: on-call
    // alone, and the channel is told why (before the climb followed the runbook's conditions: the engineering manager).
    const again = await bot.fake.waitForCount(
      'chat.postMessage',
      onCall + 1,
      (c) => c.args.channel === 'U0ONCALL' && title(c),
      30_000,
    );
    expect(again.at(-1)!.at - reopened).toBeGreaterThanOrEqual(3500);
    await bot.fake.waitFor(
      'chat.postMessage',
      (c) => c.args.channel === inc.channelId && /nobody further up/.test(String(c.args.text)),
    );
    expect(dmsTo(bot, 'U0MANAGER').filter(title)).toHaveLength(0);
    await bot.command('resolve done', { channel_id: inc.channelId });
  }, 60_000);

  it('a severity change reschedules the response-time timer by the new response time', async () => {
    const inc = await declare(bot, 'sev3 minor glitch');
    await bot.command('sev1', { channel_id: inc.channelId });
    await bot.fake.waitForCount(
      'chat.postMessage',
      2,
      (c) => c.args.channel === 'U0ONCALL' && json(c).includes('minor glitch'),
      5000,
    );
  });
});
