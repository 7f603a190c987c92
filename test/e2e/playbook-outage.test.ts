import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseRunbook } from '../../src/runbook/runbook.js';
import { ACTION } from '../../src/templates/ids.js';
import { approvalRef, stepRef } from '../../src/templates/payloads.js';
import { useBotBehindProxy } from '../support/proxied-db.js';
import { testRunbookData } from '../support/test-runbook.js';

const ATOM_CLI = join(process.cwd(), 'test', 'fixtures', 'atom-cli');

describe('Postgres unreachable at a playbook Run click', () => {
  const { bot, db } = useBotBehindProxy({
    runbook: parseRunbook({
      ...testRunbookData(),
      playbooks: {
        'db-connection': {
          title: 'Database Connection Failures',
          kind: 'incident',
          match: ['db down'],
          detection: [{ text: 'Check the app status', run: ['atom-cli', 'status'], timeout: '2s' }],
        },
      },
    }),
    timers: false,
    env: { ATOM_CLI },
  });
  let channelId: string;

  it('within 3 s the person is told to follow the runbook by hand, as a declare is; nothing runs', async () => {
    await bot.command('sev1 db down');
    await bot.fake.waitFor('response_url', (r) => /is open/.test(String(r.args.text)));
    const created = await bot.fake.waitFor('conversations.create');
    channelId = bot.fake.channelByName(created.args.name as string)!.id;
    const playbook = await bot.fake.waitFor(
      'chat.postMessage',
      (c) => c.args.channel === channelId && /^Playbook:/.test(String(c.args.text)),
    );
    const replies = bot.fake.callsTo('response_url').length;

    await db.proxy.cut();
    const started = Date.now();
    const res = await bot.click({
      channelId,
      messageTs: (playbook.response as { ts: string }).ts,
      actionId: ACTION.runStep,
      value: stepRef.encode({ p: 'db-connection', s: 'detection.0' }),
    });
    expect(res.status).toBe(200);
    const [reply] = (await bot.fake.waitForCount('response_url', replies + 1, undefined, 5000)).slice(replies);
    expect(reply!.at - started).toBeLessThan(3000);
    expect(reply!.args.text).toMatch(/could not be recorded|Couldn't record/);
    expect(reply!.args.text).toMatch(/runbook by hand/);
    expect(reply!.args.text).not.toMatch(/Something went wrong/);
    // Nothing was posted about a run: the step never started.
    expect(bot.fake.callsTo('chat.postMessage').filter((c) => c.at >= started)).toEqual([]);
  });

  it('an Approve click, which goes straight to the playbook service, says the same and no reference id', async () => {
    // Still cut by the test above; the incident channel is the one it declared.
    const replies = bot.fake.callsTo('response_url').length;
    const started = Date.now();
    const res = await bot.click({
      channelId,
      messageTs: '1.000001',
      actionId: ACTION.approveStep,
      value: approvalRef.encode(1),
      userId: 'U0APPROVER',
    });
    expect(res.status).toBe(200);
    const [reply] = (await bot.fake.waitForCount('response_url', replies + 1, undefined, 5000)).slice(replies);
    expect(reply!.at - started).toBeLessThan(3000);
    expect(reply!.args.text).toMatch(/could not be recorded/);
    expect(reply!.args.text).toMatch(/runbook by hand/);
    expect(reply!.args.text).not.toMatch(/reference/);
  });
});
