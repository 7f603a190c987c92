import type { ChildProcess } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { PAGING_NOBODY_RULES } from '../../src/incidents/escalation-policy.js';
import { createPostgresDatabase, type Database, type Queryable } from '../../src/store/db.js';
import { SIGNING_SECRET } from '../support/bot-harness.js';
import { killAll, killAtCall, killAtDirectMessage, startBotProcess } from '../support/bot-process.js';
import { BOT_USER_ID, type RecordedCall } from '../support/fake-slack.js';
import { eventually } from '../support/incident-flow.js';
import { createMigratedTestSchema } from '../support/schema-pool.js';
import { postSlashCommand, TEST_REPORTER_ID } from '../support/slack-request.js';
import { testRunbook, testRunbookData } from '../support/test-runbook.js';
import { useBotProcesses } from '../support/use-bot-processes.js';
import { useFakeSlack } from '../support/use-fake-slack.js';
import { useTwoBots } from '../support/use-two-bots.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const json = (c: RecordedCall) => JSON.stringify(c.args);
const json2 = (m: { text?: string; blocks?: unknown[] }) => JSON.stringify([m.text ?? '', m.blocks ?? []]);

/** The incident row titled `title` (still declaring, or whole) once its channel is recorded; waits up to 10 s. */
async function rowWithChannel(db: Queryable, title: string, declaring: boolean) {
  const read = async () =>
    (
      await db.query<{ id: number; channel_id: string | null }>(
        'SELECT id, channel_id FROM incidents WHERE title = $1 AND declaring = $2',
        [title, declaring],
      )
    ).rows[0];
  let row = await read();
  for (let i = 0; !row?.channel_id && i < 200; i++) {
    await sleep(50);
    row = await read();
  }
  return row;
}

