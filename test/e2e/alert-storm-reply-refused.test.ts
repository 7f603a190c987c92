import { describe, expect, it } from 'vitest';
import { ALERTS_ENV } from '../support/alert-request.js';
import { waitUntil } from '../support/alert-runbook.js';
import { stormOf, stormReturnRunbook } from '../support/alert-storm.js';
import { INCIDENTS_CHANNEL_ID, useBot } from '../support/bot-harness.js';

const json = (v: unknown) => JSON.stringify(v);

/**
 * A public storm joins A, then C (more severe, opened past the cap): the incidents channel's message is updated to name
 * C, and its thread told so. While Slack refuses that reply (every attempt of the step, for all the bot knows), the
 * message names C and A before it, but does not say its thread tells when it changed: the thread says nothing. Once
 * Slack takes the reply, it does.
 */
describe("a public storm's move whose reply in the thread Slack refuses", () => {
  const bot = useBot({
    incidentsChannel: true,
    runbook: stormReturnRunbook(),
    env: { ...ALERTS_ENV, ALERTS_MAX_INCIDENTS: '2' },
  });
  const s = stormOf(bot, 'storm-reply-refused');

  it('says the thread tells when it changed only once the reply is posted', async () => {
    const { a, ts } = await s.start();
    const shown = () => json(bot.fake.message(INCIDENTS_CHANNEL_ID, ts)?.blocks);
    let refusing = true;
    bot.fake.failNext(
      'chat.postMessage',
      { error: 'internal_error' },
      100,
      (args) => refusing && args.thread_ts === ts,
    );
    const refused = () =>
      bot.fake.callsTo('chat.postMessage').filter((m) => m.args.thread_ts === ts && m.failed !== undefined);
    // A SEV-1 alert (no row), more severe than A: opened past the cap as C; the next joins C, and so does the storm.
    await s.fire('sev1a', 'sev1a_depth');
    const c = await s.declared(await s.incidentOf('sev1a'));
    await s.fire('sev1b', 'sev1b_depth', { wait: false });
    expect(await s.incidentOf('sev1b')).toBe(c.id);
    // Refused twice (the step tried again): the message names C, A before it, and nothing of a thread that is empty.
    await waitUntil("C's reply refused twice", async () => refused().length >= 2, 30_000);
    expect(s.replies(ts)).toEqual([]);
    expect(shown()).toContain(`incident #${c.number}`);
    expect(shown()).toContain(`before: #${a.number})`);
    expect(shown()).not.toContain('the thread says');
    // Slack takes it again: the reply is posted, and the message now points to its thread.
    refusing = false;
    await waitUntil('the reply naming C', async () => s.replies(ts).includes(`#${c.number}`), 60_000);
    await waitUntil('the message pointing to its thread', async () =>
      shown().includes(`before: #${a.number}; the thread says when it changed`),
    );
    expect(s.replies(ts)).toEqual([`#${c.number}`]);
    expect(shown()).toContain(`incident #${c.number}`);
  }, 120_000);
});
