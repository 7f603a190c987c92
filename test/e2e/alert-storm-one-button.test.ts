import { describe, expect, it } from 'vitest';
import { parseRunbook } from '../../src/runbook/runbook.js';
import { ACTION } from '../../src/templates/ids.js';
import { ALERTS_ENV } from '../support/alert-request.js';
import {
  alertRunbookData,
  fireAlert,
  inboxDone,
  incidentOfAlert,
  incidentsOfSource,
  waitUntil,
} from '../support/alert-runbook.js';
import { INCIDENTS_CHANNEL_ID, useBot } from '../support/bot-harness.js';
import type { RecordedCall } from '../support/fake-slack.js';

const json = (v: unknown) => JSON.stringify(v);

/**
 * Storm control's buttons say what happened to them: one Declare incident per alert a window held back, a Reopen
 * replaced once the incident is reopened (found from outside: two Declare messages, and a Reopen left on).
 */
describe('storm control buttons are one each and say what became of them', () => {
  const bot = useBot({
    incidentsChannel: true,
    runbook: parseRunbook({
      ...alertRunbookData(),
      maintenance: {
        notice_before: '1h',
        process: { before: ['Notify users'], during: ['Watch the metrics'], after: ['Smoke test'] },
        windows: {},
      },
    }),
    env: { ...ALERTS_ENV, ALERTS_MAX_INCIDENTS: '2' },
  });
  /** One alert in the generic format, recorded and its plan carried out before the next. */
  const fire = (over: Record<string, unknown>) => fireAlert(bot, over);
  const incidentOf = (source: string, key: string) => incidentOfAlert(bot.db, source, key);
  const posts = (channel: string) => bot.fake.callsTo('chat.postMessage').filter((c) => c.args.channel === channel);
  const now = (m: RecordedCall) => json(bot.fake.message(String(m.args.channel), String(m.response!.ts))?.blocks);
  const twoIncidents = async (source: string) => {
    await fire({ source, key: 'a', metric: 'queue_depth_a', summary: `Queue A stuck (${source})` });
    await fire({ source, key: 'b', metric: 'queue_depth_b', summary: `Queue B stuck (${source})` });
    return waitUntil('the two incidents', async () => {
      const l = await incidentsOfSource(bot.db, source);
      return l.length === 2 && l.every((i) => i.card_ts) ? l : null;
    });
  };
  const resolve = async (incident: { id: number; channel_id: string }) => {
    await bot.command('resolve queue drained by hand', { channel_id: incident.channel_id });
    await waitUntil('resolved', async () =>
      (await bot.db.query("SELECT 1 FROM incidents WHERE id = $1 AND status = 'resolved'", [incident.id])).rows.length
        ? true
        : null,
    );
  };

  it('an alert a window held back that joins a storm incident once the window ends has one Declare incident, not two', async () => {
    const source = 'held-once';
    const opened = await twoIncidents(source);
    await bot.command('maintenance start db upgrade for 1h');
    await waitUntil('the window open', async () =>
      (await bot.db.query("SELECT 1 FROM maintenance_windows WHERE stage <> 'closed'")).rows.length > 0 ? true : null,
    );
    try {
      await fire({
        source,
        key: 'health',
        metric: 'app_health_check_failures',
        value: '40%',
        threshold: '> 20%',
        summary: 'Health checks failing on node-7',
      });
      await bot.fake.waitFor(
        'chat.postMessage',
        (c) => c.args.channel === INCIDENTS_CHANNEL_ID && json(c.args).includes('Health checks failing on node-7'),
      );
    } finally {
      await bot.command('maintenance end');
    }
    const joined = await waitUntil('the held alert to join an open incident', () => incidentOf(source, 'health'));
    const into = opened.find((i) => i.id === joined)!;
    const notice = posts(INCIDENTS_CHANNEL_ID).find((c) => json(c.args).includes('Health checks failing on node-7'))!;
    await waitUntil('the notice to say where it went', async () =>
      now(notice).includes(`#${into.number}`) ? 1 : null,
    );
    // Its incident's channel hears that a new name joined (news there)...
    await bot.fake.waitFor(
      'chat.postMessage',
      (c) => c.args.channel === into.channel_id && json(c.args.blocks).includes('New alert attached'),
    );
    await inboxDone(bot.db);
    await new Promise((r) => setTimeout(r, 500));
    // ...but the incidents channel offers to declare it apart once: on its notice, updated in place.
    const offering = posts(INCIDENTS_CHANNEL_ID).filter((c) => {
      const shown = now(c);
      return shown.includes('Health checks failing on node-7') && shown.includes(ACTION.declareFromAlert);
    });
    expect(offering.map((c) => c.response!.ts)).toEqual([notice.response!.ts]);
  }, 60_000);

  it("fired again elsewhere: Reopen is replaced by who reopened it, and a stale one says it's open already", async () => {
    const source = 'again-once';
    const [first, second] = await twoIncidents(source);
    await resolve(first!);
    await fire({ source, key: 'a', metric: 'queue_depth_a', value: '41', summary: `Queue A stuck (${source})` });
    expect(await incidentOf(source, 'a')).toBe(second!.id);
    const told = await bot.fake.waitFor(
      'chat.postMessage',
      (c) => c.args.channel === first!.channel_id && json(c.args.blocks).includes('fired again'),
    );
    expect(json(told.args.blocks)).toContain(ACTION.reopenForAlert);
    await bot.press(told, ACTION.reopenForAlert, 'U0ONCALL');
    await waitUntil('reopened', async () => ((await incidentOf(source, 'a')) === first!.id ? true : null));
    const shown = await waitUntil('the Reopen button replaced', async () =>
      now(told).includes(ACTION.reopenForAlert) ? null : now(told),
    );
    expect(shown).toContain('Reopened by <@U0ONCALL>');
    // A stale copy of the button (another client had it open): says it is open already, and moves nothing.
    const replies = bot.replies().length;
    const r = await bot.press(told, ACTION.reopenForAlert, 'U0OTHER');
    expect(r.status).toBe(200);
    const answer = await waitUntil('the answer', async () => bot.replies()[replies]);
    expect(answer.text).toContain(`Incident #${first!.number} is open already`);
    expect(await incidentOf(source, 'a')).toBe(first!.id);
  }, 60_000);

  it('fired again elsewhere, then reopened by /incident reopen: the Reopen button is replaced too', async () => {
    const source = 'again-typed';
    const [first, second] = await twoIncidents(source);
    await resolve(first!);
    await fire({ source, key: 'a', metric: 'queue_depth_a', value: '42', summary: `Queue A stuck (${source})` });
    expect(await incidentOf(source, 'a')).toBe(second!.id);
    const told = await bot.fake.waitFor(
      'chat.postMessage',
      (c) => c.args.channel === first!.channel_id && json(c.args.blocks).includes('fired again'),
    );
    await bot.command('reopen the queue is stuck again', { channel_id: first!.channel_id, user_id: 'U0TYPIST' });
    const shown = await waitUntil('the Reopen button replaced', async () =>
      now(told).includes(ACTION.reopenForAlert) ? null : now(told),
    );
    expect(shown).toContain('Reopened by <@U0TYPIST>');
  }, 60_000);
});
