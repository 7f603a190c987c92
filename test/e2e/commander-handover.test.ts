import { describe, expect, it } from 'vitest';
import { type BotHarness, type CardRef, useBot } from '../support/bot-harness.js';
import { declareThroughBot, eventually } from '../support/incident-flow.js';
import { testRunbook } from '../support/test-runbook.js';

const json = (v: unknown) => JSON.stringify(v ?? {});
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Declares through the bot as a person does; the incident as a card reference. */
async function declare(bot: BotHarness, text: string): Promise<CardRef> {
  const { incidentId, channelId, cardTs } = await declareThroughBot(bot, text);
  return { id: incidentId, channelId, cardTs };
}

const row = async (bot: BotHarness, id: number) =>
  (
    await bot.db.query<{ commander_id: string | null; acknowledged_at: Date | null; acknowledged_by: string | null }>(
      'SELECT commander_id, acknowledged_at, acknowledged_by FROM incidents WHERE id = $1',
      [id],
    )
  ).rows[0]!;
const events = async (bot: BotHarness, id: number, kind: string) =>
  (
    await bot.db.query<{ actor_id: string; details: Record<string, unknown> }>(
      'SELECT actor_id, details FROM incident_events WHERE incident_id = $1 AND kind = $2 ORDER BY id',
      [id, kind],
    )
  ).rows;
const created = (bot: BotHarness, card: CardRef) =>
  bot.fake
    .callsTo('conversations.create')
    .find((c) => bot.fake.channelByName(String(c.args.name))?.id === card.channelId)?.args.name;
const dmsTo = (bot: BotHarness, user: string, re: RegExp) =>
  bot.fake.callsTo('chat.postMessage').filter((c) => c.args.channel === user && re.test(String(c.args.text)));

