import { describe, expect, it } from 'vitest';
import type { PastRollback } from '../../src/incidents/ports.js';
import { ACTION } from '../../src/templates/ids.js';
import { renderRollbackAgain, settledDeployments } from '../../src/templates/playbook.js';

const at = new Date('2026-12-06T01:03:00Z');
const past = (verdict: PastRollback['verdict']): PastRollback => ({ at, by: 'U0ONCALL', verdict });
const list = [
  { type: 'section', text: { type: 'mrkdwn', text: ':large_green_circle: *current* `v58` · complete' } },
  {
    type: 'section',
    text: { type: 'mrkdwn', text: '`v57` · complete' },
    accessory: { type: 'button', action_id: ACTION.rollbackTo, value: 'v57', text: { type: 'plain_text', text: 'x' } },
  },
];

describe('what a list older than a rollback says', () => {
  it('a rollback that failed to run is not called a rollback done', () => {
    const failed = past({
      version: 'v57',
      result: 'not_run',
      running: null,
      failed: [{ name: 'x', detail: 'exit 1' }],
    });
    expect(renderRollbackAgain(failed, 'v57', null).text).toBe(
      ':warning: Since this list was posted, a rollback to `v57` at 01:03 UTC by <@U0ONCALL>: tried, and it failed (nothing was rolled back). This list is out of date. Roll back to `v57` again?',
    );
    const settled = settledDeployments(list, failed);
    expect(settled.text).toMatch(/^:rewind: A rollback to `v57` at 01:03 UTC by <@U0ONCALL>: tried, and it failed/);
    // The version marked current still is; the buttons are gone.
    expect(JSON.stringify(settled.blocks)).toContain(':large_green_circle: *current* `v58`');
    expect(JSON.stringify(settled.blocks)).not.toContain(ACTION.rollbackTo);
  });

  it('a rollback that took: what runs now, the old current mark struck', () => {
    const took = past({ version: 'v57', result: 'passed', running: 'v59', failed: [] });
    expect(renderRollbackAgain(took, 'v55', null).text).toBe(
      ':warning: Since this list was posted, rolled back to `v57` at 01:03 UTC by <@U0ONCALL>; `v59`, made from it, is running. This list is out of date. Roll back to `v55`?',
    );
    expect(JSON.stringify(settledDeployments(list, took).blocks)).toContain('_was current_ `v58`');
  });
});
