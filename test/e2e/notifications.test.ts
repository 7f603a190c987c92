import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACTION } from '../../src/templates/ids.js';
import { genericAlert, postAlerts } from '../support/alert-request.js';
import { type BotHarness, startBot } from '../support/bot-harness.js';
import { FakePagerDuty } from '../support/fake-pagerduty.js';
import { FakeSmtp } from '../support/fake-smtp.js';
import { declareThroughBot, eventually } from '../support/incident-flow.js';
import {
  CTO_KEY,
  cardText,
  dedupPrefix,
  events,
  notifyEnv,
  notifyRunbook,
  OLIVE_KEY,
  recordedByBot,
  usePhonesBot,
} from '../support/notify-scene.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Slack at once, then email, then PagerDuty, each after its delay; acknowledging in Slack stops what is still to come. */
describe('pages that ring phones: Slack, then email, then PagerDuty', () => {
  const { bot, smtp, pd } = usePhonesBot();

  it('Slack at once, email after 1 s, PagerDuty after 2 s; the card and timeline show each; resolving resolves PagerDuty', async () => {
    const started = Date.now();
    const card = await declareThroughBot(bot, 'sev2 checkout is slow');
    const dm = await bot.fake.waitFor('chat.postMessage', (c) => c.args.channel === 'U0ONCALL');

    // The DM at once, the email a second after the page: in that order, however loaded the machine is.
    const mail = await smtp.waitFor((m) => m.to.includes('olive@example.com'));
    expect(mail.at - started).toBeGreaterThanOrEqual(1000);
    expect(mail.at).toBeGreaterThan(dm.at);
    expect(mail.from).toBe('incidents@example.com');
    expect(mail.subject).toContain('checkout is slow');
    expect(mail.text).toContain('Olive, you are paged as On-Call Engineer because');
    expect(mail.text).toContain('SUBJECT: [SEV-2');
    expect(mail.text).toContain(`https://slack.com/app_redirect?team=`);
    expect(mail.text).toContain(`channel=${card.channelId}`);

    const trigger = await pd.waitFor((e) => e.event_action === 'trigger');
    expect(trigger.at - started).toBeGreaterThanOrEqual(2000);
    expect(trigger.routing_key).toBe(OLIVE_KEY);
    expect(trigger.dedup_key).toMatch(/\/on_call$/);
    expect(trigger.payload?.severity).toBe('error');
    expect(trigger.payload?.summary).toContain('checkout is slow');
    expect(trigger.payload?.source).toMatch(/^#inc-/);

    // The card: "paged Olive (On-Call Engineer): Slack ✓, email ✓, PagerDuty ✓ <time>", the time of the last delivery
    // in the reader's time zone (a Slack date token), UTC where those do not show.
    const line = await eventually(
      async () =>
        /paged Olive \(On-Call Engineer\): Slack ✓, email ✓, PagerDuty ✓ <!date\^(\d+)\^\{time\}\|(\d\d:\d\d UTC)>/.exec(
          cardText(bot, card),
        ) ?? undefined,
      'the card line',
    );
    const { rows: last } = await bot.db.query<{ at: Date }>(
      "SELECT max(at) AS at FROM notification_deliveries WHERE incident_id = $1 AND user_id = 'U0ONCALL'",
      [card.incidentId],
    );
    expect([Number(line[1]), line[2]]).toEqual([
      Math.floor(last[0]!.at.getTime() / 1000),
      `${last[0]!.at.toISOString().slice(11, 16)} UTC`,
    ]);
    const notified = (await events(bot, card.incidentId)).filter((e) => e.kind === 'notified');
    expect(notified.map((e) => e.details.via)).toEqual(['email', 'pagerduty']);

    await bot.command('resolve fixed the pool', { channel_id: card.channelId });
    const resolve = await pd.waitFor((e) => e.event_action === 'resolve');
    expect(resolve.dedup_key).toBe(trigger.dedup_key);
    expect(resolve.routing_key).toBe(OLIVE_KEY);
    await sleep(800);
    expect(pd.taken('resolve')).toHaveLength(1);
    expect(pd.taken('trigger')).toHaveLength(1);
    expect(smtp.messages).toHaveLength(1);
  }, 30_000);

  it('a page of an incident opened from monitoring says what fired in its email and its PagerDuty event too', async () => {
    const r = await postAlerts(
      bot.baseUrl,
      '/hooks/alerts',
      genericAlert({ source: 'pager-check', key: 'pool-full', metric: 'database_pool_usage', value: '97%' }),
    );
    expect(r.status).toBe(202);
    const mail = await smtp.waitFor((m) => m.to.includes('olive@example.com'), 15_000);
    expect(mail.text).toContain('What fired (from pager-check):');
    expect(mail.text).toMatch(/^- .* · database_pool_usage 97% /m);
    // Before the template, whose fields are still empty.
    expect(mail.text.indexOf('What fired')).toBeLessThan(mail.text.indexOf('SUBJECT:'));
    const trigger = await pd.waitFor((e) => e.event_action === 'trigger', 15_000);
    const details = trigger.payload?.custom_details as Record<string, string> | undefined;
    expect(details?.alerts).toContain('What fired (from pager-check):');
    expect(details?.alerts).toContain('database_pool_usage 97%');
    await bot.command('resolve pool resized', {
      channel_id: (
        await bot.db.query<{ channel_id: string }>('SELECT channel_id FROM incidents ORDER BY id DESC LIMIT 1')
      ).rows[0]!.channel_id,
    });
    await pd.waitFor((e) => e.event_action === 'resolve');
  }, 30_000);

  it("a flag's page says what was typed with it in its PagerDuty summary and its email; a private incident's PagerDuty event does not", async () => {
    const card = await declareThroughBot(bot, 'sev2 order writes failing');
    const prefix = await dedupPrefix(bot, card.incidentId);
    await bot.command('data-loss writes to orders may be lost', { channel_id: card.channelId });
    const trigger = await pd.waitFor(
      (e) => e.event_action === 'trigger' && e.routing_key === CTO_KEY && e.dedup_key.startsWith(prefix),
    );
    expect(trigger.payload?.summary).toContain('because a data-loss risk was flagged: "writes to orders may be lost"');
    const details = trigger.payload?.custom_details as Record<string, string> | undefined;
    expect(details?.communication).toContain('CURRENT IMPACT: data-loss risk flagged: writes to orders may be lost');
    expect(details?.communication).toContain('NEXT UPDATE: none set');
    const mail = await smtp.waitFor((m) => m.to.includes('carol@example.com'), 15_000);
    expect(mail.text).toContain(
      'Carol, you are paged as CTO because a data-loss risk was flagged: "writes to orders may be lost".',
    );
    expect(mail.text).toContain('CURRENT IMPACT: data-loss risk flagged: writes to orders may be lost');
    expect(mail.text).not.toContain('with the next change');
    await bot.command('resolve writes replayed', { channel_id: card.channelId });
    await pd.waitFor((e) => e.event_action === 'resolve' && e.dedup_key === trigger.dedup_key);

    const secret = await declareThroughBot(bot, 'sev1 --private token theft');
    const secretPrefix = await dedupPrefix(bot, secret.incidentId);
    await bot.command('data-loss customer tokens copied', { channel_id: secret.channelId });
    const secretTrigger = await pd.waitFor(
      (e) => e.event_action === 'trigger' && e.routing_key === CTO_KEY && e.dedup_key.startsWith(secretPrefix),
    );
    expect(secretTrigger.payload?.summary).toContain('because a data-loss risk was flagged');
    expect(JSON.stringify(secretTrigger)).not.toContain('tokens copied');
    await recordedByBot(bot, secretTrigger.dedup_key);
    await bot.command('resolve tokens revoked', { channel_id: secret.channelId });
    await pd.waitFor((e) => e.event_action === 'resolve' && e.dedup_key === secretTrigger.dedup_key);
  }, 40_000);

  it('acknowledging in Slack stops the steps still to come', async () => {
    const card = await declareThroughBot(bot, 'sev2 acknowledged at once');
    await bot.fake.waitFor('chat.postMessage', (c) => c.args.channel === 'U0ONCALL');
    await bot.clickCard(
      { id: card.incidentId, channelId: card.channelId, cardTs: card.cardTs },
      ACTION.acknowledge,
      'U0ONCALL',
    );
    await sleep(3000);
    expect(smtp.messages).toHaveLength(0);
    expect(pd.events).toHaveLength(0);
    const { rows } = await bot.db.query<{ state: string }>(
      'SELECT state FROM notification_jobs WHERE incident_id = $1 ORDER BY id',
      [card.incidentId],
    );
    expect(rows.map((r) => r.state)).toEqual(['cancelled', 'cancelled']);
  }, 20_000);

  it('acknowledging after the email: PagerDuty is never triggered, so nothing is acknowledged there', async () => {
    const card = await declareThroughBot(bot, 'sev2 acknowledged after the email');
    await smtp.waitFor((m) => m.subject.includes('after the email'));
    await bot.clickCard(
      { id: card.incidentId, channelId: card.channelId, cardTs: card.cardTs },
      ACTION.acknowledge,
      'U0ONCALL',
    );
    await sleep(2500);
    expect(pd.events).toHaveLength(0);
    expect(smtp.messages).toHaveLength(1);
  }, 20_000);

  it('acknowledging in Slack after PagerDuty was triggered acknowledges it there (same dedup key), once', async () => {
    const card = await declareThroughBot(bot, 'sev2 acknowledged after the trigger');
    const prefix = await dedupPrefix(bot, card.incidentId);
    const trigger = await pd.waitFor((e) => e.event_action === 'trigger' && e.dedup_key.startsWith(prefix));
    await bot.clickCard(
      { id: card.incidentId, channelId: card.channelId, cardTs: card.cardTs },
      ACTION.acknowledge,
      'U0ONCALL',
    );
    const ack = await pd.waitFor((e) => e.event_action === 'acknowledge');
    expect(ack).toMatchObject({ dedup_key: trigger.dedup_key, routing_key: OLIVE_KEY });
    await sleep(1000);
    expect(pd.taken('acknowledge')).toHaveLength(1);
    const health = await (await fetch(`${bot.baseUrl}/health`)).json();
    expect(health).toMatchObject({ notify: { email: true, pagerduty: { events: pd.eventsUrl, webhook: true } } });
  }, 20_000);
});

describe('a role paged again updates its one PagerDuty incident', () => {
  let bot: BotHarness;
  let smtp: FakeSmtp;
  let pd: FakePagerDuty;
  beforeAll(async () => {
    smtp = await FakeSmtp.start();
    pd = await FakePagerDuty.start();
    // SEV-2 unacknowledged for 3 s pages on-call again: PagerDuty at 2 s for the first page, at 5 s for the second.
    bot = await startBot({ runbook: notifyRunbook({ respond: { 2: '3s' } }), env: notifyEnv(smtp, pd) });
  });
  afterAll(async () => {
    await bot?.stop();
    await smtp?.close();
    await pd?.close();
  });

  it('both triggers carry the same dedup_key (the incident and role); resolving resolves it once', async () => {
    const started = Date.now();
    const card = await declareThroughBot(bot, 'sev2 nobody answers');
    const prefix = await dedupPrefix(bot, card.incidentId);
    await eventually(async () => (pd.taken('trigger').length >= 2 ? true : undefined), 'a second trigger');
    await sleep(1000);
    const triggers = pd.taken('trigger');
    expect(triggers.map((t) => [t.routing_key, t.dedup_key])).toEqual([
      [OLIVE_KEY, `${prefix}on_call`],
      [OLIVE_KEY, `${prefix}on_call`],
    ]);
    // The second is the page of the unacknowledged rule (3 s), its PagerDuty step 2 s after it.
    expect(triggers[1]!.at - started).toBeGreaterThanOrEqual(5000);
    const { rows: steps } = await bot.db.query<{ rule: string; dedup_key: string; state: string }>(
      `SELECT p.rule, n.dedup_key, n.state FROM notification_jobs n JOIN pages p ON p.id = n.page_id
       WHERE n.incident_id = $1 AND n.via = 'pagerduty' ORDER BY n.id`,
      [card.incidentId],
    );
    // The first two done; a next round of the unacknowledged rule (at 6 s) may have paged meanwhile, to the same key.
    expect(steps.slice(0, 2)).toEqual([
      { rule: 'declared', dedup_key: `${prefix}on_call`, state: 'done' },
      { rule: 'unacknowledged', dedup_key: `${prefix}on_call`, state: 'done' },
    ]);
    expect(steps.every((s) => s.dedup_key === `${prefix}on_call`)).toBe(true);
    const { rows: opened } = await bot.db.query<{ dedup_key: string }>(
      'SELECT dedup_key FROM pagerduty_incidents WHERE incident_id = $1',
      [card.incidentId],
    );
    expect(opened).toEqual([{ dedup_key: `${prefix}on_call` }]);

    await bot.command('resolve answered at last', { channel_id: card.channelId });
    await pd.waitFor((e) => e.event_action === 'resolve');
    await sleep(800);
    expect(pd.taken('resolve').map((e) => e.dedup_key)).toEqual([`${prefix}on_call`]);
  }, 30_000);
});
