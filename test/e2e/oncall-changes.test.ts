import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { atLocal, localParts, scheduledAt, shiftAt } from '../../src/incidents/rotation.js';
import { parseRunbook, type Runbook } from '../../src/runbook/runbook.js';
import { ACTION } from '../../src/templates/ids.js';
import { rotationTime } from '../../src/templates/oncall.js';
import { type BotHarness, startBot, useBot } from '../support/bot-harness.js';
import { cardShows, declareThroughBot, eventually } from '../support/incident-flow.js';
import { askPrivately as ask, DAILY_ROTATION } from '../support/oncall-flow.js';
import { testRunbookData, withRotation } from '../support/test-runbook.js';

const json = (v: unknown) => JSON.stringify(v);

function dailyRunbook(handoff = DAILY_ROTATION.handoff): Runbook {
  return parseRunbook(withRotation(testRunbookData(), 'on_call', 'On-Call Engineer', { ...DAILY_ROTATION, handoff }));
}

/**
 * A daily hand-off twelve hours from now (on the hour): a test's overrides of a few hours fall within one shift at any
 * time of day (at 09:00 UTC, a test's hour-long override ran past the hand-off whenever it was less than an hour away).
 */
const handoffFarOff = () => ({
  time: `${String((new Date().getUTCHours() + 12) % 24).padStart(2, '0')}:00`,
  time_zone: 'UTC',
});

