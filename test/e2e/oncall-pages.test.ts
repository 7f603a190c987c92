import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { shiftAt } from '../../src/incidents/rotation.js';
import { parseRunbook, type Runbook } from '../../src/runbook/runbook.js';
import { ACTION } from '../../src/templates/ids.js';
import { type BotHarness, startBot } from '../support/bot-harness.js';
import { FakePagerDuty } from '../support/fake-pagerduty.js';
import { FakeSmtp } from '../support/fake-smtp.js';
import { acknowledgeInDm, declareThroughBot, eventually, type Opened } from '../support/incident-flow.js';
import { incidentRow } from '../support/incident-row.js';
import { testRunbookData, withRotation } from '../support/test-runbook.js';

const json = (v: unknown) => JSON.stringify(v);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const SENIOR_KEY = 'abcdef0123456789abcdef0123456789';

/** The test runbook with a daily rotation on senior_devops (09:00 UTC) and a fixed user group beside it. */
function seniorRotationRunbook(): Runbook {
  return parseRunbook(
    withRotation(testRunbookData(), 'senior_devops', 'Senior DevOps Engineer', {
      people: ['U0SEN1', 'U0SEN2'],
      shift: 'daily',
      handoff: { time: '09:00', time_zone: 'UTC' },
      start: '2026-01-05',
    }),
  );
}

/** The card's escalation line as last shown (posted, then updated). */
function cardLine(bot: BotHarness, card: Opened): string {
  const blocks = bot.fake.message(card.channelId, card.cardTs)?.blocks ?? [];
  const line = (blocks as { type: string; elements?: { text?: string }[] }[])
    .filter((b) => b.type === 'context')
    .map((b) => b.elements?.[0]?.text ?? '')
    .find((t) => t.startsWith(':pager:'));
  return line ?? '';
}

describe("the card's escalation line names who is on call for the next role", () => {
  let bot: BotHarness;
  let runbook: Runbook;
  beforeAll(async () => {
    runbook = seniorRotationRunbook();
    bot = await startBot({ runbook });
  });
  afterAll(async () => bot?.stop());

  it('with their shift end; an override shows at the next refresh; a fixed role names its contacts', async () => {
    const rotation = runbook.escalation.roles.senior_devops!.rotation!;
    const shift = shiftAt(rotation, new Date());
    const onCall = rotation.people[((shift.index % 2) + 2) % 2]!;
    const other = onCall === 'U0SEN1' ? 'U0SEN2' : 'U0SEN1';
    const card = await declareThroughBot(bot, 'sev2 search is slow');
    // The unresolved rule pages senior DevOps next (before the response time runs out): its person now, until the
    // next 09:00 UTC; Escalate now pages the same role, so the people are said once.
    const first = await eventually(
      async () => (/Paged: On-Call Engineer/.test(cardLine(bot, card)) ? cardLine(bot, card) : undefined),
      'the card after the page',
    );
    expect(first).toContain(
      `Next: Senior DevOps Engineer (<@${onCall}>, on call until <!date^${shift.end.getTime() / 1000}^{date_short_pretty} {time}|`,
    );
    expect(first).toMatch(/ {2}· {2}Escalate now: Senior DevOps Engineer$/);

    // An override for two hours: the card names the new person, until the override ends.
    await bot.command(`oncall override <@${other}> senior_devops 2h`, { user_id: 'U0BOSS' });
    await eventually(
      async () =>
        (await bot.db.query('SELECT 1 FROM oncall_overrides WHERE user_id = $1', [other])).rows.length
          ? true
          : undefined,
      'the override',
    );
    const { rows } = await bot.db.query<{ ends_at: Date }>('SELECT ends_at FROM oncall_overrides');
    // The card says until when the person stays on call (the next change of person). The next shift is the other
    // person's own (two people, daily), so an override that reaches past its start (run from 07:00 to 09:00 UTC) runs
    // into it, and the person stays until that shift ends.
    const overrideEnd = rows[0]!.ends_at;
    const stays = overrideEnd >= shift.end ? shiftAt(rotation, shift.end).end : overrideEnd;
    const until = Math.floor(stays.getTime() / 1000);
    await bot.clickCard(
      { id: card.incidentId, channelId: card.channelId, cardTs: card.cardTs },
      ACTION.acknowledge,
      'U0ONCALL',
    );
    const overridden = await eventually(
      async () => (cardLine(bot, card).includes(`<@${other}>`) ? cardLine(bot, card) : undefined),
      'the card after the override',
    );
    expect(overridden).toContain(`Next: Senior DevOps Engineer (<@${other}>, on call until <!date^${until}^`);
    // Once senior DevOps has been asked for, Escalate now pages the manager: a fixed contact, named without an end.
    await bot.command('escalate', { channel_id: card.channelId, user_id: 'U0ONCALL' });
    const escalated = await eventually(
      async () => (/Escalate now: Engineering Manager/.test(cardLine(bot, card)) ? cardLine(bot, card) : undefined),
      'the card after the escalation',
    );
    expect(escalated).toContain('Escalate now: Engineering Manager (<@U0MANAGER>)');
    expect(json(bot.fake.message(card.channelId, card.cardTs)?.blocks).length).toBeLessThan(20_000);
  }, 30_000);
});