describe('escalation timers survive a kill -9', () => {
  const bp = useBotProcesses({ runbook: testRunbookData({ unresolvedAfter: '4s' }), dirPrefix: 'bot-durable-' });
  const { fake, procs } = bp;

  it('a page due while the bot was dead is sent once by the next process', async () => {
    // Senior DevOps is paged 8 s after the declaration here, not the describe's 4 s: on a loaded machine (CI) the wait
    // for the on-call page's record once took past 4 s, and the first process rightly paged senior DevOps before the
    // kill this test is about.
    const runbook = join(await mkdtemp(join(tmpdir(), 'bot-durable-8s-')), 'runbook.yml');
    await writeFile(runbook, stringify(testRunbookData({ unresolvedAfter: '8s' })));
    const env = { ...bp.env, RUNBOOK_FILE: runbook };
    const first = await startBotProcess(env);
    procs.push(first.proc);
    const declaredAt = Date.now();
    await postSlashCommand(`http://127.0.0.1:${first.port}`, SIGNING_SECRET, {
      text: 'sev2 survives restarts',
      response_url: fake.responseUrl('dur'),
    });
    await fake.waitFor(
      'chat.postMessage',
      (c) => c.args.channel === 'U0ONCALL' && json(c).includes('survives restarts'),
      10_000,
    );
    // Killed once the on-call page's DM is recorded: one killed between the DM and its record is the next test's.
    const db = createPostgresDatabase(bp.env.DATABASE_URL!);
    try {
      await eventually(async () => {
        const r = await db.query<{ n: number }>(
          "SELECT count(*)::int AS n FROM page_deliveries WHERE user_id = 'U0ONCALL'",
        );
        return r.rows[0]!.n > 0 ? true : undefined;
      }, "the on-call page's delivery recorded");
    } finally {
      await db.close();
    }
    first.proc.kill('SIGKILL');
    await new Promise((r) => first.proc.once('exit', r));
    await sleep(1000);
    expect(fake.callsTo('chat.postMessage').filter((c) => c.args.channel === 'U0SENIOR')).toHaveLength(0);

    const second = await startBotProcess(env);
    procs.push(second.proc);
    const dm = await fake.waitFor('chat.postMessage', (c) => c.args.channel === 'U0SENIOR', 20_000);
    expect(json(dm)).toContain('survives restarts');
    expect(dm.at - declaredAt).toBeGreaterThanOrEqual(8000);
    await sleep(1500);
    expect(fake.callsTo('chat.postMessage').filter((c) => c.args.channel === 'U0SENIOR')).toHaveLength(1);
    expect(fake.callsTo('chat.postMessage').filter((c) => c.args.channel === 'U0ONCALL')).toHaveLength(1);
  }, 60_000);

  /**
   * Declares `title` and kills the bot the moment Slack has the on-call page's DM (before it records that it went);
   * `meanwhile` runs then. A second process takes the page job over once its lease is run out (not waited for): the
   * page's delivery is recorded, and on-call has had one DM.
   */
  async function killedMidPage(title: string, meanwhile: () => void = () => {}) {
    const pageDms = () =>
      fake.callsTo('chat.postMessage').filter((c) => c.args.channel === 'U0ONCALL' && json(c).includes(title));
    const first = await startBotProcess(bp.env);
    procs.push(first.proc);
    // Killed the moment Slack has the DM, before the bot has Slack's answer: nothing after the DM runs.
    const exited = killAtDirectMessage(fake, first.proc, { user: 'U0ONCALL', mentioning: title });
    await postSlashCommand(`http://127.0.0.1:${first.port}`, SIGNING_SECRET, {
      text: `sev2 ${title}`,
      response_url: fake.responseUrl(`dur-${title}`),
    });
    await exited;
    expect(pageDms()).toHaveLength(1);
    meanwhile();
    const db = createPostgresDatabase(bp.env.DATABASE_URL!);
    try {
      const { rows } = await db.query<{ id: number }>('SELECT id FROM incidents WHERE title = $1', [title]);
      const incidentId = rows[0]!.id;
      const delivered = async () =>
        (
          await db.query<{ n: number }>(
            `SELECT count(*)::int AS n FROM page_deliveries d JOIN pages p ON p.id = d.page_id
             WHERE p.incident_id = $1 AND d.user_id = 'U0ONCALL'`,
            [incidentId],
          )
        ).rows[0]!.n;
      expect(await delivered()).toBe(0);
      // Its lease run out (rather than waited for): any process takes the job again.
      await db.query(
        `UPDATE escalation_jobs SET locked_until = now() WHERE incident_id = $1 AND locked_until > now()`,
        [incidentId],
      );
      const second = await startBotProcess(bp.env);
      procs.push(second.proc);
      await eventually(async () => ((await delivered()) > 0 ? true : undefined), "the page's delivery recorded");
      // Recorded with where the DM found is, so that it is shown answered later as one sent then would be.
      const { rows: at } = await db.query<{ dm_channel: string | null; dm_ts: string | null }>(
        `SELECT d.dm_channel, d.dm_ts FROM page_deliveries d JOIN pages p ON p.id = d.page_id
         WHERE p.incident_id = $1 AND d.user_id = 'U0ONCALL'`,
        [incidentId],
      );
      expect(at).toEqual([{ dm_channel: fake.workspace.dmFor('U0ONCALL'), dm_ts: pageDms()[0]!.response!.ts }]);
    } finally {
      await db.close();
    }
    await sleep(1000);
    expect(pageDms()).toHaveLength(1);
  }

  it('one killed after a page DM reached Slack, before it noted that it went: the process taking the job over finds it there and does not page again', async () => {
    await killedMidPage('killed mid page');
  }, 60_000);

  it('one killed after a page DM reached Slack, in a busy conversation: the process taking the job over reads past the last 50 messages and does not page again', async () => {
    let dm = '';
    // Other pages and replies after it: the page's DM is no longer among the conversation's last 50 messages.
    await killedMidPage('killed mid page in a busy dm', () => {
      dm = fake.workspace.dmFor('U0ONCALL');
      for (let i = 0; i < 250; i++)
        fake.workspace.addMessage(dm, i % 2 ? 'U0ONCALL' : BOT_USER_ID, `another page or its answer ${i}`);
    });
    // Read from when the page was first tried, page after page (250 messages: two of 200).
    const reads = fake.callsTo('conversations.history').filter((c) => c.args.channel === dm);
    expect(reads.filter((c) => c.args.cursor)).toHaveLength(1);
    expect(reads.every((c) => Number(c.args.oldest) > 0)).toBe(true);
  }, 60_000);
});

