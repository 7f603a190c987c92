import { readdirSync, readFileSync } from 'node:fs';
import { getPriority, setPriority } from 'node:os';
import type { Worker } from 'node:worker_threads';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it, type TestContext } from 'vitest';
import { createPostgresDatabase } from '../../src/store/db.js';
import { BLOCK, VIEW } from '../../src/templates/ids.js';
import { encodeModalMetadata } from '../../src/templates/payloads.js';
import { TEST_DATABASE_URL } from '../store/databases.js';
import { waitUntil } from '../support/alert-runbook.js';
import { type BotHarness, SIGNING_SECRET, startBot } from '../support/bot-harness.js';
import { declareThroughBot } from '../support/incident-flow.js';
import {
  encodeInteraction,
  encodeSlashCommand,
  makeSlashCommand,
  makeViewSubmission,
  TEST_REPORTER_ID,
} from '../support/slack-request.js';
import { statusFormValues } from '../support/status-form.js';
import { createTestSchema } from '../support/test-db.js';

/**
 * A sender in a process of its own (as Slack or Alertmanager is): once started it says `ready`, then posts `body` to
 * `url` 300 ms later, with `headers` and, when `secret` is given, Slack's v0 signature; it prints when it sent it and
 * when the answer came (epoch ms), the status and the answer. The bot's thread is kept busy meanwhile, so the test's
 * own thread could not time it.
 */
const SENDER = `
const { createHmac } = require('node:crypto');
const [url, headersJson, body, secret] = process.argv.slice(1);
console.log('ready');
setTimeout(async () => {
  const headers = JSON.parse(headersJson);
  if (secret) {
    const ts = String(Math.floor(Date.now() / 1000));
    headers['x-slack-request-timestamp'] = ts;
    headers['x-slack-signature'] = 'v0=' + createHmac('sha256', secret).update('v0:' + ts + ':' + body).digest('hex');
  }
  const sentAt = Date.now();
  const res = await fetch(url, { method: 'POST', body, headers });
  const answer = await res.text();
  console.log(JSON.stringify({ sentAt, answeredAt: Date.now(), status: res.status, body: answer }));
}, 300);
`;

/** Holds this thread (the bot's) for `ms`, as a burst of work behind earlier requests does. */
function busy(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    /* the bot's thread is busy */
  }
}

interface Sent {
  sentAt: number;
  answeredAt: number;
  status: number;
  body: string;
  /** When this thread was free again. */
  busyUntil: number;
}

/**
 * Posts `body` from another process while this thread is busy for 4 s. The front's thread has at least 1.5 s to
 * answer: on a saturated 2-core machine (CI, four test files at once) 2.2 s was once not enough for it to be scheduled.
 */
async function sendWhileBusy(url: string, headers: Record<string, string>, body: string, secret = ''): Promise<Sent> {
  const sender = execa('node', ['-e', SENDER, url, JSON.stringify(headers), body, secret]);
  await new Promise<void>((resolve) => sender.stdout!.once('data', () => resolve()));
  // The sender sends 300 ms after it said ready: in the middle of this.
  busy(4000);
  const busyUntil = Date.now();
  const { stdout } = await sender;
  return { ...(JSON.parse(stdout.split('\n').at(-1)!) as Omit<Sent, 'busyUntil'>), busyUntil };
}

/** Sends `/incident list`, signed, from another process while this thread is busy. */
function ackWhileBusy(bot: BotHarness): Promise<Sent> {
  const body = encodeSlashCommand(makeSlashCommand({ text: 'list', response_url: bot.fake.responseUrl('busy') }));
  const form = { 'content-type': 'application/x-www-form-urlencoded' };
  return sendWhileBusy(`${bot.baseUrl}/slack/events`, form, body, SIGNING_SECRET);
}

