/**
 * The console driven as a person drives it: `npm start`'s entry point in a pseudo-terminal (and with pipes), the real
 * bot behind it on a fresh Postgres schema, a runbook whose SEV-1 response time is 2 seconds, and the sample
 * atom-cli of the repository for the runbook's commands.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { buttonNumber, ConsoleProcess } from '../support/console-process.js';
import { serverProcesses, tempDataDir } from '../support/embedded-db.js';
import { createMigratedTestSchema } from '../support/schema-pool.js';
import { createTestSchema, TEST_DATABASE_URL } from '../support/test-db.js';
import { testRunbookData } from '../support/test-runbook.js';

const STACK = /^\s+at .+:\d+:\d+\)?$/m;
const SGR = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`);

let dir: string;
let env: Record<string, string>;
let dropSchema: () => Promise<void>;
/** Schemas of tests that want a database of their own. */
const dropSchemas: (() => Promise<void>)[] = [];
const running: ConsoleProcess[] = [];
/** Data directories of the embedded database's tests: a server a failed test left running is killed, then removed. */
const embeddedDirs: { dir: string; remove(): Promise<void> }[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'console-'));
  const schema = await createMigratedTestSchema();
  dropSchema = schema.drop;
  const runbook = {
    ...testRunbookData({ respond: { 1: '2s' } }),
    playbooks: {
      'emergency-restart': {
        title: 'Emergency Restart',
        kind: 'procedure',
        mitigation: [
          {
            text: 'Read the logs',
            run: ['atom-cli', 'logs', '--lines', '{lines}'],
            params: { lines: { kind: 'lines', default: 20 } },
          },
          {
            text: 'Restart every node',
            run: ['atom-cli', 'nodes', 'restart', '--all'],
            destructive: true,
            approval: true,
            warning: 'Restarts every node at once',
          },
        ],
      },
    },
    access: { responders: ['U0ALICE', 'U0SENIOR'], approvers: ['U0SENIOR', 'U0CTO'] },
  };
  await writeFile(join(dir, 'runbook.yml'), stringify(runbook));
  env = {
    USER: 'alice',
    TERM: 'xterm-256color',
    DATABASE_URL: schema.url,
    DATA_DIR: join(dir, 'data'),
    RUNBOOK_FILE: join(dir, 'runbook.yml'),
    ATOM_CLI: join(process.cwd(), 'examples', 'atom-cli'),
  };
});

