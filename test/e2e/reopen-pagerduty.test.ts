import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseRunbook } from '../../src/runbook/runbook.js';
import { type BotHarness, startBot } from '../support/bot-harness.js';
import { FakePagerDuty } from '../support/fake-pagerduty.js';
import { declareThroughBot } from '../support/incident-flow.js';
import { testRunbookData } from '../support/test-runbook.js';

const OLIVE_KEY = '0123456789abcdef0123456789abcdef';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * PagerDuty hears every resolution of a reopened incident: a page of the reopened incident triggers its role's
 * PagerDuty incident again (same dedup key, a new incident there), and resolving the incident again resolves that one.
 * The second resolve was left out (its job had the first's key), and PagerDuty went on paging for a resolved incident.
 */
describe('a reopened incident and PagerDuty', () => {
  let bot: BotHarness;
  let pd: FakePagerDuty;
  beforeAll(async () => {
    pd = await FakePagerDuty.start();
    const data = testRunbookData({ respond: { 2: '4s' } });
    const roles = data.escalation.roles;
    bot = await startBot({
      runbook: parseRunbook({
        ...data,
        people: { U0ONCALL: { name: 'Olive', pagerduty: { routing_key: OLIVE_KEY } } },
        escalation: {
          ...data.escalation,
          roles: {
            ...roles,
            on_call: { ...roles.on_call, notify: [{ via: 'slack' }, { via: 'pagerduty', after: '1s' }] },
          },
        },
      }),
      env: { PAGERDUTY_EVENTS_URL: pd.eventsUrl },
    });
  });
  afterAll(async () => {
    await bot?.stop();
    await pd?.close();
  });

  it('paged again after the reopening, resolved again: PagerDuty gets a second trigger and a second resolve', async () => {
    const card = await declareThroughBot(bot, 'sev2 queue backs up');
    const first = await pd.waitFor((e) => e.event_action === 'trigger');
    await bot.command('resolve drained it', { channel_id: card.channelId });
    await pd.waitFor((e) => e.event_action === 'resolve' && e.dedup_key === first.dedup_key);

    await bot.command('reopen it backs up again', { channel_id: card.channelId });
    // Nobody acknowledged it: On-Call Engineer is paged again 4 s after the reopening, PagerDuty a second after.
    await pd.waitFor((e) => e.event_action === 'trigger' && e.at > first.at, 15_000);
    expect(pd.taken('trigger', first.dedup_key)).toHaveLength(2);

    await bot.command('resolve drained it for good', { channel_id: card.channelId });
    await pd.waitFor((e) => pd.taken('resolve', first.dedup_key).length === 2 && e.event_action === 'resolve', 10_000);
    await sleep(500);
    expect(pd.taken('resolve', first.dedup_key)).toHaveLength(2);
    const { rows } = await bot.db.query<{ resolved_at: Date | null }>(
      'SELECT resolved_at FROM pagerduty_incidents WHERE dedup_key = $1',
      [first.dedup_key],
    );
    expect(rows[0]!.resolved_at).not.toBeNull();
  }, 40_000);
});
