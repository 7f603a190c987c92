import { describe, expect, it } from 'vitest';
import { ACTION } from '../../src/templates/ids.js';
import { useBot } from '../support/bot-harness.js';
import { cardShows, declareThroughBot, eventually } from '../support/incident-flow.js';
import { testRunbook } from '../support/test-runbook.js';

type Blocks = { type: string; elements?: { action_id?: string; text?: { text: string } }[] }[];
const buttons = (blocks: unknown) =>
  ((blocks ?? []) as Blocks)
    .filter((b) => b.type === 'actions')
    .flatMap((b) => b.elements ?? [])
    .map((e) => e.text?.text ?? '');

describe("reopened: a page's Escalate counts the roles paged since the reopening", () => {
  const bot = useBot({ runbook: testRunbook({ unresolvedAfter: '3s' }) });

  const pagesTo = (user: string, title: string) =>
    bot.fake
      .callsTo('chat.postMessage')
      .filter((c) => c.args.channel === user && JSON.stringify(c.args).includes(title) && !c.failed);

  it('the page sent after the reopening offers Acknowledge and Escalate to the next role not paged in this opening, and its Escalate pages that role', async () => {
    const title = 'orders stuck in pending';
    const card = await declareThroughBot(bot, `sev1 ${title}`, 'U0REPORTER');
    await eventually(async () => (pagesTo('U0ONCALL', title).length ? true : undefined), 'the page to on-call');
    // Every role of the contact order paged before the resolution.
    for (const [role, user] of [
      ['senior_devops', 'U0SENIOR'],
      ['engineering_manager', 'U0MANAGER'],
      ['cto', 'U0CTO'],
    ] as const) {
      await bot.command(`escalate ${role}`, { channel_id: card.channelId, user_id: 'U0ONCALL' });
      await eventually(async () => (pagesTo(user, title).length ? true : undefined), `the page to ${user}`);
    }
    await bot.command('ack', { channel_id: card.channelId, user_id: 'U0ONCALL' });
    // Resolved once the acknowledgement is in (the card's Commander field names on-call): each command's work follows
    // its answer, and a loaded machine took the resolution first (the acknowledgement then refused).
    await cardShows(bot, card, /Commander\*\\n<@U0ONCALL>/);
    await bot.command('resolve drained the queue', { channel_id: card.channelId, user_id: 'U0ONCALL' });
    await cardShows(bot, card, 'Resolved');
    await bot.command('reopen orders stuck again', { channel_id: card.channelId, user_id: 'U0ONCALL' });
    // Nobody has been paged for this opening: the card's Escalate now offers the first role of the contact order, as
    // `/incident escalate` would page, past on-call, who acknowledged it (paging them again tells them nothing).
    await cardShows(bot, card, 'Escalate now: Senior DevOps Engineer');

    // 3 s after the reopening, `unresolved` pages senior DevOps again.
    const page = await eventually(
      async () => pagesTo('U0SENIOR', title).find((c) => JSON.stringify(c.args).includes('after it was reopened')),
      'the page to senior DevOps after the reopening',
    );
    const shown = buttons(page.args.blocks);
    expect(shown).toContain('Acknowledge');
    // The engineering manager was paged before the resolution, not in this opening: the next role, not skipped.
    expect(shown).toContain('Escalate to Engineering Manager');

    const managerPages = pagesTo('U0MANAGER', title).length;
    await bot.press(page, ACTION.escalate, 'U0SENIOR');
    await eventually(
      async () => (pagesTo('U0MANAGER', title).length > managerPages ? true : undefined),
      'the engineering manager paged again',
    );
    expect(pagesTo('U0CTO', title)).toHaveLength(1);
    await bot.command('resolve done', { channel_id: card.channelId, user_id: 'U0ONCALL' });
  }, 40_000);
});
