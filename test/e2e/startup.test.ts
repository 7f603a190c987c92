import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningBot, start } from '../../src/start.js';
import { type BotHarness, SIGNING_SECRET, startBot } from '../support/bot-harness.js';
import { tempDataDir } from '../support/embedded-db.js';
import { FakeSlack } from '../support/fake-slack.js';
import { postToSlackApp } from '../support/slack-request.js';
import { createTestSchema } from '../support/test-db.js';

const run = promisify(execFile);

/** A migrated-on-start database for a process that gets as far as Slack: a fresh schema, dropped after the file. */
const schemas: (() => Promise<void>)[] = [];
async function testDatabaseUrl(): Promise<string> {
  const s = await createTestSchema('startup');
  schemas.push(s.drop);
  return s.url;
}
afterAll(async () => {
  for (const drop of schemas) await drop();
});
const TSX = join(process.cwd(), 'node_modules', '.bin', 'tsx');

/** Runs `npm start`'s entry point with only the given environment (plus PATH), as a person would. */
async function startProcess(env: Record<string, string>, timeoutMs = 20_000) {
  try {
    const r = await run(TSX, ['src/app.ts'], { env: { PATH: process.env.PATH ?? '', ...env }, timeout: timeoutMs });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('start-up', () => {
  it.each([
    [{ PORT: 'abc' }, /PORT/],
    [{ SLACK_BOT_TOKEN: 'xoxb-1' }, /SLACK_SIGNING_SECRET is required/],
    [{ SLACK_SIGNING_SECRET: 'shh-very-secret' }, /SLACK_BOT_TOKEN is required/],
    [{ SLACK_BOT_TOKEN: 'not-a-token', SLACK_SIGNING_SECRET: 's' }, /SLACK_BOT_TOKEN must be a bot token/],
    [{ DATABASE_URL: 'mysql://x' }, /DATABASE_URL must be a postgres/],
  ])('a bad variable %o is named and the process exits 1 without a stack trace', async (env, message) => {
    const r = await startProcess(env);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(r.stderr).not.toContain('shh-very-secret');
  });

  it('a bad runbook file is named, entry by entry, and the process exits 1', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'bot-rb-'));
    const file = join(dir, 'runbook.yml');
    const { readFile, writeFile } = await import('node:fs/promises');
    const atom = await readFile('runbooks/atom.yml', 'utf8');
    await writeFile(
      file,
      atom
        .replace('order: [on_call, senior_devops, engineering_manager, cto]', 'order: [on_call, vp]')
        .replace('after: 30m', 'after: soon')
        .replace(
          /on_call:\n {6}name: On-Call Engineer\n {6}contacts: \[\]/,
          'on_call:\n      name: On-Call Engineer\n      contacts: ["@alice"]',
        ),
    );
    const r = await startProcess({ RUNBOOK_FILE: file });
    await rm(dir, { recursive: true, force: true });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`The runbook file ${file} is not valid`);
    expect(r.stderr).toContain('escalation.order.1: unknown role "vp"');
    expect(r.stderr).toContain('escalation.rules.unresolved.after: "soon" is not a duration');
    expect(r.stderr).toContain('escalation.roles.on_call.contacts.0: must be a Slack user ID');
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('a Slack Web API that cannot be reached at start is reported and exits 1, without a stack trace', async () => {
    const r = await startProcess({
      SLACK_BOT_TOKEN: 'xoxb-1',
      SLACK_SIGNING_SECRET: 's',
      SLACK_API_URL: 'http://127.0.0.1:9/api/', // nothing listens on the discard port
      DATABASE_URL: await testDatabaseUrl(),
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("Could not reach Slack's Web API at http://127.0.0.1:9/api/ to check SLACK_BOT_TOKEN");
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('a bot token Slack refuses is reported and exits 1', async () => {
    const fake = await FakeSlack.start();
    fake.failNext('auth.test', { error: 'invalid_auth' });
    try {
      const r = await startProcess({
        SLACK_BOT_TOKEN: 'xoxb-1',
        SLACK_SIGNING_SECRET: 's',
        SLACK_API_URL: fake.url,
        DATABASE_URL: await testDatabaseUrl(),
      });
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('Slack refused SLACK_BOT_TOKEN (invalid_auth)');
      expect(r.stderr).not.toMatch(/\n\s+at /);
    } finally {
      await fake.close();
    }
  });

  it('an unreachable DATABASE_URL is reported and exits 1', async () => {
    const r = await startProcess({ DATABASE_URL: 'postgresql://postgres:hunter2@127.0.0.1:1/test' });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/Cannot open postgresql:\/\/postgres:\*\*\*@127\.0\.0\.1:1\/test/);
    expect(r.stderr).not.toContain('hunter2');
  });

  describe('with no Slack credentials (set-up mode)', () => {
    let bot: RunningBot;
    let dir: string;
    const lines: string[] = [];
    beforeAll(async () => {
      dir = (await tempDataDir('bot-setup-')).dir;
      bot = await start({ PORT: '0', DATA_DIR: dir }, (l) => lines.push(l));
    });
    afterAll(async () => {
      await bot?.stop();
      await rm(dir, { recursive: true, force: true });
    });

    it('explains what is needed, serves the manifest and health, on the embedded database', async () => {
      const out = lines.join('\n');
      for (const v of ['SLACK_BOT_TOKEN', 'SLACK_SIGNING_SECRET', 'SLACK_APP_TOKEN', 'manifest.yml'])
        expect(out).toContain(v);
      const base = `http://127.0.0.1:${bot.port}`;
      expect(await (await fetch(`${base}/`)).text()).toContain('From an app manifest');
      expect(await (await fetch(`${base}/manifest.yml`)).text()).toContain('command: /incident');
      expect((await fetch(`${base}/alive`)).status).toBe(200);
      const health = await fetch(`${base}/health`);
      expect(health.status).toBe(200);
      expect(await health.json()).toMatchObject({
        status: 'ok',
        mode: 'setup',
        database: { kind: 'embedded', status: 'ok', server: { status: 'up' } },
      });
      expect((await fetch(`${base}/slack/events`, { method: 'POST' })).status).toBe(503);
    });
  });

  describe('HTTP mode through start()', () => {
    let bot: RunningBot;
    let fake: FakeSlack;
    let drop: () => Promise<void>;
    beforeAll(async () => {
      const s = await createTestSchema('e2e');
      drop = s.drop;
      fake = await FakeSlack.start();
      bot = await start(
        {
          PORT: '0',
          DATABASE_URL: s.url,
          SLACK_BOT_TOKEN: 'xoxb-x',
          SLACK_SIGNING_SECRET: SIGNING_SECRET,
          SLACK_API_URL: fake.url,
          LOG_LEVEL: 'error',
        },
        () => {},
      );
    });
    afterAll(async () => {
      await bot?.stop();
      await fake?.close();
      await drop?.();
    });

    it('checks the bot token once at start (auth.test), so Bolt does not ask again in the background', () => {
      expect(fake.calls.filter((c) => c.method === 'auth.test')).toHaveLength(1);
    });

    it('serves /alive, /health with Postgres, and answers Slack URL verification', async () => {
      const base = `http://127.0.0.1:${bot.port}`;
      expect((await fetch(`${base}/alive`)).status).toBe(200);
      const health = await fetch(`${base}/health`);
      expect(await health.json()).toMatchObject({
        status: 'ok',
        mode: 'http',
        database: { kind: 'postgres', status: 'ok' },
      });
      const body = JSON.stringify({ type: 'url_verification', token: 't', challenge: 'c-123' });
      const res = await postToSlackApp(base, SIGNING_SECRET, body, 'application/json');
      expect(res.status).toBe(200);
      expect(res.text).toContain('c-123');
    });
  });
});

describe('@mentions', () => {
  let bot: BotHarness;
  beforeAll(async () => {
    bot = await startBot({ timers: false });
  });
  afterAll(async () => bot?.stop());

  it('answers an app_mention with the usage, in the thread', async () => {
    const body = JSON.stringify({
      token: 't',
      team_id: 'T0TEST',
      api_app_id: 'A0TESTAPP',
      type: 'event_callback',
      event_id: 'Ev0001',
      event_time: Math.floor(Date.now() / 1000),
      event: {
        type: 'app_mention',
        user: 'U0REPORTER',
        text: '<@UBOT> help',
        ts: '1700000000.000100',
        channel: 'C0GENERAL',
        event_ts: '1700000000.000100',
      },
      authorizations: [{ team_id: 'T0TEST', user_id: 'UBOT', is_bot: true }],
    });
    const res = await postToSlackApp(bot.baseUrl, SIGNING_SECRET, body, 'application/json');
    expect(res.status).toBe(200);
    const reply = await bot.fake.waitFor('chat.postMessage', (c) => c.args.thread_ts === '1700000000.000100');
    expect(reply.args.text).toContain('/incident sev1 db down');
  });
});

describe('npm start: the built bot (dist/app.js)', () => {
  let dir: string;
  beforeAll(async () => {
    await run('npm', ['run', 'build', '--silent'], { timeout: 90_000 });
    dir = (await tempDataDir('bot-dist-')).dir;
  });
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('starts with plain node, applies the copied migrations and serves set-up mode', async () => {
    const { spawn } = await import('node:child_process');
    const child = spawn(process.execPath, ['dist/app.js'], {
      env: { PATH: process.env.PATH ?? '', PORT: '0', DATA_DIR: dir },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      let out = '';
      const port = await new Promise<number>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no set-up line; output: ${out}`)), 30_000);
        const read = (chunk: Buffer) => {
          out += chunk.toString();
          const m = /http:\/\/localhost:(\d+)\//.exec(out);
          if (m) {
            clearTimeout(timer);
            resolve(Number(m[1]));
          }
        };
        child.stdout.on('data', read);
        child.stderr.on('data', read);
        child.on('exit', (code) => reject(new Error(`exited ${code}: ${out}`)));
      });
      expect(out).toContain('Set-up mode');
      const health = await fetch(`http://127.0.0.1:${port}/health`);
      expect(health.status).toBe(200);
      expect(await health.json()).toMatchObject({ status: 'ok', database: { kind: 'embedded', status: 'ok' } });
      const manifest = await fetch(`http://127.0.0.1:${port}/manifest.yml`);
      expect(await manifest.text()).toContain('/incident');
    } finally {
      // Its embedded server writes a last checkpoint as it stops: wait, before the directory is removed.
      const exited = new Promise((r) => child.once('exit', r));
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        await exited;
      }
    }
  }, 60_000);
});
