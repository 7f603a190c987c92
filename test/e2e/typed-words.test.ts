import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { DEFAULT_RUNBOOK_FILE, parseRunbook } from '../../src/runbook/runbook.js';
import { type BotHarness, startBot } from '../support/bot-harness.js';
import { declareThroughBot, eventually } from '../support/incident-flow.js';

/**
 * What an on-call engineer types at 3 a.m., through the real app and the bundled runbook file: a severity said short,
 * a word the bot does not know, and the runbook's own examples of each severity.
 */
describe('/incident as people type it, with the bundled runbook', () => {
  let bot: BotHarness;
  beforeAll(async () => {
    const data = parseYaml(await readFile(DEFAULT_RUNBOOK_FILE, 'utf8')) as Record<string, unknown>;
    bot = await startBot({ runbook: parseRunbook(data), timers: false });
  });
  afterAll(async () => {
    await bot?.stop();
  });

  const reply = async (text: string) => (await bot.answer(await bot.command(text))).text;

  it('`s1 db down` declares nothing and asks with the command to send; `s3 bucket down` keeps S3 in the title', async () => {
    bot.fake.reset();
    for (const [typed, meant] of [
      ['s1 db down', '/incident sev1 db down'],
      ['S0 checkout down', '/incident sev0 checkout down'],
      ['s-2: search slow', '/incident sev2 search slow'],
      ['declare s1 db down', '/incident sev1 db down'],
      ['s1', '/incident sev1'],
    ]) {
      const said = await reply(typed!);
      expect(said, typed).toContain(`is not a severity. Did you mean \`${meant}\`?`);
      expect(said, typed).not.toContain('*Anywhere*');
    }
    // S3 is AWS's: not read as a severity, the title kept whole in the command offered.
    expect(await reply('s3 bucket down')).toContain('`/incident sev1 s3 bucket down`');
    await new Promise((r) => setTimeout(r, 200));
    expect(bot.fake.callsTo('conversations.create')).toHaveLength(0);
    expect(bot.fake.callsTo('views.open')).toHaveLength(0);
    const { rows } = await bot.db.query('SELECT 1 FROM incidents');
    expect(rows).toHaveLength(0);
  });

  it('a word that is no command is answered in a line or two: what, the commands near it, and /incident help', async () => {
    const foo = await reply('foo');
    expect(foo).toContain("I don't know `foo`.");
    expect(foo).toContain('`/incident help` lists every command.');
    // Not the whole usage after it.
    expect(foo).not.toContain('*Anywhere*');
    expect(foo).not.toContain('/incident timeline');
    expect(foo.split('\n').length).toBeLessThanOrEqual(3);
    // A slip in a command still names it first; a start of one, or a word near several, names them.
    const resolvd = await reply('resolvd fixed by rollback');
    expect(resolvd).toContain('Did you mean `/incident resolve fixed by rollback`?');
    expect(resolvd).not.toContain('*Anywhere*');
    expect(await reply('time')).toContain('Did you mean `/incident timeline`?');
    expect(await reply('escalte cto')).toContain('Did you mean `/incident escalate cto`?');
  });

  /** The playbook the bot suggests for a declared title: its message's title, or null once declaring is over. */
  async function suggested(title: string): Promise<string | null> {
    const opened = await declareThroughBot(bot, title);
    await eventually(
      async () =>
        (await bot.db.query('SELECT 1 FROM declarations WHERE incident_id = $1', [opened.incidentId])).rows.length === 0
          ? true
          : undefined,
      'the declaration to finish',
    );
    const posted = bot.fake
      .callsTo('chat.postMessage')
      .find((m) => m.args.channel === opened.channelId && /^Playbook:/.test(String(m.args.text)));
    return posted
      ? String(posted.args.text)
          .replace(/^Playbook: /, '')
          .split('\n')[0]!
      : null;
  }

  it("the runbook's severity examples get the playbook that fits (Incident Severity Levels)", async () => {
    const examples: [string, string][] = [
      // SEV-0
      ['sev0 all machines down', 'Machine Auto-Stops'],
      ['sev0 database unavailable', 'Database Connection Failures'],
      // SEV-1
      ['sev1 agent execution failing', 'Agent Execution Failures'],
      ['sev1 payment processing down', 'Stripe Webhook Failures'],
      // SEV-2
      ['sev2 slow response times', 'Slow Response Times'],
      ['sev2 non-critical integration down', 'OAuth Callback Failures'],
    ];
    for (const [title, playbook] of examples) expect(await suggested(title), title).toMatch(new RegExp(`^${playbook}`));
  });

  it('the examples no playbook of the runbook is about suggest none, not a wrong one', async () => {
    for (const title of ['sev2 UI bugs', 'sev3 typos', 'sev3 minor UI glitches', 'sev3 documentation errors'])
      expect(await suggested(title), title).toBeNull();
  });
});
