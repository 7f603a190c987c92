import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseRunbook } from '../../src/runbook/runbook.js';
import { type BotHarness, startBot } from '../support/bot-harness.js';
import { declareThroughBot, untilPasses } from '../support/incident-flow.js';
import { TEST_REPORTER_ID } from '../support/slack-request.js';
import { testRunbookData } from '../support/test-runbook.js';

/**
 * CHECKLIST_POST_LEASE reaches the checklist posting through the bot's wiring (src/bot.ts): a checklist Slack refused is
 * tried again after a lease, doubled each time. With a 1 s lease, two refusals (the attaching process's post, the
 * sweep's first) are over in a few seconds; with the 30 s default the next try alone would be 30 s away. This is the
 * sweep's lease (ChecklistMessages); the attaching process's own hold only shows once a process dies holding a post.
 */
describe('CHECKLIST_POST_LEASE, through the bot', () => {
  let bot: BotHarness;
  beforeAll(async () => {
    const runbook = parseRunbook({
      ...testRunbookData(),
      access: { responders: [TEST_REPORTER_ID], approvers: ['U0APPROVER'] },
      playbooks: {
        check: { title: 'Weekly check', kind: 'incident', match: ['weekly check'], detection: ['Look'] },
      },
    });
    bot = await startBot({ runbook, env: { CHECKLIST_POST_LEASE: '1s' } });
  });
  afterAll(async () => bot?.stop());

  it('a checklist Slack refused twice is posted within seconds, its waits the short lease', async () => {
    const incident = await declareThroughBot(bot, 'sev2 api is slow', TEST_REPORTER_ID);
    const isChecklist = (a: Record<string, unknown>) =>
      a.channel === incident.channelId && /^Playbook: Weekly check/.test(String(a.text));
    bot.fake.failNext('chat.postMessage', { error: 'internal_error' }, 2, isChecklist);
    const started = Date.now();
    await bot.command('playbook check', { channel_id: incident.channelId });
    const posted = await bot.fake.waitFor('chat.postMessage', (c) => !c.failed && isChecklist(c.args), 10_000);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(bot.fake.callsTo('chat.postMessage').filter((c) => c.failed && isChecklist(c.args))).toHaveLength(2);
    // Recorded as the incident's checklist.
    await untilPasses(async () => {
      const { rows } = await bot.db.query<{ message_ts: string | null }>(
        "SELECT message_ts FROM incident_playbooks WHERE incident_id = $1 AND playbook_id = 'check'",
        [incident.incidentId],
      );
      expect(rows[0]?.message_ts).toBe((posted.response as { ts: string }).ts);
    }, 5_000);
  });
});
