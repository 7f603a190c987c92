import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakePagerDuty } from '../support/fake-pagerduty.js';
import { declareThroughBot, eventually } from '../support/incident-flow.js';
import { CTO_KEY, ctoThroughPagerDuty, PD_WEBHOOK_SECRET as SECRET } from '../support/pagerduty-cto-runbook.js';
import { useTwoBots } from '../support/use-two-bots.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('one PagerDuty delivery arriving at two replicas at once', () => {
  let pd: FakePagerDuty;
  const env: Record<string, string> = {};
  beforeAll(async () => {
    pd = await FakePagerDuty.start();
    pd.users.set('PCAROL1', { name: 'Carol C', email: 'carol@example.com' });
    Object.assign(env, {
      PAGERDUTY_EVENTS_URL: pd.eventsUrl,
      PAGERDUTY_WEBHOOK_SECRET: SECRET,
      PAGERDUTY_API_TOKEN: 'pd-rest-token-read-only',
      PAGERDUTY_API_URL: pd.apiUrl,
    });
  });
  afterAll(async () => pd?.close());
  const { fake, a, b } = useTwoBots('pd_two_replicas', { runbook: ctoThroughPagerDuty(), env });

  it('is told to the channel once across both (copies to each, several times over)', async () => {
    const seen = new Set<string>();
    for (let round = 0; round < 4; round++) {
      const card = await declareThroughBot(a, `sev0 everything is down ${round}`);
      const trigger = await pd.waitFor(
        (e) => e.event_action === 'trigger' && e.routing_key === CTO_KEY && !seen.has(String(e.dedup_key)),
        15_000,
      );
      seen.add(String(trigger.dedup_key));
      await eventually(
        async () =>
          (await a.db.query('SELECT 1 FROM pagerduty_incidents WHERE dedup_key = $1', [trigger.dedup_key])).rows.length
            ? true
            : undefined,
        'the bot to record the PagerDuty trigger',
      );
      const body = JSON.stringify({
        event: {
          id: `01SAMEDELIVERY${round}`,
          event_type: 'incident.acknowledged',
          resource_type: 'incident',
          occurred_at: new Date().toISOString(),
          agent: {
            id: 'PCAROL1',
            summary: 'Carol C',
            type: 'user_reference',
            self: 'https://api.pagerduty.com/users/x',
          },
          client: null,
          data: {
            id: `Q${round}PDINCIDENT`,
            type: 'incident',
            number: 42 + round,
            status: 'acknowledged',
            title: 'paged from the bot',
            incident_key: trigger.dedup_key,
            html_url: 'https://example.pagerduty.com/incidents/Q1PDINCIDENT',
          },
        },
      });
      const send = (to: typeof a) =>
        pd.sendWebhook(`${to.baseUrl}/hooks/pagerduty`, SECRET, { type: 'incident.acknowledged' }, { body });
      const answers = await Promise.all([send(a), send(b), send(a), send(b)]);
      expect(answers.map((x) => x.status)).toEqual([200, 200, 200, 200]);
      expect(
        answers.filter((x) => x.json.status === 'acknowledged'),
        JSON.stringify(answers),
      ).toHaveLength(1);
      const told = () =>
        fake
          .callsTo('chat.postMessage')
          .filter((c) => c.args.channel === card.channelId && /in PagerDuty/.test(JSON.stringify(c.args)));
      await eventually(async () => (told().length ? true : undefined), 'the channel told');
      await sleep(1000);
      expect(told(), `round ${round}`).toHaveLength(1);
    }
  }, 90_000);
});
