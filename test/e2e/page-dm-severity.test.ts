import { describe, expect, it } from 'vitest';
import { parseRunbook } from '../../src/runbook/runbook.js';
import { useBot } from '../support/bot-harness.js';
import { declareThroughBot, eventually, pageDmTo } from '../support/incident-flow.js';
import { testRunbook, testRunbookData } from '../support/test-runbook.js';

type Blocks = { type: string; elements?: { text?: { text: string } }[] }[];

/** The page DM to `user` for `title`, as it shows now (after any update). */
const shownPage = (bot: ReturnType<typeof useBot>, user: string, title: string) =>
  bot.fake.messagesIn(user).find((m) => JSON.stringify(m).includes(title) && /SUBJECT|Paged/.test(String(m.text)));
const buttons = (m: { blocks?: unknown[] } | undefined) =>
  ((m?.blocks ?? []) as Blocks)
    .filter((b) => b.type === 'actions')
    .flatMap((b) => b.elements ?? [])
    .map((e) => e.text?.text ?? '');

describe("a severity raised: the pages people hold say the incident's severity as it is now", () => {
  const bot = useBot({
    runbook: testRunbook({ respond: { 0: '5m', 1: '15m', 2: '1h', 3: '4h' }, critical: ['senior_devops', 'cto'] }),
  });

  it('SEV-2 raised to SEV-0: the on-call DM says SEV-0, and its Escalate names no role already paged', async () => {
    const title = 'checkout latency up';
    const card = await declareThroughBot(bot, `sev2 ${title}`);
    const first = await eventually(async () => shownPage(bot, 'U0ONCALL', title), 'the page to on-call');
    expect(JSON.stringify(first)).toContain('[SEV-2]');
    expect(buttons(first)).toContain('Escalate to Senior DevOps Engineer');
    await bot.command('severity sev0', { channel_id: card.channelId, user_id: 'U0REPORTER' });
    // SEV-0 pages senior DevOps and the CTO at once.
    await eventually(async () => shownPage(bot, 'U0CTO', title), 'the page to the CTO');
    const now = await eventually(
      async () => {
        const m = shownPage(bot, 'U0ONCALL', title);
        const shown = JSON.stringify({ text: m?.text, blocks: m?.blocks });
        return shown.includes('[SEV-0]') && !buttons(m).includes('Escalate to Senior DevOps Engineer') ? m : undefined;
      },
      `the on-call page shown as SEV-0: ${JSON.stringify(shownPage(bot, 'U0ONCALL', title))}`,
    );
    // What it shows now (the fake keeps its earlier versions beside it).
    const shown = JSON.stringify({ text: now.text, blocks: now.blocks });
    expect(shown).not.toContain('SEV-2');
    expect(shown).toContain('SEV-0 · respond within 5 minutes');
    expect(buttons(now)).not.toContain('Escalate to CTO');
    expect(buttons(now)).toContain('Escalate to Engineering Manager');
    // Still a page: its Acknowledge stays.
    expect(buttons(now).some((b) => /Acknowledge/.test(b))).toBe(true);
  }, 30_000);
});

describe("a severity raised: a page's later Slack step says it too", () => {
  const data = testRunbookData({ respond: { 0: '5m', 1: '15m', 2: '1h', 3: '4h' } });
  const bot = useBot({
    runbook: parseRunbook({
      ...data,
      people: { U0ONCALL: { name: 'Olive', notify: [{ via: 'slack' }, { via: 'slack', after: '1s' }] } },
    }),
  });

  it('both DMs to on-call say SEV-1 once it is raised, with no Escalate added to the step', async () => {
    const title = 'webhooks backing up';
    const card = await declareThroughBot(bot, `sev2 ${title}`);
    const dms = () =>
      bot.fake.messagesIn('U0ONCALL').filter((m) => JSON.stringify(m.blocks).includes(card.channelId) && m.text);
    await eventually(async () => (dms().length >= 2 ? true : undefined), 'the page and its Slack step');
    expect(buttons(dms()[1]).some((b) => b.startsWith('Escalate to'))).toBe(false);
    await bot.command('severity sev1', { channel_id: card.channelId, user_id: 'U0REPORTER' });
    await eventually(
      async () => (dms().every((m) => String(m.text).includes('[SEV-1]')) ? true : undefined),
      `both DMs shown as SEV-1: ${dms()
        .map((m) => m.text)
        .join(' | ')}`,
    );
    expect(buttons(dms()[0])).toContain('Escalate to Senior DevOps Engineer');
    expect(buttons(dms()[1]).some((b) => b.startsWith('Escalate to'))).toBe(false);
  }, 30_000);
});

describe('a severity changed while Slack fails the redraw of a page: the timer loop shows it again', () => {
  const bot = useBot({ runbook: testRunbook({ respond: { 0: '5m', 1: '15m', 2: '1h', 3: '4h' } }) });

  it('the on-call DM says SEV-1 once Slack takes the update, its first refusal retried', async () => {
    const title = 'search index lagging';
    const card = await declareThroughBot(bot, `sev2 ${title}`);
    const dm = await pageDmTo(bot.fake, 'U0ONCALL', card.channelId);
    const isDm = (args: { channel?: unknown; ts?: unknown }) => args.channel === dm.channel && args.ts === dm.ts;
    bot.fake.failNext('chat.update', { error: 'internal_error' }, 1, isDm);
    await bot.command('severity sev1', { channel_id: card.channelId, user_id: 'U0REPORTER' });
    await eventually(
      async () => (String(bot.fake.message(dm.channel, dm.ts)?.text).includes('[SEV-1]') ? true : undefined),
      `the page shown as SEV-1: ${bot.fake.message(dm.channel, dm.ts)?.text}`,
    );
    // Slack refused the first update; it was tried again.
    const updates = bot.fake.callsTo('chat.update').filter((c) => isDm(c.args));
    expect(updates[0]?.failed).toEqual({ error: 'internal_error' });
    expect(updates.some((c) => !c.failed)).toBe(true);
    expect(String(bot.fake.message(dm.channel, dm.ts)?.text)).not.toContain('SEV-2');
  }, 30_000);
});
