import { describe, expect, it } from 'vitest';
import { ALERTS_ENV } from '../support/alert-request.js';
import { alertRunbook, inboxDone, incidentsOfSource, waitUntil } from '../support/alert-runbook.js';
import { INCIDENTS_CHANNEL_ID, useBot } from '../support/bot-harness.js';
import { postGenericAlert as post } from '../support/use-alerts-bot.js';

const json = (v: unknown) => JSON.stringify(v);

/** The budget's window: fixed windows of this length from the epoch, as the rate limit counts them. */
const WINDOW_MS = 8000;

describe("Slack's channel budget, shared by alerts and people", () => {
  const bot = useBot({
    env: { ...ALERTS_ENV, CHANNEL_CREATE_LIMIT: `2/${WINDOW_MS / 1000}s` },
    incidentsChannel: true,
    runbook: alertRunbook(),
  });

  it('alert incidents past the budget wait their turn (none dropped); a person is told the budget is spent', async () => {
    // Start early in a window, so that the two alerts and the person all fall in it, however slow the machine.
    await new Promise((r) => setTimeout(r, WINDOW_MS - (Date.now() % WINDOW_MS) + 50));
    const started = Date.now();
    for (const source of ['budget-a', 'budget-b', 'budget-c']) {
      const r = await post(bot.baseUrl, { source, key: 'errors', summary: `Errors from ${source}` });
      expect(r.status).toBe(202);
    }
    await waitUntil('two alert incidents', async () => bot.fake.callsTo('conversations.create').length >= 2);
    const typed = await bot.command('sev1 checkout down', { user_id: 'U0PERSON' });
    expect(typed.status).toBe(200);
    const told = await bot.fake.waitFor('response_url', (c) =>
      /only 2 channels every 8 seconds/.test(String(c.args.text)),
    );
    expect(told.args.text).toMatch(/No incident was opened; declare again in/);
    // Alerts have nobody to answer: the incidents channel is told that one waits, and when the next comes.
    const waits = await bot.fake.waitFor(
      'chat.postMessage',
      (c) => c.args.channel === INCIDENTS_CHANNEL_ID && json(c.args).includes('Incidents from alerts are waiting'),
    );
    expect(json(waits.args.blocks)).toContain('Slack lets the bot create only 2 channels every 8 seconds');
    expect(json(waits.args.blocks)).toMatch(/wait their turn to be declared: .* \(the next in about \d+ seconds?\)/);
    // The third alert incident is declared once the window turns.
    await inboxDone(bot.db, WINDOW_MS + 15_000);
    const opened = [];
    for (const source of ['budget-a', 'budget-b', 'budget-c'])
      opened.push(...(await incidentsOfSource(bot.db, source)));
    expect(opened).toHaveLength(3);
    const creates = bot.fake.callsTo('conversations.create');
    expect(creates).toHaveLength(3);
    expect(creates[2]!.at - started).toBeGreaterThanOrEqual(WINDOW_MS - 1000);
    const { rows } = await bot.db.query<{ state: string; attempts: number }>(
      `SELECT state, attempts FROM alert_deliveries WHERE source LIKE 'budget-%' ORDER BY id`,
    );
    expect(rows.map((r) => r.state)).toEqual(['done', 'done', 'done']);
    // Told once, not at each retry of the waiting declaration.
    const told2 = bot.fake
      .callsTo('chat.postMessage')
      .filter((c) => json(c.args).includes('Incidents from alerts are waiting'));
    expect(told2).toHaveLength(1);
    // The waiting one's on-call is not left to wait for its channel: told at once what fired, once, before it opened
    // (the page itself follows with the incident).
    const early = bot.fake
      .callsTo('chat.postMessage')
      .filter((c) => c.args.channel === 'U0ONCALL' && json(c.args).includes('waits for Slack'));
    expect(early).toHaveLength(1);
    expect(json(early[0]!.args.blocks)).toMatch(/Errors from budget-[abc]/);
    expect(early[0]!.at).toBeLessThan(creates[2]!.at);
  }, 45_000);
});
