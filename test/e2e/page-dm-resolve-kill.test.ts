import { describe, expect, it } from 'vitest';
import { SIGNING_SECRET } from '../support/bot-harness.js';
import { startBotProcess } from '../support/bot-process.js';
import { eventually } from '../support/incident-flow.js';
import { postSlashCommand } from '../support/slack-request.js';
import { testRunbookData } from '../support/test-runbook.js';
import { useBotProcesses } from '../support/use-bot-processes.js';

/**
 * A resolution's redraw of the page DMs is its own timer (`redraw_pages`, written with it), not work held in the memory
 * of the process that resolved: killed as it shows them, the next process shows them resolved.
 */
describe('the page DMs of a resolution survive a kill -9', () => {
  const bp = useBotProcesses({ runbook: testRunbookData(), dirPrefix: 'bot-dm-kill-' });
  const { fake, procs } = bp;

  it('killed as it updates the on-call DM after resolving: the next process shows it resolved', async () => {
    const first = await startBotProcess(bp.env);
    procs.push(first.proc);
    const url = `http://127.0.0.1:${first.port}`;
    await postSlashCommand(url, SIGNING_SECRET, { text: 'sev2 ledger drift', response_url: fake.responseUrl('k') });
    const sent = await fake.waitFor(
      'chat.postMessage',
      (c) => c.args.channel === 'U0ONCALL' && JSON.stringify(c.args).includes('ledger drift'),
      15_000,
    );
    const dm = { channel: String(sent.response!.channel), ts: String(sent.response!.ts) };
    const isDm = (args: Record<string, unknown>) => args.channel === dm.channel && args.ts === dm.ts;
    const row = await eventually(async () => {
      const { rows } = await bp.db.query<{ id: number; channel_id: string }>(
        `SELECT i.id, i.channel_id FROM incidents i JOIN pages p ON p.incident_id = i.id
         JOIN page_deliveries d ON d.page_id = p.id WHERE i.title = 'ledger drift' AND d.dm_ts IS NOT NULL`,
      );
      return rows[0];
    }, "the on-call page's DM recorded");
    // The moment the DM's update reaches Slack the process dies (Slack never takes it).
    const exited = new Promise((r) => first.proc.once('exit', r));
    fake.failNext('chat.update', { error: 'internal_error' }, 1, (args) => {
      if (!isDm(args)) return false;
      first.proc.kill('SIGKILL');
      return true;
    });
    await postSlashCommand(url, SIGNING_SECRET, {
      text: 'resolve reverted the batch',
      channel_id: row.channel_id,
      response_url: fake.responseUrl('k2'),
    });
    await exited;
    expect(JSON.stringify(fake.message(dm.channel, dm.ts)?.blocks)).not.toContain('*resolved*');
    // What the dead process held runs out (rather than waited for): its timers' leases and its DMs' drawing leases.
    await bp.db.query('UPDATE escalation_jobs SET locked_until = now() WHERE locked_until > now()');
    await bp.db.query('UPDATE page_deliveries SET dm_drawing_until = NULL');

    const second = await startBotProcess(bp.env);
    procs.push(second.proc);
    await eventually(
      async () =>
        JSON.stringify(fake.message(dm.channel, dm.ts)?.blocks).includes('The incident was *resolved* by')
          ? true
          : undefined,
      'the DM shown resolved by the next process',
      20_000,
    );
    // Recorded once Slack took it (a moment after the fake shows it).
    const states = async () =>
      (
        await bp.db.query<{ dm_state: string }>(
          `SELECT d.dm_state FROM page_deliveries d JOIN pages p ON p.id = d.page_id WHERE p.incident_id = $1`,
          [row.id],
        )
      ).rows;
    const rows = await eventually(
      async () => ((await states()).every((r) => r.dm_state === 'resolved') ? states() : undefined),
      "the DM's state recorded resolved",
    );
    expect(rows).toEqual([{ dm_state: 'resolved' }]);
  }, 90_000);
});
