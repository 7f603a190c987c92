import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BotHarness, startBot } from '../support/bot-harness.js';
import { FakePagerDuty } from '../support/fake-pagerduty.js';
import { FakeSmtp } from '../support/fake-smtp.js';
import { declareThroughBot, eventually, type Opened } from '../support/incident-flow.js';
import {
  cardText,
  dedupPrefix,
  events,
  notifyEnv,
  notifyRunbook,
  OLIVE_KEY,
  said,
  usePhonesBot,
} from '../support/notify-scene.js';
import { createMigratedTestSchema } from '../support/schema-pool.js';
import { useFakeSlack } from '../support/use-fake-slack.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * An SMTP server or PagerDuty that fails: tried again or not, reported, the same message when sent again; and two
 * replicas sending each step once.
 */
describe('pages that ring phones: Slack, then email, then PagerDuty', () => {
  const { bot, smtp, pd } = usePhonesBot();

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