const deliveries = async (bot: BotHarness, incidentId: number, userId: string) =>
  (
    await bot.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM page_deliveries d JOIN pages p ON p.id = d.page_id
       WHERE p.incident_id = $1 AND d.user_id = $2`,
      [incidentId, userId],
    )
  ).rows[0]!.n;

describe('on-call changes after a page, an override or a swap', () => {
  let bot: BotHarness;
  let runbook: Runbook;
  beforeAll(async () => {
    runbook = dailyRunbook(handoffFarOff());
    bot = await startBot({ runbook, env: { ONCALL_OVERRIDE_MAX: '7d' } });
  });
  afterAll(async () => bot?.stop());
  const rotation = () => runbook.escalation.roles.on_call!.rotation!;
  const others = (who: string) => DAILY_ROTATION.people.filter((p) => p !== who);

  it('paging on-call again after an override pages the person on call now, saying who was paged before', async () => {
    const onCall = scheduledAt(rotation(), new Date());
    const [stand] = others(onCall) as [string];
    const card = await declareThroughBot(bot, 'sev2 checkout errors');
    await eventually(async () => ((await deliveries(bot, card.incidentId, onCall)) > 0 ? true : undefined), 'page');
    await ask(bot, `oncall override <@${stand}> 1h`);
    const reply = await ask(bot, 'page on-call', 'U0RESP1', card.channelId);
    expect(reply.text).toMatch(
      new RegExp(
        `\\*On-Call Engineer\\* was paged .*, reaching <@${onCall}>\\. <@${stand}> is on call now and is paged\\.`,
      ),
    );
    await eventually(async () => ((await deliveries(bot, card.incidentId, stand)) > 0 ? true : undefined), 'new page');
    expect(await deliveries(bot, card.incidentId, onCall)).toBe(1);
    // Asked again, the same person on call: nobody else is paged, and the reply says whom the page reached.
    const again = await ask(bot, 'page on-call', 'U0RESP2', card.channelId);
    expect(again.text).toMatch(new RegExp(`was already paged .*, reaching <@${stand}>, so nobody else was paged`));
    await bot.db.query('DELETE FROM oncall_overrides');
  }, 30_000);

  it('the person on call who declares is not paged by their own declaration; the channel says so', async () => {
    await bot.db.query('DELETE FROM oncall_overrides');
    const onCall = scheduledAt(rotation(), new Date());
    const card = await declareThroughBot(bot, 'sev2 my own disk is full', onCall);
    const notice = await bot.fake.waitFor(
      'chat.postMessage',
      (c) => c.args.channel === card.channelId && /declared this and is on call/.test(json(c.args)),
    );
    expect(String(notice.args.text)).toContain(
      `<@${onCall}> declared this and is on call for *On-Call Engineer*, so was not sent a page.`,
    );
    const pageDms = bot.fake
      .callsTo('chat.postMessage')
      .filter((c) => c.args.channel === onCall && json(c.args).includes('sev2 my own disk is full'))
      .filter((c) => /paged/i.test(json(c.args)));
    expect(pageDms).toHaveLength(0);
    // The card says it too, and, the declarer being the role's only person, lists no page of the role: none was sent.
    const shown = await cardShows(bot, card, 'declared this and is on call');
    expect(shown).not.toContain('Paged: On-Call Engineer');
    expect(shown).toContain(
      `:pager: <@${onCall}> declared this and is on call for On-Call Engineer, so was not sent a page`,
    );
    // Escalate now offers the role after theirs, never their own (a click would page the declarer, or nobody).
    await cardShows(bot, card, 'Escalate now: Senior DevOps Engineer');
    const renders = [...bot.fake.callsTo('chat.postMessage'), ...bot.fake.callsTo('chat.update')]
      .filter((c) => c.args.channel === card.channelId && json(c.args).includes('Escalate now'))
      .map((c) => json(c.args.blocks));
    expect(renders.length).toBeGreaterThan(0);
    for (const r of renders) expect(r).not.toContain('Escalate now: On-Call Engineer');
  }, 30_000);

  it('an override reply names the override that takes over when it ends, not the rotation', async () => {
    await bot.db.query('DELETE FROM oncall_overrides');
    const onCall = scheduledAt(rotation(), new Date());
    const [a, b] = others(onCall) as [string, string];
    await ask(bot, `oncall override <@${a}> 3h`, 'U0BOSS');
    const reply = await ask(bot, `oncall override <@${b}> 1h`, 'U0RESP1');
    expect(reply.text).toContain(`(an override; then <@${a}> takes over, on another override by <@U0BOSS>).`);
    await bot.db.query('DELETE FROM oncall_overrides');
  });

  it('a swap of hours an override covers is refused, saying so; nothing is recorded', async () => {
    await bot.db.query('DELETE FROM oncall_overrides');
    const onCall = scheduledAt(rotation(), new Date());
    const [a, b] = others(onCall) as [string, string];
    // `a` is on call by the override, `b` has no shift then: the swap would trade nothing (overrides beat swaps).
    await ask(bot, `oncall override <@${a}> 5h`, 'U0BOSS');
    const reply = await ask(bot, `oncall swap <@${a}> <@${b}> 2h`, 'U0RESP1');
    expect(reply.text).toContain('An override covers those hours');
    expect(reply.text).toContain('nothing was recorded');
    const { rows } = await bot.db.query("SELECT 1 FROM oncall_overrides WHERE kind = 'swap'");
    expect(rows).toHaveLength(0);
    await bot.db.query('DELETE FROM oncall_overrides');
  });

  it("the board reads the same person's override and own shift that follows as one stretch", async () => {
    await bot.db.query('DELETE FROM oncall_overrides');
    const now = new Date();
    const onCall = scheduledAt(rotation(), now);
    const shift = shiftAt(rotation(), now);
    // The person on call by rotation takes an override of their own hours (ending before their shift does: the
    // hand-off is hours away): they stay on until their shift ends.
    await ask(bot, `oncall override <@${onCall}> 1h`, 'U0BOSS');
    const board = json((await ask(bot, 'oncall')).blocks);
    expect(board).not.toContain(`Next: <@${onCall}>`);
    const next = scheduledAt(rotation(), shift.end);
    expect(board).toContain(`Next: <@${next}>`);
    expect(board).toContain(`${shift.end.getUTCHours().toString().padStart(2, '0')}:00 (UTC)`);
    await bot.db.query('DELETE FROM oncall_overrides');
  });
});

/** The card's escalation line as last shown (posted, then updated). */
function cardLine(bot: BotHarness, card: { channelId: string; cardTs: string }): string {
  const blocks = bot.fake.message(card.channelId, card.cardTs)?.blocks ?? [];
  const line = (blocks as { type: string; elements?: { text?: string }[] }[])
    .filter((b) => b.type === 'context')
    .map((b) => b.elements?.[0]?.text ?? '')
    .find((t) => t.startsWith(':pager:'));
  return line ?? '';
}

describe('a change of the person on call redraws the open cards that name them', () => {
  let bot: BotHarness;
  let runbook: Runbook;
  beforeAll(async () => {
    runbook = parseRunbook(
      withRotation(testRunbookData(), 'senior_devops', 'Senior DevOps Engineer', {
        people: ['U0SEN1', 'U0SEN2'],
        shift: 'daily',
        handoff: { time: '09:00', time_zone: 'UTC' },
        start: '2026-01-05',
      }),
    );
    bot = await startBot({ runbook });
  });
  afterAll(async () => bot?.stop());

  it('an override redraws the card without anything else happening to the incident', async () => {
    const rotation = runbook.escalation.roles.senior_devops!.rotation!;
    const onCall = scheduledAt(rotation, new Date());
    const other = onCall === 'U0SEN1' ? 'U0SEN2' : 'U0SEN1';
    const card = await declareThroughBot(bot, 'sev2 search is slow');
    await eventually(
      async () => (cardLine(bot, card).includes(`Next: Senior DevOps Engineer (<@${onCall}>`) ? true : undefined),
      'the card naming the person on call',
    );
    await ask(bot, `oncall override <@${other}> senior_devops 2h`);
    const line = await eventually(
      async () => (cardLine(bot, card).includes(`<@${other}>`) ? cardLine(bot, card) : undefined),
      'the card redrawn after the override',
      15_000,
    );
    expect(line).toContain(`Next: Senior DevOps Engineer (<@${other}>, on call until`);
    // The hand-off is marked done by the sweep that redraws the cards; the card may show the change a moment before
    // (the override's reply and the incident's own card refresh read who is on call too).
    const swept = await eventually(
      async () => {
        const { rows } = await bot.db.query(
          'SELECT 1 FROM oncall_handoffs WHERE role = $1 AND cards_redrawn_at IS NOT NULL',
          ['senior_devops'],
        );
        return rows.length > 0 ? rows.length : undefined;
      },
      'the hand-off marked as its cards redrawn',
      15_000,
    );
    expect(swept).toBeGreaterThan(0);
  }, 45_000);
});

describe('paging on-call by hand after a hand-off, with a fixed contact paged with the rotation', () => {
  const runbook = dailyRunbook();
  runbook.escalation.roles.on_call!.contacts.push('U0LEAD');
  const bot = useBot({ runbook, env: { ONCALL_OVERRIDE_MAX: '7d' } });

  it('pages only the person newly on call, and the channel names who was paged already and not paged again', async () => {
    const onCall = scheduledAt(runbook.escalation.roles.on_call!.rotation!, new Date());
    const [stand] = DAILY_ROTATION.people.filter((p) => p !== onCall) as [string];
    const card = await declareThroughBot(bot, 'sev2 cart page blank');
    await eventually(async () => ((await deliveries(bot, card.incidentId, 'U0LEAD')) > 0 ? true : undefined), 'page');
    expect(await deliveries(bot, card.incidentId, onCall)).toBe(1);
    await ask(bot, `oncall override <@${stand}> 1h`);
    await ask(bot, 'page on-call', 'U0RESP1', card.channelId);
    const notice = await bot.fake.waitFor(
      'chat.postMessage',
      (c) => c.args.channel === card.channelId && /escalated by hand/.test(String(c.args.text)),
    );
    expect(String(notice.args.text)).toBe(
      `:pager: Paged *On-Call Engineer* (<@${stand}>) because <@U0RESP1> escalated by hand. Already paged for this incident, not paged again: <@U0LEAD>.`,
    );
    expect(await deliveries(bot, card.incidentId, stand)).toBe(1);
    expect(await deliveries(bot, card.incidentId, 'U0LEAD')).toBe(1);
    expect(await deliveries(bot, card.incidentId, onCall)).toBe(1);
  }, 30_000);
});

describe("a time typed for the board, on the typing person's clock", () => {
  const runbook = dailyRunbook();
  const bot = useBot({ runbook });
  const NY = 'America/New_York';

  it("`oncall at HH:MM` is read in their Slack time zone, and a time passed there today is tomorrow's, said with its date", async () => {
    bot.fake.addUser('U0NYC', { name: 'nyc', real_name: 'Nia York', tz: NY });
    const now = new Date();
    const p = localParts(now, NY);
    // The start of the hour it is in New York: passed today there.
    const hh = `${String(p.h).padStart(2, '0')}:00`;
    const expected = atLocal(p.y, p.mo, p.d + 1, { h: p.h, m: 0 }, NY);
    const reply = await ask(bot, `oncall at ${hh}`, 'U0NYC');
    expect(reply.text).toContain(`Who is on call on ${rotationTime(expected, NY)}`);
    const onCall = scheduledAt(runbook.escalation.roles.on_call!.rotation!, expected);
    expect(reply.text).toContain(`On-Call Engineer: <@${onCall}>`);
  });

  it("`oncall override @person until HH:MM` ends at HH:MM on their clock, not the rotation's (UTC)", async () => {
    bot.fake.addUser('U0NYC', { name: 'nyc', real_name: 'Nia York', tz: NY });
    const p = localParts(new Date(Date.now() + 2 * 3_600_000), NY);
    // Two hours on in New York, to the minute, tomorrow there if that is past midnight.
    const hhmm = `${String(p.h).padStart(2, '0')}:${String(p.mi).padStart(2, '0')}`;
    const expected = atLocal(p.y, p.mo, p.d, { h: p.h, m: p.mi }, NY);
    await ask(bot, `oncall override <@U0BOB> until ${hhmm}`, 'U0NYC');
    const { rows } = await bot.db.query<{ ends_at: Date }>('SELECT ends_at FROM oncall_overrides ORDER BY id DESC');
    expect(rows[0]?.ends_at.toISOString()).toBe(expected.toISOString());
  });
});

describe("typed moments on the typing person's clock: the same weekday, a zone typed, the reply's clock", () => {
  const runbook = dailyRunbook();
  const bot = useBot({ runbook });
  const NY = 'America/New_York';
  const WEEKDAY = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'];
  const hhmm = (p: { h: number; mi: number }) => `${String(p.h).padStart(2, '0')}:${String(p.mi).padStart(2, '0')}`;
  const nyc = () => bot.fake.addUser('U0NYC', { name: 'nyc', real_name: 'Nia York', tz: NY });

  it("today's weekday at a time still to come today is today, not a week out; one passed today is next week's, said so", async () => {
    nyc();
    // A few minutes on in New York (its weekday: today's there, unless that crosses midnight).
    const p = localParts(new Date(Date.now() + 3 * 60_000), NY);
    const expected = atLocal(p.y, p.mo, p.d, { h: p.h, m: p.mi }, NY);
    const reply = await ask(bot, `oncall ${WEEKDAY[p.dow]} ${hhmm(p)}`, 'U0NYC');
    expect(reply.text).toContain(`Who is on call on ${rotationTime(expected, NY)}:`);
    // The start of the hour it is in New York: passed today there, so next week's, and the answer says why.
    const n = localParts(new Date(), NY);
    const passed = `${String(n.h).padStart(2, '0')}:00`;
    const weekOn = atLocal(n.y, n.mo, n.d + 7, { h: n.h, m: 0 }, NY);
    const later = await ask(bot, `oncall ${WEEKDAY[n.dow]} ${passed}`, 'U0NYC');
    expect(later.text).toContain(
      `Who is on call on ${rotationTime(weekOn, NY)} (today's ${passed} has passed, so next week's):`,
    );
  });

  it("today's weekday with no time (`friday` typed on a Friday) is the rest of today, said so; not a week out", async () => {
    nyc();
    // A minute's margin, so that the day in New York is the same when the command is read.
    const n = localParts(new Date(Date.now() + 60_000), NY);
    const m = localParts(new Date(), NY);
    if (n.d !== m.d) return; // a minute before midnight there: the weekday is about to change
    const before = Math.floor(Date.now() / 60_000) * 60_000;
    const reply = await ask(bot, `oncall ${WEEKDAY[m.dow]}`, 'U0NYC');
    const day = WEEKDAY[m.dow]!;
    const shown = [before, before + 60_000].map((t) => rotationTime(new Date(t), NY));
    expect(shown.some((s) => reply.text.includes(`Who is on call on ${s} (`))).toBe(true);
    expect(reply.text).toContain(
      `(${day[0]!.toUpperCase()}${day.slice(1)} is today, so from now; \`next week\` for a week on)`,
    );
    const person = await ask(bot, `oncall <@U0BOB> ${WEEKDAY[m.dow]}`, 'U0NYC');
    expect(JSON.stringify(person)).toContain('is today, so from now');
  });

  it('the board reads a zone after the time (`at 18:00 Europe/London`), as an override does', async () => {
    nyc();
    const LON = 'Europe/London';
    const p = localParts(new Date(Date.now() + 2 * 3_600_000), LON);
    const expected = atLocal(p.y, p.mo, p.d, { h: p.h, m: p.mi }, LON);
    const reply = await ask(bot, `oncall at ${hhmm(p)} ${LON}`, 'U0NYC');
    expect(reply.text).toContain(`Who is on call on ${rotationTime(expected, LON)}:`);
  });

  it('an override ends on a weekday typed (`until saturday 23:00`), and the reply says it on their clock, UTC alongside', async () => {
    nyc();
    await bot.db.query('DELETE FROM oncall_overrides');
    const p = localParts(new Date(Date.now() + 2 * 3_600_000), NY);
    const expected = atLocal(p.y, p.mo, p.d, { h: p.h, m: p.mi }, NY);
    const reply = await ask(bot, `oncall override <@U0BOB> until ${WEEKDAY[p.dow]} ${hhmm(p)}`, 'U0NYC');
    const { rows } = await bot.db.query<{ ends_at: Date }>('SELECT ends_at FROM oncall_overrides ORDER BY id DESC');
    expect(rows[0]?.ends_at.toISOString()).toBe(expected.toISOString());
    expect(reply.text).toContain(`until ${rotationTime(expected, NY)} = ${rotationTime(expected, 'UTC')}`);
  });

  it("a refused override names its times on the typing person's clock, as their typed times were read", async () => {
    nyc();
    const reply = await ask(bot, 'oncall override <@U0BOB> from 2026-01-01 09:00 for 1h', 'U0NYC');
    expect(reply.text).toContain('That starts in the past (Thu 1 Jan 2026 09:00 (America/New_York))');
    const ended = await ask(bot, 'oncall override <@U0BOB> until 2026-01-01 09:00', 'U0NYC');
    expect(ended.text).toContain('That ends in the past (Thu 1 Jan 2026 09:00 (America/New_York))');
  });

  it("`oncall @cto`, a role's fixed contact, says they are its contact (always, no rotation), as the board does", async () => {
    const reply = await ask(bot, 'oncall <@U0CTO>');
    expect(reply.text).toContain('<@U0CTO> is the contact of *CTO* (always, no rotation)');
    expect(reply.text).not.toMatch(/^<@U0CTO> is not on call/);
  });
});

