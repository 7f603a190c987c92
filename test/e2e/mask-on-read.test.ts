import { describe, expect, it } from 'vitest';
import { parseRunbook } from '../../src/runbook/runbook.js';
import { useBot } from '../support/bot-harness.js';
import { declareThroughBot } from '../support/incident-flow.js';
import { testRunbookData } from '../support/test-runbook.js';

const ADMIN_TOKEN = 'audit-admin-token-0123456789';
const APPROVER = 'U0APPROVER';
/** A COMMAND_ENV value the bot knows is secret. */
const TOKEN = 'tok-7c1e9a4b2f8d5e60';

/**
 * Rows stored by a version of the bot that did not mask a known secret value before storing it: what shows them masks
 * it on reading (the timeline, the incident's audit, the audit export), so an old row never shows it.
 */
describe('text stored before masking came in, shown', () => {
  const bot = useBot({
    runbook: parseRunbook({ ...testRunbookData(), access: { responders: [], approvers: [APPROVER] } }),
    timers: false,
    env: { ADMIN_TOKEN, COMMAND_ENV: 'ATOM_API_TOKEN', ATOM_API_TOKEN: TOKEN },
  });

  it('masks a known secret value in old timeline events and audit rows', async () => {
    const inc = await declareThroughBot(bot, 'sev2 old rows hold a secret');
    bot.fake.channels.get(inc.channelId)!.members.add(APPROVER);
    // As an older version stored them: a status update, a step's run with the value typed as a parameter, an audit row.
    await bot.db.query(
      `INSERT INTO incident_events (incident_id, kind, actor_id, details) VALUES
         ($1, 'status_update', 'U0OLD', $2::jsonb), ($1, 'step_run', 'U0OLD', $3::jsonb)`,
      [
        inc.incidentId,
        JSON.stringify({ status: 'investigating', currentStatus: `retried with ${TOKEN}` }),
        JSON.stringify({ target: ['atom-cli', 'nodes', 'restart', TOKEN], state: 'succeeded', exitCode: 0 }),
      ],
    );
    await bot.db.query(
      `INSERT INTO audit_log (actor, action, surface, channel_id, incident_id, outcome, reason, details)
       VALUES ('U0OLD', 'playbook_run', 'form', $1, $2, 'failed', $3, $4::jsonb)`,
      [inc.channelId, inc.incidentId, `bad node ${TOKEN}`, JSON.stringify({ params: { node_id: TOKEN } })],
    );

    bot.fake.reset();
    await bot.command('timeline', { channel_id: inc.channelId });
    const timeline = JSON.stringify(
      (await bot.fake.waitFor('response_url', (c) => /^Timeline/.test(String(c.args.text)))).args,
    );
    expect(timeline).toContain('retried with ***');
    expect(timeline).toContain('ran `atom-cli nodes restart ***`');
    expect(timeline).not.toContain(TOKEN);

    await bot.command('audit', { channel_id: inc.channelId, user_id: APPROVER });
    const audit = JSON.stringify(
      (await bot.fake.waitFor('response_url', (c) => /^Audit of/.test(String(c.args.text)))).args,
    );
    expect(audit).toContain('bad node ***');
    expect(audit).not.toContain(TOKEN);

    const res = await fetch(`${bot.baseUrl}/audit.jsonl?since=1h`, {
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    expect(res.status).toBe(200);
    const exported = await res.text();
    expect(exported).toContain('bad node ***');
    expect(exported).toContain('"node_id":"***"');
    expect(exported).not.toContain(TOKEN);
  });
});
