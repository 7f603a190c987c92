import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mrkdwnTexts } from '../support/block-kit-limits.js';
import { type BotHarness, INCIDENTS_CHANNEL_ID, startBot, useBot } from '../support/bot-harness.js';
import { countIncidents, incidentRow } from '../support/incident-row.js';
import { TEST_REPORTER_ID } from '../support/slack-request.js';
import { CARD_ACTION_IDS } from '../support/template-parts.js';

const allText = (msg: { text?: string; blocks?: unknown[] }) => JSON.stringify([msg.text ?? '', msg.blocks ?? []]);

/** Every string Slack parses for mentions: the fallback text and each mrkdwn object (plain_text is shown literally). */
const mentionable = (msg: { text?: string; blocks?: unknown[] }) => [
  msg.text ?? '',
  ...mrkdwnTexts(msg.blocks ?? []).map((t) => t.text),
];

describe('declaring an incident with /incident sev1 db down', () => {
  const bot = useBot({ incidentsChannel: true, timers: false });

  it('acks at once, records it, makes the channel, posts and pins the card, announces it and tells the reporter', async () => {
    const res = await bot.command('sev1 db down');
    expect(res.status).toBe(200);
    expect(res.text).toBe('');

    const reply = await bot.fake.waitFor('response_url');
    const create = bot.fake.callsTo('conversations.create').filter((c) => !c.failed);
    expect(create).toHaveLength(1);
    const channelName = create[0]!.args.name as string;
    expect(channelName).toMatch(/^inc-\d+-db-down$/);
    const channel = bot.fake.channelByName(channelName)!;
    expect(channel.topic).toContain('SEV-1 · respond within 15 minutes');
    expect(channel.members.has(TEST_REPORTER_ID)).toBe(true);

    const card = bot.fake.postedIn(channel.id)[0]!;
    const cardText = allText(card);
    expect(cardText).toContain('db down');
    expect(cardText).toContain('SEV-1 · respond within 15 minutes');
    expect(cardText).toContain('Investigating');
    expect(cardText).toContain('Detection');
    expect(cardText).toMatch(/ago/);
    for (const id of CARD_ACTION_IDS) expect(cardText).toContain(id);
    expect(channel.pins).toContain(card.ts);

    const announce = bot.fake.postedIn(INCIDENTS_CHANNEL_ID);
    expect(announce).toHaveLength(1);
    expect(allText(announce[0]!)).toContain(`<#${channel.id}>`);

    expect(reply.args.response_type).toBe('ephemeral');
    expect(reply.args.text).toContain(`<#${channel.id}>`);

    const row = await incidentRow(bot.db, { channelId: channel.id });
    expect(row).toMatchObject({
      title: 'db down',
      severity: 1,
      status: 'investigating',
      phase: 'detection',
      reporter_id: TEST_REPORTER_ID,
      card_ts: card.ts,
    });
    expect(channelName).toBe(`inc-${row!.number}-db-down`);
  });

  it.each([
    ['SEV0 all machines down', 0],
    ['sev-2 slow responses', 2],
    ['Sev3 typo on pricing page', 3],
  ])('accepts severity spelled %s', async (text, severity) => {
    await bot.command(text);
    await bot.fake.waitFor('response_url');
    const created = bot.fake.callsTo('conversations.create').find((c) => !c.failed)!;
    const ch = bot.fake.channelByName(created.args.name as string)!;
    expect(allText(bot.fake.postedIn(ch.id)[0]!)).toContain(`SEV-${severity}`);
  });

  it('numbers incidents per workspace and picks another channel name when taken', async () => {
    const first = await bot.db.query<{ n: number }>(
      "SELECT coalesce(max(number), 0) AS n FROM incidents WHERE team_id = 'T0TEST'",
    );
    const next = Number(first.rows[0]!.n) + 1;
    bot.fake.addChannel(`inc-${next}-cache-down`, {});
    await bot.command('sev2 cache down');
    await bot.fake.waitFor('response_url');
    expect(bot.fake.channelByName(`inc-${next}-cache-down-2`)).toBeDefined();
  });

  it('keeps emoji and non-Latin titles, and never lets a title ping anyone', async () => {
    await bot.command('sev1 <!channel> db down 🔥 <@U123> データベース');
    await bot.fake.waitFor('response_url');
    const created = bot.fake.callsTo('conversations.create').find((c) => !c.failed)!;
    const ch = bot.fake.channelByName(created.args.name as string)!;
    const card = bot.fake.postedIn(ch.id)[0]!;
    const announce = bot.fake.postedIn(INCIDENTS_CHANNEL_ID).at(-1)!;
    for (const m of [card, announce]) {
      for (const t of mentionable(m)) {
        expect(t).not.toContain('<!channel>');
        expect(t).not.toContain('<@U123>');
      }
      expect(allText(m)).toContain('🔥');
    }
    expect(ch.topic).not.toContain('<!channel>');
    expect(ch.topic).toContain('&lt;!channel&gt;');
    // The header is plain text (not parsed for mentions) and keeps the title as typed.
    expect(allText(card)).toContain('データベース');
    expect(allText(card)).toContain('&lt;!channel&gt;');
  });

  it('gives a title with no Latin letters the channel inc-<n>', async () => {
    await bot.command('sev2 データベース 🔥');
    await bot.fake.waitFor('response_url');
    const created = bot.fake.callsTo('conversations.create').find((c) => !c.failed)!;
    expect(created.args.name).toMatch(/^inc-\d+$/);
  });
});

