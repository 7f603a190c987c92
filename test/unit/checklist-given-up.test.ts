import { describe, expect, it } from 'vitest';
import type { ChecklistGivenUp } from '../../src/incidents/ports.js';
import { renderChecklistGivenUp } from '../../src/templates/checklist-given-up.js';

const attached: ChecklistGivenUp = {
  kind: 'attached',
  incidentNumber: 42,
  playbookId: 'db-failover',
  playbookTitle: 'Database <!channel> failover',
  channelId: 'C0INC42',
  error: 'not_in_channel',
  attempts: 8,
};

const textOf = (g: ChecklistGivenUp) => {
  const m = renderChecklistGivenUp(g);
  const [block] = m.blocks;
  return { fallback: m.text, body: block?.type === 'section' ? (block.text?.text ?? '') : '' };
};

describe('the direct message saying a checklist was given up', () => {
  it("an attached playbook the bot is not in the channel for: which, where, Slack's answer, invite the bot then detach and attach again", () => {
    const { fallback, body } = textOf(attached);
    expect(body).toContain('incident #42');
    expect(body).toContain('could not be posted in <#C0INC42>: the bot tried 8 times and gave up');
    expect(body).toContain("Slack's last answer: `not_in_channel`");
    expect(body).toContain(
      'Invite the bot to <#C0INC42> (`/invite` it there), then detach it and attach it again in the incident channel: `/incident detach db-failover`, then `/incident playbook db-failover`.',
    );
    // The title is escaped: it pings nobody.
    expect(body).not.toContain('<!channel>');
    expect(fallback).not.toContain('<!channel>');
  });

  it('a run, Slack unwell: start it again', () => {
    const { body } = textOf({ ...attached, kind: 'run', runId: 7, error: 'ratelimited' });
    expect(body).toContain('run #7 of');
    expect(body).toContain('To have it, start it again with `/incident run db-failover`.');
  });

  it('a missing scope: whoever runs the bot is to reinstall it', () => {
    expect(textOf({ ...attached, error: 'missing_scope' }).body).toContain('reinstall it');
  });
});