describe('/incident oncall @person: one timeline across roles, overrides among their own shifts', () => {
  const data = withRotation(testRunbookData(), 'on_call', 'On-Call Engineer', DAILY_ROTATION);
  withRotation(data, 'senior_devops', 'Senior DevOps Engineer', { ...DAILY_ROTATION, people: ['U0DAN', 'U0ERIN'] });
  const runbook = parseRunbook(data);
  const bot = useBot({ runbook, env: { ONCALL_OVERRIDE_MAX: '7d' } });
  const utc = (t: Date) => `${t.toISOString().slice(0, 10)} ${t.toISOString().slice(11, 16)} UTC`;
  /** The reply's shift lines: role, from, to, mark. */
  const lines = (reply: { blocks?: unknown[] }) =>
    (reply.blocks as { text?: { text: string } }[])
      .flatMap((b) => b.text?.text.split('\n') ?? [])
      .filter((l) => l.startsWith('• '))
      .map((l) => /^• \*(.+?)\*: (.+? \(UTC\)) → (.+? \(UTC\))(.*)$/.exec(l)!.slice(1));

  it("lists the person's shifts and their overrides of other roles in time order, a shift split by another's override", async () => {
    // Alice's next own shift that starts more than 4 hours from now (daily, one day in three): the override below
    // starts 3 hours before it, and one starting in the past is refused (within 3 hours of her shift, it was).
    const h = 3_600_000;
    const rot = runbook.escalation.roles.on_call!.rotation!;
    let shift = shiftAt(rot, new Date());
    while (shift.start.getTime() <= Date.now() + 4 * h || scheduledAt(rot, shift.start) !== 'U0ALICE')
      shift = shiftAt(rot, shift.end);
    // Bob takes two hours of it; Alice covers Senior DevOps for an hour before it.
    await ask(bot, `oncall override <@U0BOB> on_call from ${utc(new Date(shift.start.getTime() + 2 * h))} for 2h`);
    // Alice is not in the Senior DevOps rotation: asked first, then confirmed.
    const question = await ask(
      bot,
      `oncall override <@U0ALICE> senior_devops from ${utc(new Date(shift.start.getTime() - 3 * h))} for 1h`,
      'U0BOSS',
    );
    const value = (question.blocks as { type: string; elements?: { action_id: string; value: string }[] }[])
      .find((b) => b.type === 'actions')!
      .elements!.find((e) => e.action_id === ACTION.oncallConfirm)!.value;
    const n = bot.fake.callsTo('response_url').length;
    await bot.click({
      channelId: 'C0GENERAL',
      messageTs: '1.1',
      actionId: ACTION.oncallConfirm,
      value,
      userId: 'U0BOSS',
    });
    await bot.fake.waitForCount('response_url', n + 1);
    const reply = await ask(bot, 'oncall <@U0ALICE>');
    const rows = lines(reply);
    const at = (t: number) => rotationTime(new Date(t), 'UTC');
    const start = shift.start.getTime();
    const i = rows.findIndex((r) => r[0] === 'Senior DevOps Engineer');
    expect(rows.slice(i, i + 3)).toEqual([
      ['Senior DevOps Engineer', at(start - 3 * h), at(start - 2 * h), ' :repeat: _override by <@U0BOSS>_'],
      ['On-Call Engineer', at(start), at(start + 2 * h), ''],
      ['On-Call Engineer', at(start + 4 * h), at(shift.end.getTime()), ''],
    ]);
  }, 30_000);
});

