import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type MaintenanceMessage, MaintenanceService } from '../../src/incidents/maintenance.service.js';
import { atLocal, localParts } from '../../src/incidents/rotation.js';
import { parseRunbook } from '../../src/runbook/runbook.js';
import { ACTION } from '../../src/templates/ids.js';
import { rotationTime } from '../../src/templates/oncall.js';
import { ALERTS_ENV, genericAlert, postAlerts } from '../support/alert-request.js';
import { alertRunbookData, inboxDone, incidentsOfSource, waitUntil } from '../support/alert-runbook.js';
import { type BotHarness, INCIDENTS_CHANNEL_ID, startBot } from '../support/bot-harness.js';
import { BOT_USER_ID } from '../support/fake-slack.js';
import { createMigratedTestSchema } from '../support/schema-pool.js';
import { useFakeSlack } from '../support/use-fake-slack.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const json = (v: unknown) => JSON.stringify(v);

const PROCESS = { before: ['Notify users'], during: ['Watch the metrics'], after: ['Smoke test critical paths'] };

/** A runbook file with maintenance windows (and the bundled alert rows, which record some alerts during them). */
const runbookWith = (windows: Record<string, unknown>, noticeBefore = '2s') =>
  parseRunbook({ ...alertRunbookData(), maintenance: { notice_before: noticeBefore, process: PROCESS, windows } });

/**
 * A second replica's maintenance sweep on the bot's database, racing the bot's timer loop for the same rows every
 * 150 ms until stopped; what it posts is kept in `theirs` (its checklists are not started: the bot's are).
 */
function racingReplica(bot: BotHarness, runbook: ReturnType<typeof runbookWith>, warned: string[] = []) {
  const theirs: MaintenanceMessage[] = [];
  const other = new MaintenanceService(
    bot.db,
    {
      self: async () => ({ teamId: 'T0TEST', botUserId: 'U0BOT2' }),
      post: async (_channel, m) => {
        theirs.push(m);
      },
    },
    { start: async () => ({ kind: 'already', run: {} as never }) },
    runbook.maintenance,
    runbook.playbooks,
    INCIDENTS_CHANNEL_ID,
    {
      info() {},
      warn(...args: unknown[]) {
        warned.push(args.map(String).join(' '));
      },
      error() {},
    },
  );
  let racing = true;
  const race = (async () => {
    while (racing) {
      await other.sweep();
      await sleep(150);
    }
  })();
  return {
    theirs,
    stop: async () => {
      racing = false;
      await race;
    },
  };
}

