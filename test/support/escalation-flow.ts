/**
 * What the escalation tests (test/e2e/escalation*.test.ts) share: declaring through the bot, the DMs and channel
 * lines it posted, and the bot of the escalation rules' runbook (short response times, a user group among the
 * contacts).
 */
import { afterAll, beforeAll } from 'vitest';
import { type BotHarness, startBot } from './bot-harness.js';
import type { RecordedCall } from './fake-slack.js';
import { testRunbook } from './test-runbook.js';

export const dmsTo = (bot: BotHarness, user: string) =>
  bot.fake.callsTo('chat.postMessage').filter((c) => !c.failed && c.args.channel === user);
export const json = (c: RecordedCall | undefined) => JSON.stringify(c?.args ?? {});

export interface Declared {
  id: number;
  channelId: string;
  cardTs: string;
}

export async function declare(bot: BotHarness, text: string, user = 'U0REPORTER'): Promise<Declared> {
  const before = bot.fake.callsTo('conversations.create').filter((c) => !c.failed).length;
  await bot.command(text, { user_id: user });
  const created = await bot.fake.waitForCount('conversations.create', before + 1);
  const name = created.at(-1)!.args.name as string;
  const channelId = bot.fake.channelByName(name)!.id;
  await bot.fake.waitFor('pins.add', (c) => c.args.channel === channelId);
  // The declarer's reply comes last; waiting for it keeps it out of what a test looks at next.
  await bot.fake.waitFor('response_url', (c) => String(c.args.text).includes(`<#${channelId}>`));
  const { rows } = await bot.db.query<{ id: number; card_ts: string }>(
    'SELECT id, card_ts FROM incidents WHERE channel_id = $1',
    [channelId],
  );
  return { id: Number(rows[0]!.id), channelId, cardTs: rows[0]!.card_ts };
}

export const channelSays = (bot: BotHarness, channelId: string, re: RegExp) =>
  bot.fake
    .callsTo('chat.postMessage')
    .filter((c) => !c.failed && c.args.channel === channelId && re.test(String(c.args.text)));

/**
 * A bot for the enclosing describe whose runbook responds within 2 s at SEV-1 and 4 s at SEV-3 (60 s otherwise), with
 * a user group among senior DevOps' contacts, and no repeat window (a walk types `/incident escalate` again as soon as
 * each page is out). Its fake Slack is not reset between tests: each test reads what its own incident's title names.
 */
export function useEscalationRulesBot(): BotHarness {
  const bot = {} as BotHarness;
  let started = false;
  beforeAll(async () => {
    Object.assign(
      bot,
      await startBot({
        runbook: testRunbook({
          respond: { 0: '60s', 1: '2s', 2: '60s', 3: '4s' },
          contacts: { senior_devops: ['U0SENIOR', 'S0SREGROUP'] },
        }),
        // The walk types `/incident escalate` again as soon as each page is out, on purpose: no repeat window.
        escalation: { repeatWindowMs: 0 },
      }),
    );
    bot.fake.usergroups.set('S0SREGROUP', ['U0SRE1', 'U0SENIOR']);
    started = true;
  });
  afterAll(async () => {
    if (started) await bot.stop();
  });
  return bot;
}
