import { type ChildProcess, execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { createPostgresDatabase, type Database } from '../../src/store/db.js';
import { appCommand } from '../support/app-entry.js';
import { SIGNING_SECRET } from '../support/bot-harness.js';
import { killAll, killAtDirectMessage, startBotProcess } from '../support/bot-process.js';
import { FakePagerDuty } from '../support/fake-pagerduty.js';
import { FakeSmtp } from '../support/fake-smtp.js';
import { eventually } from '../support/incident-flow.js';
import { createMigratedTestSchema } from '../support/schema-pool.js';
import { postSlashCommand } from '../support/slack-request.js';
import { testRunbookData } from '../support/test-runbook.js';
import { useFakeSlack } from '../support/use-fake-slack.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** The notification step a direct message names in its metadata (the page's own DM names none). */
const stepOf = (args: Record<string, unknown>) =>
  (args.metadata as { event_payload?: { step?: number } } | undefined)?.event_payload?.step;
const KEY = '0123456789abcdef0123456789abcdef';

describe('notification steps survive a kill -9', () => {
  const fake = useFakeSlack();
  let smtp: FakeSmtp;
  let pd: FakePagerDuty;
  let db: Database;
  let dir: string;
  let drop: () => Promise<void>;
  let env: Record<string, string>;
  const procs: ChildProcess[] = [];

  beforeAll(async () => {
    fake.addChannel('general', { id: 'C0GENERAL', botIsMember: true });
    smtp = await FakeSmtp.start();
    pd = await FakePagerDuty.start();
    dir = await mkdtemp(join(tmpdir(), 'bot-notify-'));
    const data = testRunbookData();
    await writeFile(
      join(dir, 'runbook.yml'),
      stringify({
        ...data,
        people: {
          U0ONCALL: { name: 'Olive', email: 'olive@example.com', pagerduty: { routing_key: KEY } },
          // Paged (SEV-0) in Slack three times: the page's DM, then two Slack steps of the same page.
          U0CTO: {
            name: 'Carol',
            notify: [{ via: 'slack' }, { via: 'slack', after: '1s' }, { via: 'slack', after: '4s' }],
          },
        },
        escalation: {
          ...data.escalation,
          roles: {
            ...data.escalation.roles,
            on_call: {
              ...data.escalation.roles.on_call,
              notify: [{ via: 'slack' }, { via: 'email', after: '2s' }, { via: 'pagerduty', after: '6s' }],
            },
          },
        },
      }),
    );
    const s = await createMigratedTestSchema();
    drop = s.drop;
    db = createPostgresDatabase(s.url);
    env = {
      SLACK_BOT_TOKEN: 'xoxb-durable',
      SLACK_SIGNING_SECRET: SIGNING_SECRET,
      SLACK_API_URL: fake.url,
      DATABASE_URL: s.url,
      RUNBOOK_FILE: join(dir, 'runbook.yml'),
      SMTP_URL: smtp.url,
      EMAIL_FROM: 'incidents@example.com',
      PAGERDUTY_EVENTS_URL: pd.eventsUrl,
      PORT: '0',
      LOG_LEVEL: 'error',
    };
  });
  // Each test's processes are killed when it ends: the next test's work is taken over by the process it starts for
  // that, not by one an earlier test left running on the same database (whose timer loop would send the step itself).
  afterEach(() => killAll(procs));
  afterAll(async () => {
    for (const p of procs) p.kill('SIGKILL');
    await smtp?.close();
    await pd?.close();
    await db?.close();
    await drop?.();
    await rm(dir, { recursive: true, force: true });
  });

  it('killed between the email and the PagerDuty step: after a restart, PagerDuty is triggered once and nothing is sent twice', async () => {
    const first = await startBotProcess(env);
    procs.push(first.proc);
    const declaredAt = Date.now();
    await postSlashCommand(`http://127.0.0.1:${first.port}`, SIGNING_SECRET, {
      text: 'sev2 phones survive restarts',
      response_url: fake.responseUrl('ndur'),
    });
    await fake.waitFor('chat.postMessage', (c) => c.args.channel === 'U0ONCALL', 10_000);
    // Due 2 s after the page; a loaded CI machine was once seen not to have sent it 10 s after the DM.
    await smtp.waitFor((m) => m.to.includes('olive@example.com'), 25_000);
    // Between the two steps: the email recorded as sent (a kill during its send may send it again, as documented).
    for (const until = Date.now() + 10_000; Date.now() < until; await sleep(50)) {
      const { rows } = await db.query<{ state: string }>("SELECT state FROM notification_jobs WHERE via = 'email'");
      if (rows[0]?.state === 'done') break;
    }
    first.proc.kill('SIGKILL');
    await new Promise((r) => first.proc.once('exit', r));
    expect(pd.events).toHaveLength(0);

    // Down until the PagerDuty step is overdue.
    await sleep(Math.max(0, declaredAt + 7000 - Date.now()));
    expect(pd.events).toHaveLength(0);
    const second = await startBotProcess(env);
    procs.push(second.proc);
    const trigger = await pd.waitFor((e) => e.event_action === 'trigger', 15_000);
    expect(trigger.routing_key).toBe(KEY);
    await sleep(2000);
    expect(pd.taken('trigger')).toHaveLength(1);
    expect(smtp.messages).toHaveLength(1);
    expect(fake.callsTo('chat.postMessage').filter((c) => c.args.channel === 'U0ONCALL')).toHaveLength(1);
    const { rows } = await db.query<{ via: string; state: string; attempts: number }>(
      'SELECT via, state, attempts FROM notification_jobs ORDER BY id',
    );
    expect(rows.map((r) => [r.via, r.state, Number(r.attempts)])).toEqual([
      ['email', 'done', 1],
      ['pagerduty', 'done', 1],
    ]);
    const { rows: deliveries } = await db.query<{ via: string; outcome: string }>(
      'SELECT via, outcome FROM notification_deliveries ORDER BY id',
    );
    expect(deliveries).toEqual([
      { via: 'slack', outcome: 'sent' },
      { via: 'email', outcome: 'sent' },
      { via: 'pagerduty', outcome: 'sent' },
    ]);
  }, 60_000);

  it("killed after a Slack step's DM reached Slack, before the step was finished: the process taking it over finds it there and does not send it again", async () => {
    const title = 'killed mid slack step';
    const ctoDms = () =>
      fake
        .callsTo('chat.postMessage')
        .filter((c) => c.args.channel === 'U0CTO' && JSON.stringify(c.args).includes(title));
    const first = await startBotProcess(env);
    procs.push(first.proc);
    // Killed the moment Slack has the first Slack step's DM. It names its step; the page's own DM names none, and on a
    // loaded machine it may reach Slack after the step 1 s later, so the kill waits for the step's, not for "the second".
    const exited = killAtDirectMessage(fake, first.proc, {
      user: 'U0CTO',
      mentioning: title,
      where: (a) => stepOf(a) !== undefined,
    });
    await postSlashCommand(`http://127.0.0.1:${first.port}`, SIGNING_SECRET, {
      text: `sev0 ${title}`,
      response_url: fake.responseUrl('ndur-slack'),
    });
    await exited;
    expect(ctoDms().filter((c) => stepOf(c.args) !== undefined)).toHaveLength(1);
    const { rows: incident } = await db.query<{ id: number }>('SELECT id FROM incidents WHERE title = $1', [title]);
    const incidentId = incident[0]!.id;
    const steps = async () =>
      (
        await db.query<{ state: string; attempts: number }>(
          `SELECT state, attempts FROM notification_jobs WHERE incident_id = $1 AND user_id = 'U0CTO' ORDER BY due_at`,
          [incidentId],
        )
      ).rows.map((r) => [r.state, Number(r.attempts)]);
    expect((await steps())[0]).toEqual(['pending', 1]);
    // Its lease run out (rather than waited for): any process takes the step again. So is the page's own, for when the
    // kill came before the page's DM.
    await db.query(
      `UPDATE notification_jobs SET locked_until = now() WHERE incident_id = $1 AND locked_until > now()`,
      [incidentId],
    );
    await db.query(`UPDATE escalation_jobs SET locked_until = now() WHERE incident_id = $1 AND locked_until > now()`, [
      incidentId,
    ]);
    const second = await startBotProcess(env);
    procs.push(second.proc);
    // Waited for, however long a loaded machine takes (not for a fixed time that then checks whatever it finds).
    await eventually(
      async () => ((await steps()).every(([state]) => state === 'done') ? true : undefined),
      "the CTO's Slack steps to be done",
      60_000,
    );
    // The retried step found its DM (recorded as sent, not sent again); the next step went once, on its first try.
    expect(await steps()).toEqual([
      ['done', 2],
      ['done', 1],
    ]);
    // The page's own DM (which names no step) went once, before the kill or from the process taking its job over.
    await eventually(
      async () => (ctoDms().some((c) => stepOf(c.args) === undefined) ? true : undefined),
      "the page's DM to the CTO",
      30_000,
    );
    await sleep(1000);
    // Each Slack step's DM names its step, and each step went once.
    const named = ctoDms().map((c) => stepOf(c.args));
    expect(named.filter((n) => n === undefined)).toHaveLength(1);
    expect(named.filter((n) => n !== undefined)).toHaveLength(2);
    expect(new Set(named).size).toBe(3);
    // Two processes start (each allowed startBotProcess's 60 s on a loaded machine), then the steps' wait.
  }, 200_000);
});

