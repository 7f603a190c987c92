import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseRunbook } from '../../src/runbook/runbook.js';
import { VIEW } from '../../src/templates/ids.js';
import { useBot } from '../support/bot-harness.js';
import { RESTART_PLAYBOOK, testRunbookData } from '../support/test-runbook.js';

const RESPONDER = 'U0RESPONDER';
const SRE_LEADS = 'S0SRELEADS';
const ATOM_CLI = join(process.cwd(), 'test', 'fixtures', 'atom-cli');

/** Responders are a person and a user group; the restart playbook's one step changes production. */
const runbook = () =>
  parseRunbook({
    ...testRunbookData(),
    access: { responders: [RESPONDER, SRE_LEADS], approvers: ['U0APPROVER'] },
    playbooks: {
      restart: RESTART_PLAYBOOK,
    },
  });

describe('people and user groups named in a form (plain text, where a mention shows as its id)', () => {
  const bot = useBot({ runbook: runbook(), timers: false, env: { ATOM_CLI } });

  /** Declares an incident with the restart playbook; U0SOMEONE is in its channel but is no responder. */
  const declare = async (title: string) => {
    await bot.command(`sev1 ${title}`);
    const created = await bot.fake.waitFor('conversations.create');
    const channelId = bot.fake.channelByName(created.args.name as string)!.id;
    bot.fake.channels.get(channelId)!.members.add('U0SOMEONE');
    await bot.fake.waitFor(
      'chat.postMessage',
      (c) => c.args.channel === channelId && /^Playbook:/.test(String(c.args.text)),
    );
    const { rows } = await bot.db.query<{ id: number }>('SELECT id FROM incidents WHERE channel_id = $1', [channelId]);
    return { channelId, incidentId: Number(rows[0]!.id) };
  };

  /** The refusal shown in the step's parameters form, sent by someone who may not run it. */
  const refusalInForm = async (inc: { channelId: string; incidentId: number }) => {
    const res = await bot.submit({
      callbackId: VIEW.runParams,
      privateMetadata: JSON.stringify({ ...inc, playbookId: 'restart', stepKey: 'mitigation.0' }),
      values: {},
      userId: 'U0SOMEONE',
    });
    const { response_action, errors } = res.json as { response_action: string; errors: Record<string, string> };
    expect(response_action).toBe('errors');
    return Object.values(errors).join(' ');
  };

  it('a user group is named by its handle (usergroups.list), by its id when Slack cannot say or is slow', async () => {
    bot.fake.usergroups.set(SRE_LEADS, ['U0SRE1']);
    bot.fake.usergroupHandles.set(SRE_LEADS, 'sre-leads');
    const inc = await declare('restart me please');

    // Without the usergroups:read scope: the id, the person still by name.
    bot.fake.failNext('usergroups.list', { error: 'missing_scope', needed: 'usergroups:read' });
    expect(await refusalInForm(inc)).toContain(`only responders may run it: @Responder Tester, ${SRE_LEADS}.`);
    // Slack slow to answer: the form is answered in time, with the id.
    bot.fake.failNext('usergroups.list', { delayMs: 2500 });
    const started = Date.now();
    expect(await refusalInForm(inc)).toContain(`only responders may run it: @Responder Tester, ${SRE_LEADS}.`);
    expect(Date.now() - started).toBeLessThan(2500);

    expect(await refusalInForm(inc)).toContain('only responders may run it: @Responder Tester, @sre-leads.');
    // Kept a minute, as user names are: Slack is not asked again for the next refusal.
    const asked = () => bot.fake.callsTo('usergroups.list').filter((c) => !c.failed && !c.delayedMs).length;
    const before = asked();
    expect(await refusalInForm(inc)).toContain('@sre-leads.');
    expect(asked()).toBe(before);
  });
});
