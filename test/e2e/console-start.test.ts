/**
 * How the console starts and stops: on the embedded database, in set-up mode, with an earlier database's channels,
 * with Slack credentials set, and when it cannot (test/support/console-scene.ts).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { READY, STACK, useConsoleScene } from '../support/console-scene.js';
import { serverProcesses, tempDataDir } from '../support/embedded-db.js';
import { createTestSchema, TEST_DATABASE_URL } from '../support/test-db.js';

const { dir, start, dropSchemas, embeddedDirs } = useConsoleScene();

describe('the console on the embedded database (no DATABASE_URL)', () => {
  it('/quit and Ctrl-D stop its server; it starts again with the incident there; after kill -9 the server left running is taken over', async () => {
    const data = await tempDataDir('console-embedded-');
    embeddedDirs.push(data);
    const embedded = { DATABASE_URL: '', DATA_DIR: data.dir, NO_COLOR: '1' };
    const postmaster = async () =>
      Number((await readFile(join(data.dir, 'pg', 'postmaster.pid'), 'utf8')).split('\n')[0]);

    // A fresh data directory: the cluster is created, an incident declared, /quit stops the server with the bot.
    const c = start({ env: embedded });
    await c.waitFor(READY, { timeoutMs: 120_000 });
    let at = c.mark();
    c.type('/incident sev2 cache cold');
    await c.waitFor('Incident #1 (SEV-2) is open: #inc-1-cache-cold', { from: at });
    expect(await serverProcesses(data.dir)).toContain(await postmaster());
    at = c.mark();
    c.type('/quit');
    await c.waitFor('Stopped. The database is closed', { from: at, timeoutMs: 30_000 });
    expect(await c.exited).toBe(0);
    expect(await serverProcesses(data.dir)).toEqual([]);

    // Again: the incident is there. kill -9 of the console leaves its server running (a process group of its own).
    const d = start({ env: embedded });
    await d.waitFor(READY, { timeoutMs: 90_000 });
    expect(d.text).not.toContain('left running');
    at = d.mark();
    d.type('/incident list');
    await d.waitFor(/#1 cache cold/, { from: at });
    const left = await postmaster();
    d.kill9();
    expect(await d.exited).not.toBe(0);
    expect(await serverProcesses(data.dir)).toContain(left);

    // The next start takes the left server over: stops it, starts its own, and the incident is still there.
    const e = start({ env: embedded });
    await e.waitFor(READY, { timeoutMs: 90_000 });
    await e.waitFor(`Stopped the embedded PostgreSQL (pid ${left}) an earlier bot left running; starting it again.`, {
      timeoutMs: 10_000,
    });
    expect(await serverProcesses(data.dir)).not.toContain(left);
    at = e.mark();
    e.type('/incident list');
    await e.waitFor(/#1 cache cold/, { from: at });
    at = e.mark();
    e.keys('\x04');
    await e.waitFor('Stopped. The database is closed', { from: at, timeoutMs: 30_000 });
    expect(await e.exited).toBe(0);
    expect(await serverProcesses(data.dir)).toEqual([]);
    expect(c.text + d.text + e.text).not.toMatch(STACK);
  }, 360_000);
});

describe('npm start without a terminal', () => {
  it('keeps set-up mode when standard input is not a terminal and --console is not given', async () => {
    const c = start({ tty: false, env: { PORT: '0' } });
    await c.waitFor('Set-up mode: instructions at http://localhost:', { timeoutMs: 60_000 });
    expect(c.text).not.toContain(READY);
    await c.stop();
  }, 90_000);

  it('saved channels of an earlier database at the same address are set aside, not opened', async () => {
    const schema = await createTestSchema('console_earlier');
    dropSchemas.push(schema.drop);
    const own = { DATABASE_URL: schema.url, DATA_DIR: join(dir, 'data-earlier'), USER: 'piper' };
    const first = start({ tty: false, args: ['--console'], env: own });
    first.type('/incident sev2 first db');
    first.endInput();
    expect(await first.exited).toBe(0);
    expect(first.text).toMatch(/Incident #1 \(SEV-2\) is open: #inc-1-first-db/);

    // The same address, made anew (its schema dropped and made again): incident #1 is another one now.
    await schema.drop();
    const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await admin.connect();
    await admin.query(`CREATE SCHEMA ${schema.schema}`);
    await admin.end();
    const second = start({ tty: false, args: ['--console'], env: own });
    second.type('/channels');
    second.type('/incident sev2 second db');
    second.endInput();
    expect(await second.exited).toBe(0);
    expect(second.text).toContain('belong to an earlier database at this address');
    expect(second.text).not.toContain('Channels and messages from the last run are back.');
    expect(second.text).not.toContain('inc-1-first-db');
    expect(second.text).toMatch(/Incident #1 \(SEV-2\) is open: #inc-1-second-db/);
    expect(second.text).not.toMatch(STACK);
  }, 90_000);

  it('--console opens the console with Slack credentials set, and uses none of them', async () => {
    const c = start({
      tty: false,
      args: ['--console'],
      env: {
        SLACK_BOT_TOKEN: 'xoxb-1-shh-very-secret',
        SLACK_SIGNING_SECRET: 'shh-very-secret-signing',
        // Were the credentials used, the bot would ask this Slack who it is and fail to start.
        SLACK_API_URL: 'http://127.0.0.1:9/api/',
        DATA_DIR: join(dir, 'data-credentials'),
      },
    });
    c.type('/incident sev3 typo on the status page');
    c.endInput();
    expect(await c.exited).toBe(0);
    expect(c.text).toContain(READY);
    expect(c.text).toMatch(/Incident #\d+ \(SEV-3\) is open: #inc-\d+-typo-on-the-status-page/);
    expect(c.text).not.toContain('shh-very-secret');
    expect(c.text).not.toMatch(STACK);
  }, 90_000);

  it.each([
    [{ PORT: 'abc' }, /PORT/],
    [
      { DATABASE_URL: 'postgresql://postgres:hunter2@127.0.0.1:1/test' },
      /Cannot open postgresql:\/\/postgres:\*\*\*@127\.0\.0\.1:1\/test/,
    ],
  ])(
    'a console that cannot start says why in words and exits 1: %o',
    async (bad, said) => {
      const c = start({ tty: false, args: ['--console'], env: bad });
      expect(await c.exited).toBe(1);
      expect(c.text).toMatch(said);
      expect(c.text).not.toMatch(STACK);
      expect(c.text).not.toContain('hunter2');
    },
    90_000,
  );
});
