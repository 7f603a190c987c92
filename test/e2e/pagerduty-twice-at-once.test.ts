import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BotHarness, startBot } from '../support/bot-harness.js';
import { FakePagerDuty } from '../support/fake-pagerduty.js';
import { declareThroughBot, eventually } from '../support/incident-flow.js';
import { CTO_KEY, ctoThroughPagerDuty, PD_WEBHOOK_SECRET as SECRET } from '../support/pagerduty-cto-runbook.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('one PagerDuty delivery posted twice at once', () => {
  let bot: BotHarness;
  let pd: FakePagerDuty;
  beforeAll(async () => {
    pd = await FakePagerDuty.start();
    pd.users.set('PCAROL1', { name: 'Carol C', email: 'carol@example.com' });
    bot = await startBot({
      runbook: ctoThroughPagerDuty(),
      env: {
        PAGERDUTY_EVENTS_URL: pd.eventsUrl,
        PAGERDUTY_WEBHOOK_SECRET: SECRET,
        PAGERDUTY_API_TOKEN: 'pd-rest-token-read-only',
        PAGERDUTY_API_URL: pd.apiUrl,
      },
    });
  });
  afterAll(async () => {
    await bot?.stop();
    await pd?.close();
  });

  it('is told to the channel once: the second copy says nothing', async () => {
    const card = await declareThroughBot(bot, 'sev0 everything is down');
    const trigger = await pd.waitFor((e) => e.event_action === 'trigger' && e.routing_key === CTO_KEY);
    await eventually(
      async () =>
        (await bot.db.query('SELECT 1 FROM pagerduty_incidents WHERE dedup_key = $1', [trigger.dedup_key])).rows.length
          ? true
          : undefined,
      'the bot to record the PagerDuty trigger',
    );
    const body = JSON.stringify({
      event: {
        id: '01SAMEDELIVERY1',
        event_type: 'incident.acknowledged',
        resource_type: 'incident',
        occurred_at: new Date().toISOString(),
        agent: { id: 'PCAROL1', summary: 'Carol C', type: 'user_reference', self: 'https://api.pagerduty.com/users/x' },
        client: null,
        data: {
          id: 'Q1PDINCIDENT',
          type: 'incident',
          number: 42,
          status: 'acknowledged',
          title: 'paged from the bot',
          incident_key: trigger.dedup_key,
          html_url: 'https://example.pagerduty.com/incidents/Q1PDINCIDENT',
        },
      },
    });
    const send = () =>
      pd.sendWebhook(`${bot.baseUrl}/hooks/pagerduty`, SECRET, { type: 'incident.acknowledged' }, { body });
    const answers = await Promise.all([send(), send()]);
    expect(answers.map((a) => a.status)).toEqual([200, 200]);
    expect(answers.map((a) => a.json.status).sort()).toEqual(['acknowledged', 'ignored']);
    const told = () =>
      bot.fake
        .callsTo('chat.postMessage')
        .filter((c) => c.args.channel === card.channelId && /in PagerDuty/.test(JSON.stringify(c.args)));
    await eventually(async () => (told().length ? true : undefined), 'the channel told');
    await sleep(1500);
    expect(told()).toHaveLength(1);
  }, 30_000);
});