describe.each([
  ['on', true],
  ['off', false],
] as const)('ACK_THREAD=%s', (setting, fronted) => {
  let bot: BotHarness;
  beforeAll(async () => {
    bot = await startBot({ timers: false, alertLoop: false, env: { ACK_THREAD: setting } });
  });
  afterAll(async () => {
    await bot?.stop();
  });

  it(
    fronted
      ? 'a slash command is acknowledged at once while the bot’s thread is busy, then acted on'
      : 'a slash command waits for the bot’s thread to be free before it is acknowledged',
    async () => {
      const sent = await ackWhileBusy(bot);
      expect(sent.status).toBe(200);
      expect(sent.sentAt).toBeLessThan(sent.busyUntil - 1500);
      // Answered while the bot's thread was still busy, or only once it was free.
      if (fronted) expect(sent.answeredAt).toBeLessThan(sent.busyUntil);
      else expect(sent.answeredAt).toBeGreaterThanOrEqual(sent.busyUntil - 20);
      // Either way the bot then answers the command through its response_url.
      const reply = await bot.fake.waitFor('response_url', (c) => c.key === 'busy');
      expect(String(reply.args.text)).toMatch(/No open incidents|open/i);
    },
  );
});

describe('forms the front answers (ACK_THREAD=on)', () => {
  let bot: BotHarness;
  beforeAll(async () => {
    bot = await startBot({
      timers: false,
      alertLoop: false,
      lightLimits: { maxActive: 1, maxWaiting: 1 },
      env: { ACK_THREAD: 'on' },
    });
  });
  afterAll(async () => {
    await bot?.stop();
  });

  const submit = (incident: { id: number; channelId: string }, status: string, user = TEST_REPORTER_ID) =>
    bot.submit({
      callbackId: VIEW.statusUpdate,
      userId: user,
      privateMetadata: encodeModalMetadata({ incidentId: incident.id, channelId: incident.channelId }),
      values: statusFormValues({ affected: 'EU', impact: '500s', currentStatus: status }),
    });

  it('a bad form gets its errors inline at once; a good one is recorded; one refused as busy is told privately', async () => {
    const opened = await declareThroughBot(bot, 'sev2 front forms');
    const incident = { id: opened.incidentId, channelId: opened.channelId };
    const bad = await bot.submit({
      callbackId: VIEW.statusUpdate,
      privateMetadata: encodeModalMetadata({ incidentId: incident.id, channelId: incident.channelId }),
      values: statusFormValues({ affected: '', impact: '', currentStatus: '' }),
    });
    expect(bad.status).toBe(200);
    expect(bad.json?.response_action).toBe('errors');
    // Slack's posts are slow: the first update holds the one place, the second waits, the third is refused.
    bot.fake.failNext('chat.postMessage', { delayMs: 1500 }, 3);
    const answers = [await submit(incident, 'one'), await submit(incident, 'two'), await submit(incident, 'three')];
    expect(answers.map((a) => [a.status, a.text])).toEqual([
      [200, ''],
      [200, ''],
      [200, ''],
    ]);
    const told = await bot.fake.waitFor(
      'chat.postEphemeral',
      (c) => c.args.user === TEST_REPORTER_ID && /overloaded right now; nothing was posted/.test(String(c.args.text)),
    );
    expect(told.args.channel).toBe(incident.channelId);
    await waitUntil(
      'two updates recorded',
      async () =>
        Number(
          (
            await bot.db.query<{ n: string }>(
              "SELECT count(*) AS n FROM incident_events WHERE incident_id = $1 AND kind = 'status_update'",
              [incident.id],
            )
          ).rows[0]!.n,
        ) === 2 || undefined,
      10_000,
    );
  });

  it("the first update written by two people at once: the second, refused for fields the first filled meanwhile, is taken with the first's values (the bot reads the incident)", async () => {
    const opened = await declareThroughBot(bot, 'sev2 two first updates', 'U0FIRSTUPD');
    const formOf = async (user: string) => {
      const before = bot.fake.callsTo('views.open').length;
      await bot.command('update', { channel_id: opened.channelId, user_id: user });
      const view = (await bot.fake.waitForCount('views.open', before + 1)).at(-1)!.args.view as {
        private_metadata: string;
      };
      return view.private_metadata;
    };
    const [first, second] = [await formOf('U0WRITERA'), await formOf('U0WRITERB')];
    const secondNext = Math.floor(Date.now() / 1000) + 7200;
    const writeSecond = () =>
      bot.submit({
        callbackId: VIEW.statusUpdate,
        privateMetadata: second,
        userId: 'U0WRITERB',
        // A next update of their own (left as shown, it would keep the first's too).
        values: statusFormValues({ currentStatus: 'failing over to the replica', next: secondNext }),
      });
    // Nobody has filled them yet: refused inline, as before.
    const alone = await writeSecond();
    expect(alone.json?.response_action).toBe('errors');
    expect(Object.keys(alone.json?.errors as object).sort()).toEqual([BLOCK.updAffected, BLOCK.updImpact].sort());
    await bot.submit({
      callbackId: VIEW.statusUpdate,
      privateMetadata: first,
      userId: 'U0WRITERA',
      values: statusFormValues({ affected: 'EU tenants', impact: 'checkout 500s', currentStatus: 'looking' }),
    });
    await waitUntil('the first update', async () => (await row())?.affected === 'EU tenants' || undefined, 10_000);
    // The same form again, the first update in: taken, with the first's Affected and Current impact, and said so.
    const taken = await writeSecond();
    expect([taken.status, taken.text]).toEqual([200, '']);
    const told = await bot.fake.waitForTold('U0WRITERB');
    expect(told.text).toMatch(/Affected, Current impact keep its values, which you left as your form showed them/);
    await waitUntil(
      'the second update',
      async () => (await row())?.current_status === 'failing over to the replica' || undefined,
      10_000,
    );
    expect(await row()).toMatchObject({ affected: 'EU tenants', current_impact: 'checkout 500s' });

    async function row() {
      return (
        await bot.db.query<{ affected: string; current_impact: string; current_status: string }>(
          'SELECT affected, current_impact, current_status FROM incidents WHERE id = $1',
          [opened.incidentId],
        )
      ).rows[0];
    }
  });

  it('a status update saying Resolved is answered at once while the bot’s thread is busy (the front reads its incident open), then recorded; on the incident resolved, the bot refuses it inline', async () => {
    const opened = await declareThroughBot(bot, 'sev2 front resolves');
    const resolving = {
      userId: TEST_REPORTER_ID,
      callbackId: VIEW.statusUpdate,
      privateMetadata: encodeModalMetadata({ incidentId: opened.incidentId, channelId: opened.channelId }),
      values: statusFormValues({ status: 'resolved', affected: 'EU', impact: 'none now', currentStatus: 'pool fixed' }),
    };
    const form = { 'content-type': 'application/x-www-form-urlencoded' };
    const body = encodeInteraction(makeViewSubmission(resolving));
    const sent = await sendWhileBusy(`${bot.baseUrl}/slack/events`, form, body, SIGNING_SECRET);
    expect([sent.status, sent.body]).toEqual([200, '']);
    expect(sent.sentAt).toBeLessThan(sent.busyUntil - 1500);
    expect(sent.answeredAt).toBeLessThan(sent.busyUntil);
    const status = async () =>
      (await bot.db.query<{ status: string }>('SELECT status FROM incidents WHERE id = $1', [opened.incidentId]))
        .rows[0]?.status;
    await waitUntil('the resolution', async () => (await status()) === 'resolved' || undefined, 10_000);
    // The same form again: the front reads the incident resolved and leaves the answer to the bot, inline.
    const again = await bot.submit(resolving);
    expect(again.json).toMatchObject({ response_action: 'errors' });
    expect(JSON.stringify(again.json)).toMatch(/already resolved/);
  });
});

