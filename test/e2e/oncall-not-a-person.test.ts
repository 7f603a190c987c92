import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseRunbook } from '../../src/runbook/runbook.js';
import { BLOCK, INPUT, VIEW } from '../../src/templates/ids.js';
import { type BotHarness, startBot } from '../support/bot-harness.js';
import { askPrivately as ask } from '../support/oncall-flow.js';
import { stateValue } from '../support/slack-request.js';
import { testRunbookData, WEEKLY_ON_CALL, withRotation } from '../support/test-runbook.js';

/** The fake Slack's bot user (auth.test's user_id). */
const BOT = 'UBOT';

describe('an override or a swap puts only a person on call', () => {
  let bot: BotHarness;
  const recorded = async () => (await bot.db.query('SELECT id FROM oncall_overrides')).rows.length;

  beforeAll(async () => {
    bot = await startBot({
      runbook: parseRunbook(withRotation(testRunbookData(), 'on_call', 'On-Call Engineer', WEEKLY_ON_CALL)),
      timers: false,
    });
    bot.fake.addUser('U0DEPLOYBOT', { name: 'deploybot', is_bot: true });
    bot.fake.unknownUsers.add('U0GONE');
    // Deactivated: Slack still describes the account (users.info ok), with `deleted: true`.
    bot.fake.addUser('U0LEFT', { name: 'left', deleted: true });
  });
  afterAll(async () => bot?.stop());

  it('refuses the bot itself, another bot and an ID the workspace does not know, before asking anything', async () => {
    await bot.db.query('DELETE FROM oncall_overrides');
    const self = await ask(bot, `oncall override <@${BOT}> 30m`);
    expect(self.text).toContain(`<@${BOT}> is this bot, which cannot answer a page: nothing was recorded.`);
    expect(self.text).not.toMatch(/not in the .* rotation/);
    const other = await ask(bot, 'oncall override <@U0DEPLOYBOT> 30m');
    expect(other.text).toContain('<@U0DEPLOYBOT> is a bot, which cannot answer a page');
    const gone = await ask(bot, 'oncall override <@U0GONE> 30m');
    expect(gone.text).toContain('<@U0GONE> is not a person in this workspace');
    const swap = await ask(bot, `oncall swap <@U0ALICE> <@${BOT}> 2h`);
    expect(swap.text).toContain(`<@${BOT}> is this bot`);
    expect(swap.text).toContain('`/incident oncall swap @alice @bob 2h`');
    expect(await recorded()).toBe(0);
    // A person still can be put on call.
    const ok = await ask(bot, 'oncall override <@U0BOB> 30m');
    expect(ok.text).toContain('<@U0BOB> is on call');
    expect(await recorded()).toBe(1);
    await bot.db.query('DELETE FROM oncall_overrides');
  });

  it('refuses a deactivated account (users.info says deleted), by override and by swap, recording nothing', async () => {
    await bot.db.query('DELETE FROM oncall_overrides');
    const info = await fetch(`${bot.fake.url}users.info`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: 'Bearer xoxb-test' },
      body: 'user=U0LEFT',
    });
    expect(await info.json()).toMatchObject({ ok: true, user: { id: 'U0LEFT', deleted: true } });
    const left = await ask(bot, 'oncall override <@U0LEFT> 30m');
    expect(left.text).toContain(
      '<@U0LEFT> is a deactivated account, which cannot answer a page: nothing was recorded.',
    );
    expect(left.text).not.toMatch(/not in the .* rotation/);
    const swap = await ask(bot, 'oncall swap <@U0ALICE> <@U0LEFT> 2h');
    expect(swap.text).toContain('<@U0LEFT> is a deactivated account');
    expect(await recorded()).toBe(0);
  });

  it("the Home tab's Override form with the bot as the person shows why under a field and records nothing", async () => {
    const res = await bot.submit({
      callbackId: VIEW.oncallOverride,
      privateMetadata: '',
      userId: 'U0BOSS',
      values: {
        [BLOCK.ocPerson]: { [INPUT.person]: stateValue.usersSelect(BOT) },
        [BLOCK.ocRole]: { [INPUT.select]: stateValue.staticSelect('on_call', 'On-Call Engineer') },
        [BLOCK.ocFrom]: { [INPUT.text]: stateValue.plainText(null) },
        [BLOCK.ocUntil]: { [INPUT.text]: stateValue.plainText('30m') },
      },
    });
    const body = res.json as { response_action: string; errors: Record<string, string> };
    expect(body.response_action).toBe('errors');
    expect(Object.values(body.errors).join(' ')).toContain('is this bot, which cannot answer a page');
    expect(await recorded()).toBe(0);
  });
});