describe('scheduled maintenance windows', () => {
  const runbook = runbookWith({
    tick: { title: 'Tick maintenance', schedule: { every: '8s', for: '3s' }, tasks: ['Restart machines'] },
  });
  let bot: BotHarness;
  beforeAll(async () => {
    bot = await startBot({ incidentsChannel: true, runbook });
  });
  afterAll(async () => {
    await sleep(300);
    await bot?.stop();
  });

  it('posts the notice notice_before ahead, the start with its checklist, and the end: once each, with a second replica sweeping', async () => {
    const ours = () => bot.fake.callsTo('chat.postMessage').filter((c) => c.args.channel === INCIDENTS_CHANNEL_ID);
    const windows = async () =>
      (
        await bot.db.query<{ starts_at: Date }>(
          `SELECT starts_at FROM maintenance_windows WHERE window_key = 'tick' ORDER BY starts_at`,
        )
      ).rows.map((r) => new Date(r.starts_at).getTime());
    // A notice said on time: posted about notice_before (2 s) ahead of its window's start, not just before it (a
    // window planned less than 2 s ahead, when the bot starts, is noticed late).
    const onTimeNotice = async () => {
      const starts = await windows();
      for (const c of ours().filter((c) => String(c.args.text).includes('is scheduled'))) {
        const startsAt = starts.find((t) => t - c.at >= 1000 && t - c.at <= 2100);
        if (startsAt !== undefined) return { notice: c, startsAt };
      }
      return null;
    };

    // The bot alone first (windows every 8 s, open 3 s, noticed 2 s ahead): a notice on time, then that window's
    // start and its checklist, all said by the bot.
    const { notice, startsAt } = await waitUntil(
      'a notice on time, then its start and checklist',
      async () => {
        const found = await onTimeNotice();
        const checklist = ours().find(
          (c) => c.at >= (found?.startsAt ?? Infinity) - 100 && json(c.args).includes('Restart machines'),
        );
        return found && checklist ? found : null;
      },
      30_000,
    );
    // The notice says what the runbook's Before Maintenance asks: notify users ahead.
    expect(String(notice.args.text)).toMatch(/^:wrench: \*Tick maintenance\* is scheduled: .*Notify users/);
    expect(startsAt - notice.at).toBeGreaterThanOrEqual(1000);
    expect(startsAt - notice.at).toBeLessThanOrEqual(2100);
    const started = ours().find((c) => c.at >= startsAt - 100 && json(c.args).includes('has started'));
    expect(started).toBeDefined();
    // Its checklist followed: Before (the runbook's process), the window's tasks and During, After.
    const checklist = ours().find((c) => c.at >= startsAt - 100 && json(c.args).includes('Restart machines'))!;
    expect(checklist.at).toBeGreaterThanOrEqual(started!.at);
    for (const phase of ['*Before*', '*During*', '*After*', 'Notify users', 'Smoke test critical paths'])
      expect(json(checklist.args)).toContain(phase);

    // Then a second replica races the bot for the same rows, until a window started meanwhile has ended.
    const racedFrom = new Date();
    const { theirs, stop: stopRacing } = racingReplica(bot, runbook);
    try {
      await waitUntil(
        'a window started while racing said through to its end',
        async () =>
          (
            await bot.db.query(
              `SELECT 1 FROM maintenance_windows WHERE window_key = 'tick' AND stage = 'closed' AND starts_at > $1`,
              [racedFrom],
            )
          ).rows.length > 0,
        25_000,
      );
    } finally {
      await stopRacing();
    }
    await sleep(300);
    const window = (
      await bot.db.query<{ id: number; starts_at: Date; ends_at: Date }>(
        `SELECT id, starts_at, ends_at FROM maintenance_windows WHERE window_key = 'tick' AND stage = 'closed'
         ORDER BY id LIMIT 1`,
      )
    ).rows[0]!;
    expect(new Date(window.ends_at).getTime() - new Date(window.starts_at).getTime()).toBe(3000);
    // Each step of every window was said once at most in all, by one replica or the other (the bot's loop stopped to
    // count). On a loaded machine a whole window can pass between two sweeps: it is closed unsaid, as when no bot ran.
    await bot.timers.stop();
    const stages = (
      await bot.db.query<{ stage: string; n: string }>(
        `SELECT stage, count(*) AS n FROM maintenance_windows WHERE window_key = 'tick' GROUP BY stage`,
      )
    ).rows;
    const rowsIn = (...s: string[]) => stages.filter((r) => s.includes(r.stage)).reduce((t, r) => t + Number(r.n), 0);
    const said = (kind: MaintenanceMessage['kind'], text: string) => ({
      ours: ours().filter((c) => json(c.args).includes(text)).length,
      theirs: theirs.filter((m) => m.kind === kind).length,
    });
    const total = (x: { ours: number; theirs: number }) => x.ours + x.theirs;
    expect(total(said('started', 'has started'))).toBeGreaterThanOrEqual(2);
    expect(total(said('started', 'has started'))).toBeLessThanOrEqual(rowsIn('open', 'closed'));
    expect(total(said('ended', 'has ended'))).toBeGreaterThanOrEqual(1);
    expect(total(said('ended', 'has ended'))).toBeLessThanOrEqual(rowsIn('closed'));
    expect(total(said('ended', 'has ended'))).toBeLessThanOrEqual(total(said('started', 'has started')));
    expect(total(said('notice', 'is scheduled'))).toBeGreaterThanOrEqual(1);
    expect(total(said('notice', 'is scheduled'))).toBeLessThanOrEqual(rowsIn('noticed', 'open', 'closed'));
  }, 70_000);
});