describe('/incident commander @person: command handed to someone, recorded, announced, and they are brought in', () => {
  // On-call is paged again 2 s after declaring unless someone acknowledges: handing command over is someone on it.
  const bot = useBot({ runbook: testRunbook({ respond: { 2: '2s' } }) });

  it('hands command over before anyone acknowledged: the card, the channel, the DM, the invite, the timeline', async () => {
    const card = await declare(bot, 'sev2 handover search latency');
    const res = await bot.command('commander <@U0SENIOR|senior>', { channel_id: card.channelId });
    expect(res.status).toBe(200);
    await bot.fake.waitFor(
      'chat.postMessage',
      (c) => c.args.channel === card.channelId && /handed command to <@U0SENIOR>/.test(String(c.args.text)),
    );
    // The one that makes them commander (on a loaded machine the re-page below may have reached senior DevOps first).
    const dm = await bot.fake.waitFor(
      'chat.postMessage',
      (c) => c.args.channel === 'U0SENIOR' && /made you the commander/.test(String(c.args.text)),
    );
    expect(String(dm.args.text)).toMatch(/<@U0REPORTER> made you the commander of incident #\d+/);
    expect(String(dm.args.text)).toContain('handover search latency');
    expect(json(dm.args.blocks)).toContain('Open the incident channel');
    await bot.fake.waitFor(
      'conversations.invite',
      (c) => c.args.channel === card.channelId && c.args.users === 'U0SENIOR',
    );
    expect([...bot.fake.channelByName(String(created(bot, card)))!.members]).toContain('U0SENIOR');

    const r = await row(bot, card.id);
    expect(r.commander_id).toBe('U0SENIOR');
    // Acknowledged by the one who handed it over: someone is on it.
    expect(r.acknowledged_by).toBe('U0REPORTER');
    expect(r.acknowledged_at).not.toBeNull();
    const handed = await events(bot, card.id, 'command_handed');
    expect(handed).toHaveLength(1);
    expect(handed[0]).toMatchObject({ actor_id: 'U0REPORTER', details: { from: null, to: 'U0SENIOR' } });
    await bot.fake.waitFor('chat.update', (c) => c.args.ts === card.cardTs && json(c.args.blocks).includes('U0SENIOR'));

    // The unacknowledged re-page (due 2 s after declaring) does not come: the hand-over cancelled its timer, unless a
    // loaded machine took the declaration and the hand-over past those 2 s and the loop had taken it (fired_at) by
    // then: then it may have paged on-call again as the hand-over came (a loaded CI run saw the page sent and the
    // timer, still pending while it ran, cancelled by the hand-over).
    const timer = await eventually(async () => {
      const { rows } = await bot.db.query<{ due_at: Date; state: string; fired_at: Date | null }>(
        "SELECT due_at, state, fired_at FROM escalation_jobs WHERE incident_id = $1 AND key = 'unacknowledged'",
        [card.id],
      );
      return rows[0] && rows[0].state !== 'pending' ? rows[0] : undefined;
    }, 'the response-time timer cancelled or fired');
    if (timer.fired_at) {
      expect(timer.fired_at.getTime()).toBeGreaterThanOrEqual(timer.due_at.getTime());
      expect(dmsTo(bot, 'U0ONCALL', /handover search latency/).length).toBeLessThanOrEqual(2);
    } else {
      expect(timer.state).toBe('cancelled');
      await sleep(3500);
      expect(dmsTo(bot, 'U0ONCALL', /handover search latency/)).toHaveLength(1);
    }

    const timeline = await bot.command('timeline', { channel_id: card.channelId });
    expect((await bot.answer(timeline)).text).toMatch(/<@U0REPORTER> handed command to <@U0SENIOR>/);
  }, 30_000);

  it('to the commander already: said, nothing recorded; `lead` is the same command', async () => {
    const card = await declare(bot, 'sev2 handover twice');
    await bot.command('lead <@U0SENIOR>', { channel_id: card.channelId });
    // The hand-over's DM, not the re-page (due 2 s after declaring) a loaded machine may have sent them first.
    await bot.fake.waitFor(
      'chat.postMessage',
      (c) => c.args.channel === 'U0SENIOR' && /made you the commander/.test(String(c.args.text)),
    );
    const again = await bot.command('commander <@U0SENIOR>', { channel_id: card.channelId });
    expect((await bot.answer(again)).text).toMatch(/<@U0SENIOR> is already the commander/);
    expect(await events(bot, card.id, 'command_handed')).toHaveLength(1);
    expect(dmsTo(bot, 'U0SENIOR', /made you the commander/)).toHaveLength(1);
  }, 30_000);

  it('a person typed by name (with @ or without, a stop after it) is looked up', async () => {
    bot.fake.addUser('U0DANA', { name: 'dana', real_name: 'Dana Scully' });
    const card = await declare(bot, 'sev2 handover by name');
    await bot.command('commander dana.', { channel_id: card.channelId });
    await bot.fake.waitFor(
      'chat.postMessage',
      (c) => c.args.channel === card.channelId && /handed command to <@U0DANA>/.test(String(c.args.text)),
    );
    expect((await row(bot, card.id)).commander_id).toBe('U0DANA');
  }, 30_000);

  it('to someone Slack will not invite or message: the change stands, and whoever made it is told what to do', async () => {
    bot.fake.unknownUsers.add('U0GONE');
    const card = await declare(bot, 'sev2 handover to someone gone');
    const res = await bot.command('commander <@U0GONE>', { channel_id: card.channelId });
    const told = await bot.answer(res);
    expect(told.text).toMatch(/^:warning: .*, but Slack would not invite <@U0GONE> to this channel/);
    expect(told.text).toContain('invite them by hand, or hand command to someone else');
    expect(told.text).toContain(
      '<@U0GONE> could not be told in a direct message (channel_not_found): tell them yourself',
    );
    expect((await row(bot, card.id)).commander_id).toBe('U0GONE');
  }, 30_000);

  it('from a commander to another: the channel names both; handing it to oneself is taking command', async () => {
    const card = await declare(bot, 'sev2 handover chain');
    await bot.command('ack', { channel_id: card.channelId });
    await bot.fake.waitFor(
      'chat.postMessage',
      (c) => c.args.channel === card.channelId && /acknowledged the incident/.test(String(c.args.text)),
    );
    await bot.command('commander <@U0SENIOR>', { channel_id: card.channelId });
    await bot.fake.waitFor(
      'chat.postMessage',
      (c) =>
        c.args.channel === card.channelId &&
        String(c.args.text).includes('handed command to <@U0SENIOR> (from <@U0REPORTER>)'),
    );
    // The engineering manager hands it to themself: no DM to themself, the channel says they took it.
    await bot.command('commander <@U0MANAGER>', { channel_id: card.channelId, user_id: 'U0MANAGER' });
    await bot.fake.waitFor(
      'chat.postMessage',
      (c) =>
        c.args.channel === card.channelId && String(c.args.text).includes('<@U0MANAGER> took command from <@U0SENIOR>'),
    );
    expect((await row(bot, card.id)).commander_id).toBe('U0MANAGER');
    expect(dmsTo(bot, 'U0MANAGER', /made you the commander/)).toHaveLength(0);
    // The acknowledgement stays the first one's.
    expect((await row(bot, card.id)).acknowledged_by).toBe('U0REPORTER');
  }, 30_000);

  it('bad names are refused with what to type, and a resolved incident keeps its commander', async () => {
    const card = await declare(bot, 'sev2 handover refusals');
    const say = async (text: string) =>
      (await bot.answer(await bot.command(text, { channel_id: card.channelId }))).text;
    expect(await say('commander')).toMatch(/Name the new commander after it, e.g. `\/incident commander @alice`/);
    expect(await say('commander <!here>')).toMatch(/`@here` is not a person: an incident has one commander/);
    expect(await say('commander <!subteam^S0DBA|@dba>')).toMatch(/is not a person/);
    expect(await say('commander <@U0SENIOR> and <@U0MANAGER>')).toMatch(/takes one person/);
    expect(await say('commander <@UBOT>')).toMatch(/The bot cannot command an incident: name a person/);
    expect(await say('commander nobody-at-all.')).toMatch(/Nobody in this workspace is called `@nobody-at-all`/);
    expect(await say('commander @nobody-by-that-name')).toMatch(
      /Nobody in this workspace is called `@nobody-by-that-name`/,
    );
    expect(await events(bot, card.id, 'command_handed')).toHaveLength(0);
    expect((await row(bot, card.id)).commander_id).toBeNull();
    // Each refusal past the parser is audited as one.
    await eventually(async () => {
      const { rows } = await bot.db.query<{ outcome: string }>(
        "SELECT outcome FROM audit_log WHERE action = 'commander' AND incident_id = $1",
        [card.id],
      );
      return rows.length === 6 && rows.every((r) => r.outcome === 'refused') ? rows : undefined;
    }, 'six refusals audited (the one with nothing after it is answered with the usage)');

    await bot.command('resolve done', { channel_id: card.channelId });
    await bot.fake.waitFor(
      'chat.postMessage',
      (c) => c.args.channel === card.channelId && /resolved/i.test(String(c.args.text)),
    );
    expect(await say('commander <@U0SENIOR>')).toMatch(/resolved/);
    expect(await events(bot, card.id, 'command_handed')).toHaveLength(0);
  }, 30_000);
});
