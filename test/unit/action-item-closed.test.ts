import { describe, expect, it } from 'vitest';
import type { ActionItem } from '../../src/incidents/action-items.js';
import { renderItemClosed } from '../../src/templates/action-items.js';
import { minutes, NOW } from '../support/incident-fixture.js';

const item = (over: Partial<ActionItem> = {}): ActionItem => ({
  id: 3,
  incidentId: 7,
  teamId: 'T1',
  text: 'Add an index on orders.created_at',
  ownerId: 'U0BOB',
  dueAt: null,
  source: 'person',
  state: 'done',
  createdBy: 'U0ALICE',
  createdAt: minutes(1),
  closedBy: 'U0BOB',
  closedAt: minutes(4),
  remindedAt: null,
  ...over,
});

describe('the reply to a Done click', () => {
  it('says when it was closed as Slack counts it for the reader, not "0 seconds ago" for ever', () => {
    const at = minutes(4);
    const said = renderItemClosed(item(), false, NOW);
    expect(said).toBe(
      `:white_check_mark: Done: *Add an index on orders.created_at* (closed <!date^${at.getTime() / 1000}^{ago}|at ${at.toISOString().slice(11, 16)} UTC>).`,
    );
    expect(renderItemClosed(item(), true, NOW)).toContain('That was the last open action item of its incident.');
  });
});