describe('a declaration interrupted by kill -9', () => {
  const fake = useFakeSlack();
  let db: Database;
  let drop: () => Promise<void>;
  let env: Record<string, string>;
  const procs: ChildProcess[] = [];

  beforeAll(async () => {
    fake.addChannel('general', { id: 'C0GENERAL', botIsMember: true });
    fake.addChannel('incidents', { id: 'C0INCIDENTS', botIsMember: true });
    const s = await createMigratedTestSchema();
    drop = s.drop;
    db = createPostgresDatabase(s.url);
    env = {
      SLACK_BOT_TOKEN: 'xoxb-durable',
      SLACK_SIGNING_SECRET: SIGNING_SECRET,
      SLACK_API_URL: fake.url,
      DATABASE_URL: s.url,
      INCIDENTS_CHANNEL: 'C0INCIDENTS',
      PORT: '0',
      LOG_LEVEL: 'error',
    };
  });
  /**
   * The dead process's lease on its declaration run out (rather than waited for, DECLARATION_LEASE_MS): the next
   * process takes it over at its first sweep, as it would 15 s later. Only the row the killed process held is touched.
   */
  const runOutLease = async (incidentId: number) => {
    const { rows } = await db.query(
      'UPDATE declarations SET lease_until = now() WHERE incident_id = $1 AND lease_until > now() RETURNING 1',
      [incidentId],
    );
    expect(rows).toHaveLength(1);
  };
  afterEach(() => killAll(procs));
  afterAll(async () => {
    await killAll(procs);
    await db?.close();
    await drop?.();
  });

  it('one killed between its channel and its card is finished by the next process: card posted, recorded and pinned, announced once, declarer told', async () => {
    const first = await startBotProcess(env);
    procs.push(first.proc);
    // Slack holds every message: the card never lands while the first process lives.
    fake.failNext('chat.postMessage', { delayMs: 120_000 }, 20);
    await postSlashCommand(`http://127.0.0.1:${first.port}`, SIGNING_SECRET, {
      text: 'sev1 killed before the card',
      response_url: fake.responseUrl('kill'),
    });
    const row = await rowWithChannel(db, 'killed before the card', false);
    expect(row?.channel_id).toBeTruthy();
    first.proc.kill('SIGKILL');
    await new Promise((r) => first.proc.once('exit', r));
    fake.reset(); // Slack answers normally again
    const channel = row!.channel_id!;
    expect(fake.postedIn(channel)).toHaveLength(0);
    await runOutLease(row!.id);

    const second = await startBotProcess(env);
    procs.push(second.proc);
    const dm = await fake.waitFor('chat.postMessage', (c) => c.args.channel === TEST_REPORTER_ID, 40_000);
    expect(dm.args.text).toMatch(/interrupted/);
    expect(dm.args.text).toContain(`is open: <#${channel}>. The card there has the buttons`);
    const cards = fake.postedIn(channel).filter((m) => json2(m).includes('incident_acknowledge'));
    expect(cards).toHaveLength(1);
    const { rows } = await db.query<{ card_ts: string }>('SELECT card_ts FROM incidents WHERE id = $1', [row!.id]);
    expect(rows[0]!.card_ts).toBe(cards[0]!.ts);
    expect(fake.channels.get(channel)!.pins).toEqual([cards[0]!.ts]);
    expect(fake.postedIn('C0INCIDENTS').filter((m) => json2(m).includes('killed before the card'))).toHaveLength(1);
    // The declaration's row goes once the declarer is told (the last step): a moment after the DM.
    await eventually(
      async () => ((await db.query('SELECT * FROM declarations')).rows.length === 0 ? true : undefined),
      'the declaration finished',
    );
  }, 90_000);

  it('one killed as its announcement reached the incidents channel, before it recorded that: the next process finishes it without announcing it again', async () => {
    fake.reset();
    const first = await startBotProcess(env);
    procs.push(first.proc);
    const killed = killAtDirectMessage(fake, first.proc, { user: 'C0INCIDENTS', mentioning: 'killed as announced' });
    await postSlashCommand(`http://127.0.0.1:${first.port}`, SIGNING_SECRET, {
      text: 'sev2 killed as announced',
      response_url: fake.responseUrl('kill3'),
    });
    await killed;
    fake.reset(); // Slack answers normally again (what it was sent stays)
    const row = await rowWithChannel(db, 'killed as announced', false);
    const announced = () => fake.postedIn('C0INCIDENTS').filter((m) => json2(m).includes('killed as announced'));
    expect(announced()).toHaveLength(1);
    await runOutLease(row!.id);

    const second = await startBotProcess(env);
    procs.push(second.proc);
    const dm = await fake.waitFor('chat.postMessage', (c) => c.args.channel === TEST_REPORTER_ID, 40_000);
    expect(dm.args.text).toMatch(/interrupted/);
    await eventually(
      async () => ((await db.query('SELECT * FROM declarations')).rows.length === 0 ? true : undefined),
      'the declaration finished',
    );
    // Found by its metadata in the channel's history since the incident was declared: not posted again.
    expect(announced()).toHaveLength(1);
    const look = fake.callsTo('conversations.history').find((c) => c.args.channel === 'C0INCIDENTS');
    expect(String(look!.args.include_all_metadata)).toBe('true');
    expect(fake.postedIn(row!.channel_id!).filter((m) => json2(m).includes('incident_acknowledge'))).toHaveLength(1);
  }, 90_000);

  it('a resolution whose process was killed as it updated the card, before telling anyone: the next process tells the channel and the incidents channel, once', async () => {
    fake.reset();
    const first = await startBotProcess(env);
    procs.push(first.proc);
    await postSlashCommand(`http://127.0.0.1:${first.port}`, SIGNING_SECRET, {
      text: 'sev2 resolved then killed',
      response_url: fake.responseUrl('kill4'),
    });
    const row = await rowWithChannel(db, 'resolved then killed', false);
    const channel = row!.channel_id!;
    await eventually(
      async () => ((await db.query('SELECT * FROM declarations')).rows.length === 0 ? true : undefined),
      'the declaration finished',
    );
    // The resolution is committed, then its card update reaches Slack and the process dies.
    const killed = killAtCall(
      fake,
      first.proc,
      (c) => c.method === 'chat.update' && c.args.channel === channel && JSON.stringify(c.args).includes('Resolved'),
    );
    await postSlashCommand(`http://127.0.0.1:${first.port}`, SIGNING_SECRET, {
      text: 'resolve the cache was flushed',
      channel_id: channel,
      response_url: fake.responseUrl('kill4-resolve'),
    });
    await killed;
    fake.reset();
    const card = (await db.query<{ card_ts: string }>('SELECT card_ts FROM incidents WHERE id = $1', [row!.id]))
      .rows[0]!.card_ts;
    // What is said of the resolution (the card shows its summary too, and is left out).
    const said = (where: string) =>
      fake.postedIn(where).filter((m) => m.ts !== card && json2(m).includes('the cache was flushed'));
    expect(said(channel)).toHaveLength(0);
    expect(said('C0INCIDENTS')).toHaveLength(0);
    // Its lease run out rather than waited for (FOLLOWUP_LEASE_MS).
    const { rows } = await db.query(
      'UPDATE change_followups SET lease_until = now() WHERE incident_id = $1 RETURNING 1',
      [row!.id],
    );
    expect(rows).toHaveLength(1);

    const second = await startBotProcess(env);
    procs.push(second.proc);
    await eventually(
      async () => (said(channel).length && said('C0INCIDENTS').length ? true : undefined),
      'the resolution told',
    );
    await eventually(
      async () => ((await db.query('SELECT * FROM change_followups')).rows.length === 0 ? true : undefined),
      'the follow-up ended',
    );
    await sleep(1000);
    expect(said(channel)).toHaveLength(1);
    expect(said('C0INCIDENTS')).toHaveLength(1);
    // Posted by the second process, minutes after the change could have been: each says it is late.
    expect(json2(said(channel)[0]!)).toContain('Posted late');
    expect(json2(said('C0INCIDENTS')[0]!)).toContain('Posted late');
  }, 90_000);

  /**
   * Declares `title` in a process of its own and waits until the declaration is whole; the process, its port and the
   * incident's row.
   */
  async function declaredWhole(title: string) {
    const proc = await startBotProcess(env);
    procs.push(proc.proc);
    await postSlashCommand(`http://127.0.0.1:${proc.port}`, SIGNING_SECRET, {
      text: `sev2 ${title}`,
      response_url: fake.responseUrl(`whole-${title}`),
    });
    const row = await rowWithChannel(db, title, false);
    await eventually(
      async () => ((await db.query('SELECT * FROM declarations')).rows.length === 0 ? true : undefined),
      'the declaration finished',
    );
    return { ...proc, row: row! };
  }

  /**
   * The follow-up of incident `incidentId`'s change left by a killed process, its lease run out (rather than waited
   * for, FOLLOWUP_LEASE_MS); a second process shows what is left of it, and the test waits until it ended.
   */
  async function sweptBySecond(incidentId: number) {
    const { rows } = await db.query(
      'UPDATE change_followups SET lease_until = now() WHERE incident_id = $1 RETURNING 1',
      [incidentId],
    );
    expect(rows).toHaveLength(1);
    const second = await startBotProcess(env);
    procs.push(second.proc);
    await eventually(
      async () => ((await db.query('SELECT * FROM change_followups')).rows.length === 0 ? true : undefined),
      'the follow-up ended',
    );
    await sleep(1000);
  }

  it('a resolution whose process was killed as its notice reached both places, before it recorded that: the next process finds both and posts neither again', async () => {
    fake.reset();
    const { proc, port, row } = await declaredWhole('resolved as told then killed');
    const channel = row.channel_id!;
    // Its copy in the incidents channel (the notice's last post) reaches Slack and the process dies.
    const killed = killAtCall(
      fake,
      proc,
      (c) =>
        c.method === 'chat.postMessage' &&
        c.args.channel === 'C0INCIDENTS' &&
        JSON.stringify(c.args).includes('told twice? no'),
    );
    await postSlashCommand(`http://127.0.0.1:${port}`, SIGNING_SECRET, {
      text: 'resolve told twice? no',
      channel_id: channel,
      response_url: fake.responseUrl('kill6-resolve'),
    });
    await killed;
    fake.reset();
    const card = (await db.query<{ card_ts: string }>('SELECT card_ts FROM incidents WHERE id = $1', [row.id])).rows[0]!
      .card_ts;
    const said = (where: string) =>
      fake.postedIn(where).filter((m) => m.ts !== card && json2(m).includes('told twice? no'));
    expect(said(channel)).toHaveLength(1);
    expect(said('C0INCIDENTS')).toHaveLength(1);

    await sweptBySecond(row.id);
    expect(said(channel)).toHaveLength(1);
    expect(said('C0INCIDENTS')).toHaveLength(1);
    // Looked for by its metadata in each place's history.
    const looked = fake.callsTo('conversations.history').filter((c) => String(c.args.include_all_metadata) === 'true');
    expect(looked.map((c) => c.args.channel)).toEqual(expect.arrayContaining([channel, 'C0INCIDENTS']));
  }, 120_000);

  it('a rename whose process was killed between its notice in the channel and its copy in the incidents channel: the next process posts only the copy, saying it is late', async () => {
    fake.reset();
    const { proc, port, row } = await declaredWhole('renamed then killed');
    const channel = row.channel_id!;
    const killed = killAtCall(
      fake,
      proc,
      (c) =>
        c.method === 'chat.postMessage' &&
        c.args.channel === channel &&
        JSON.stringify(c.args).includes('renamed late'),
    );
    await postSlashCommand(`http://127.0.0.1:${port}`, SIGNING_SECRET, {
      text: 'rename renamed late',
      channel_id: channel,
      response_url: fake.responseUrl('kill7-rename'),
    });
    await killed;
    fake.reset();
    const said = (where: string) => fake.postedIn(where).filter((m) => json2(m).includes('renamed incident'));
    expect(said(channel)).toHaveLength(1);
    expect(said('C0INCIDENTS')).toHaveLength(0);

    await sweptBySecond(row.id);
    expect(said(channel)).toHaveLength(1);
    expect(json2(said(channel)[0]!)).not.toContain('Posted late');
    expect(said('C0INCIDENTS')).toHaveLength(1);
    const late = json2(said('C0INCIDENTS')[0]!);
    expect(late).toContain('renamed late');
    expect(late).toContain('Posted late');
  }, 120_000);

  it('one killed as Slack made its channel, before it recorded it: the next process finds the channel by its name and archives it', async () => {
    fake.reset();
    const first = await startBotProcess(env);
    procs.push(first.proc);
    const killed = killAtCall(fake, first.proc, (c) => c.method === 'conversations.create');
    await postSlashCommand(`http://127.0.0.1:${first.port}`, SIGNING_SECRET, {
      text: 'sev2 killed as its channel was made',
      response_url: fake.responseUrl('kill5'),
    });
    await killed;
    fake.reset();
    const { rows } = await db.query<{ id: number; number: number; channel_id: string | null }>(
      "SELECT id, number, channel_id FROM incidents WHERE title = 'killed as its channel was made' AND declaring",
    );
    expect(rows[0]!.channel_id).toBeNull();
    const made = [...fake.channels.values()].find(
      (c) => c.name === `inc-${rows[0]!.number}-killed-as-its-channel-was-made`,
    );
    expect(made?.isArchived).toBe(false);
    await runOutLease(rows[0]!.id);

    const second = await startBotProcess(env);
    procs.push(second.proc);
    const dm = await fake.waitFor('chat.postMessage', (c) => c.args.channel === TEST_REPORTER_ID, 40_000);
    expect(dm.args.text).toMatch(/was not kept/);
    expect(dm.args.text).toContain(`Its channel <#${made!.id}> is archived.`);
    expect(made!.isArchived).toBe(true);
    // The declarer is told first, then the row goes.
    await eventually(
      async () => ((await db.query('SELECT * FROM declarations')).rows.length === 0 ? true : undefined),
      'the declaration given up',
    );
  }, 90_000);

  it('one killed before it was whole is abandoned by the next process: channel archived, row gone, declarer told', async () => {
    fake.reset();
    const first = await startBotProcess(env);
    procs.push(first.proc);
    // The channel is made (and recorded), then Slack holds its topic: the incident never becomes whole.
    fake.failNext('conversations.setTopic', { delayMs: 120_000 });
    await postSlashCommand(`http://127.0.0.1:${first.port}`, SIGNING_SECRET, {
      text: 'sev2 killed before it was whole',
      response_url: fake.responseUrl('kill2'),
    });
    const row = await rowWithChannel(db, 'killed before it was whole', true);
    expect(row?.channel_id).toBeTruthy();
    first.proc.kill('SIGKILL');
    await new Promise((r) => first.proc.once('exit', r));
    fake.reset();
    await runOutLease(row!.id);

    const second = await startBotProcess(env);
    procs.push(second.proc);
    const dm = await fake.waitFor('chat.postMessage', (c) => c.args.channel === TEST_REPORTER_ID, 40_000);
    expect(dm.args.text).toMatch(/killed before it was whole/);
    expect(dm.args.text).toMatch(/was not kept/);
    expect(dm.args.text).toContain(`Its channel <#${row!.channel_id}> is archived.`);
    expect(fake.channels.get(row!.channel_id!)!.isArchived).toBe(true);
    // The declarer is told first, then the row goes.
    const gone = async () => (await db.query('SELECT * FROM incidents WHERE id = $1', [row!.id])).rows.length === 0;
    for (let i = 0; !(await gone()) && i < 100; i++) await sleep(50);
    expect((await db.query('SELECT * FROM incidents WHERE id = $1', [row!.id])).rows).toHaveLength(0);
    expect((await db.query('SELECT * FROM declarations')).rows).toHaveLength(0);
  }, 90_000);
});

