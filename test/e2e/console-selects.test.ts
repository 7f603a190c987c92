/**
 * The console's selects, reminders and set-up instructions in a terminal, and the bundled deployment procedure run
 * with piped lines (test/support/console-scene.ts).
 */
import { readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { buttonNumber } from '../support/console-process.js';
import { READY, STACK, useConsoleScene } from '../support/console-scene.js';
import { createMigratedTestSchema } from '../support/schema-pool.js';
import { testRunbookData } from '../support/test-runbook.js';

const { dir, start, dropSchemas } = useConsoleScene();

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
});
