import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parseRunbook } from '../../src/runbook/runbook.js';
import { ACTION } from '../../src/templates/ids.js';
import { ALERTS_ENV, genericAlert, postAlerts } from '../support/alert-request.js';
import { type BotHarness, startBot } from '../support/bot-harness.js';
import { FakePagerDuty } from '../support/fake-pagerduty.js';
import { FakeSmtp } from '../support/fake-smtp.js';
import { declareThroughBot, eventually, type Opened } from '../support/incident-flow.js';
import { createMigratedTestSchema } from '../support/schema-pool.js';
import { type TestRunbookOptions, testRunbookData } from '../support/test-runbook.js';
import { useFakeSlack } from '../support/use-fake-slack.js';

const OLIVE_KEY = '0123456789abcdef0123456789abcdef';
const CTO_KEY = 'fedcba9876543210fedcba9876543210';
const PAT_KEY = '00112233445566778899aabbccddeeff';
const ROTA_KEY = 'abcdefabcdefabcdefabcdefabcdef01';
const SECRET = 'pagerduty-webhook-secret-0123';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The test runbook, with contact methods and short notification rules: on-call by email after 1 s, PagerDuty after 2 s. */
function notifyRunbook(o: TestRunbookOptions = {}) {
  const data = testRunbookData(o);
  const roles = data.escalation.roles;
  return parseRunbook({
    ...data,
    people: {
      U0ONCALL: {
        name: 'Olive',
        email: 'olive@example.com',
        phone: '+1 555 0100',
        pagerduty: { routing_key: OLIVE_KEY },
      },
      U0CTO: { name: 'Carol', email: 'carol@example.com' },
      // Holds no role: reached only when paged by name, by her own rules.
      U0PAT: {
        name: 'Pat',
        email: 'pat@example.com',
        pagerduty: { routing_key: PAT_KEY },
        notify: [{ via: 'slack' }, { via: 'pagerduty', after: '1s' }],
      },
    },
    escalation: {
      ...data.escalation,
      roles: {
        ...roles,
        on_call: {
          ...roles.on_call,
          notify: [{ via: 'slack' }, { via: 'email', after: '1s' }, { via: 'pagerduty', after: '2s' }],
        },
        // A rotation of one, outside the contact order (never paged by the timers): whoever it puts on call, paged by
        // name, rings as its page would.
        payments_oncall: {
          name: 'Payments On-Call',
          contacts: [],
          rotation: { people: ['U0ROTA'], shift: 'daily', handoff: { time_zone: 'UTC' }, start: '2026-01-05' },
          pagerduty: { routing_key: ROTA_KEY },
          notify: [{ via: 'slack' }, { via: 'pagerduty', after: '1s' }],
        },
        // PagerDuty first, then email: an acknowledgement in PagerDuty stops the email.
        cto: {
          ...roles.cto,
          pagerduty: { routing_key: CTO_KEY },
          notify: [{ via: 'slack' }, { via: 'pagerduty', after: '1s' }, { via: 'email', after: '4s' }],
        },
      },
    },
  });
}

const events = async (bot: BotHarness, id: number) =>
  (
    await bot.db.query<{ kind: string; actor_id: string | null; details: Record<string, unknown> }>(
      'SELECT kind, actor_id, details FROM incident_events WHERE incident_id = $1 ORDER BY id',
      [id],
    )
  ).rows;
/** The start of this incident's PagerDuty dedup keys: a page of an earlier test's incident is not taken for its own. */
const dedupPrefix = async (bot: BotHarness, id: number) => {
  const { rows } = await bot.db.query<{ team_id: string; number: number }>(
    'SELECT team_id, number FROM incidents WHERE id = $1',
    [id],
  );
  return `incident-bot/${rows[0]!.team_id}/${rows[0]!.number}/`;
};
const said = (bot: BotHarness, channel: string, re: RegExp) =>
  bot.fake.callsTo('chat.postMessage').filter((c) => c.args.channel === channel && re.test(JSON.stringify(c.args)));
