import { describe, expect, it } from 'vitest';
import { channelsNamed } from '../../src/runbook/channels.js';
import { parseRunbook } from '../../src/runbook/runbook.js';
import { channelProblem } from '../../src/slack/channel-check.js';
import { testRunbookData } from '../support/test-runbook.js';

const ROTATION = {
  people: ['U0ALICE', 'U0BOB'],
  shift: 'weekly',
  handoff: { day: 'monday', time: '09:00', time_zone: 'Europe/London' },
  start: '2026-01-05',
};

/** The test runbook with the channels given: rotations' hand-off channels by role, maintenance's, a playbook's. */
function runbookWith(o: { handoff?: Record<string, string | null>; maintenance?: string; playbook?: string }) {
  const data = testRunbookData() as Record<string, unknown> & { escalation: { roles: Record<string, object> } };
  for (const [role, channel] of Object.entries(o.handoff ?? {})) {
    const r = data.escalation.roles[role] as Record<string, unknown>;
    data.escalation.roles[role] = { ...r, rotation: { ...ROTATION, ...(channel ? { handoff_channel: channel } : {}) } };
  }
  if (o.maintenance) {
    data.maintenance = {
      channel: o.maintenance,
      windows: { weekly: { title: 'Weekly', schedule: { every: '7d', for: '2h' }, tasks: ['Patch'] } },
    };
  }
  if (o.playbook) {
    data.playbooks = {
      'backup-check': {
        title: 'Backup check',
        kind: 'procedure',
        outside_incident: { channel: o.playbook },
        detection: ['Look'],
      },
    };
  }
  return parseRunbook(data);
}

describe('the channels the configuration and the runbook name', () => {
  it('lists each once, with every use, in order: INCIDENTS_CHANNEL, hand-offs, maintenance, playbooks', () => {
    const rb = runbookWith({
      handoff: { on_call: 'C0HANDOFF', senior_devops: 'C0INCIDENTS', cto: null },
      maintenance: 'C0MAINT',
      playbook: 'C0DEPLOYS',
    });
    expect(channelsNamed(rb, 'C0INCIDENTS')).toEqual([
      {
        id: 'C0INCIDENTS',
        uses: [
          'INCIDENTS_CHANNEL (incident announcements)',
          "the Senior DevOps Engineer rotation's handoff_channel (on-call hand-off notices)",
        ],
      },
      { id: 'C0HANDOFF', uses: ["the On-Call Engineer rotation's handoff_channel (on-call hand-off notices)"] },
      // The maintenance checklists start there too: named once, as the maintenance channel.
      { id: 'C0MAINT', uses: ['maintenance.channel (maintenance notices and checklists)'] },
      { id: 'C0DEPLOYS', uses: ["the playbook backup-check's outside_incident channel (where its runs start)"] },
    ]);
  });

  it('is empty when nothing is named (a rotation without handoff_channel uses INCIDENTS_CHANNEL)', () => {
    expect(channelsNamed(runbookWith({ handoff: { on_call: null } }), undefined)).toEqual([]);
  });
});

describe('what is wrong with a channel, as a start-up line', () => {
  const one = { id: 'C0GONE', uses: ['maintenance.channel (maintenance notices and checklists)'] };
  const two = {
    id: 'C0GONE',
    uses: ['INCIDENTS_CHANNEL (incident announcements)', "the On-Call rotation's handoff_channel"],
  };

  it('one Slack does not know: what names it, that nothing will be posted, where the ID is, and to invite the bot', () => {
    expect(channelProblem(one, { error: 'channel_not_found' })).toBe(
      'maintenance.channel (maintenance notices and checklists) names the channel C0GONE, which Slack does not know ' +
        "or the bot cannot see: nothing will be posted there. Check the ID (in Slack, click the channel's name: the ID " +
        'is at the bottom of About); a private channel needs the bot invited (/invite the bot in it).',
    );
    expect(channelProblem(two, { error: 'channel_not_found' })).toMatch(
      /^INCIDENTS_CHANNEL \(incident announcements\) and the On-Call rotation's handoff_channel name the channel C0GONE,/,
    );
  });

  it('an archived one, and a private one without the bot; a usable one is no problem', () => {
    expect(channelProblem(one, { name: 'maint', is_archived: true })).toBe(
      'maintenance.channel (maintenance notices and checklists) names the channel C0GONE (#maint), which is archived: ' +
        'nothing can be posted there. Unarchive it, or name another channel.',
    );
    expect(channelProblem(one, { name: 'ops', is_private: true, is_member: false })).toMatch(
      /names the channel C0GONE \(#ops\), a private channel the bot is not in: .*Invite the bot/,
    );
    expect(channelProblem(one, { name: 'ops', is_private: true, is_member: true })).toBeNull();
    expect(channelProblem(one, { name: 'maint', is_member: false })).toBeNull();
  });

  it('a failure to ask names the channel and says it is used as given', () => {
    expect(channelProblem(one, { error: 'ratelimited' })).toBe(
      'Could not check the channel C0GONE (ratelimited): maintenance.channel (maintenance notices and checklists) will use it as given.',
    );
  });
});
