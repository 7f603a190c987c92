import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BotHarness, startBot } from '../support/bot-harness.js';
import { testRunbook } from '../support/test-runbook.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const json = (c: { args: unknown } | undefined) => JSON.stringify(c?.args ?? {});

async function declare(bot: BotHarness, text: string): Promise<{ id: number; channelId: string }> {
  const before = bot.fake.callsTo('conversations.create').filter((c) => !c.failed).length;
  await bot.command(text, { user_id: 'U0REPORTER' });
  const created = await bot.fake.waitForCount('conversations.create', before + 1);
  const channelId = bot.fake.channelByName(created.at(-1)!.args.name as string)!.id;
  await bot.fake.waitFor('pins.add', (c) => c.args.channel === channelId);
  // The declarer's reply comes last; waiting for it keeps it out of what a test looks at next.
  await bot.fake.waitFor('response_url', (c) => String(c.args.text).includes(`<#${channelId}>`));
  const { rows } = await bot.db.query<{ id: number }>('SELECT id FROM incidents WHERE channel_id = $1', [channelId]);
  return { id: Number(rows[0]!.id), channelId };
}

const dmsAbout = (bot: BotHarness, user: string, title: string) =>
  bot.fake.callsTo('chat.postMessage').filter((c) => !c.failed && c.args.channel === user && json(c).includes(title));

/** The runbook's "When to Escalate" items, as the bundled runbook file sets them. */
describe('escalation as the runbook says it', () => {
  let bot: BotHarness;
  beforeAll(async () => {
    bot = await startBot({
      runbook: testRunbook({ critical: ['senior_devops', 'cto'], dataLoss: 'database_team' }),
    });
  });
  afterAll(async () => bot?.stop());

  it('SEV-0: senior DevOps and the CTO are paged at once, each once', async () => {
    const inc = await declare(bot, 'sev0 everything is down');
    for (const user of ['U0SENIOR', 'U0CTO']) {
      await bot.fake.waitFor(
        'chat.postMessage',
        (c) => c.args.channel === user && json(c).includes('everything is down'),
      );
    }
    await bot.fake.waitFor(
      'chat.postMessage',
      (c) => c.args.channel === inc.channelId && /Paged \*Senior DevOps Engineer\*.*SEV-0/.test(String(c.args.text)),
    );
    await bot.fake.waitFor(
      'chat.postMessage',
      (c) => c.args.channel === inc.channelId && /Paged \*CTO\*.*SEV-0/.test(String(c.args.text)),
    );
    await sleep(300);
    expect(dmsAbout(bot, 'U0SENIOR', 'everything is down')).toHaveLength(1);
    expect(dmsAbout(bot, 'U0CTO', 'everything is down')).toHaveLength(1);
    expect(dmsAbout(bot, 'U0MANAGER', 'everything is down')).toHaveLength(0);
  });

  it('a data-loss risk involves the database team at once, as well as senior DevOps and the CTO', async () => {
    const inc = await declare(bot, 'sev2 replica lagging');
    await bot.command('data-loss', { channel_id: inc.channelId });
    for (const user of ['U0DBTEAM', 'U0SENIOR', 'U0CTO']) {
      await bot.fake.waitFor('chat.postMessage', (c) => c.args.channel === user && json(c).includes('replica lagging'));
    }
    await bot.fake.waitFor(
      'chat.postMessage',
      (c) =>
        c.args.channel === inc.channelId &&
        /Paged \*Database Team\* \(<@U0DBTEAM>\) because a data-loss risk was flagged/.test(String(c.args.text)),
    );
    await sleep(300);
    expect(dmsAbout(bot, 'U0DBTEAM', 'replica lagging')).toHaveLength(1);
  });

  it('a SEV-0 without a data-loss risk does not page the database team', async () => {
    await declare(bot, 'sev0 login page down');
    await bot.fake.waitFor(
      'chat.postMessage',
      (c) => c.args.channel === 'U0CTO' && json(c).includes('login page down'),
    );
    await sleep(300);
    expect(dmsAbout(bot, 'U0DBTEAM', 'login page down')).toHaveLength(0);
  });
});

describe('"escalate if unresolved in 30 minutes": mitigated is not resolved', () => {
  let bot: BotHarness;
  beforeAll(async () => {
    bot = await startBot({ runbook: testRunbook({ unresolvedAfter: '3s' }) });
  });
  afterAll(async () => bot?.stop());

  it('a mitigated incident still pages senior DevOps when the time passes; the card said "unless resolved"', async () => {
    const inc = await declare(bot, 'sev2 mitigated not fixed');
    await bot.command('mitigated', { channel_id: inc.channelId });
    await bot.fake.waitFor(
      'chat.postMessage',
      (c) => c.args.channel === inc.channelId && /marked the incident \*mitigated\*/.test(String(c.args.text)),
    );
    const card = await bot.fake.waitFor(
      'chat.update',
      (c) => c.args.channel === inc.channelId && /Mitigated/.test(json(c)),
    );
    expect(json(card)).toContain('unless resolved by then');
    await bot.fake.waitFor(
      'chat.postMessage',
      (c) => c.args.channel === 'U0SENIOR' && json(c).includes('mitigated not fixed'),
      8000,
    );
    await bot.fake.waitFor(
      'chat.postMessage',
      (c) =>
        c.args.channel === inc.channelId &&
        /Paged \*Senior DevOps Engineer\*.*not resolved 3 seconds after it was declared/.test(String(c.args.text)),
    );
  });

  it('resolving cancels it', async () => {
    const inc = await declare(bot, 'sev2 resolved quickly');
    await bot.command('resolve fixed the config', { channel_id: inc.channelId });
    await bot.fake.waitFor(
      'chat.postMessage',
      (c) => c.args.channel === inc.channelId && /Incident #\d+ resolved/.test(String(c.args.text)),
    );
    // Resolved before the 3 s passed (checked below); then wait past them.
    const { rows: created } = await bot.db.query<{ created_at: Date; resolved_at: Date }>(
      'SELECT created_at, resolved_at FROM incidents WHERE id = $1',
      [inc.id],
    );
    const resolvedAfterMs = new Date(created[0]!.resolved_at).getTime() - new Date(created[0]!.created_at).getTime();
    expect(resolvedAfterMs).toBeLessThan(3000);
    await sleep(3500 - resolvedAfterMs);
    expect(dmsAbout(bot, 'U0SENIOR', 'resolved quickly')).toHaveLength(0);
    const { rows } = await bot.db.query<{ state: string }>(
      "SELECT state FROM escalation_jobs WHERE incident_id = $1 AND key = 'unresolved'",
      [inc.id],
    );
    expect(rows[0]?.state).toBe('cancelled');
  });
});