afterAll(async () => {
  for (const c of running) await c.stop();
  for (const data of embeddedDirs) {
    for (const pid of await serverProcesses(data.dir)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone meanwhile
      }
    }
    await data.remove();
  }
  await dropSchema?.();
  for (const drop of dropSchemas) await drop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

function start(opts: { env?: Record<string, string>; args?: string[]; tty?: boolean } = {}): ConsoleProcess {
  const c = ConsoleProcess.start({ env: { ...env, ...opts.env }, args: opts.args ?? [], tty: opts.tty ?? true });
  running.push(c);
  return c;
}

const READY = 'Type what you would type in Slack';

describe('the console in a terminal', () => {
  it('declares, pages on a 2 s timer while you type, acknowledges, fills forms, runs and approves a step, and quits', async () => {
    // No Slack credentials and a terminal: npm start opens the console.
    // Debug logging, so there is a log to keep off the terminal.
    const c = start({ env: { LOG_LEVEL: 'debug' } });
    await c.waitFor(READY, { timeoutMs: 60_000 });
    expect(c.text).toContain('You are @alice in #general');
    // Colours on a terminal that shows them.
    expect(c.raw).toMatch(SGR);

    let at = c.mark();
    c.type('/incident sev1 db down');
    let seen = await c.waitFor('direct message to @oncall', { from: at });
    expect(seen).toContain('#inc-1-db-down was created');
    expect(seen).toContain('You are paged as On-Call Engineer because a new incident was declared');
    await c.waitFor('Incident #1 (SEV-1) is open: #inc-1-db-down', { from: at });

    // The SEV-1 response time is 2 s: nobody acknowledged, so on-call is paged again with the next role, while the
    // prompt waits; the prompt is drawn again after the page.
    at = c.mark();
    seen = await c.waitFor(/direct message to @senior[\s\S]*alice in #general> /, { from: at, timeoutMs: 20_000 });
    expect(seen).toContain('because nobody acknowledged within the SEV-1 response time (2 seconds)');

    at = c.mark();
    c.type('/open inc-1');
    seen = await c.waitFor(/Acknowledge\s+\[\d+\] Change severity/, { from: at });
    expect(seen).toMatch(/Severity\s+Status/);
    c.type('press acknowledge');
    seen = await c.waitFor('@alice acknowledged the incident and is now commander', { from: at });
    // The card is printed again, marked updated, with the button that replaced Acknowledge.
    expect(seen).toMatch(/#inc-1-db-down · updated[\s\S]*Acknowledged after[\s\S]*\[\d+\] Take command/);

    // A status update: an empty required field is asked again; the bot refuses a next update in the past.
    at = c.mark();
    c.type('/incident update');
    await c.waitFor('Form: Status update', { from: at });
    await c.waitFor('Status [Investigating]: ', { from: at });
    c.type('');
    await c.waitFor('Affected: ', { from: at });
    c.type('');
    await c.waitFor('Affected is required.', { from: at });
    c.type('api users');
    await c.waitFor('Current impact: ', { from: at });
    c.type('errors on checkout');
    await c.waitFor('Current status: ', { from: at });
    c.type('investigating the pool');
    await c.waitFor('Mitigation steps: ', { from: at });
    c.type('');
    await c.waitFor(/Next update \[[^\]]+\]: $/, { from: at });
    c.type('2020-01-01 10:00');
    await c.waitFor('Flags: ', { from: at });
    c.type('');
    // SEV-1: Publish to status page is on by default; Enter keeps it.
    await c.waitFor(/Status page[^\n]*: $/, { from: at });
    c.type('');
    // Only the field the bot refused is asked again.
    seen = await c.waitFor(/The next update must be in the future\.[\s\S]*Next update \[[^\]]+\]: $/, { from: at });
    expect(seen.slice(seen.lastIndexOf('The bot did not take the form'))).not.toContain('Affected: ');
    const retry = c.mark();
    c.type('45m');
    seen = await c.waitFor(/CURRENT STATUS:\s+investigating the pool/, { from: retry });
    expect(seen).toContain('(Post update: sent)');

    // Ctrl-C inside a form: back to the prompt, nothing sent.
    at = c.mark();
    c.type('/incident resolve');
    await c.waitFor('One-line summary: ', { from: at });
    c.keys('\x03');
    await c.waitFor(/Form closed; nothing was sent\.\s+alice in #inc-1-db-down> /, { from: at });

    // Bad input at the prompt reads like the bot's own messages.
    at = c.mark();
    c.type('press 999');
    await c.waitFor('There is no button [999].', { from: at });
    c.type('/nope');
    seen = await c.waitFor(/\/nope is not a command here\. These are:[\s\S]*\/quit/, { from: at });
    expect(seen).not.toMatch(/\n\s+at /);

    // A step with a parameter: a bad value comes back from the bot, a good one runs the sample atom-cli.
    at = c.mark();
    c.type('/incident playbook emergency-restart');
    seen = await c.waitFor(/Restart every node\s+\[\d+\] Run/, { from: at });
    c.type(`press ${buttonNumber(seen, /Read the logs/)}`);
    await c.waitFor('lines [20]: ', { from: at });
    c.type('abc');
    await c.waitFor(/The bot did not take the form:[\s\S]*lines \[20\]: $/, { from: at });
    const again = c.mark();
    c.type('5');
    await c.waitFor(/Succeeded\s+`?atom-cli logs --lines 5/, { from: again, timeoutMs: 20_000 });

    // A step that needs a second person: asked, confirmed, then approved by someone else.
    at = c.mark();
    c.type(`press ${buttonNumber(seen, /Restart every node/)}`);
    await c.waitFor('Run it? (y/n) ', { from: at });
    c.type('y');
    await c.waitFor(/@alice asks to run\s+`?atom-cli nodes restart --all/, { from: at });
    c.type('/as senior');
    await c.waitFor('You are now @senior (Senior DevOps Engineer).', { from: at });
    // @cto is an approver, but was never paged, so never invited: they may not write in the channel before they join,
    // as in Slack, but pressing Approve and run adds them to it (a public incident's channel), and the request says so.
    c.type('/as cto');
    await c.waitFor('You are now @cto (CTO).', { from: at });
    at = c.mark();
    c.type('on my way');
    await c.waitFor('You are not in #inc-1-db-down: /join it first', { from: at });
    at = c.mark();
    c.type('press approve and run');
    await c.waitFor('Approve and run? (y/n) ', { from: at });
    c.type('y');
    seen = await c.waitFor(/Succeeded\s+`?atom-cli nodes restart --all/, { from: at, timeoutMs: 20_000 });
    expect(seen).toContain('approved by @cto');
    expect(seen).toMatch(/Approved by @cto \(not in this channel before: the bot added them to it to approve\)/);
    // The channel shows that @cto joined, as Slack does: a dim line of its own, not a message by @cto.
    at = c.mark();
    c.type('/open inc-1');
    seen = await c.waitFor('@cto joined the channel', { from: at });
    expect(seen).not.toContain('── @cto');
    expect(c.raw).toContain(`${String.fromCharCode(27)}[2m   @cto joined the channel`);
    // #general is never left; a direct message is not a channel.
    at = c.mark();
    c.type('/leave general');
    await c.waitFor('Nobody can leave #general', { from: at });
    c.type('/join @senior');
    await c.waitFor('That is a direct message with the bot, not a channel', { from: at });

    at = c.mark();
    c.type('/quit');
    await c.waitFor('Stopped. The database is closed', { from: at, timeoutMs: 30_000 });
    expect(await c.exited).toBe(0);
    // The bot's log went to its file, not to the terminal; no stack trace anywhere.
    expect(c.text).not.toContain('"level"');
    expect(c.text).not.toMatch(STACK);
    expect(await readFile(join(dir, 'data', 'console', 'bot.log'), 'utf8')).toContain('"level"');
  }, 240_000);

  it('starts again with the incident there, and again after kill -9; Ctrl-D leaves cleanly', async () => {
    const c = start({ env: { NO_COLOR: '1' } });
    await c.waitFor(READY, { timeoutMs: 60_000 });
    // The rest of the welcome may come in a later read of the terminal than the line above.
    await c.waitFor('Channels and messages from the last run are back.', { timeoutMs: 10_000 });
    let at = c.mark();
    c.type('/incident list');
    await c.waitFor(/#1 db down/, { from: at });
    at = c.mark();
    c.type('/open inc-1');
    await c.waitFor('Acknowledged after', { from: at });
    // NO_COLOR: no colour codes, even at a terminal.
    expect(c.raw).not.toMatch(SGR);
    // @cto joined the channel in the last run; leaving it is saved at once, before the kill -9 below.
    at = c.mark();
    c.type('/as cto');
    await c.waitFor('You are now @cto', { from: at });
    c.type('/leave inc-1');
    await c.waitFor('You left #inc-1-db-down.', { from: at });
    // A message typed in the channel and someone new are saved at once too, not at the bot's next change.
    at = c.mark();
    c.type('/as alice');
    await c.waitFor('You are now @alice', { from: at });
    c.type('/open general');
    c.type('the pool is full again');
    await c.waitFor('(Said in #general.', { from: at });
    c.type('/as dana');
    await c.waitFor('You are now @dana. New in this workspace', { from: at });

    c.kill9();
    expect(await c.exited).not.toBe(0);

    const d = start({ env: { NO_COLOR: '1' } });
    await d.waitFor(READY, { timeoutMs: 60_000 });
    at = d.mark();
    d.type('/open general');
    await d.waitFor(/── @alice\s+the pool is full again/, { from: at });
    d.type('/as dana');
    const seen = await d.waitFor('You are now @dana.', { from: at });
    expect(seen).not.toContain('New in this workspace');
    d.type('/as alice');
    await d.waitFor('You are now @alice', { from: at });
    // The card is still among the latest messages /open shows, the line that @cto left not counted among them.
    d.type('/open inc-1');
    await d.waitFor(/Mark mitigated[\s\S]*@cto left the channel/, { from: at });
    d.type('press mark mitigated');
    await d.waitFor('@alice marked the incident mitigated', { from: at });
    d.type('/as cto');
    await d.waitFor('You are now @cto', { from: at });
    d.type('/join inc-1');
    await d.waitFor('You joined #inc-1-db-down.', { from: at });
    at = d.mark();
    d.keys('\x04');
    await d.waitFor('Stopped. The database is closed', { from: at, timeoutMs: 30_000 });
    expect(await d.exited).toBe(0);
  }, 180_000);
});

describe("the console's selects, reminders and set-up instructions", () => {
  it('a message select lists its options and its choice reprints the card; a status-update reminder arrives while you type; /setup prints the set-up instructions', async () => {
    // A database and data directory of its own: the incident is #1 whatever ran before.
    const schema = await createMigratedTestSchema();
    dropSchemas.push(schema.drop);
    const file = join(dir, 'runbook-controls.yml');
    await writeFile(file, stringify(testRunbookData()));
    const c = start({
      env: { DATABASE_URL: schema.url, DATA_DIR: join(dir, 'data-controls'), RUNBOOK_FILE: file, NO_COLOR: '1' },
    });
    await c.waitFor(READY, { timeoutMs: 60_000 });
    let at = c.mark();
    c.type('/incident sev2 search slow');
    await c.waitFor('Incident #1 (SEV-2) is open: #inc-1-search-slow', { from: at });

    // The card's severity select: its options numbered, the current one marked; choosing 2 sends SEV-1.
    at = c.mark();
    c.type('/open inc-1-search-slow');
    await c.waitFor(/\[\d+\] Change severity: SEV-2 \(Medium\) ▾/, { from: at });
    at = c.mark();
    c.type('press change severity');
    const options = await c.waitFor('Choose 1-4: ', { from: at });
    expect(options).toMatch(/Change severity:\n\s+1\) SEV-0 \(Critical\)[\s\S]*\n\s+2\) SEV-1 \(High\)/);
    expect(options).toMatch(/3\) SEV-2 \(Medium\)[^\n]*\(now\)/);
    c.type('2');
    const card = await c.waitFor(/#inc-1-search-slow · updated[\s\S]*Change severity: SEV-1 \(High\) ▾/, { from: at });
    expect(card).toContain('SEV-1 · respond within 15 minutes');
    await c.waitFor('raised from SEV-2 to SEV-1', { from: at });

    // A status update that promises the next one in 5 seconds: when it is overdue, the reminder prints by itself,
    // and the prompt is drawn again below it.
    at = c.mark();
    c.type('/incident update');
    await c.waitFor('Status [Investigating]: ', { from: at });
    c.type('');
    await c.waitFor('Affected: ', { from: at });
    c.type('search users');
    await c.waitFor('Current impact: ', { from: at });
    c.type('slow results');
    await c.waitFor('Current status: ', { from: at });
    c.type('looking at the index');
    await c.waitFor('Mitigation steps: ', { from: at });
    c.type('');
    await c.waitFor(/Next update \[[^\]]+\]: $/, { from: at });
    c.type('5s');
    await c.waitFor('Flags: ', { from: at });
    c.type('');
    await c.waitFor(/Status page[^\n]*: $/, { from: at });
    c.type('');
    await c.waitFor(/CURRENT STATUS:\s+looking at the index/, { from: at });
    const reminder = await c.waitFor(
      /Commander: the next status update was due [^\n]*Post one with `?\/incident update`?\.[\s\S]*alice in #inc-1-search-slow> $/,
      { from: at, timeoutMs: 30_000 },
    );
    expect(reminder).not.toMatch(STACK);

    // The set-up instructions for a real workspace are there from the console too.
    at = c.mark();
    c.type('/setup');
    const setup = await c.waitFor('Run npm start again.', { from: at });
    expect(setup).toContain('From an app manifest');
    expect(setup).toContain('paste manifest.yml');
    expect(setup).toMatch(/SLACK_BOT_TOKEN[\s\S]*SLACK_SIGNING_SECRET[\s\S]*SLACK_APP_TOKEN/);
    expect(setup).not.toContain('set-up mode');

    // An alert as monitoring sends it: a critical one opens an incident with nobody typing /incident; its resolve
    // marks the card and offers to resolve. A line the console cannot read says how to write one.
    at = c.mark();
    c.type('/alert loud checkout');
    await c.waitFor(/"loud" is not a level\. Start with critical, warning, info or resolve/, { from: at });
    at = c.mark();
    c.type('/alert critical checkout error rate above 10% service=checkout');
    await c.waitFor('Sent critical alert "checkout-error-rate-above-10" from console', { from: at });
    // The card (its Reported by, then its alert line): the page's DM, which may be printed first, has the line too.
    const opened = await c.waitFor(
      /#inc-2-checkout-error-rate-above-10[\s\S]*from console alerts[\s\S]*🔴 checkout-error-rate-above-10 · checkout/,
      {
        from: at,
        timeoutMs: 30_000,
      },
    );
    expect(opened).toContain('from console alerts');
    at = c.mark();
    c.type('/alert resolve checkout error rate above 10%');
    await c.waitFor('Sent resolved "checkout-error-rate-above-10"', { from: at });
    await c.waitFor(/Every alert of this incident has resolved[\s\S]*Resolve incident/, {
      from: at,
      timeoutMs: 30_000,
    });

    at = c.mark();
    c.type('/quit');
    await c.waitFor('Stopped. The database is closed', { from: at, timeoutMs: 30_000 });
    expect(await c.exited).toBe(0);
  }, 180_000);
});

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
  it('runs the deployment procedure with the sample atom-cli, through its post-deployment verification', async () => {
    // The bundled runbook's procedure as it is, against a health endpoint that answers 200.
    const health = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"status":"ok"}');
    });
    await new Promise<void>((r) => health.listen(0, '127.0.0.1', () => r()));
    try {
      const bundled = parse(await readFile(join(process.cwd(), 'runbooks', 'atom.yml'), 'utf8')) as {
        playbooks: Record<string, unknown>;
      };
      const file = join(dir, 'runbook-deploy.yml');
      await writeFile(
        file,
        stringify({
          ...testRunbookData(),
          playbooks: { 'deploy-web-platform': bundled.playbooks['deploy-web-platform'] },
          access: { responders: ['U0ALICE'], approvers: [] },
        }),
      );
      const c = start({
        env: {
          RUNBOOK_FILE: file,
          HEALTH_BASE_URL: `http://127.0.0.1:${(health.address() as AddressInfo).port}`,
          DATA_DIR: join(dir, 'data-deploy'),
        },
      });
      await c.waitFor(READY, { timeoutMs: 60_000 });
      let at = c.mark();
      c.type('/incident run deploy-web-platform');
      const seen = await c.waitFor(/Critical paths functional[^\n]*\n[\s\S]*alice in #general> /, { from: at });
      // The standard deployment: confirmed, run by the sample atom-cli, then the verification, one line per check.
      at = c.mark();
      c.type(`press ${buttonNumber(seen, /Standard deployment[^[]*/)}`);
      await c.waitFor('(y/n) ', { from: at });
      c.type('y');
      const report = await c.waitFor(/every post-deployment check passed[\s\S]*atom-cli logs --lines 50/, {
        from: at,
        timeoutMs: 60_000,
      });
      expect(report).toMatch(/Release v59 deployed/);
      for (const check of [
        'atom-cli status',
        '/api/health',
        '/api/alive',
        'atom-cli nodes list',
        'atom-cli logs --lines 50',
      ])
        expect(report).toContain(check);
      expect(report).not.toMatch(/fail ·/);
      at = c.mark();
      c.type('/quit');
      await c.waitFor('Stopped. The database is closed', { from: at, timeoutMs: 30_000 });
      expect(c.text).not.toMatch(STACK);
    } finally {
      health.close();
    }
  }, 180_000);

  it('keeps set-up mode when standard input is not a terminal and --console is not given', async () => {
    const c = start({ tty: false, env: { PORT: '0' } });
    await c.waitFor('Set-up mode: instructions at http://localhost:', { timeoutMs: 60_000 });
    expect(c.text).not.toContain(READY);
    await c.stop();
  }, 90_000);

  it('with --console reads piped lines, prints plain text, and stops at the end of the input', async () => {
    const c = start({ tty: false, args: ['--console'], env: { USER: 'piper' } });
    c.type('/incident sev2 piped in');
    c.type('/incident list');
    c.type('/as');
    c.type('/channels');
    c.type('/help');
    c.endInput();
    expect(await c.exited).toBe(0);
    expect(c.text).toMatch(/Channels:[\s\S]*#inc-2-piped-in/);
    expect(c.text).toMatch(/Console commands:[\s\S]*\/open <channel or @person>/);
    expect(c.text).not.toMatch(STACK);
    expect(c.text).toContain(READY);
    expect(c.text).toMatch(/piper in #general> \/incident sev2 piped in/);
    expect(c.text).toMatch(/Incident #2 \(SEV-2\) is open: #inc-2-piped-in/);
    expect(c.text).toMatch(/People:[\s\S]*\* @piper/);
    expect(c.text).toContain('Stopped. The database is closed');
    expect(c.raw).not.toMatch(SGR);
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