/** Senior DevOps paged by the unresolved rule 1.5 s after declaring: Slack, PagerDuty after 1 s, email after 3 s. */
function seniorNotifyRunbook(): Runbook {
  const data = testRunbookData({ unresolvedAfter: '1500ms' });
  const roles = data.escalation.roles as Record<string, Record<string, unknown>>;
  roles.senior_devops = {
    ...roles.senior_devops,
    pagerduty: { routing_key: SENIOR_KEY },
    notify: [{ via: 'slack' }, { via: 'pagerduty', after: '1s' }, { via: 'email', after: '3s' }],
  };
  return parseRunbook({ ...data, people: { U0SENIOR: { name: 'Sam', email: 'sam@example.com' } } });
}

describe('acknowledging your own page stops its steps', () => {
  let bot: BotHarness;
  let smtp: FakeSmtp;
  let pd: FakePagerDuty;
  beforeAll(async () => {
    smtp = await FakeSmtp.start();
    pd = await FakePagerDuty.start();
    // The timer loop runs only once the commander's acknowledgement is in (see pagedAfterAck).
    bot = await startBot({
      runbook: seniorNotifyRunbook(),
      timers: false,
      env: { SMTP_URL: smtp.url, EMAIL_FROM: 'incidents@example.com', PAGERDUTY_EVENTS_URL: pd.eventsUrl },
    });
  });
  afterAll(async () => {
    await bot?.stop();
    await smtp?.close();
    await pd?.close();
  });

  const events = async (id: number, kind: string) =>
    (
      await bot.db.query<{ actor_id: string | null; details: Record<string, unknown> }>(
        'SELECT actor_id, details FROM incident_events WHERE incident_id = $1 AND kind = $2 ORDER BY id',
        [id, kind],
      )
    ).rows;
  const seniorKey = async (id: number) => {
    const { rows } = await bot.db.query<{ team_id: string; number: number }>(
      'SELECT team_id, number FROM incidents WHERE id = $1',
      [id],
    );
    return `incident-bot/${rows[0]!.team_id}/${rows[0]!.number}/senior_devops`;
  };
  /**
   * Opens an incident acknowledged by `commander`, and waits for senior DevOps' page and its PagerDuty trigger. The
   * acknowledgement comes first: the timer loop, stopped meanwhile, pages senior DevOps (1.5 s after declaring) only
   * once it is recorded. Were the page first, the commander's acknowledgement would be of their own page (when they are
   * senior DevOps) and stop its PagerDuty step, as on a loaded machine where declaring and clicking took 1.5 s.
   */
  async function pagedAfterAck(title: string, commander: string) {
    await bot.timers.stop();
    const card = await declareThroughBot(bot, `sev2 ${title}`);
    await bot.clickCard(
      { id: card.incidentId, channelId: card.channelId, cardTs: card.cardTs },
      ACTION.acknowledge,
      commander,
    );
    await eventually(
      async () => (await incidentRow(bot.db, { id: card.incidentId }))?.commander_id === commander || undefined,
      `${commander}'s acknowledgement`,
    );
    bot.timers.start();
    await bot.fake.waitFor(
      'chat.postMessage',
      (c) => c.args.channel === 'U0SENIOR' && json(c.args).includes(title) && json(c.args).includes('You are paged'),
    );
    const key = await seniorKey(card.incidentId);
    await pd.waitFor((e) => e.event_action === 'trigger' && e.dedup_key === key);
    return { card, key };
  }

  it("the page DM's Acknowledge: steps stop, PagerDuty acknowledged once, on the timeline; command unchanged", async () => {
    const { card, key } = await pagedAfterAck('queue backs up', 'U0ONCALL');
    const n = bot.fake.callsTo('response_url').length;
    const press = () => acknowledgeInDm(bot, { channel: 'D0SENIOR', ts: '1.1' }, card.incidentId, 'U0SENIOR');
    await press();
    // The press's reply, by what it says: the reply to the card's Acknowledge (only its row was waited for) can land after.
    const reply = (
      await bot.fake.waitFor('response_url', (c) => String(c.args.text).includes('You acknowledged your page as'))
    ).args;
    expect(reply.text).toContain(
      'You acknowledged your page as *Senior DevOps Engineer*: its remaining notifications, if any, are stopped.',
    );
    expect(reply.text).toContain('<@U0ONCALL> is the commander of this incident; command was not changed');
    const ack = await pd.waitFor((e) => e.event_action === 'acknowledge' && e.dedup_key === key);
    expect(ack.routing_key).toBe(SENIOR_KEY);
    await bot.fake.waitFor(
      'chat.postMessage',
      (c) =>
        c.args.channel === card.channelId &&
        String(c.args.text).includes('<@U0SENIOR> acknowledged the page of *Senior DevOps Engineer*'),
    );
    // A second press (another click) changes nothing more.
    await press();
    await bot.fake.waitForCount('response_url', n + 2);
    // The email was due 3 s after the page: it never goes.
    await sleep(3000);
    expect(smtp.messages.filter((m) => m.to.includes('sam@example.com'))).toHaveLength(0);
    expect(pd.taken('acknowledge', key)).toHaveLength(1);
    expect(await events(card.incidentId, 'page_acknowledged')).toEqual([
      {
        actor_id: 'U0SENIOR',
        details: expect.objectContaining({ roles: ['senior_devops'], roleNames: ['Senior DevOps Engineer'] }),
      },
    ]);
    const { rows } = await bot.db.query<{ commander_id: string }>('SELECT commander_id FROM incidents WHERE id = $1', [
      card.incidentId,
    ]);
    expect(rows[0]!.commander_id).toBe('U0ONCALL');
    const timeline = await bot.replyTo(
      await bot.command('timeline', { channel_id: card.channelId, user_id: 'U0SENIOR' }),
    );
    expect(json(timeline.blocks)).toContain(
      '<@U0SENIOR> acknowledged the page (Senior DevOps Engineer): its remaining notifications stopped',
    );
  }, 30_000);

  it('`/incident ack` by the commander paged again stops that page; someone not paged only hears who commands', async () => {
    const { card, key } = await pagedAfterAck('cache misses', 'U0SENIOR');
    // Each reply by its command's own response_url: the reply to the card's Acknowledge can land after any of them.
    const reply = await bot.replyTo(await bot.command('ack', { channel_id: card.channelId, user_id: 'U0SENIOR' }));
    expect(reply.text).toBe(
      ':white_check_mark: You acknowledged your page as *Senior DevOps Engineer*: its remaining notifications, if any, are stopped. You are the commander already.',
    );
    await pd.waitFor((e) => e.event_action === 'acknowledge' && e.dedup_key === key);

    const other = await bot.replyTo(await bot.command('ack', { channel_id: card.channelId, user_id: 'U0BYSTANDER' }));
    expect(other.text).toContain('<@U0SENIOR> is the commander of this incident; nothing was changed');
    expect(other.text).not.toContain('your page');
    // Typed again by the commander: there is no page left to acknowledge, and they are told they command it.
    const again = await bot.replyTo(await bot.command('ack', { channel_id: card.channelId, user_id: 'U0SENIOR' }));
    expect(again.text).toContain('You have already acknowledged this incident');
    await sleep(3000);
    expect(smtp.messages.filter((m) => m.subject.includes('cache misses'))).toHaveLength(0);
    expect((await events(card.incidentId, 'page_acknowledged')).map((e) => e.actor_id)).toEqual(['U0SENIOR']);
    expect(pd.taken('acknowledge', key)).toHaveLength(1);
  }, 30_000);
});