describe('paging on-call by hand when everyone of the role was paged already', () => {
  const runbook = dailyRunbook();
  const bot = useBot({ runbook, env: { ONCALL_OVERRIDE_MAX: '7d' } });
  const pagesOf = async (incidentId: number, role: string) =>
    (
      await bot.db.query<{ n: number }>('SELECT count(*)::int AS n FROM pages WHERE incident_id = $1 AND role = $2', [
        incidentId,
        role,
      ])
    ).rows[0]!.n;

  it('stores no page: the card does not count the role as paged once more', async () => {
    const onCall = scheduledAt(runbook.escalation.roles.on_call!.rotation!, new Date());
    const [stand] = DAILY_ROTATION.people.filter((p) => p !== onCall) as [string];
    const card = await declareThroughBot(bot, 'sev2 search results empty');
    await eventually(async () => ((await deliveries(bot, card.incidentId, onCall)) > 0 ? true : undefined), 'page');
    // Handed over and paged by hand, then handed back: both people of the role have been paged.
    await ask(bot, `oncall override <@${stand}> 1h`);
    await ask(bot, 'page on-call', 'U0RESP1', card.channelId);
    await eventually(async () => ((await deliveries(bot, card.incidentId, stand)) > 0 ? true : undefined), 'page 2');
    await eventually(async () => (cardLine(bot, card).includes('×2') ? true : undefined), 'the card counting 2');
    await ask(bot, `oncall override <@${onCall}> 1h`);
    await ask(bot, 'page on-call', 'U0RESP1', card.channelId);
    const notice = await bot.fake.waitFor(
      'chat.postMessage',
      (c) => c.args.channel === card.channelId && /Nobody new to page/.test(String(c.args.text)),
    );
    expect(String(notice.args.text)).toContain(`<@${onCall}>`);
    await new Promise((r) => setTimeout(r, 1500));
    expect(await pagesOf(card.incidentId, 'on_call')).toBe(2);
    expect(cardLine(bot, card)).toContain('×2');
    expect(cardLine(bot, card)).not.toContain('×3');
    // The timeline keeps what was asked and why nobody was paged.
    const { rows } = await bot.db.query<{ details: { alreadyPaged?: string[] } }>(
      "SELECT details FROM incident_events WHERE incident_id = $1 AND kind = 'paged' ORDER BY id DESC LIMIT 1",
      [card.incidentId],
    );
    expect(rows[0]?.details.alreadyPaged).toEqual([onCall]);
  }, 40_000);
});
