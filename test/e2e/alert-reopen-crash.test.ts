import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { parseRunbook } from '../../src/runbook/runbook.js';
import { ACTION } from '../../src/templates/ids.js';
import { ALERTS_ENV } from '../support/alert-request.js';
import { alertRunbookData, fireAlert, incidentsOfSource, waitUntil } from '../support/alert-runbook.js';
import { type BotHarness, INCIDENTS_CHANNEL_ID, SIGNING_SECRET, startBot } from '../support/bot-harness.js';
import { killAll, killAtCall, startBotProcess } from '../support/bot-process.js';
import { createMigratedTestSchema } from '../support/schema-pool.js';
import { postSlashCommand } from '../support/slack-request.js';
import { useFakeSlack } from '../support/use-fake-slack.js';

const json = (v: unknown) => JSON.stringify(v);

/**
 * A resolved incident's message that its alert fired again elsewhere offers Reopen. A process killed (-9) once it
 * reopened the incident, before it replaced that button with who reopened it: the reopening's follow-up, taken over by
 * another process once its lease runs out, replaces it (the button stayed for good).
 */
describe('a reopening whose process was killed before the Reopen button was replaced', () => {
  const fake = useFakeSlack();
  let bot: BotHarness;
  let dir: string;
  let drop: () => Promise<void>;
  let env: Record<string, string>;
  const procs: ChildProcess[] = [];

  beforeAll(async () => {
    fake.addChannel('incidents', { id: INCIDENTS_CHANNEL_ID, botIsMember: true });
    fake.addChannel('general', { id: 'C0GENERAL', botIsMember: true });
    const schema = await createMigratedTestSchema();
    drop = schema.drop;
    dir = await mkdtemp(join(tmpdir(), 'reopen-crash-'));
    await writeFile(join(dir, 'runbook.yml'), stringify(alertRunbookData()));
    const alertsEnv = { ...ALERTS_ENV, ALERTS_MAX_INCIDENTS: '2' };
    bot = await startBot({
      fake,
      databaseUrl: schema.url,
      incidentsChannel: true,
      runbook: parseRunbook(alertRunbookData()),
      env: alertsEnv,
    });
    env = {
      ...alertsEnv,
      SLACK_BOT_TOKEN: 'xoxb-reopen-crash',
      SLACK_SIGNING_SECRET: SIGNING_SECRET,
      SLACK_API_URL: fake.url,
      DATABASE_URL: schema.url,
      RUNBOOK_FILE: join(dir, 'runbook.yml'),
      INCIDENTS_CHANNEL: INCIDENTS_CHANNEL_ID,
      PORT: '0',
      LOG_LEVEL: 'error',
    };
  }, 120_000);
  afterAll(async () => {
    await killAll(procs);
    await bot?.stop();
    await drop?.();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('is finished by the process taking its follow-up over: "Reopened by" replaces Reopen', async () => {
    const source = 'reopen-killed';
    const fire = (over: Record<string, unknown>) => fireAlert(bot, over);
    await fire({ source, key: 'a', metric: 'queue_depth_a', summary: `Queue A stuck (${source})` });
    await fire({ source, key: 'b', metric: 'queue_depth_b', summary: `Queue B stuck (${source})` });
    const [first] = await waitUntil('the two incidents', async () => {
      const l = await incidentsOfSource(bot.db, source);
      return l.length === 2 && l.every((i) => i.card_ts) ? l : null;
    });
    await bot.command('resolve queue drained by hand', { channel_id: first!.channel_id });
    await waitUntil('resolved', async () =>
      (await bot.db.query("SELECT 1 FROM incidents WHERE id = $1 AND status = 'resolved'", [first!.id])).rows.length
        ? true
        : null,
    );
    await fire({ source, key: 'a', metric: 'queue_depth_a', value: '41', summary: `Queue A stuck (${source})` });
    const told = await fake.waitFor(
      'chat.postMessage',
      (c) => c.args.channel === first!.channel_id && json(c.args.blocks).includes('fired again'),
    );
    const ts = String(told.response!.ts);
    const shown = () => json(fake.message(first!.channel_id, ts)?.blocks);
    expect(shown()).toContain(ACTION.reopenForAlert);

    // Another process reopens the incident and is killed as Slack takes its card's update: the reopening is
    // committed, nothing after the card is done.
    const dying = await startBotProcess(env);
    procs.push(dying.proc);
    const killed = killAtCall(
      fake,
      dying.proc,
      (c) => c.method === 'chat.update' && c.args.channel === first!.channel_id && c.args.ts === first!.card_ts,
    );
    await postSlashCommand(`http://127.0.0.1:${dying.port}`, SIGNING_SECRET, {
      text: 'reopen the queue is stuck again',
      channel_id: first!.channel_id,
      user_id: 'U0TYPIST',
      response_url: fake.responseUrl('reopen-killed'),
    });
    await killed;
    const { rows: status } = await bot.db.query<{ status: string }>('SELECT status FROM incidents WHERE id = $1', [
      first!.id,
    ]);
    expect(status[0]!.status).not.toBe('resolved');
    expect(shown()).toContain(ACTION.reopenForAlert);

    // Its lease on the reopening's follow-up runs out (rather than waited for): this process takes it over.
    const { rows } = await bot.db.query(
      'UPDATE change_followups SET lease_until = now() WHERE incident_id = $1 RETURNING 1',
      [first!.id],
    );
    expect(rows).toHaveLength(1);
    const now = await waitUntil(
      'the Reopen button replaced',
      async () => (shown().includes(ACTION.reopenForAlert) ? null : shown()),
      30_000,
    );
    expect(now).toContain('Reopened by <@U0TYPIST>');
  }, 180_000);
});
