import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { BLOCK, INPUT, VIEW } from '../../src/templates/ids.js';
import { declareMetadata } from '../../src/templates/payloads.js';
import { useBot } from '../support/bot-harness.js';
import { stateValue, TEST_GENERAL_CHANNEL_ID, TEST_REPORTER_ID } from '../support/slack-request.js';

/**
 * A declaration that made its incident whole (channel, card, timers) and whose last answer to the declarer then failed
 * must name the incident that exists: "nothing was changed, try again" would have the person declare it a second time.
 */
describe('a declaration whose answer fails once the incident is whole', () => {
  const bot = useBot({ timers: false });
  const errors: string[] = [];
  let spy: ReturnType<typeof vi.spyOn> | undefined;

  beforeEach(() => {
    errors.length = 0;
    spy = vi.spyOn(console, 'error').mockImplementation((...args: unknown[]) => {
      errors.push(args.map(String).join(' '));
    });
    bot.fake.channels.get(TEST_GENERAL_CHANNEL_ID)!.members.add(TEST_REPORTER_ID);
  });
  afterEach(() => spy?.mockRestore());

  /** The incidents titled `title`: their number and channel. */
  const incidentsTitled = async (title: string) =>
    (
      await bot.db.query<{ number: number; channel_id: string }>(
        'SELECT number, channel_id FROM incidents WHERE title = $1',
        [title],
      )
    ).rows;

  /** The answer names incident #N and its channel, not "nothing was changed", and its reference is in the log. */
  const expectNamesIncident = async (text: string | undefined, title: string) => {
    const rows = await incidentsTitled(title);
    expect(rows).toHaveLength(1);
    const { number, channel_id } = rows[0]!;
    expect(text).toMatch(
      new RegExp(
        `^:warning: Incident #${number} \\(SEV-\\d\\) was declared: <#${channel_id}> \\(the card there has the buttons\\), but .+ \\(reference [0-9A-F]{6}\\)\\. Do not declare it again`,
      ),
    );
    expect(text).not.toMatch(/Nothing was changed|try again;|nothing was kept/);
    const ref = /reference ([0-9A-F]{6})/.exec(String(text))![1];
    expect(errors.some((line) => line.includes(`[ref ${ref}]`))).toBe(true);
  };

  it('`/incident sev1 …` with its response_url refused once: the answer there names the incident', async () => {
    bot.fake.failNext('response_url', { status: 500 });
    await bot.command('sev1 payments down at 3am');
    const told = await bot.fake.waitFor('response_url', (c) => !c.failed, 15_000);
    expect(bot.fake.callsTo('response_url').map((c) => Boolean(c.failed))).toEqual([true, false]);
    await expectNamesIncident(String(told.args.text), 'payments down at 3am');
  });

  it('`/incident sev1 …` with its response_url refused for good: the answer goes in the channel instead', async () => {
    bot.fake.failNext('response_url', { status: 500 }, 2);
    await bot.command('sev1 ledger stuck');
    const told = await bot.fake.waitForTold(TEST_REPORTER_ID, undefined, 15_000);
    expect([told.via, told.channel]).toEqual(['ephemeral', TEST_GENERAL_CHANNEL_ID]);
    await expectNamesIncident(told.text, 'ledger stuck');
  });

  const submitDeclare = (title: string, meta: Parameters<typeof declareMetadata.encode>[0]) =>
    bot.submit({
      callbackId: VIEW.declare,
      privateMetadata: declareMetadata.encode(meta),
      values: {
        [BLOCK.declareSeverity]: { [INPUT.severity]: stateValue.staticSelect('1') },
        [BLOCK.declareTitle]: { [INPUT.text]: stateValue.plainText(title) },
      },
    });

  it('the declare form, its answer refused by Slack once: the next answer names the incident', async () => {
    bot.fake.failNext('chat.postEphemeral', { error: 'invalid_blocks' });
    await submitDeclare('search returns nothing', { from: 'command', channelId: TEST_GENERAL_CHANNEL_ID });
    const told = await bot.fake.waitForTold(TEST_REPORTER_ID, undefined, 15_000);
    expect(bot.fake.callsTo('chat.postEphemeral').map((c) => Boolean(c.failed))).toEqual([true, false]);
    await expectNamesIncident(told.text, 'search returns nothing');
    expect(told.text).toContain("but the bot's answer could not be shown to you");
  });

  it('the message shortcut’s form alike', async () => {
    bot.fake.failNext('chat.postEphemeral', { error: 'invalid_blocks' });
    await submitDeclare('checkout throws 500s', {
      from: 'message',
      channelId: TEST_GENERAL_CHANNEL_ID,
      ts: '1700000000.000100',
    });
    const told = await bot.fake.waitForTold(TEST_REPORTER_ID, undefined, 15_000);
    await expectNamesIncident(told.text, 'checkout throws 500s');
  });
});