const run = promisify(execFile);

describe('start-up with contact methods', () => {
  it('a bad PagerDuty routing key or email under people: is named, without the key, and the process exits 1', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'bot-rb-'));
    const file = join(dir, 'runbook.yml');
    const atom = await readFile('runbooks/atom.yml', 'utf8');
    await writeFile(
      file,
      `${atom}\npeople:\n  U0OLIVE:\n    name: Olive\n    email: olive-at-example\n    pagerduty: { routing_key: shh-not-a-routing-key }\n`,
    );
    let r: { code: number; stderr: string };
    try {
      const [node, ...args] = appCommand();
      const ok = await run(node, args, {
        env: { PATH: process.env.PATH ?? '', RUNBOOK_FILE: file },
        timeout: 20_000,
      });
      r = { code: 0, stderr: ok.stderr };
    } catch (err) {
      r = err as { code: number; stderr: string };
    }
    await rm(dir, { recursive: true, force: true });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`The runbook file ${file} is not valid`);
    expect(r.stderr).toMatch(/people\.U0OLIVE\.email \(line \d+\): must be an email address/);
    expect(r.stderr).toMatch(
      /people\.U0OLIVE\.pagerduty\.routing_key \(line \d+\): must be a PagerDuty integration key: 32 letters/,
    );
    expect(r.stderr).not.toContain('shh-not-a-routing-key');
    expect(r.stderr).not.toMatch(/\n\s+at /);
  }, 30_000);
});