/** The card as last posted or updated. */
const cardText = (bot: BotHarness, card: Opened) => {
  const calls = [...bot.fake.callsTo('chat.postMessage'), ...bot.fake.callsTo('chat.update')].filter(
    (c) =>
      c.args.channel === card.channelId &&
      (c.args.ts === card.cardTs || JSON.stringify(c.args).includes('incident_acknowledge')),
  );
  return JSON.stringify(calls.at(-1)?.args ?? {});
};

/**
 * Waits until the bot has recorded PagerDuty's answer to its trigger (it records it once the Events API answers,
 * which the fake PagerDuty has seen a moment before): a webhook about it sent sooner finds no incident of the bot's.
 */
async function recordedByBot(bot: BotHarness, dedupKey: string): Promise<void> {
  await eventually(
    async () =>
      (await bot.db.query('SELECT 1 FROM pagerduty_incidents WHERE dedup_key = $1', [dedupKey])).rows.length
        ? true
        : undefined,
    'the bot to record the PagerDuty trigger',
  );
}

describe('pages that ring phones: Slack, then email, then PagerDuty', () => {
  let bot: BotHarness;
  let smtp: FakeSmtp;
  let pd: FakePagerDuty;

  beforeAll(async () => {
    smtp = await FakeSmtp.start();
    pd = await FakePagerDuty.start();
    pd.users.set('PCAROL1', { name: 'Carol C', email: 'Carol@Example.com' });
    bot = await startBot({
      runbook: notifyRunbook(),
      env: {
        SMTP_URL: smtp.url,
        EMAIL_FROM: 'Incident Bot <incidents@example.com>',
        PAGERDUTY_EVENTS_URL: pd.eventsUrl,
        PAGERDUTY_WEBHOOK_SECRET: SECRET,
        PAGERDUTY_API_TOKEN: 'pd-rest-token-read-only',
        PAGERDUTY_API_URL: pd.apiUrl,
        ...ALERTS_ENV,
      },
    });
  });
  afterAll(async () => {
    await bot?.stop();
    await smtp?.close();
    await pd?.close();
  });
  beforeEach(() => {
    bot.fake.reset();
    smtp.reset();
    pd.reset();
  });

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

  it('acknowledged in PagerDuty: acknowledges the incident as that person (by email), stops the rest, shows in Slack', async () => {
    const card = await declareThroughBot(bot, 'sev0 everything is down');
    const prefix = await dedupPrefix(bot, card.incidentId);
    const trigger = await pd.waitFor(
      (e) => e.event_action === 'trigger' && e.routing_key === CTO_KEY && e.dedup_key.startsWith(prefix),
    );
    await recordedByBot(bot, trigger.dedup_key);
    expect(trigger.dedup_key).toMatch(/\/cto$/);
    const r = await pd.sendWebhook(`${bot.baseUrl}/hooks/pagerduty`, ['an-old-secret', SECRET], {
      type: 'incident.acknowledged',
      incidentKey: trigger.dedup_key,
      agent: { id: 'PCAROL1', summary: 'Carol C' },
    });
    expect(r).toEqual({ status: 200, json: { status: 'acknowledged', incidentId: card.incidentId } });
    expect(pd.apiCalls).toEqual(['/users/PCAROL1 Token token=pd-rest-token-read-only']);
    const { rows } = await bot.db.query<{ commander_id: string }>('SELECT commander_id FROM incidents WHERE id = $1', [
      card.incidentId,
    ]);
    expect(rows[0]!.commander_id).toBe('U0CTO');
    await eventually(
      async () =>
        said(bot, card.channelId, /acknowledged the page of \*CTO\* in PagerDuty and is now commander/).length
          ? true
          : undefined,
      'the channel told',
    );
    const evs = await events(bot, card.incidentId);
    expect(evs.find((e) => e.kind === 'pagerduty_acknowledged')).toMatchObject({
      actor_id: 'U0CTO',
      details: { name: 'Carol C' },
    });
    expect(evs.find((e) => e.kind === 'acknowledged')?.actor_id).toBe('U0CTO');
    // Carol's email (due 4 s after her page) never goes; PagerDuty is not sent its own acknowledgement back.
    await sleep(4500);
    expect(smtp.messages.filter((m) => m.to.includes('carol@example.com'))).toHaveLength(0);
    expect(pd.taken('acknowledge', trigger.dedup_key)).toHaveLength(0);
    expect(pd.taken('trigger', trigger.dedup_key)).toHaveLength(1);
    // The same webhook again (PagerDuty retries) changes nothing.
    const again = await pd.sendWebhook(`${bot.baseUrl}/hooks/pagerduty`, SECRET, {
      type: 'incident.acknowledged',
      incidentKey: trigger.dedup_key,
      agent: { id: 'PCAROL1', summary: 'Carol C' },
    });
    expect(again.json).toMatchObject({ status: 'ignored' });
  }, 30_000);

  it('a person paged by name (`/incident page @pat`) is reached by her own rules: PagerDuty says so, and its acknowledgement names her', async () => {
    pd.users.set('PPAT1', { name: 'Pat P', email: 'pat@example.com' });
    bot.fake.addUser('U0PAT', { name: 'pat', real_name: 'Pat Person' });
    const card = await declareThroughBot(bot, 'sev2 checkout slow');
    await bot.command('page <@U0PAT|pat>', { channel_id: card.channelId, user_id: 'U0ONCALL' });
    const trigger = await pd.waitFor((e) => e.event_action === 'trigger' && e.routing_key === PAT_KEY);
    expect(trigger.dedup_key).toMatch(/\/person:U0PAT:Pat Person$/);
    expect(trigger.payload?.summary).toContain('paging Pat Person by name because');
    await recordedByBot(bot, trigger.dedup_key);
    const r = await pd.sendWebhook(`${bot.baseUrl}/hooks/pagerduty`, SECRET, {
      type: 'incident.acknowledged',
      incidentKey: trigger.dedup_key,
      agent: { id: 'PPAT1', summary: 'Pat P' },
    });
    expect(r).toEqual({ status: 200, json: { status: 'acknowledged', incidentId: card.incidentId } });
    await eventually(
      async () =>
        said(bot, card.channelId, /acknowledged the page of \*Pat Person\* in PagerDuty/).length ? true : undefined,
      'the channel told, naming Pat',
    );
    expect(JSON.stringify(said(bot, card.channelId, /in PagerDuty/))).not.toContain('person:U0PAT');
  }, 30_000);

  /**
   * Declares an incident, pages the person by name in it (as on-call), and waits for its PagerDuty trigger to the
   * routing key their page follows: keyed and worded as theirs.
   */
  async function pagedByNameThrough(person: { id: string; handle: string; name: string }, title: string, key: string) {
    bot.fake.addUser(person.id, { name: person.handle, real_name: person.name });
    const card = await declareThroughBot(bot, title);
    await bot.command(`page <@${person.id}|${person.handle}>`, { channel_id: card.channelId, user_id: 'U0ONCALL' });
    const prefix = await dedupPrefix(bot, card.incidentId);
    const trigger = await pd.waitFor(
      (e) => e.event_action === 'trigger' && e.routing_key === key && e.dedup_key.startsWith(prefix),
    );
    expect(trigger.dedup_key).toMatch(new RegExp(`/person:${person.id}:${person.name}$`));
    expect(trigger.payload?.summary).toContain(`paging ${person.name} by name because`);
  }

  it("someone paged by name with no rules of their own follows the first role that names them: the CTO's PagerDuty, then email", async () => {
    await pagedByNameThrough({ id: 'U0CTO', handle: 'carol', name: 'Carol Chief' }, 'sev2 billing drift', CTO_KEY);
    await eventually(
      async () => (smtp.messages.some((m) => m.to.includes('carol@example.com')) ? true : undefined),
      "the CTO's email step, 4 s after the page",
      15_000,
    );
    const mail = smtp.messages.find((m) => m.to.includes('carol@example.com'))!;
    expect(mail.text).toContain('Carol, you are paged by name because');
  }, 30_000);

  it("someone paged by name whom a rotation has on call, with no rules of their own, follows that rotation's role", async () => {
    await pagedByNameThrough({ id: 'U0ROTA', handle: 'rota', name: 'Rita Rota' }, 'sev2 refunds stuck', ROTA_KEY);
  }, 30_000);

  it('an acknowledgement recorded but not carried out (the database went away) is carried out when PagerDuty sends it again', async () => {
    const card = await declareThroughBot(bot, 'sev0 payments are down');
    const prefix = await dedupPrefix(bot, card.incidentId);
    const trigger = await pd.waitFor(
      (e) => e.event_action === 'trigger' && e.routing_key === CTO_KEY && e.dedup_key.startsWith(prefix),
    );
    await recordedByBot(bot, trigger.dedup_key);
    // As far as the first delivery got before its 503: the PagerDuty acknowledgement recorded, the incident not.
    await bot.db.query(
      `UPDATE pagerduty_incidents SET acknowledged_at = now(), acknowledged_by = 'Carol C' WHERE dedup_key = $1`,
      [trigger.dedup_key],
    );
    const r = await pd.sendWebhook(`${bot.baseUrl}/hooks/pagerduty`, SECRET, {
      type: 'incident.acknowledged',
      incidentKey: trigger.dedup_key,
      agent: { id: 'PCAROL1', summary: 'Carol C' },
    });
    expect(r.json).toEqual({ status: 'acknowledged', incidentId: card.incidentId });
    const { rows } = await bot.db.query<{ commander_id: string | null }>(
      'SELECT commander_id FROM incidents WHERE id = $1',
      [card.incidentId],
    );
    expect(rows[0]!.commander_id).toBe('U0CTO');
    const again = await pd.sendWebhook(`${bot.baseUrl}/hooks/pagerduty`, SECRET, {
      type: 'incident.acknowledged',
      incidentKey: trigger.dedup_key,
      agent: { id: 'PCAROL1', summary: 'Carol C' },
    });
    expect(again.json).toMatchObject({ status: 'ignored' });
  }, 30_000);

  it('acknowledged in PagerDuty by someone the runbook does not know: recorded by name; their steps stop', async () => {
    const card = await declareThroughBot(bot, 'sev0 unknown acknowledger');
    const prefix = await dedupPrefix(bot, card.incidentId);
    const trigger = await pd.waitFor(
      (e) => e.event_action === 'trigger' && e.routing_key === CTO_KEY && e.dedup_key.startsWith(prefix),
    );
    await recordedByBot(bot, trigger.dedup_key);
    const r = await pd.sendWebhook(`${bot.baseUrl}/hooks/pagerduty`, SECRET, {
      type: 'incident.acknowledged',
      incidentKey: trigger.dedup_key,
      agent: { id: 'PZED0001', summary: 'Zed Stranger' },
    });
    expect(r.json).toMatchObject({ status: 'acknowledged' });
    await eventually(
      async () =>
        said(bot, card.channelId, /Zed Stranger acknowledged the page of \*CTO\* in PagerDuty: nobody under people/)
          .length
          ? true
          : undefined,
      'the channel told',
    );
    const evs = await events(bot, card.incidentId);
    expect(evs.find((e) => e.kind === 'pagerduty_acknowledged')).toMatchObject({
      actor_id: null,
      details: { name: 'Zed Stranger' },
    });
    expect(evs.find((e) => e.kind === 'acknowledged')).toBeUndefined();
    await sleep(4500);
    expect(smtp.messages.filter((m) => m.to.includes('carol@example.com'))).toHaveLength(0);
  }, 30_000);

  it('resolved in PagerDuty: the role stops being paged (its email does not go), the channel is told', async () => {
    const card = await declareThroughBot(bot, 'sev0 resolved over there');
    const prefix = await dedupPrefix(bot, card.incidentId);
    const trigger = await pd.waitFor(
      (e) => e.event_action === 'trigger' && e.routing_key === CTO_KEY && e.dedup_key.startsWith(prefix),
    );
    await recordedByBot(bot, trigger.dedup_key);
    const r = await pd.sendWebhook(`${bot.baseUrl}/hooks/pagerduty`, SECRET, {
      type: 'incident.resolved',
      incidentKey: trigger.dedup_key,
      agent: { id: 'PCAROL1', summary: 'Carol C' },
    });
    expect(r.json).toMatchObject({ status: 'resolved', incidentId: card.incidentId });
    // Carol's email was due 4 s after her page: she resolved her page in PagerDuty, so it does not go.
    await sleep(4500);
    expect(smtp.messages.filter((m) => m.to.includes('carol@example.com'))).toHaveLength(0);
    expect(pd.taken('trigger', trigger.dedup_key)).toHaveLength(1);
    const { rows } = await bot.db.query<{ status: string }>('SELECT status FROM incidents WHERE id = $1', [
      card.incidentId,
    ]);
    expect(rows[0]!.status).not.toBe('resolved');
  }, 30_000);

  it("a private incident's PagerDuty event names neither its title, its number nor its channel", async () => {
    const card = await declareThroughBot(bot, 'sev0 --private leaked signing keys');
    const prefix = await dedupPrefix(bot, card.incidentId);
    const trigger = await pd.waitFor(
      (e) => e.event_action === 'trigger' && e.routing_key === CTO_KEY && e.dedup_key.startsWith(prefix),
    );
    await recordedByBot(bot, trigger.dedup_key);
    const { rows } = await bot.db.query<{ number: number; channel_name: string; private: boolean }>(
      'SELECT number, channel_name, private FROM incidents WHERE id = $1',
      [card.incidentId],
    );
    expect(rows[0]!.private).toBe(true);
    const sent = JSON.stringify(trigger);
    expect(sent).not.toMatch(/leaked|signing/i);
    expect(sent).not.toContain(rows[0]!.channel_name);
    expect(sent).not.toContain(`#${rows[0]!.number}`);
    expect(trigger.payload?.summary).toContain('a private incident');
    // The link to the channel stays: whoever is paged is let in.
    expect(sent).toContain(card.channelId);
    // Resolved, so none of its steps reach the next test.
    await bot.command('resolve keys rotated', { channel_id: card.channelId });
    await pd.waitFor((e) => e.event_action === 'resolve' && e.dedup_key === trigger.dedup_key);
  }, 30_000);

  it('a bad signature is refused with 401 and changes nothing; bad JSON is 400; other event types are 200 and ignored', async () => {
    const card = await declareThroughBot(bot, 'sev0 forged acknowledgement');
    const prefix = await dedupPrefix(bot, card.incidentId);
    const trigger = await pd.waitFor(
      (e) => e.event_action === 'trigger' && e.routing_key === CTO_KEY && e.dedup_key.startsWith(prefix),
    );
    await recordedByBot(bot, trigger.dedup_key);
    const before = await events(bot, card.incidentId);
    const forged = await pd.sendWebhook(`${bot.baseUrl}/hooks/pagerduty`, 'not-the-secret', {
      type: 'incident.acknowledged',
      incidentKey: trigger.dedup_key,
      agent: { id: 'PCAROL1', summary: 'Carol C' },
    });
    expect(forged.status).toBe(401);
    expect(String(forged.json.message)).toMatch(/no signature in X-PagerDuty-Signature matches/);
    const unsigned = await fetch(`${bot.baseUrl}/hooks/pagerduty`, { method: 'POST', body: '{}' });
    expect(unsigned.status).toBe(401);
    // Its pages go on being recorded meanwhile; nothing was acknowledged.
    const acks = (list: { kind: string }[]) => list.filter((e) => /ack/.test(e.kind));
    expect(acks(await events(bot, card.incidentId))).toEqual(acks(before));

    const bad = await pd.sendWebhook(`${bot.baseUrl}/hooks/pagerduty`, SECRET, { type: 'x' }, { body: '{"event": ' });
    expect(bad.status).toBe(400);
    expect(String(bad.json.message)).toMatch(/^The body is not JSON/);
    const shapeless = await pd.sendWebhook(
      `${bot.baseUrl}/hooks/pagerduty`,
      SECRET,
      { type: 'x' },
      { body: '{"hello":1}' },
    );
    expect(shapeless.status).toBe(400);
    expect(String(shapeless.json.message)).toMatch(/Not a PagerDuty v3 webhook/);
    // A field's place as jq writes it, the body itself as `body` (as the alert hooks say it).
    const nested = await pd.sendWebhook(
      `${bot.baseUrl}/hooks/pagerduty`,
      SECRET,
      { type: 'x' },
      { body: '{"event":{"event_type":"incident.acknowledged","agent":{"id":7}}}' },
    );
    expect(nested.status).toBe(400);
    expect(nested.json.problems).toEqual([expect.stringMatching(/^event\.agent\.id: /)]);
    const notAnObject = await pd.sendWebhook(`${bot.baseUrl}/hooks/pagerduty`, SECRET, { type: 'x' }, { body: '[1]' });
    expect(notAnObject.json.problems).toEqual([expect.stringMatching(/^body: /)]);
    const ping = await pd.sendWebhook(`${bot.baseUrl}/hooks/pagerduty`, SECRET, { type: 'pagey.ping' });
    expect(ping).toMatchObject({ status: 200, json: { status: 'ignored' } });
    const other = await pd.sendWebhook(`${bot.baseUrl}/hooks/pagerduty`, SECRET, {
      type: 'incident.annotated',
      incidentKey: trigger.dedup_key,
    });
    expect(other).toMatchObject({ status: 200, json: { status: 'ignored' } });
    // Still unacknowledged: Carol's email goes at 4 s.
    await smtp.waitFor((m) => m.to.includes('carol@example.com'), 8000);
    const { rows } = await bot.db.query<{ acknowledged_at: Date | null }>(
      'SELECT acknowledged_at FROM incidents WHERE id = $1',
      [card.incidentId],
    );
    expect(rows[0]!.acknowledged_at).toBeNull();
    // Resolved, so none of its steps reach the next test.
    await bot.command('resolve not forged', { channel_id: card.channelId });
    await pd.waitFor((e) => e.event_action === 'resolve' && e.dedup_key === trigger.dedup_key);
  }, 30_000);

  it('an SMTP server that keeps failing is tried again with backoff, then reported in the channel; PagerDuty still goes', async () => {
    smtp.failNext(100);
    const card = await declareThroughBot(bot, 'sev2 mail server down');
    const trigger = await pd.waitFor((e) => e.event_action === 'trigger', 10_000);
    expect(trigger.routing_key).toBe(OLIVE_KEY);
    const notice = await eventually(
      async () => said(bot, card.channelId, /Could not reach \*On-Call Engineer\*.*by email after 4 attempts/)[0],
      'the failure reported',
      20_000,
    );
    expect(JSON.stringify(notice.args)).toContain('SMTP 451');
    expect(smtp.attempts).toBe(4);
    expect(smtp.messages).toHaveLength(0);
    const failed = (await events(bot, card.incidentId)).filter((e) => e.kind === 'notify_failed');
    expect(failed).toHaveLength(1);
    expect(failed[0]!.details).toMatchObject({ via: 'email', attempts: 4 });
    await eventually(
      async () =>
        /Slack ✓, email ✗, PagerDuty ✓|Slack ✓, PagerDuty ✓, email ✗/.test(cardText(bot, card)) ? true : undefined,
      'the card line with the failure',
    );
  }, 40_000);

  it('an SMTP 5xx (550: mailbox refused) is not tried again: one attempt, reported; PagerDuty still goes', async () => {
    smtp.failNext(100, 550);
    const card = await declareThroughBot(bot, 'sev2 mailbox refused');
    // The email at 1 s, PagerDuty at 2 s; a second attempt would come a second after the first (a 451's does).
    await pd.waitFor((e) => e.event_action === 'trigger');
    await sleep(1500);
    expect(smtp.attempts).toBe(1);
    expect(smtp.messages).toHaveLength(0);
    const notice = await eventually(
      async () => said(bot, card.channelId, /Could not reach \*On-Call Engineer\*.*by email after 1 attempt:/)[0],
      'the failure reported',
    );
    expect(JSON.stringify(notice.args)).toContain('SMTP 550');
    const failed = (await events(bot, card.incidentId)).filter((e) => e.kind === 'notify_failed');
    expect(failed.map((e) => e.details)).toEqual([expect.objectContaining({ via: 'email', attempts: 1 })]);
    const { rows } = await bot.db.query<{ state: string; attempts: number }>(
      "SELECT state, attempts FROM notification_jobs WHERE incident_id = $1 AND via = 'email'",
      [card.incidentId],
    );
    expect(rows.map((r) => [r.state, Number(r.attempts)])).toEqual([['failed', 1]]);
  }, 30_000);

  it('an email or a PagerDuty trigger sent again (delivered, its answer lost) is the same message: one Message-ID, one dedup_key', async () => {
    smtp.failNext(1, 451, { taken: true });
    pd.answerNext(500);
    const card = await declareThroughBot(bot, 'sev2 answers lost');
    await eventually(
      async () => (smtp.messages.filter((m) => m.to.includes('olive@example.com')).length === 2 ? true : undefined),
      'the email delivered twice',
    );
    const ids = smtp.messages.map((m) => /^Message-ID: *(.*)$/im.exec(m.raw.split(/\r?\n\r?\n/)[0]!)?.[1]?.trim());
    expect(ids[0]).toMatch(new RegExp(`^<page\\.${card.incidentId}\\.\\d+\\.step-\\d+@example\\.com>$`));
    expect(ids[1]).toBe(ids[0]);
    const triggers = await eventually(async () => {
      const t = pd.events.filter((e) => e.event_action === 'trigger');
      return t.length === 2 ? t : undefined;
    }, 'the trigger sent twice');
    expect(triggers.map((t) => t.status)).toEqual([500, 202]);
    expect(triggers[1]!.dedup_key).toBe(triggers[0]!.dedup_key);
    expect(triggers[0]!.dedup_key).toBe(`${await dedupPrefix(bot, card.incidentId)}on_call`);
    // Another incident's email is another message.
    const other = await declareThroughBot(bot, 'sev2 answers kept');
    const next = await smtp.waitFor((m) => m.subject.includes('answers kept'));
    expect(/^Message-ID: *(.*)$/im.exec(next.raw)?.[1]?.trim()).toMatch(
      new RegExp(`^<page\\.${other.incidentId}\\.\\d+\\.step-\\d+@example\\.com>$`),
    );
    // Its PagerDuty step gone too, before the next test counts posts.
    const otherKey = `${await dedupPrefix(bot, other.incidentId)}on_call`;
    await pd.waitFor((e) => e.event_action === 'trigger' && e.dedup_key === otherKey, 10_000);
  }, 30_000);

  it('PagerDuty answering 429 then 500 is tried again; a 400 is not', async () => {
    pd.answerNext(429, 500);
    const card = await declareThroughBot(bot, 'sev2 pagerduty busy');
    const trigger = await pd.waitFor((e) => e.event_action === 'trigger', 15_000);
    expect(pd.posts).toBe(3);
    expect(trigger.dedup_key).toMatch(/\/on_call$/);
    pd.reset();
    pd.answerNext(400);
    const second = await declareThroughBot(bot, 'sev2 pagerduty refuses');
    await eventually(
      async () =>
        said(
          bot,
          second.channelId,
          /Could not reach \*On-Call Engineer\*.*by PagerDuty after 1 attempt: PagerDuty refused the event \(400\)/,
        )[0],
      'the refusal reported',
      10_000,
    );
    await sleep(2500);
    expect(pd.posts).toBe(1);
    void card;
  }, 40_000);
});

