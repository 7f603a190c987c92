/**
 * The notification tests' scene (test/e2e/notifications*.test.ts): a runbook whose people and roles are reached by
 * email and PagerDuty a second or two after their Slack page, the fakes' keys and secret, and what the tests read of
 * the bot (its timeline, its PagerDuty dedup keys, what it said, its card).
 */
import { afterAll, beforeAll, beforeEach } from 'vitest';
import { parseRunbook } from '../../src/runbook/runbook.js';
import { ALERTS_ENV } from './alert-request.js';
import { type BotHarness, startBot } from './bot-harness.js';
import { FakePagerDuty } from './fake-pagerduty.js';
import { FakeSmtp } from './fake-smtp.js';
import { eventually, type Opened } from './incident-flow.js';
import { type TestRunbookOptions, testRunbookData } from './test-runbook.js';

export const OLIVE_KEY = '0123456789abcdef0123456789abcdef';
export const CTO_KEY = 'fedcba9876543210fedcba9876543210';
export const PAT_KEY = '00112233445566778899aabbccddeeff';
export const ROTA_KEY = 'abcdefabcdefabcdefabcdefabcdef01';
export const SECRET = 'pagerduty-webhook-secret-0123';

/** The test runbook, with contact methods and short notification rules: on-call by email after 1 s, PagerDuty after 2 s. */
export function notifyRunbook(o: TestRunbookOptions = {}) {
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

export const events = async (bot: BotHarness, id: number) =>
  (
    await bot.db.query<{ kind: string; actor_id: string | null; details: Record<string, unknown> }>(
      'SELECT kind, actor_id, details FROM incident_events WHERE incident_id = $1 ORDER BY id',
      [id],
    )
  ).rows;
/** The start of this incident's PagerDuty dedup keys: a page of an earlier test's incident is not taken for its own. */
export const dedupPrefix = async (bot: BotHarness, id: number) => {
  const { rows } = await bot.db.query<{ team_id: string; number: number }>(
    'SELECT team_id, number FROM incidents WHERE id = $1',
    [id],
  );
  return `incident-bot/${rows[0]!.team_id}/${rows[0]!.number}/`;
};
export const said = (bot: BotHarness, channel: string, re: RegExp) =>
  bot.fake.callsTo('chat.postMessage').filter((c) => c.args.channel === channel && re.test(JSON.stringify(c.args)));
/** The card as last posted or updated. */
export const cardText = (bot: BotHarness, card: Opened) => {
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
export async function recordedByBot(bot: BotHarness, dedupKey: string): Promise<void> {
  await eventually(
    async () =>
      (await bot.db.query('SELECT 1 FROM pagerduty_incidents WHERE dedup_key = $1', [dedupKey])).rows.length
        ? true
        : undefined,
    'the bot to record the PagerDuty trigger',
  );
}

/** What a bot needs to send email and PagerDuty events to the fakes. */
export const notifyEnv = (smtp: FakeSmtp, pd: FakePagerDuty) => ({
  SMTP_URL: smtp.url,
  EMAIL_FROM: 'incidents@example.com',
  PAGERDUTY_EVENTS_URL: pd.eventsUrl,
});

/** A value set in a hook, usable as itself (its methods bound to it) by the tests once it is; `peek` until then. */
function lateBound<T extends object>(what: string): { value: T; set(v: T): void; peek(): T | undefined } {
  let current: T | undefined;
  const get = (): T => {
    if (!current) throw new Error(`${what} starts in beforeAll; use it in hooks and tests`);
    return current;
  };
  const value = new Proxy({} as T, {
    get: (_, key) => {
      const target = get();
      const v: unknown = Reflect.get(target, key, target);
      return typeof v === 'function' ? v.bind(target) : v;
    },
    set: (_, key, v) => Reflect.set(get(), key, v),
  });
  return {
    value,
    set: (v) => {
      current = v;
    },
    peek: () => current,
  };
}

/**
 * A bot of the notify runbook for the enclosing describe, with a fake SMTP server and a fake PagerDuty (Events API,
 * webhooks signed with SECRET, a REST API that knows Carol): started before its tests, stopped after them, the three
 * fakes reset before each test.
 */
export function usePhonesBot(): { bot: BotHarness; smtp: FakeSmtp; pd: FakePagerDuty } {
  const bot = {} as BotHarness;
  const smtp = lateBound<FakeSmtp>('the fake SMTP server');
  const pd = lateBound<FakePagerDuty>('the fake PagerDuty');
  let started = false;
  beforeAll(async () => {
    smtp.set(await FakeSmtp.start());
    pd.set(await FakePagerDuty.start());
    pd.value.users.set('PCAROL1', { name: 'Carol C', email: 'Carol@Example.com' });
    Object.assign(
      bot,
      await startBot({
        runbook: notifyRunbook(),
        env: {
          SMTP_URL: smtp.value.url,
          EMAIL_FROM: 'Incident Bot <incidents@example.com>',
          PAGERDUTY_EVENTS_URL: pd.value.eventsUrl,
          PAGERDUTY_WEBHOOK_SECRET: SECRET,
          PAGERDUTY_API_TOKEN: 'pd-rest-token-read-only',
          PAGERDUTY_API_URL: pd.value.apiUrl,
          ...ALERTS_ENV,
        },
      }),
    );
    started = true;
  });
  afterAll(async () => {
    if (started) await bot.stop();
    await smtp.peek()?.close();
    await pd.peek()?.close();
  });
  beforeEach(() => {
    bot.fake.reset();
    smtp.value.reset();
    pd.value.reset();
  });
  return { bot, smtp: smtp.value, pd: pd.value };
}
