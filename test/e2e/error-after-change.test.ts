import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { ACTION } from '../../src/templates/ids.js';
import { actionItemRef } from '../../src/templates/payloads.js';
import { useBot } from '../support/bot-harness.js';
import { declareThroughBot, type Opened } from '../support/incident-flow.js';

/**
 * An unexpected failure after what was asked was done (the row committed, the incident changed) must not answer that
 * nothing was changed and the person can try again: they would do it twice. Here the failure is Slack's: the answer to
 * the command, sent to its response_url, is refused once; the bot's error path answers there next.
 */
describe('an unexpected failure after the change was made', () => {
  const bot = useBot({ timers: false });
  let incident: Opened;
  const errors: string[] = [];
  let spy: ReturnType<typeof vi.spyOn> | undefined;

  beforeAll(async () => {
    incident = await declareThroughBot(bot, 'sev3 checkout slow');
  });
  beforeEach(() => {
    errors.length = 0;
    spy = vi.spyOn(console, 'error').mockImplementation((...args: unknown[]) => {
      errors.push(args.map(String).join(' '));
    });
  });
  afterEach(() => spy?.mockRestore());

  /** Types `/incident <text>` in the incident's channel with its answer refused once; resolves with the next one. */
  const answerRefusedOnce = async (text: string) => {
    bot.fake.failNext('response_url', { status: 500 });
    await bot.command(text, { channel_id: incident.channelId });
    const told = await bot.fake.waitFor('response_url', (c) => !c.failed);
    expect(bot.fake.callsTo('response_url').map((c) => Boolean(c.failed))).toEqual([true, false]);
    return String(told.args.text);
  };

  it('says it was done, to look before trying again, with a reference that is in the log', async () => {
    const text = await answerRefusedOnce('action Check the pool limits');
    const { rows } = await bot.db.query('SELECT 1 FROM action_items WHERE incident_id = $1 AND text = $2', [
      incident.incidentId,
      'Check the pool limits',
    ]);
    expect(rows).toHaveLength(1);
    expect(text).toMatch(
      /^:x: What you asked was done, but something went wrong on the bot's side afterwards \(reference [0-9A-F]{6}\)\. Look in the channel before you try again; give the reference to whoever runs the bot\.$/,
    );
    expect(text).not.toMatch(/Nothing was changed/);
    const ref = /reference ([0-9A-F]{6})/.exec(text)![1];
    expect(errors.some((line) => line.includes(`[ref ${ref}]`))).toBe(true);
  });

  it('a button alike: an action item closed by its Done button, the answer to the click refused once', async () => {
    const OWNER = 'U0OWNER';
    await bot.command(`action Rotate the leaked key <@${OWNER}>`, { channel_id: incident.channelId });
    const dm = await bot.fake.waitFor('chat.postMessage', (c) => c.args.channel === OWNER);
    await bot.fake.waitFor('response_url', (c) => /Added the action item/.test(String(c.args.text)));
    const { rows } = await bot.db.query<{ id: number }>('SELECT id FROM action_items WHERE text = $1', [
      'Rotate the leaked key',
    ]);
    const itemId = Number(rows[0]!.id);
    bot.fake.reset();
    bot.fake.failNext('response_url', { status: 500 });
    await bot.click({
      channelId: OWNER,
      messageTs: String(dm.response?.ts),
      actionId: ACTION.actionItemDone,
      value: actionItemRef.encode(itemId),
      userId: OWNER,
    });
    const told = String((await bot.fake.waitFor('response_url', (c) => !c.failed)).args.text);
    const state = await bot.db.query<{ state: string }>('SELECT state FROM action_items WHERE id = $1', [itemId]);
    expect(state.rows[0]!.state).not.toBe('open');
    expect(told).toMatch(/^:x: What you asked was done, but something went wrong on the bot's side afterwards/);
    const ref = /reference ([0-9A-F]{6})/.exec(told)![1];
    expect(errors.some((line) => line.includes(`[ref ${ref}]`))).toBe(true);
  });

  it('a request that changed nothing (a read) still says that nothing was changed', async () => {
    const text = await answerRefusedOnce('timeline');
    expect(text).toMatch(/^:x: Something went wrong on the bot's side \(reference [0-9A-F]{6}\)\. Nothing was changed/);
    const ref = /reference ([0-9A-F]{6})/.exec(text)![1];
    expect(errors.some((line) => line.includes(`[ref ${ref}]`))).toBe(true);
  });
});