/** What a bot needs to send email and PagerDuty events to the fakes. */
const notifyEnv = (smtp: FakeSmtp, pd: FakePagerDuty) => ({
  SMTP_URL: smtp.url,
  EMAIL_FROM: 'incidents@example.com',
  PAGERDUTY_EVENTS_URL: pd.eventsUrl,
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

describe('notification steps on two replicas (one database) run once', () => {
  let a: BotHarness;
  let b: BotHarness;
  const fake = useFakeSlack();
  let smtp: FakeSmtp;
  let pd: FakePagerDuty;
  let drop: () => Promise<void>;
  beforeAll(async () => {
    fake.addChannel('general', { id: 'C0GENERAL', botIsMember: true });
    smtp = await FakeSmtp.start();
    pd = await FakePagerDuty.start();
    const s = await createMigratedTestSchema();
    drop = s.drop;
    const runbook = notifyRunbook();
    a = await startBot({ fake, databaseUrl: s.url, runbook, env: notifyEnv(smtp, pd) });
    b = await startBot({ fake, databaseUrl: s.url, runbook, env: notifyEnv(smtp, pd) });
  });
  afterAll(async () => {
    await a?.stop();
    await b?.stop();
    await smtp?.close();
    await pd?.close();
    await drop?.();
  });

  it('both sweep the same due steps: each incident gets one email and one PagerDuty trigger', async () => {
    const titles = ['twin mail 0', 'twin mail 1', 'twin mail 2', 'twin mail 3'];
    const cards: Opened[] = [];
    for (const [i, t] of titles.entries()) cards.push(await declareThroughBot(i % 2 ? a : b, `sev2 ${t}`));
    // Every step finished (its row done, written once its email or trigger was taken), and every email and trigger
    // come: what either process does by itself, however loaded the machine (the triggers alone were waited for, and CI
    // looked at the emails and the rows a moment too early).
    await eventually(async () => {
      const { rows } = await a.db.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM notification_jobs WHERE state = 'done'`,
      );
      return Number(rows[0]!.n) >= titles.length * 2 &&
        smtp.messages.length >= titles.length &&
        pd.taken('trigger').length >= titles.length
        ? true
        : undefined;
    }, 'every step done, its email or trigger taken');
    // Longer than a sweep of either process (200 ms): a step taken twice would have been sent by now (and its row
    // says so, below: a second claim counts a second attempt).
    await sleep(1500);
    for (const [i, t] of titles.entries()) {
      const prefix = await dedupPrefix(a, cards[i]!.incidentId);
      expect(
        smtp.messages.filter((m) => m.subject.includes(t)),
        t,
      ).toHaveLength(1);
      expect(
        pd.taken('trigger').filter((e) => e.dedup_key.startsWith(prefix)),
        t,
      ).toHaveLength(1);
    }
    expect(smtp.attempts).toBe(titles.length);
    expect(pd.posts).toBe(titles.length);
    const { rows } = await a.db.query<{ via: string; state: string; attempts: number }>(
      'SELECT via, state, attempts FROM notification_jobs ORDER BY id',
    );
    expect(rows.map((r) => [r.via, r.state, Number(r.attempts)])).toEqual(
      titles.flatMap(() => [
        ['email', 'done', 1],
        ['pagerduty', 'done', 1],
      ]),
    );
  }, 40_000);
});
