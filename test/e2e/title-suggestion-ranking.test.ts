import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ProcedureBot, startProcedureBot } from '../support/procedure-bot.js';

/**
 * Titles as a person types them, declared through the bot with the bundled runbook: the playbook suggested, and the
 * ones its message names as fitting too. The runbook's Complete Site Failure is suggested Disaster Recovery; when a
 * title names where (login, postgres) and what is wrong (500s, slow, corruption), the latter's playbook is suggested.
 */
describe('the playbook a typed title is suggested, and the others its message names', () => {
  let env: ProcedureBot;
  beforeAll(async () => {
    env = await startProcedureBot();
  });
  afterAll(async () => env?.stop());

  it.each<[string, string, string[]]>([
    // Data Backup & Recovery -> Disaster Recovery: Complete Site Failure ("All Cloud Nodes down, data center outage").
    ['sev0 complete site failure', 'disaster-recovery', []],
    ['sev0 site down', 'disaster-recovery', []],
    ['sev0 everything is down', 'disaster-recovery', []],
    ['sev0 total outage', 'disaster-recovery', []],
    ['sev0 region outage', 'disaster-recovery', []],
    ['sev0 data center outage', 'disaster-recovery', []],
    // The SEV-0 example "All machines down": the node status first (Machine Auto-Stops), Disaster Recovery named.
    ['sev0 all machines down', 'machine-auto-stops', ['disaster-recovery']],
    // What is wrong over where it is.
    ['sev1 auth 500s', 'high-error-rates', ['oauth-callback-failures']],
    ['sev0 postgres corruption', 'restore-from-backup', ['database-connection-failures']],
    ['sev2 login slow', 'slow-response-times', ['oauth-callback-failures']],
    ['sev2 log in slow', 'slow-response-times', ['oauth-callback-failures']],
    // A provider's outage, however big, is the provider's playbook, not our Disaster Recovery.
    ['sev1 OpenAI total outage', 'llm-provider-outage', []],
  ])('/incident %s is suggested %s', async (typed, playbookId, named) => {
    const at = await env.declare(typed, playbookId);
    const blocks = JSON.stringify(env.bot.fake.message(at.channelId, at.ts)?.blocks ?? []);
    // The line that says where the playbook came from, and the others it names with the command attaching each.
    const origin = /Suggested from the incident title[^"]*/.exec(blocks)?.[0] ?? '';
    expect(origin).not.toBe('');
    expect([...origin.matchAll(/`\/incident playbook ([a-z0-9-]+)`/g)].map((m) => m[1])).toEqual(named);
    for (const id of named) expect(origin).toContain(env.runbook.playbooks.find((p) => p.id === id)!.title);
    if (named.length) expect(origin).toContain('as well: attach the one that is the trouble');
  });
});
