import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseRunbook } from '../../src/runbook/runbook.js';
import { ACTION } from '../../src/templates/ids.js';
import { type BotHarness, INCIDENTS_CHANNEL_ID, startBot } from '../support/bot-harness.js';
import { testRunbookData } from '../support/test-runbook.js';

const allText = (msg: { text?: string; blocks?: unknown[] } | undefined) =>
  JSON.stringify([msg?.text ?? '', msg?.blocks ?? []]);

/**
 * The runbook file is the one source of severity names and response times: edit SEV-1's respond_within and the card,
 * the channel topic, the page, the notices and the escalation timer all say the same.
 */
/** How long after the incident's creation its response-time (unacknowledged) timer is due, in ms. */
async function responseTimerMs(bot: BotHarness, channelId: string): Promise<number> {
  // The first round of nobody acknowledging, counted from the declaration or the last severity change.
  const { rows } = await bot.db.query<{ created_at: Date; due_at: Date }>(
    `SELECT coalesce(i.severity_changed_at, i.created_at) AS created_at, j.due_at
       FROM escalation_jobs j JOIN incidents i ON i.id = j.incident_id
      WHERE i.channel_id = $1 AND j.rule = 'unacknowledged' AND j.state = 'pending'
      ORDER BY j.due_at LIMIT 1`,
    [channelId],
  );
  return new Date(rows[0]!.due_at).getTime() - new Date(rows[0]!.created_at).getTime();
}

/** More examples than /incident help has room for (300 characters): twelve of about 40. */
const SEV3_EXAMPLES = Array.from({ length: 12 }, (_, n) => `search results slow for tenant number ${n + 1}`);

describe('severity response times come from the runbook file', () => {
  let bot: BotHarness;
  beforeAll(async () => {
    const data = testRunbookData({ respond: { 1: '7m', 2: '2h' } });
    Object.assign(data.severities['SEV-1'], { impact: 'Many users affected', examples: ['auth broken'] });
    Object.assign(data.severities['SEV-3'], { examples: SEV3_EXAMPLES });
    bot = await startBot({ incidentsChannel: true, runbook: parseRunbook(data) });
  });
  afterAll(async () => bot?.stop());

  it('the card, the topic, the announcement, the page DM and the timer agree on a SEV-1 edited to 7 minutes', async () => {
    await bot.command('sev1 payments down');
    const created = await bot.fake.waitFor('conversations.create');
    const channel = bot.fake.channelByName(created.args.name as string)!;
    await bot.fake.waitFor('pins.add', (c) => c.args.channel === channel.id);
    const expected = 'SEV-1 · respond within 7 minutes';

    expect(channel.topic).toContain(expected);
    const card = bot.fake.postedIn(channel.id)[0];
    expect(allText(card)).toContain(expected);
    expect(allText(card)).not.toContain('15 minutes');
    const announcement = await bot.fake.waitFor(
      'chat.postMessage',
      (c) => c.args.channel === INCIDENTS_CHANNEL_ID && String(c.args.text).includes('payments down'),
    );
    expect(String(announcement.args.text)).toContain(expected);
    const page = await bot.fake.waitFor(
      'chat.postMessage',
      (c) => c.args.channel === 'U0ONCALL' && JSON.stringify(c.args).includes('payments down'),
    );
    expect(JSON.stringify(page.args)).toContain(expected);

    expect(await responseTimerMs(bot, channel.id)).toBe(7 * 60_000);
  });

  it('a severity change notice and the severity select use the runbook too', async () => {
    await bot.command('sev3 slow page');
    const created = await bot.fake.waitFor('conversations.create', (c) => String(c.args.name).includes('slow-page'));
    const channel = bot.fake.channelByName(created.args.name as string)!;
    await bot.fake.waitFor('pins.add', (c) => c.args.channel === channel.id);
    await bot.command('sev2', { channel_id: channel.id });
    const notice = await bot.fake.waitFor(
      'chat.postMessage',
      (c) => c.args.channel === channel.id && /raised/.test(String(c.args.text)),
    );
    expect(String(notice.args.text)).toContain('SEV-2 · respond within 2 hours');
    expect(await responseTimerMs(bot, channel.id)).toBe(2 * 3_600_000);
  });

  it("`/incident severity <level>` changes the severity too, by the runbook's name of the level", async () => {
    await bot.command('sev3 slow search');
    const created = await bot.fake.waitFor('conversations.create', (c) => String(c.args.name).includes('slow-search'));
    const channel = bot.fake.channelByName(created.args.name as string)!;
    await bot.fake.waitFor('pins.add', (c) => c.args.channel === channel.id);
    await bot.command('severity medium', { channel_id: channel.id });
    const notice = await bot.fake.waitFor(
      'chat.postMessage',
      (c) => c.args.channel === channel.id && /raised/.test(String(c.args.text)),
    );
    expect(String(notice.args.text)).toContain('SEV-2 · respond within 2 hours');
    expect(await responseTimerMs(bot, channel.id)).toBe(2 * 3_600_000);
  });

  it('where a person picks a severity: /incident help and the card select show the runbook levels', async () => {
    const res = await bot.command('help');
    const body = await bot.answer(res);
    expect(body.text).toContain('/incident sev1 db down');
    expect(body.text).toContain(
      '• *SEV-1 High* — respond within 7 minutes. Impact: Many users affected. Examples: auth broken.',
    );
    expect(body.text).toContain('• *SEV-2 Medium* — respond within 2 hours.');
    // Too many examples to list: as many whole ones as fit, then "…"; none cut in its middle.
    const sev3 = /^• \*SEV-3 .*Examples: (.*)$/m.exec(String(body.text))?.[1];
    expect(sev3).toMatch(/, …$/);
    const shown = sev3!.replace(/, …$/, '').split(', ');
    expect(shown).toEqual(SEV3_EXAMPLES.slice(0, shown.length));
    expect(shown.length).toBeGreaterThanOrEqual(6);
    expect([...sev3!].length).toBeLessThanOrEqual(300);
    const card = bot.fake
      .callsTo('chat.postMessage')
      .find((c) => !c.failed && JSON.stringify(c.args.blocks ?? []).includes(ACTION.changeSeverity));
    expect(JSON.stringify(card?.args.blocks)).toContain(
      '"text":{"type":"plain_text","text":"SEV-1 (High)"},"description":{"type":"plain_text","text":"Many users affected; e.g. auth broken"}',
    );
  });
});
