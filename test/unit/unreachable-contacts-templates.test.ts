import { describe, expect, it } from 'vitest';
import { EMPTY_USER_GROUP } from '../../src/incidents/ports.js';
import { renderEscalationReply } from '../../src/templates/escalation.js';
import { unreachableMeaning } from '../../src/templates/never-reached.js';
import { describeEvent } from '../../src/templates/timeline.js';
import { makeEvent, NOW } from '../support/incident-fixture.js';

/** Contacts a page could not reach at all, named with Slack's answer and what it means wherever they are said. */

const EMPTY =
  "the group has nobody in it: add people to it in Slack, or fix the group ID in the runbook's escalation contacts";

describe('the private reply to escalating a role by hand after a hand-off', () => {
  it('names whom the earlier page could not reach, each with Slack answer and what it means', () => {
    const reply = renderEscalationReply(
      {
        kind: 'paging',
        role: 'on_call',
        roleName: 'On-Call Engineer',
        handedOver: {
          at: new Date(NOW.getTime() - 10 * 60_000),
          was: ['U0OLD'],
          fresh: ['U0NEW'],
          alreadyPaged: [],
          unreachable: ['U0GONE', 'U0BOT', 'S0GONE'],
          unreachableErrors: ['user_not_found', 'cannot_dm_bot', 'no_such_subteam'],
        },
      },
      NOW,
    );
    expect(reply).toContain('reaching <@U0OLD>');
    expect(reply).toContain(
      "Slack could not reach <@U0GONE> (Slack answered user_not_found: no such Slack user: fix the ID in the runbook's escalation contacts)",
    );
    expect(reply).toContain('<@U0BOT> (Slack answered cannot_dm_bot: a bot cannot be paged)');
    expect(reply).toContain(
      "`S0GONE` (Slack answered no_such_subteam: no such user group: fix the group ID in the runbook's escalation contacts)",
    );
    expect(reply).toContain('<@U0NEW> is on call now and is paged.');
  });

  it('a user group with nobody in it is said with what to do, not as an answer of Slack', () => {
    const reply = renderEscalationReply(
      {
        kind: 'paging',
        role: 'on_call',
        roleName: 'On-Call Engineer',
        handedOver: {
          at: new Date(NOW.getTime() - 10 * 60_000),
          was: [],
          fresh: ['U0NEW'],
          alreadyPaged: [],
          unreachable: ['S0EMPTY'],
          unreachableErrors: [EMPTY_USER_GROUP],
        },
      },
      NOW,
    );
    expect(reply).toContain(`Slack could not reach \`S0EMPTY\` (${EMPTY})`);
    expect(reply).not.toContain(EMPTY_USER_GROUP);
    expect(reply).not.toContain('Slack answered');
  });
});

describe('the timeline entry of a page with a user group Slack would not expand', () => {
  it('names the group with Slack answer and what to do, beside whom it reached', () => {
    const e = makeEvent({
      kind: 'paged',
      actorId: null,
      details: {
        role: 'on_call',
        roleName: 'On-Call Engineer',
        userIds: ['U0ONCALL'],
        reason: 'the incident was declared',
        unreachable: ['S0GONE', 'S0NOSCOPE'],
        unreachableErrors: ['no_such_subteam', 'missing_scope'],
      },
    });
    const line = describeEvent(e);
    expect(line).toContain('(<@U0ONCALL>)');
    expect(line).toContain(
      "could not reach: `S0GONE` (no_such_subteam: no such user group: fix the group ID in the runbook's escalation contacts), `S0NOSCOPE` (missing_scope: the bot may not read user groups: reinstall the app with the manifest's scopes (usergroups:read))",
    );
  });

  it('an empty group: what to do, with no answer of Slack said', () => {
    const e = makeEvent({
      kind: 'paged',
      actorId: null,
      details: {
        role: 'on_call',
        userIds: ['U0ONCALL'],
        reason: 'the incident was declared',
        unreachable: ['S0EMPTY'],
        unreachableErrors: [EMPTY_USER_GROUP],
      },
    });
    expect(describeEvent(e)).toContain(`could not reach: \`S0EMPTY\` (${EMPTY})`);
  });
});

describe('a user group with nobody in it', () => {
  it('is said in plain text (the post-mortem) with what to do alone', () => {
    expect(unreachableMeaning(EMPTY_USER_GROUP)).toBe(EMPTY);
  });
});
