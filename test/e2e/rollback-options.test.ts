import { beforeAll, describe, expect, it } from 'vitest';
import { ACTION, BLOCK, INPUT, VIEW } from '../../src/templates/ids.js';
import { atomCliRuns } from '../support/atom-cli-log.js';
import type { BotHarness } from '../support/bot-harness.js';
import { elementsOf } from '../support/checklist-helpers.js';
import { RESPONDER, useRollbackBot } from '../support/rollback-bot.js';
import { stateValue, TEST_GENERAL_CHANNEL_ID } from '../support/slack-request.js';

const GENERAL = TEST_GENERAL_CHANNEL_ID;

/** A rollback step whose command line names the app with an option before the version. */
const playbooks = {
  'rollback-app': {
    title: 'Roll back the web app',
    kind: 'procedure',
    outside_incident: true,
    mitigation: [
      {
        text: 'Roll back',
        run: ['atom-cli', 'rollback', '--app', 'atom-saas', '{version}'],
        params: { version: 'version' },
        destructive: true,
        timeout: '5s',
      },
    ],
  },
};

describe('a rollback command line with an option before the version (atom-cli rollback --app atom-saas v57)', () => {
  const rb = useRollbackBot({ name: 'rollback-options', playbooks, timers: false });
  let bot: BotHarness;
  let log: string;
  beforeAll(() => {
    ({ bot, log } = rb);
    bot.fake.channels.get(GENERAL)!.members.add(RESPONDER);
  });

  it('is verified against the version rolled back to, not the value of --app', async () => {
    await bot.command('run rollback-app', { channel_id: GENERAL, user_id: RESPONDER });
    const posted = await bot.fake.waitFor('chat.postMessage', (m) =>
      /^Playbook: Roll back the web app/.test(String(m.args.text)),
    );
    const ts = (posted.response as { ts: string }).ts;
    const value = elementsOf(bot, GENERAL, ts, ACTION.runStep).find(
      (x) => JSON.parse(x.element.value!).s === 'mitigation.0',
    )!.element.value!;
    const before = bot.fake.callsTo('views.open').length;
    await bot.click({ channelId: GENERAL, messageTs: ts, actionId: ACTION.runStep, value, userId: RESPONDER });
    const form = (await bot.fake.waitForCount('views.open', before + 1)).at(-1)!.args.view as {
      private_metadata: string;
    };
    const asked = await bot.submit({
      callbackId: VIEW.runParams,
      privateMetadata: form.private_metadata,
      userId: RESPONDER,
      values: { [`${BLOCK.paramPrefix}version`]: { [INPUT.param]: stateValue.plainText('v57') } },
    });
    const confirm = asked.json as { view: { private_metadata: string } };
    await bot.submit({
      callbackId: VIEW.runConfirm,
      privateMetadata: confirm.view.private_metadata,
      userId: RESPONDER,
      values: {},
    });
    const rolled = await bot.fake.waitFor(
      'chat.postMessage',
      (m) => m.args.thread_ts === ts && /^:\w+: Roll(ed|back)/.test(String(m.args.text)),
      30_000,
    );
    const text = String(rolled.args.text);
    expect(text).toMatch(/^:\w+: Rollback to `v57`:/);
    expect(text).not.toContain('atom-saas`');
    // `atom-cli status` shows v57 running: the check passes against v57.
    expect(text).toMatch(/:white_check_mark: [^\n]*`atom-cli status`[^\n]*status shows v57/);
    expect((await atomCliRuns(log)).map((r) => r.argv.join(' '))).toContain('rollback --app atom-saas v57');
  });
});