describe('bad input: a clear private message, nothing stored, no channel', () => {
  let bot: BotHarness;
  beforeAll(async () => {
    bot = await startBot({ timers: false });
  });
  afterAll(async () => bot?.stop());

  const count = () => countIncidents(bot.db);

  it.each([
    ['sev9 x', /not a severity.*sev0, sev1, sev2 or sev3/s],
    ['sev1', /add a title/],
    [`sev1 ${'x'.repeat(151)}`, /151 characters.*150/],
    ['db is down', /start with its severity/],
    // Typed another way: another tool's priority, the runbook's name of a level, the severity last.
    ['p1 payments down', /`p1` is not a severity here.*`\/incident sev1 payments down`/s],
    ['critical login broken', /the runbook calls SEV-0 Critical: `\/incident sev0 login broken`/],
    ['db down sev2', /Put the severity first: `\/incident sev2 db down`/],
  ])('/incident %s', async (text, message) => {
    const before = await count();
    bot.fake.reset();
    const res = await bot.command(text);
    expect(res.status).toBe(200);
    const answer = await bot.answer(res);
    expect(answer.response_type).toBe('ephemeral');
    const shown = answer.text;
    expect(shown).toMatch(message);
    // A declaration typed another way: the declaration's usage line; a word that is no command: where the rest is.
    if (text === 'db is down') expect(shown).toContain('`/incident help` lists every command.');
    else expect(shown).toContain('/incident sev1 db down');
    await new Promise((r) => setTimeout(r, 200));
    expect(await count()).toBe(before);
    expect(bot.fake.callsTo('conversations.create')).toHaveLength(0);
  });

  it('/incident sev1 alone outside an incident channel says to add a title, with the declaration usage, not all of it', async () => {
    const reply = await bot.answer(await bot.command('sev1'));
    expect(reply.text).toMatch(/add a title after the severity/);
    expect(reply.text).toContain('/incident sev1 db down');
    expect(reply.text).not.toContain('/incident timeline');
  });

  it('/incident severity sev0 outside an incident channel says where it works: it was no declaration', async () => {
    const reply = await bot.answer(await bot.command('severity sev0'));
    expect(reply.text).toMatch(/`\/incident severity` works inside an incident channel/);
    expect(reply.text).not.toMatch(/add a title/);
  });

  it('/incident and /incident help show the usage', async () => {
    for (const text of ['', 'help']) {
      const body = await bot.answer(await bot.command(text));
      expect(body.text).toContain('/incident sev1 db down');
      expect(body.text).toContain('/incident timeline');
    }
  });

  it('commands that need an incident channel say where to use them', async () => {
    for (const text of ['ack', 'update', 'mitigated', 'resolve', 'status', 'timeline']) {
      const reply = await bot.answer(await bot.command(text));
      expect(reply.text).toMatch(/inside an incident channel/);
    }
  });
});