describe('WORK_NICE', () => {
  /** Each thread of this process and its nice value, from /proc. */
  const niceByThread = () =>
    new Map(
      readdirSync('/proc/self/task').map((tid) => {
        // The fields after the command name, which is in parentheses: nice is field 19, the 17th after it.
        const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
        return [Number(tid), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16])];
      }),
    );

  /**
   * Makes room below the process's priority: tests run under `nice -n 19` leave none, and the bot's thread lowered
   * there is where it was. The process's priority is made 16 for the test (that needs the privilege a front started
   * again needs too; without it there is nothing to see, and the test is skipped). Gives the priority and a restore.
   */
  function roomBelow(ctx: TestContext): { before: number; restore: () => void } {
    const original = getPriority(0);
    const before = Math.min(original, 16);
    try {
      setPriority(0, before);
    } catch {
      ctx.skip('cannot make room below the process’s priority');
    }
    return {
      before,
      restore: () => {
        try {
          setPriority(0, original);
        } catch {}
      },
    };
  }

  it('lowers the CPU priority of the bot’s own thread, not the front’s', async (ctx) => {
    const { before, restore } = roomBelow(ctx);
    const threadsBefore = new Set(niceByThread().keys());
    const bot = await startBot({ timers: false, alertLoop: false, env: { ACK_THREAD: 'on', WORK_NICE: '3' } });
    try {
      const after = niceByThread();
      expect(after.get(process.pid)).toBe(before + 3);
      // The front's thread (one started with the bot) kept the process's priority.
      const started = [...after].filter(([tid]) => !threadsBefore.has(tid));
      expect(started.some(([, nice]) => nice === before)).toBe(true);
      // And it still answers.
      expect((await bot.command('list')).status).toBe(200);
    } finally {
      await bot.stop();
      // Back to where it was for the rest of this file.
      restore();
    }
  });

  it('a receiver stopped and started again lowers the bot’s thread by WORK_NICE once, not twice; its new front runs at the process’s priority', async (ctx) => {
    const { before, restore } = roomBelow(ctx);
    const bot = await startBot({ timers: false, alertLoop: false, env: { ACK_THREAD: 'on', WORK_NICE: '1' } });
    try {
      expect(niceByThread().get(process.pid)).toBe(before + 1);
      await bot.app.stop();
      const threadsBefore = new Set(niceByThread().keys());
      await bot.app.start(0);
      const after = niceByThread();
      expect(after.get(process.pid)).toBe(before + 1);
      const started = [...after].filter(([tid]) => !threadsBefore.has(tid));
      expect(started.some(([, nice]) => nice === before)).toBe(true);
    } finally {
      await bot.stop();
      restore();
    }
  });

  it('a front started again (after the first stopped) runs at the process’s priority, not at the bot’s lowered one', async (ctx) => {
    const { before, restore } = roomBelow(ctx);
    const bot = await startBot({ timers: false, alertLoop: false, env: { ACK_THREAD: 'on', WORK_NICE: '3' } });
    try {
      // The front stops by itself (as a thread out of memory does): the bot's thread starts another.
      const receiver = (bot.app as unknown as { receiver: { front: Worker | null } }).receiver;
      const first = receiver.front!;
      const threadsBefore = new Set(niceByThread().keys());
      await first.terminate();
      const restarted = () => [...niceByThread()].filter(([tid]) => !threadsBefore.has(tid));
      await waitUntil(
        'a front started again at the process’s priority',
        async () => receiver.front !== first && restarted().some(([, nice]) => nice === before),
        10_000,
        () => `new threads and their nice: ${JSON.stringify(restarted())}, the process's ${before}`,
      );
      // The bot's own work stays behind it, and the new front answers.
      expect(niceByThread().get(process.pid)).toBe(before + 3);
      await waitUntil(
        'the new front answering',
        async () => (await bot.command('list').catch(() => null))?.status === 200,
      );
    } finally {
      await bot.stop();
      restore();
    }
  });
});

