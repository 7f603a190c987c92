import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { shiftAt } from '../../src/incidents/rotation.js';
import { parseRunbook, type Runbook } from '../../src/runbook/runbook.js';
import { ACTION } from '../../src/templates/ids.js';
import { type BotHarness, startBot } from '../support/bot-harness.js';
import { declareThroughBot, eventually, type Opened } from '../support/incident-flow.js';
import { testRunbookData } from '../support/test-runbook.js';

const json = (v: unknown) => JSON.stringify(v);

/** The test runbook with a daily rotation on senior_devops (09:00 UTC) and a fixed user group beside it. */
function seniorRotationRunbook(): Runbook {
  const data = testRunbookData();
  const roles = data.escalation.roles as Record<string, Record<string, unknown>>;
  roles.senior_devops = {
    name: 'Senior DevOps Engineer',
    contacts: [],
    rotation: {
      people: ['U0SEN1', 'U0SEN2'],
      shift: 'daily',
      handoff: { time: '09:00', time_zone: 'UTC' },
      start: '2026-01-05',
    },
  };
  return parseRunbook(data);
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
    const until = Math.floor(rows[0]!.ends_at.getTime() / 1000);
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