describe('overlapping maintenance windows', () => {
  // As the runbook's weekly (02:00-04:00) and monthly (first Sunday 02:00-06:00) windows, shortened: every other
  // small window falls within a big one.
  const runbook = runbookWith(
    {
      small: { title: 'Small maintenance', schedule: { every: '6s', for: '2s' }, tasks: ['Small tasks'] },
      big: { title: 'Big maintenance', schedule: { every: '12s', for: '5s' }, tasks: ['Big tasks'] },
    },
    '1s',
  );
  let bot: BotHarness;
  beforeAll(async () => {
    // Its timer loop starts in the test, once what it warns is heard: a window it closes unsaid before then (a loaded
    // machine) would be counted as said.
    bot = await startBot({ incidentsChannel: true, runbook, timers: false });
  });
  afterAll(async () => {
    await sleep(300);
    await bot?.stop();
  });

  it('the larger takes the smaller in: one notice, one start and one checklist with both task lists, once across replicas', async () => {
    // What either replica warns: a window that passed entirely between two sweeps (a loaded machine) is closed unsaid.
    const warned: string[] = [];
    const warn = bot.app.logger.warn.bind(bot.app.logger);
    const spied = vi.spyOn(bot.app.logger, 'warn').mockImplementation((...args: unknown[]) => {
      warned.push(args.map(String).join(' '));
      warn(...args);
    });
    bot.timers.start();
    const { theirs, stop: stopRacing } = racingReplica(bot, runbook, warned);
    try {
      // Both replicas race for the windows until a big one has been said through to its end (by either).
      await waitUntil(
        'a big window said through to its end',
        async () =>
          (await bot.db.query("SELECT 1 FROM maintenance_windows WHERE window_key = 'big' AND stage = 'closed'"))
            .rows[0],
        40_000,
      );
    } finally {
      await stopRacing();
    }
    // Then the bot alone: the next big window is its own, and its checklist carries both task lists.
    await waitUntil(
      'the combined checklist',
      async () =>
        bot.fake.callsTo('chat.postMessage').find((c) => json(c.args).includes('Small maintenance: Small tasks')),
      30_000,
    );
    await sleep(300);
    await bot.timers.stop();
    spied.mockRestore();

    const rows = (
      await bot.db.query<{ id: number; window_key: string; starts_at: Date; stage: string; playbook_id: string }>(
        'SELECT id, window_key, starts_at, stage, playbook_id FROM maintenance_windows ORDER BY starts_at, id',
      )
    ).rows;
    const unsaid = new Set(
      warned.flatMap((w) => {
        const m = /maintenance window (\d+) .* passed while no bot was running/.exec(w);
        return m ? [Number(m[1])] : [];
      }),
    );
    const bigStarts = rows.filter((r) => r.window_key === 'big').map((r) => new Date(r.starts_at).getTime());
    expect(bigStarts.length).toBeGreaterThan(0);
    // No small window of its own where a big one starts; the big one's checklist is the combined one.
    for (const r of rows.filter((x) => x.window_key === 'small'))
      expect(bigStarts).not.toContain(new Date(r.starts_at).getTime());
    for (const r of rows.filter((x) => x.window_key === 'big')) expect(r.playbook_id).toBe('maintenance-big+small');
    // Small windows between the big ones are said on their own.
    expect(rows.some((r) => r.window_key === 'small' && r.stage !== 'planned')).toBe(true);

    // Each start was said once in all, and every big start says what it takes in.
    const ours = bot.fake.callsTo('chat.postMessage').filter((c) => c.args.channel === INCIDENTS_CHANNEL_ID);
    const opened = rows.filter((r) => (r.stage === 'open' || r.stage === 'closed') && !unsaid.has(r.id));
    const starts = [
      ...ours.filter((c) => json(c.args).includes('has started')).map((c) => json(c.args)),
      ...theirs.filter((m) => m.kind === 'started').map((m) => json(m)),
    ];
    expect(starts).toHaveLength(opened.length);
    const bigSaid = starts.filter((t) => t.includes('Big maintenance'));
    expect(bigSaid).toHaveLength(opened.filter((r) => r.window_key === 'big').length);
    for (const t of bigSaid) expect(t).toContain('Small maintenance');
    // One checklist per big window the bot opened, with both lists; never a small checklist at the same time. (A big
    // window's end names the first steps its checklist left: it is no checklist. The loop, stopped while it was saying
    // one, says it to the end.)
    const combinedNow = () =>
      bot.fake
        .callsTo('chat.postMessage')
        .filter((c) => c.args.channel === INCIDENTS_CHANNEL_ID)
        .filter((c) => json(c.args).includes('Small maintenance: Small tasks') && !json(c.args).includes('has ended'));
    for (const c of combinedNow()) expect(json(c.args)).toContain('Big maintenance: Big tasks');
    const combinedRuns = async () =>
      (
        await bot.db.query<{ id: number; message_ts: string | null }>(
          "SELECT id, message_ts FROM playbook_runs WHERE playbook_id = 'maintenance-big+small' ORDER BY id",
        )
      ).rows;
    const postedTs = () =>
      combinedNow()
        .map((c) => String(c.response?.ts ?? ''))
        .sort();
    // One run per combined checklist posted, each run's checklist the one posted: a big window started just as the
    // loop stopped has its run recorded before its checklist is posted, so the two are compared once both are in
    // (a busy machine took them apart).
    await waitUntil(
      'a checklist posted for each combined run',
      async () => {
        const runs = await combinedRuns();
        const ts = runs.map((r) => r.message_ts ?? '').sort();
        return runs.every((r) => r.message_ts) && JSON.stringify(ts) === JSON.stringify(postedTs());
      },
      15_000,
      async () => `runs ${JSON.stringify(await combinedRuns())}; checklists posted ${JSON.stringify(postedTs())}`,
    );
    expect(combinedNow().length).toBeGreaterThan(0);
  }, 80_000);
});

