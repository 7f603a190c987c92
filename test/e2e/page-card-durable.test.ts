import { describe, expect, it } from 'vitest';
import { createPostgresDatabase } from '../../src/store/db.js';
import { SIGNING_SECRET } from '../support/bot-harness.js';
import { killAtCall, startBotProcess } from '../support/bot-process.js';
import { eventually } from '../support/incident-flow.js';
import { postSlashCommand } from '../support/slack-request.js';
import { testRunbookData } from '../support/test-runbook.js';
import { useBotProcesses } from '../support/use-bot-processes.js';

/**
 * A page recorded, and its process killed as it showed the incident's card: the card's refresh is a timer written with
 * the page's record (`redraw_card`), so the next process shows the page on the card.
 */
describe("a page's card refresh survives a kill -9", () => {
  const bp = useBotProcesses({ runbook: testRunbookData({ unresolvedAfter: '4s' }), dirPrefix: 'bot-card-durable-' });
  const { fake, procs } = bp;

  it('killed as it refreshed the card after paging senior DevOps: the next process shows them paged on the card', async () => {
    const title = 'card outlives its process';
    const first = await startBotProcess(bp.env);
    procs.push(first.proc);
    // Once the channel is told senior DevOps was paged (the page recorded, its job done), the card's update that
    // follows is refused and the process killed as Slack has it: nothing after it runs.
    let channel = '';
    const stop = fake.subscribe((c) => {
      const ch = String(c.args.channel ?? '');
      if (channel || c.method !== 'chat.postMessage' || !ch.startsWith('C') || ch === 'C0GENERAL') return;
      const said = JSON.stringify(c.args);
      if (!said.includes(':pager: Paged') || !said.includes('(<@U0SENIOR>)')) return;
      channel = ch;
      fake.failNext('chat.update', { error: 'internal_error' }, 1, (a) => a.channel === ch);
    });
    const exited = killAtCall(fake, first.proc, (c) => c.method === 'chat.update' && c.args.channel === channel);
    await postSlashCommand(`http://127.0.0.1:${first.port}`, SIGNING_SECRET, {
      text: `sev2 ${title}`,
      response_url: fake.responseUrl('card-durable'),
    });
    await Promise.race([
      exited,
      new Promise((_, reject) => setTimeout(() => reject(new Error('senior DevOps was not paged in 30 s')), 30_000)),
    ]);
    stop();
    const refused = fake.callsTo('chat.update').filter((c) => c.args.channel === channel);
    expect(refused.at(-1)?.failed).toEqual({ error: 'internal_error' });
    const cardTs = String(refused.at(-1)!.args.ts);
    const card = () => JSON.stringify(fake.message(channel, cardTs)?.blocks ?? []);
    const showsSenior = () => /Paged: On-Call Engineer[^·]*, Senior DevOps Engineer/.test(card());
    expect(card()).toContain('Paged: On-Call Engineer');
    expect(showsSenior()).toBe(false);

    const db = createPostgresDatabase(bp.env.DATABASE_URL!);
    try {
      // Leases run out (rather than waited for): any process takes what the killed one held.
      await db.query('UPDATE escalation_jobs SET locked_until = now() WHERE locked_until > now()');
    } finally {
      await db.close();
    }
    const second = await startBotProcess(bp.env);
    procs.push(second.proc);
    await eventually(async () => (showsSenior() ? true : undefined), 'the card showing senior DevOps paged', 20_000);
    // By the card's timer the page's record wrote, done once the card was shown.
    const check = createPostgresDatabase(bp.env.DATABASE_URL!);
    try {
      await eventually(async () => {
        const { rows } = await check.query<{ state: string }>(
          "SELECT state FROM escalation_jobs WHERE rule = 'redraw_card' AND key LIKE 'redraw_card@job:%'",
        );
        return rows.length > 0 && rows.every((r) => r.state === 'done') ? true : undefined;
      }, "the pages' card timers done");
    } finally {
      await check.close();
    }
  }, 90_000);
});
