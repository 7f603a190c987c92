import { describe, expect, it } from 'vitest';
import { parseRunbook } from '../../src/runbook/runbook.js';
import { ALERTS_ENV, genericAlert, postAlerts } from '../support/alert-request.js';
import { alertRunbookData, inboxDone, waitUntil } from '../support/alert-runbook.js';
import { INCIDENTS_CHANNEL_ID, useBot } from '../support/bot-harness.js';
import { BOT_USER_ID } from '../support/fake-slack.js';

/** The bot removed from the incidents channel while alerts come in, then invited back. */
describe('the incidents channel refuses an alert plan’s post', () => {
  const bot = useBot({ incidentsChannel: true, runbook: parseRunbook(alertRunbookData()), env: ALERTS_ENV });

  it('the missed notice goes out once the bot is back, though its attempts ran out meanwhile; /health says so', async () => {
    const incidents = bot.fake.channels.get(INCIDENTS_CHANNEL_ID)!;
    const delivery = async () =>
      (
        await bot.db.query<{ id: number; state: string; attempts: number; last_error: string | null; held: boolean }>(
          `SELECT id, state, attempts, last_error, locked_until IS NOT NULL AS held
             FROM alert_deliveries WHERE source = 'refused' ORDER BY id DESC LIMIT 1`,
        )
      ).rows[0];
    incidents.members.delete(BOT_USER_ID);
    try {
      const r = await postAlerts(
        bot.baseUrl,
        '/hooks/alerts',
        genericAlert({ source: 'refused', key: 'lat', level: 'warning', metric: 'p95_latency', summary: 'p95 slow' }),
      );
      expect(r.status).toBe(202);
      await waitUntil('the notice refused', async () => {
        const d = await delivery();
        return d?.last_error?.includes('not a member') ? d : null;
      });
      // Its attempts run out while nobody has invited the bot back yet (as they do in about six minutes).
      await bot.db.query(`UPDATE alert_deliveries SET attempts = 12, due_at = now() WHERE source = 'refused'`);
      // Over, not only claimed (its attempt is counted when claimed): a failure ending after the due time is moved up
      // below would put it off again by its backoff.
      await waitUntil('one more attempt, over', async () => {
        const d = await delivery();
        return ((d?.attempts ?? 0) > 12 && !d?.held) || null;
      });
      const d = await delivery();
      expect(d?.state).toBe('recorded');
      const health = (await (await fetch(`${bot.baseUrl}/health`)).json()) as Record<string, unknown>;
      expect(health.status).toBe('degraded');
      expect(health.alerts).toMatchObject({ status: 'retrying', failing: 1 });
      expect(String((health.alerts as { error: string }).error)).toContain('/invite @Incident Bot');
    } finally {
      incidents.members.add(BOT_USER_ID);
    }
    // Invited back: the next attempt (here at once) posts the notice it missed.
    await bot.db.query(`UPDATE alert_deliveries SET due_at = now() WHERE source = 'refused'`);
    await inboxDone(bot.db);
    expect((await delivery())?.state).toBe('done');
    const notices = bot.fake
      .callsTo('chat.postMessage')
      .filter((c) => c.args.channel === INCIDENTS_CHANNEL_ID && c.response?.ok && String(c.args.text).includes('p95'));
    expect(notices).toHaveLength(1);
    const health = (await (await fetch(`${bot.baseUrl}/health`)).json()) as Record<string, unknown>;
    expect(health.status).toBe('ok');
    expect(health.alerts).toBeUndefined();
  }, 60_000);
});