describe('maintenance windows by hand', () => {
  // A scheduled window open one second a day (at midnight UTC), for the schedule to show; and one by hand only.
  const runbook = runbookWith(
    {
      daily: { title: 'Daily check', schedule: { every: '1d', for: '1s' }, tasks: ['Check backups'] },
      quarterly: { title: 'Quarterly Maintenance', tasks: ['Disaster recovery drill'] },
    },
    '1h',
  );
  let bot: BotHarness;
  let asked = 0;
  const ask = async (text: string, over: Record<string, string> = {}) => {
    const key = `m${++asked}`;
    await bot.command(text, { ...over, response_url: bot.fake.responseUrl(key) });
    const reply = await bot.fake.waitFor('response_url', (c) => (c as { key?: string }).key === key);
    return json(reply.args);
  };
  beforeAll(async () => {
    bot = await startBot({ incidentsChannel: true, runbook, env: ALERTS_ENV });
  });
  afterAll(async () => {
    await sleep(300);
    await bot?.stop();
  });

  it('shows the schedule, opens and closes a window; meanwhile cards say so and recorded alerts do not declare', async () => {
    const schedule = await ask('maintenance schedule');
    expect(schedule).toContain('Daily check');
    expect(schedule).toContain('every 1 day for 1 second');
    expect(schedule).toContain('Quarterly: opened by hand with `/incident maintenance start quarterly`');
    expect(await ask('maintenance sideways')).toContain('is not a maintenance command');
    expect(await ask('maintenance end')).toContain('No maintenance window is open');

    expect(await ask('maintenance start quarterly')).toContain('Quarterly Maintenance');
    const started = await bot.fake.waitFor(
      'chat.postMessage',
      (c) => c.args.channel === INCIDENTS_CHANNEL_ID && json(c.args).includes('has started'),
    );
    expect(json(started.args)).toContain('Quarterly Maintenance');
    expect(String(started.args.text)).toContain('*Quarterly Maintenance* has started (opened by <@U0REPORTER>), until');
    await bot.fake.waitFor(
      'chat.postMessage',
      (c) => c.args.channel === INCIDENTS_CHANNEL_ID && json(c.args).includes('Disaster recovery drill'),
    );
    expect(await ask('maintenance start')).toContain('open already');

    // An incident declared meanwhile says so on its card.
    await bot.command('sev2 db slow during the drill');
    const incident = await waitUntil('the card', async () => {
      const { rows } = await bot.db.query<{ channel_id: string; card_ts: string | null; maintenance: string }>(
        "SELECT channel_id, card_ts, maintenance FROM incidents WHERE title = 'db slow during the drill'",
      );
      return rows[0]?.card_ts ? rows[0] : null;
    });
    expect(incident.maintenance).toBe('Quarterly Maintenance');
    expect(json(bot.fake.message(incident.channel_id, incident.card_ts!)?.blocks)).toContain(
      'Declared during *Quarterly Maintenance*',
    );

    // A critical alert whose row says `during_maintenance: record` is recorded, not declared.
    const r = await postAlerts(
      bot.baseUrl,
      '/hooks/alerts',
      genericAlert({ source: 'during', key: 'health', metric: 'app_health_check_failures', summary: 'Health failing' }),
    );
    expect(r.status).toBe(202);
    await inboxDone(bot.db);
    expect(await incidentsOfSource(bot.db, 'during')).toHaveLength(0);
    const alerts = await bot.db.query("SELECT maintenance FROM alerts WHERE source = 'during'");
    expect(alerts.rows).toEqual([{ maintenance: true }]);

    expect(await ask('maintenance end')).toContain('Ended *Quarterly Maintenance*');
    await bot.fake.waitFor(
      'chat.postMessage',
      (c) => c.args.channel === INCIDENTS_CHANNEL_ID && json(c.args).includes('has ended'),
    );
    // Once it ended, the alert it held back, still firing, is declared (no new delivery needed).
    await waitUntil('the held-back alert declared', async () =>
      (await incidentsOfSource(bot.db, 'during')).find((i) => i.card_ts),
    );
    // And a new alert of that row declares as usual.
    await postAlerts(
      bot.baseUrl,
      '/hooks/alerts',
      genericAlert({ source: 'after', key: 'health', metric: 'app_health_check_failures', summary: 'Health failing' }),
    );
    await inboxDone(bot.db);
    expect(await incidentsOfSource(bot.db, 'after')).toHaveLength(1);
  }, 40_000);

  it('opened `for 3s`, it says until when, then ends by itself, its end posted once; a length of nothing is refused', async () => {
    const reply = await ask('maintenance start cache flush for 3s');
    // On the clock of the one who typed it (the fake's people are in Europe/London), UTC beside, once.
    expect(reply).toMatch(
      /\*cache flush\* is open from now until (\w{3} \d+ \w{3} \d\d:\d\d \(Europe\/London\), )?\d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC (\(also Europe\/London time\) )?\(3 seconds;/,
    );
    const started = await bot.fake.waitFor(
      'chat.postMessage',
      (c) => c.args.channel === INCIDENTS_CHANNEL_ID && json(c.args).includes('*cache flush* has started'),
    );
    // Its end, not `/incident maintenance end`, is what the start says.
    expect(String(started.args.text)).toMatch(/has started \(opened by <@U0REPORTER>\), until \d{4}-\d{2}-\d{2} /);
    const ended = await bot.fake.waitFor(
      'chat.postMessage',
      (c) => c.args.channel === INCIDENTS_CHANNEL_ID && json(c.args).includes('*cache flush* has ended'),
      10_000,
    );
    expect(String(ended.args.text)).not.toContain('ended by');
    // Recorded said once posted: the row is closed just after, by the sweep, not by a person.
    const row = await waitUntil('the window closed', async () => {
      const { rows } = await bot.db.query<{ stage: string; closed_by: string | null }>(
        "SELECT stage, closed_by FROM maintenance_windows WHERE title = 'cache flush'",
      );
      return rows[0]?.stage === 'closed' ? rows[0] : null;
    });
    expect(row.closed_by).toBeNull();
    expect(await ask('maintenance end')).toContain('No maintenance window is open');
    await sleep(1000);
    expect(
      bot.fake
        .callsTo('chat.postMessage')
        .filter((c) => c.args.channel === INCIDENTS_CHANNEL_ID && json(c.args).includes('*cache flush* has ended')),
    ).toHaveLength(1);
    expect(await ask('maintenance start db for 0h')).toContain('`for 0h` is no time at all');
    expect(await ask('maintenance start db until noon')).toContain('`until noon` is not a time');
  }, 30_000);

  it("`until HH:MM` is read on the typing person's clock (their Slack time zone), named; UTC when Slack gives none", async () => {
    const NY = 'America/New_York';
    bot.fake.addUser('U0NYC', { name: 'nyc', real_name: 'Nia York', tz: NY });
    // Two hours on in New York, to the minute.
    const p = localParts(new Date(Date.now() + 2 * 3_600_000), NY);
    const hhmm = `${String(p.h).padStart(2, '0')}:${String(p.mi).padStart(2, '0')}`;
    const expected = atLocal(p.y, p.mo, p.d, { h: p.h, m: p.mi }, NY);
    const endsAt = async (title: string) => {
      const { rows } = await bot.db.query<{ ends_at: Date }>(
        'SELECT ends_at FROM maintenance_windows WHERE title = $1 ORDER BY id DESC',
        [title],
      );
      return rows[0]?.ends_at.toISOString();
    };
    const reply = await ask(`maintenance start nyc upgrade until ${hhmm}`, { user_id: 'U0NYC' });
    expect(reply).toContain(`until ${rotationTime(expected, NY)}, `);
    expect(reply).toMatch(/\(1 hour 59 minutes;|\(2 hours;/);
    expect(await endsAt('nyc upgrade')).toBe(expected.toISOString());
    expect(await ask('maintenance end', { user_id: 'U0NYC' })).toContain('nyc upgrade');
    // Slack gives no time zone: UTC, as before.
    bot.fake.addUser('U0NOTZ', { name: 'notz', real_name: 'No Zone', tz: '' });
    const u = new Date(Date.now() + 2 * 3_600_000);
    const utcHhmm = u.toISOString().slice(11, 16);
    const utcReply = await ask(`maintenance start utc upgrade until ${utcHhmm}`, { user_id: 'U0NOTZ' });
    expect(utcReply).not.toContain('(America/New_York)');
    expect(await endsAt('utc upgrade')).toBe(`${u.toISOString().slice(0, 16)}:00.000Z`);
    expect(await ask('maintenance end', { user_id: 'U0NOTZ' })).toContain('utc upgrade');
  }, 30_000);

  it("every reply says its time on the typing person's clock with UTC beside, once, and names each zone once", async () => {
    const NY = 'America/New_York';
    // Africa/Abidjan reads as UTC all year: its clock and UTC are one, said once.
    bot.fake.addUser('U0NYC', { name: 'nyc', real_name: 'Nia York', tz: NY });
    bot.fake.addUser('U0ABJ', { name: 'abj', real_name: 'Abi Djan', tz: 'Africa/Abidjan' });
    bot.fake.addUser('U0LON', { name: 'lon', real_name: 'Lon Don', tz: 'Europe/London' });
    const minute = (t: number) => new Date(Math.floor(t / 60_000) * 60_000);
    const stamp = (t: Date) => `${t.toISOString().replace('T', ' ').slice(0, 16)} UTC`;
    // A length is said on their clock too, not in UTC alone.
    const before = Date.now();
    const length = await ask('maintenance start nyc length for 2h', { user_id: 'U0NYC' });
    const ends = [before, Date.now()].map((t) => minute(t + 2 * 3_600_000));
    expect(ends.some((t) => length.includes(`until ${rotationTime(t, NY)}, ${stamp(t)} (2 hours;`))).toBe(true);
    expect(await ask('maintenance end', { user_id: 'U0NYC' })).toContain('nyc length');

    const p = localParts(new Date(Date.now() + 2 * 3_600_000), 'Africa/Abidjan');
    const hhmm = `${String(p.h).padStart(2, '0')}:${String(p.mi).padStart(2, '0')}`;
    const at = atLocal(p.y, p.mo, p.d, { h: p.h, m: p.mi }, 'Africa/Abidjan');
    const same = await ask(`maintenance start abj until ${hhmm}`, { user_id: 'U0ABJ' });
    expect(same).toContain(`until ${stamp(at)} (also Africa/Abidjan time) (`);
    expect(same).not.toContain('(Africa/Abidjan)');
    expect(await ask('maintenance end', { user_id: 'U0ABJ' })).toContain('abj');

    // A date past: said on their clock, UTC beside.
    const past = await ask('maintenance start nyc past until 2020-01-01 10:00', { user_id: 'U0NYC' });
    expect(past).toContain('is in the past (Wed 1 Jan 2020 10:00 (America/New_York), 2020-01-01 15:00 UTC)');

    // Not a time: their zone is named once, the example of a zone typed is another.
    const notTime = await ask('maintenance start lon until 1x:00', { user_id: 'U0LON' });
    expect(notTime).toContain('(your time zone, Europe/London)');
    expect(notTime.split('Europe/London')).toHaveLength(2);

    // A time with a zone typed that passed today there: tomorrow's is written with that zone, not read on theirs.
    const ago = localParts(new Date(Date.now() - 5 * 60_000), 'Europe/London');
    const now = localParts(new Date(), 'Europe/London');
    if (ago.d === now.d) {
      const passed = `${String(ago.h).padStart(2, '0')}:${String(ago.mi).padStart(2, '0')}`;
      const refused = await ask(`maintenance start nyc passed until ${passed} Europe/London`, { user_id: 'U0NYC' });
      expect(refused).toContain(`write \`until tomorrow ${passed} Europe/London\``);
    }
  }, 30_000);

  it('a start the incidents channel refuses is told to whoever opened it; the window is open all the same', async () => {
    const incidents = bot.fake.channels.get(INCIDENTS_CHANNEL_ID)!;
    incidents.members.delete(BOT_USER_ID);
    try {
      const reply = await ask('maintenance start cert rotation');
      expect(reply).toContain('*cert rotation* is open from now until `/incident maintenance end`, but its start');
      expect(reply).toContain(`could not be posted in <#${INCIDENTS_CHANNEL_ID}>`);
      expect(reply).toContain('tell people in that channel yourself');
      expect(reply).not.toContain('are posted');
    } finally {
      incidents.members.add(BOT_USER_ID);
    }
    // The timer loop posts it once its lease runs out (30 s): not waited for here; the window is open meanwhile.
    expect(await ask('maintenance start')).toContain('*cert rotation* is open already');
    expect(await ask('maintenance end')).toContain('Ended *cert rotation*');
  });

  it('a title of its own that shows nothing is refused, and bidi controls are dropped from it as from incident titles', async () => {
    const windows = async () =>
      Number((await bot.db.query<{ n: string }>('SELECT count(*) AS n FROM maintenance_windows')).rows[0]!.n);
    const before = await windows();
    const blank = await ask('maintenance start \u200b\u200b \u2800');
    expect(blank).toContain('shows nothing');
    expect(blank).toContain('/incident maintenance start');
    expect(await windows()).toBe(before);

    expect(await ask('maintenance start \u202Egnirts\u202C db upgrade')).toContain('gnirts db upgrade');
    const { rows } = await bot.db.query<{ title: string }>(
      'SELECT title FROM maintenance_windows ORDER BY id DESC LIMIT 1',
    );
    expect(rows[0]?.title).toBe('gnirts db upgrade');
    expect(await ask('maintenance end')).toContain('Ended *gnirts db upgrade*');
  }, 20_000);

  it('its end says how far the checklist got, and the incidents declared meanwhile (a private one unnamed), with the post-incident report', async () => {
    expect(await ask('maintenance start quarterly')).toContain('Quarterly Maintenance');
    const checklist = await bot.fake.waitFor(
      'chat.postMessage',
      (c) => c.args.channel === INCIDENTS_CHANNEL_ID && json(c.args).includes('Disaster recovery drill'),
    );
    expect(checklist).toBeTruthy();
    await bot.command('sev2 cache misses after the restart');
    await bot.command('sev1 --private suspicious logins on the bastion', { user_id: 'U0OUTSIDER' });
    const declared = await waitUntil('both declared', async () => {
      const { rows } = await bot.db.query<{ number: number; channel_id: string; private: boolean }>(
        `SELECT number, channel_id, private FROM incidents
         WHERE title IN ('cache misses after the restart', 'suspicious logins on the bastion') AND card_ts IS NOT NULL`,
      );
      return rows.length === 2 ? rows : null;
    });
    const pub = declared.find((r) => !r.private)!;
    const priv = declared.find((r) => r.private)!;

    const reply = await ask('maintenance end');
    expect(reply).toContain('Ended *Quarterly Maintenance*');
    // Nothing was ticked: the checklist was left undone, and its first steps are named.
    expect(reply).toMatch(/checklist \(\*[^*]+\*\) was left at 0 of \d+ done/);
    expect(reply).toContain('Notify users');
    expect(reply).toContain(`#${pub.number} (SEV-2, Investigating) <#${pub.channel_id}>`);
    expect(reply).toContain('a private incident');
    expect(reply).not.toContain(`#${priv.number} `);
    expect(reply).not.toContain(priv.channel_id);
    expect(reply).toContain('post-incident report');

    const ended = await bot.fake.waitFor(
      'chat.postMessage',
      (c) =>
        c.args.channel === INCIDENTS_CHANNEL_ID &&
        json(c.args).includes('Quarterly Maintenance* has ended') &&
        json(c.args).includes(`#${pub.number} `),
    );
    const said = String(ended.args.text);
    expect(said).toMatch(/was left at 0 of \d+ done/);
    expect(said).toContain('Notify users');
    expect(said).toContain(`<#${pub.channel_id}>`);
    expect(said).toContain('a private incident');
    expect(said).not.toContain(priv.channel_id);
    expect(said).not.toContain('suspicious');
    expect(said).toContain('post-incident report');
  }, 30_000);
});

describe('a window ends while an alert it held back still fires, with two replicas', () => {
  const runbook = runbookWith(
    { quarterly: { title: 'Quarterly Maintenance', tasks: ['Disaster recovery drill'] } },
    '1h',
  );
  const fake = useFakeSlack();
  let drop: () => Promise<void>;
  let a: BotHarness;
  let b: BotHarness;
  beforeAll(async () => {
    fake.addChannel('incidents', { id: INCIDENTS_CHANNEL_ID, botIsMember: true });
    fake.addChannel('general', { id: 'C0GENERAL', botIsMember: true });
    const s = await createMigratedTestSchema();
    drop = s.drop;
    // Two replicas on one database and one Slack, each with its timer loop and its alert loop.
    const replica = () => startBot({ fake, databaseUrl: s.url, incidentsChannel: true, runbook, env: ALERTS_ENV });
    a = await replica();
    b = await replica();
  });
  afterAll(async () => {
    await sleep(300);
    await a?.stop();
    await b?.stop();
    await drop?.();
  });

  it('is declared once, with no new delivery; its notice said why it was not, then says which incident', async () => {
    const key = 'm1';
    await a.command('maintenance start quarterly', { response_url: fake.responseUrl(key) });
    await fake.waitFor(
      'chat.postMessage',
      (c) => c.args.channel === INCIDENTS_CHANNEL_ID && json(c.args).includes('has started'),
    );
    const r = await postAlerts(
      b.baseUrl,
      '/hooks/alerts',
      genericAlert({
        source: 'pool',
        key: 'db',
        metric: 'database_pool_usage',
        value: '97%',
        summary: 'DB pool at 97%',
      }),
    );
    expect(r.status).toBe(202);
    await inboxDone(a.db);
    const notice = await fake.waitFor(
      'chat.postMessage',
      (c) => c.args.channel === INCIDENTS_CHANNEL_ID && json(c.args).includes('DB pool at 97%'),
    );
    expect(json(notice.args)).toContain('Recorded, not declared:* a maintenance window is open');
    expect(json(notice.args)).toContain(ACTION.declareFromAlert);
    await sleep(1500);
    expect(await incidentsOfSource(a.db, 'pool')).toHaveLength(0);

    // The window ends; Alertmanager would not send the group again for hours. Both replicas' loops look.
    await a.command('maintenance end', { response_url: fake.responseUrl('m2') });
    const incident = await waitUntil('the held-back alert declared', async () =>
      (await incidentsOfSource(a.db, 'pool')).find((i) => i.card_ts),
    );
    expect(incident).toMatchObject({ title: 'DB pool at 97%', severity: 1, reporter_id: BOT_USER_ID });
    // The incidents channel reads that the window ended before the incident it let through.
    const inIncidents = () => fake.callsTo('chat.postMessage').filter((c) => c.args.channel === INCIDENTS_CHANNEL_ID);
    await waitUntil('the announcement', async () =>
      inIncidents().some((c) => String(c.args.text).includes(`incident #${incident.number}:`)),
    );
    const endedAt = inIncidents().findIndex((c) => json(c.args).includes('has ended'));
    expect(endedAt).toBeGreaterThan(-1);
    expect(endedAt).toBeLessThan(
      inIncidents().findIndex((c) => String(c.args.text).includes(`incident #${incident.number}:`)),
    );
    await waitUntil('the notice to say which incident', async () =>
      json(fake.message(INCIDENTS_CHANNEL_ID, notice.response!.ts)?.blocks).includes(
        `Declared as incident #${incident.number}`,
      ),
    );
    await fake.waitFor('chat.postMessage', (c) => c.args.channel === 'U0ONCALL' && json(c.args).includes('DB pool'));
    // A few more rounds of both loops: still one incident, one channel, one page; the alert counted once.
    await sleep(2000);
    await inboxDone(a.db);
    expect(await incidentsOfSource(a.db, 'pool')).toHaveLength(1);
    expect(fake.callsTo('conversations.create').filter((c) => json(c.args).includes('db-pool'))).toHaveLength(1);
    expect(
      fake.callsTo('chat.postMessage').filter((c) => c.args.channel === 'U0ONCALL' && json(c.args).includes('DB pool')),
    ).toHaveLength(1);
    const { rows } = await a.db.query<{ count: number; maintenance: boolean }>(
      `SELECT count, maintenance FROM alerts WHERE source = 'pool'`,
    );
    expect(rows).toEqual([{ count: 1, maintenance: false }]);
    const { rows: plans } = await a.db.query<{ format: string; state: string }>(
      `SELECT format, state FROM alert_deliveries WHERE source = 'pool' ORDER BY id`,
    );
    expect(plans).toEqual([
      { format: 'generic', state: 'done' },
      { format: 'maintenance_over', state: 'done' },
    ]);
  }, 60_000);
});
