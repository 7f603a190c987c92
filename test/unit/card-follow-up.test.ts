import type { ActionsBlock, Button } from '@slack/types';
import { describe, expect, it } from 'vitest';
import type { FollowUpCardView } from '../../src/incidents/ports.js';
import { loadRunbook } from '../../src/runbook/runbook.js';
import { ACTION } from '../../src/templates/ids.js';
import { type Message, renderIncidentCard } from '../../src/templates/incident-card.js';
import { limitProblems, mrkdwnTexts } from '../support/block-kit-limits.js';
import { makeIncident, makeResolvedIncident, minutes, NOW } from '../support/incident-fixture.js';

const SEV = (await loadRunbook()).severities;
const text = (m: Message) =>
  mrkdwnTexts(m)
    .map((t) => t.text)
    .join('\n');
const postmortemButton = (m: Message) =>
  m.blocks
    .filter((b): b is ActionsBlock => b.type === 'actions')
    .flatMap((b) => b.elements as Button[])
    .find((e) => e.action_id === ACTION.writePostmortem);

const none: FollowUpCardView = { postmortem: null, actionItems: { open: 0, total: 0 } };
const written = (version: number, items = { open: 0, total: 0 }): FollowUpCardView => ({
  postmortem: { version, writtenBy: 'U0WRITER', writtenAt: minutes(90) },
  actionItems: items,
});

describe('the card says what was done after the incident', () => {
  it('a resolved incident without a post-mortem says it is still to write, and offers Write post-mortem', () => {
    const card = renderIncidentCard(makeResolvedIncident(), NOW, SEV, undefined, undefined, undefined, none);
    expect(text(card)).toContain('Post-mortem not written yet');
    expect(postmortemButton(card)?.text.text).toBe('Write post-mortem');
    expect(limitProblems(card, 'message')).toEqual([]);
  });

  it('once written: which version, by whom and when, and the button updates it', () => {
    const card = renderIncidentCard(makeResolvedIncident(), NOW, SEV, undefined, undefined, undefined, written(2));
    const t = text(card);
    expect(t).toContain('Post-mortem version 2 written by <@U0WRITER>');
    expect(t).toMatch(/<!date\^\d+\^[^|]+\|\d{4}-\d\d-\d\d \d\d:\d\d UTC>/);
    expect(t).not.toContain('not written yet');
    expect(postmortemButton(card)?.text.text).toBe('Update post-mortem');
    expect(limitProblems(card, 'message')).toEqual([]);
  });

  it('its action items: open of all, or all done; nothing said when it has none', () => {
    const resolvedWith = (f: FollowUpCardView) =>
      text(renderIncidentCard(makeResolvedIncident(), NOW, SEV, undefined, undefined, undefined, f));
    expect(resolvedWith(written(1, { open: 2, total: 3 }))).toContain(
      'Action items: 2 open of 3 (`/incident actions`)',
    );
    expect(resolvedWith(written(1, { open: 0, total: 3 }))).toContain('Action items: all 3 done');
    expect(
      text(renderIncidentCard(makeResolvedIncident(), NOW, SEV, undefined, undefined, undefined, none)),
    ).not.toContain('Action items');
  });

  it('an open incident says its action items, never the post-mortem (it is written once resolved)', () => {
    const card = renderIncidentCard(makeIncident(), NOW, SEV, undefined, undefined, undefined, {
      postmortem: null,
      actionItems: { open: 1, total: 1 },
    });
    expect(text(card)).toContain('Action items: 1 open of 1');
    expect(text(card)).not.toMatch(/Post-mortem (version|not written)/);
    expect(postmortemButton(card)).toBeUndefined();
    // Reopened after a post-mortem was written: the card is about the work going on, not the document.
    const reopened = renderIncidentCard(makeIncident(), NOW, SEV, undefined, undefined, undefined, written(1));
    expect(text(reopened)).not.toContain('Post-mortem version');
  });

  it('without what to say of it (not read), the card is as before', () => {
    const card = renderIncidentCard(makeResolvedIncident(), NOW, SEV);
    expect(text(card)).not.toMatch(/Post-mortem (version|not written)/);
    expect(postmortemButton(card)?.text.text).toBe('Write post-mortem');
  });
});