describe('two bot processes on one database', () => {
  const { fake, a, b } = useTwoBots('two', { runbook: testRunbook({ unresolvedAfter: '1500ms' }) });

  it('page each contact exactly once', async () => {
    const titles = Array.from({ length: 8 }, (_, i) => `twin replicas ${i}`);
    await Promise.all(titles.map((t, i) => (i % 2 ? a : b).command(`sev2 ${t}`, { user_id: `U0TWIN${i}` })));
    await fake.waitForCount('chat.postMessage', titles.length, (c) => c.args.channel === 'U0SENIOR', 10_000);
    // The pages' timers (the declaration's, `unresolved`'s), done once each page is said in its channel (a busy machine
    // says some of them seconds after the DMs): the redraws of the DMs a page of senior DevOps leaves behind (on-call's
    // Escalate to senior DevOps), and of a card a busy machine could not refresh after a page, page nobody.
    const paging = async () =>
      Number(
        (
          await a.db.query<{ n: number }>(
            "SELECT count(*)::int AS n FROM escalation_jobs WHERE state = 'done' AND rule <> ALL($1::text[])",
            [PAGING_NOBODY_RULES],
          )
        ).rows[0]!.n,
      );
    await eventually(
      async () => ((await paging()) >= titles.length * 2 ? true : undefined),
      "every page's timer done",
      20_000,
    );
    await sleep(1500);
    for (const t of titles) {
      const to = (user: string) =>
        fake
          .callsTo('chat.postMessage')
          .filter(
            (c) =>
              (c.args.channel === user && json(c).includes(`${t}"`)) ||
              (c.args.channel === user && json(c).includes(`${t}\\n`)),
          );
      expect(to('U0ONCALL'), t).toHaveLength(1);
      expect(to('U0SENIOR'), t).toHaveLength(1);
    }
    expect(await paging()).toBe(titles.length * 2);
  }, 30_000);
});
