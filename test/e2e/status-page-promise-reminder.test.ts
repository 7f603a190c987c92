import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { useBot } from '../support/bot-harness.js';
import { declareThroughBot, eventually, postStatusUpdate } from '../support/incident-flow.js';

const COMMANDER = 'U0CMDR';
const promised = (channelId: string) => (c: { args: Record<string, unknown> }) =>
  c.args.channel === channelId && /the status page promised the next update/.test(String(c.args.text));

/**
 * The commander is reminded when the next update promised passes. An update not published to the status page moved
 * that time, while the page still showed the published update's promise: it passed with nobody told. Found from
 * outside: a published update promising 5 s, then an unpublished one promising 15 minutes.
 */
describe("the status page's promised next update, after an unpublished update", () => {
  const bot = useBot({ incidentsChannel: true });
  const now = () => Math.floor(Date.now() / 1000);

  const acknowledged = async (title: string) => {
    const inc = await declareThroughBot(bot, title);
    await bot.command('ack', { channel_id: inc.channelId, user_id: COMMANDER });
    await eventually(async () => {
      const { rows } = await bot.db.query<{ commander_id: string | null }>(
        'SELECT commander_id FROM incidents WHERE id = $1',
        [inc.incidentId],
      );
      return rows[0]?.commander_id === COMMANDER ? true : undefined;
    }, 'the commander');
    return inc;
  };
  const update = (currentStatus: string, next: number, publish: boolean) => ({
    affected: 'checkout',
    impact: 'some payments fail',
    currentStatus,
    next,
    publish,
  });

  it('reminds the commander when the public promise passes, though the channel’s next update is later', async () => {
    const inc = await acknowledged('sev1 payments fail');
    await postStatusUpdate(bot, inc, update('PUBLIC-ONE', now() + 5, true), COMMANDER);
    await postStatusUpdate(bot, inc, update('INTERNAL-TWO', now() + 15 * 60, false), COMMANDER);
    await eventually(async () => {
      const page = await (await fetch(`${bot.baseUrl}/status`)).text();
      return page.includes('PUBLIC-ONE') ? true : undefined;
    }, 'the published update on the page');
    const reminder = await bot.fake.waitFor('chat.postMessage', promised(inc.channelId), 20_000);
    expect(String(reminder.args.text)).toContain(`<@${COMMANDER}>`);
    expect(String(reminder.args.text)).toContain('Publish one');
    // The channel's own next update, 15 minutes away, is not said to be due.
    expect(
      bot.fake
        .callsTo('chat.postMessage')
        .filter((c) => c.args.channel === inc.channelId && /the next status update was due/.test(String(c.args.text))),
    ).toEqual([]);
  });

  it('a published update sets the promise anew: the earlier one is not reminded', async () => {
    const inc = await acknowledged('sev1 search is down');
    await postStatusUpdate(bot, inc, update('PUBLIC-A', now() + 4, true), COMMANDER);
    await postStatusUpdate(bot, inc, update('INTERNAL-B', now() + 15 * 60, false), COMMANDER);
    await postStatusUpdate(bot, inc, update('PUBLIC-C', now() + 20 * 60, true), COMMANDER);
    await sleep(7000);
    expect(bot.fake.callsTo('chat.postMessage').filter(promised(inc.channelId))).toEqual([]);
  });
});
