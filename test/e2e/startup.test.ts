import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningBot, start } from '../../src/start.js';
import { type BotHarness, SIGNING_SECRET, startBot } from '../support/bot-harness.js';
import { postToSlackApp } from '../support/slack-request.js';
import { createTestSchema } from '../support/test-db.js';

const run = promisify(execFile);
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
      dir = await mkdtemp(join(tmpdir(), 'bot-setup-'));
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
      expect(await health.json()).toMatchObject({ status: 'ok', mode: 'setup', database: { kind: 'pglite' } });
      expect((await fetch(`${base}/slack/events`, { method: 'POST' })).status).toBe(503);
    });
  });

  describe('HTTP mode through start()', () => {
    let bot: RunningBot;
    let drop: () => Promise<void>;
    beforeAll(async () => {
      const s = await createTestSchema('e2e');
      drop = s.drop;
      bot = await start(
        {
          PORT: '0',
          DATABASE_URL: s.url,
          SLACK_BOT_TOKEN: 'xoxb-x',
          SLACK_SIGNING_SECRET: SIGNING_SECRET,
          SLACK_API_URL: 'http://127.0.0.1:1/api/',
          LOG_LEVEL: 'error',
        },
        () => {},
      );
    });
    afterAll(async () => {
      await bot?.stop();
      await drop?.();
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