describe('alerts the front takes (ACK_THREAD=on)', () => {
  const TOKEN = 'front-alerts-token-0123456789';
  let bot: BotHarness;
  beforeAll(async () => {
    bot = await startBot({ timers: false, env: { ACK_THREAD: 'on', ALERTS_TOKEN: TOKEN } });
  });
  afterAll(async () => {
    await bot?.stop();
  });

  it('a delivery is written to the inbox and answered 202 while the bot’s thread is busy, then acted on', async () => {
    const body = JSON.stringify({
      source: 'front-check',
      key: 'disk-full',
      status: 'firing',
      level: 'warning',
      summary: 'Disk 91% full on worker-3',
    });
    const sent = await sendWhileBusy(
      `${bot.baseUrl}/hooks/alerts`,
      { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
      body,
    );
    expect(sent.sentAt).toBeLessThan(sent.busyUntil - 1500);
    expect(sent.status).toBe(202);
    expect(sent.answeredAt).toBeLessThan(sent.busyUntil);
    expect(JSON.parse(sent.body)).toMatchObject({ status: 'accepted', alerts: 1 });
    // The bot's alert loop then records it.
    await waitUntil('the alert recorded', async () => {
      const { rows } = await bot.db.query<{ n: string }>(
        "SELECT count(*) AS n FROM alerts WHERE source = 'front-check'",
      );
      return Number(rows[0]!.n) === 1 || undefined;
    });
    // The same body again is a resend.
    const again = await fetch(`${bot.baseUrl}/hooks/alerts`, {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
    });
    expect(again.status).toBe(202);
    expect(await again.json()).toMatchObject({ status: 'duplicate' });
  });
});

describe("the front's alert pool on a Postgres server", () => {
  it('opens all its connections at start and keeps them: a storm’s first alerts do not wait for new ones', async () => {
    const schema = await createTestSchema('frontpool');
    const name = `front-pool-${process.pid}`;
    const url = new URL(schema.url);
    url.searchParams.set('application_name', name);
    const admin = createPostgresDatabase(TEST_DATABASE_URL);
    const bot = await startBot({
      timers: false,
      alertLoop: false,
      databaseUrl: url.toString(),
      env: { ACK_THREAD: 'on', ALERTS_TOKEN: 'front-pool-token-0123456789' },
    });
    try {
      const open = async () =>
        Number(
          (
            await admin.query<{ n: string }>('SELECT count(*) AS n FROM pg_stat_activity WHERE application_name = $1', [
              name,
            ])
          ).rows[0]!.n,
        );
      // The front's ten, beside the bot's own pool (five at most): four of the front's were kept before.
      await waitUntil('the front’s connections open', async () => ((await open()) >= 10 ? true : undefined));
      expect(await open()).toBeLessThanOrEqual(10 + 5);
    } finally {
      await bot.stop();
      await admin.close();
      await schema.drop();
    }
  });
});

describe("the front's alert statements on a Postgres server", () => {
  it('writes a delivery on each kept connection at start, rolled back: nothing is kept, and a first alert is taken as ever', async () => {
    const schema = await createTestSchema('frontwarm');
    const db = createPostgresDatabase(schema.url);
    const TOKEN = 'front-warm-token-0123456789';
    const bot = await startBot({
      timers: false,
      alertLoop: false,
      databaseUrl: schema.url,
      env: { ACK_THREAD: 'on', ALERTS_TOKEN: TOKEN },
    });
    try {
      // Each of the front's ten connections took an id for its sample delivery (ids are not given back).
      const taken = async () =>
        Number((await db.query<{ n: string }>('SELECT last_value AS n FROM alert_deliveries_id_seq')).rows[0]!.n);
      await waitUntil('the front’s statements written once on each connection', async () =>
        (await taken()) >= 10 ? true : undefined,
      );
      const count = async (table: string) =>
        Number((await db.query<{ n: string }>(`SELECT count(*) AS n FROM ${table}`)).rows[0]!.n);
      expect(await count('alert_deliveries')).toBe(0);
      expect(await count('alert_delivery_hashes')).toBe(0);

      const res = await fetch(`${bot.baseUrl}/hooks/alerts`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
        body: JSON.stringify({ source: 'cron', key: 'disk', status: 'firing', level: 'warning', summary: 'disk 91%' }),
      });
      expect(res.status).toBe(202);
      const { delivery } = (await res.json()) as { delivery: number };
      const { rows } = await db.query<{ id: string; source: string }>('SELECT id, source FROM alert_deliveries');
      expect(rows).toEqual([{ id: String(delivery), source: 'cron' }]);
    } finally {
      await bot.stop();
      await db.close();
      await schema.drop();
    }
  });
});
