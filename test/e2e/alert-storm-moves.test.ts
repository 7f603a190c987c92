import { describe, expect, it } from 'vitest';
import { parseRunbook } from '../../src/runbook/runbook.js';
import { ACTION, BLOCK, INPUT, VIEW } from '../../src/templates/ids.js';
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
 * Where storm control moves alerts (ALERTS_MAX_INCIDENTS reached), and what each channel is told of it: an alert a
 * maintenance window held back that joins a storm's incident once the window ends, an alert that fires again after
 * its incident was resolved, an alert declared apart, a storm whose incident changes.
 */
describe('alerts storm control moves are told where people look', () => {
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
  /** Two SEV-1 incidents of the source: its cap. */
  const twoIncidents = async (source: string) => {
    await fire({ source, key: 'a', metric: 'queue_depth_a', summary: `Queue A stuck (${source})` });
    await fire({ source, key: 'b', metric: 'queue_depth_b', summary: `Queue B stuck (${source})` });
    return waitUntil('the two incidents', async () => {
      const l = await incidentsOfSource(bot.db, source);
      return l.length === 2 && l.every((i) => i.card_ts) ? l : null;
    });
  };

  /** Presses a message's Declare incident and submits the form: the incident its alert is in then. */
  const declareApart = async (told: RecordedCall, title: string, by = 'U0DECLARER') => {
    const section = (told.args.blocks as { accessory?: { action_id: string; value: string } }[]).find(
      (b) => b.accessory?.action_id === ACTION.declareFromAlert,
    )!;
    const forms = bot.fake.callsTo('views.open').length;
    await bot.click({
      channelId: INCIDENTS_CHANNEL_ID,
      messageTs: String(told.response!.ts),
      actionId: ACTION.declareFromAlert,
      value: section.accessory!.value,
      userId: by,
    });
    const form = (await bot.fake.waitForCount('views.open', forms + 1)).at(-1)!;
    const submitted = await bot.submit({
      callbackId: VIEW.declare,
      privateMetadata: form.args.view.private_metadata,
      userId: by,
      values: {
        [BLOCK.declareSeverity]: { [INPUT.severity]: { type: 'static_select', selected_option: { value: '2' } } },
        [BLOCK.declareTitle]: { [INPUT.text]: { type: 'plain_text_input', value: title } },
      },
    });
    expect(submitted.status).toBe(200);
    return waitUntil('the incident declared apart', async () => {
      const { rows } = await bot.db.query<{ id: number; number: number; channel_id: string }>(
        'SELECT id, number, channel_id FROM incidents WHERE title = $1 AND NOT declaring AND card_ts IS NOT NULL',
        [title],
      );
      return rows[0] ? { id: Number(rows[0].id), number: Number(rows[0].number), channelId: rows[0].channel_id } : null;
    });
  };

  it('declared apart from a storm: the channel it left is told where it went and by whom, not only its card', async () => {
    const source = 'apart-told';
    const opened = await twoIncidents(source);
    await fire({ source, key: 'cpu', metric: 'cpu_usage', value: '97%', threshold: '> 90%', summary: 'CPU on api-7' });
    const stormId = await incidentOf(source, 'cpu');
    const left = opened.find((i) => i.id === stormId)!;
    expect(left).toBeDefined();
    // Its channel was told it joined.
    await bot.fake.waitFor(
      'chat.postMessage',
      (c) => c.args.channel === left.channel_id && json(c.args).includes('New alert attached'),
    );
    const told = await waitUntil('the incidents channel told of the new name', async () =>
      posts(INCIDENTS_CHANNEL_ID).find((c) => json(c.args.blocks).includes('HighCpuUsage') && c.response?.ok),
    );
    const apart = await declareApart(told, 'CPU saturated on api-7');
    expect(await incidentOf(source, 'cpu')).toBe(apart.id);
    const movedOut = await bot.fake.waitFor(
      'chat.postMessage',
      (c) => c.args.channel === left.channel_id && json(c.args.blocks).includes('moved to incident'),
    );
    const said = json(movedOut.args.blocks);
    expect(said).toContain('HighCpuUsage');
    expect(said).toContain(`incident #${apart.number}`);
    expect(said).toContain(`<#${apart.channelId}>`);
    expect(said).toContain('<@U0DECLARER>');
  }, 60_000);

  it('fired again after its incident was resolved, past the cap: that channel is told where it went, and Reopen brings it back', async () => {
    const source = 'again-storm';
    const [first, second] = await twoIncidents(source);
    // Incident A is resolved while its alert still fires; it fires again: the cap is reached, so it joins B.
    await bot.command('resolve queue drained by hand', { channel_id: first!.channel_id });
    await waitUntil('resolved', async () =>
      (await bot.db.query("SELECT 1 FROM incidents WHERE id = $1 AND status = 'resolved'", [first!.id])).rows.length
        ? true
        : null,
    );
    // (Another value: the same body again soon after is taken for a retry of the delivery.)
    await fire({ source, key: 'a', metric: 'queue_depth_a', value: '40', summary: `Queue A stuck (${source})` });
    expect(await incidentOf(source, 'a')).toBe(second!.id);
    // The resolved incident's channel is told in a message (not only on its card): where it went, with Reopen.
    const told = await bot.fake.waitFor(
      'chat.postMessage',
      (c) => c.args.channel === first!.channel_id && json(c.args.blocks).includes('fired again'),
    );
    expect(json(told.args.blocks)).toContain(`incident #${second!.number}`);
    expect(json(told.args.blocks)).toContain(ACTION.reopenForAlert);
    // The incident it joined is told it fired before in the resolved one.
    const joined = await bot.fake.waitFor(
      'chat.postMessage',
      (c) => c.args.channel === second!.channel_id && json(c.args.blocks).includes('New alert attached'),
    );
    expect(json(joined.args.blocks)).toContain(`fired before in incident #${first!.number}`);
    // Reopen: the incident is worked on again, and the alert is followed there again (not in B).
    await bot.press(told, ACTION.reopenForAlert, 'U0ONCALL');
    await waitUntil('reopened with its alert back', async () => {
      const { rows } = await bot.db.query<{ status: string }>('SELECT status FROM incidents WHERE id = $1', [
        first!.id,
      ]);
      return rows[0]?.status !== 'resolved' && (await incidentOf(source, 'a')) === first!.id ? true : null;
    });
    const movedOut = await bot.fake.waitFor(
      'chat.postMessage',
      (c) => c.args.channel === second!.channel_id && json(c.args.blocks).includes('moved to incident'),
    );
    expect(json(movedOut.args.blocks)).toContain(`incident #${first!.number}`);
    expect(json(movedOut.args.blocks)).toContain('<@U0ONCALL>');
    // The incidents channel's message offering to declare it apart says where it is now.
    const offered = posts(INCIDENTS_CHANNEL_ID).find(
      (c) => json(c.args.blocks).includes('queue_depth_a') && json(c.args.blocks).includes(ACTION.declareFromAlert),
    )!;
    await waitUntil('the incidents channel message to say it is back', async () =>
      now(offered).includes(`Back in #${first!.number}`) ? true : null,
    );
    expect(now(offered)).not.toContain(ACTION.declareFromAlert);
    // Its next firing stays in the reopened incident.
    await fire({ source, key: 'a', metric: 'queue_depth_a', value: '99', summary: `Queue A stuck (${source})` });
    expect(await incidentOf(source, 'a')).toBe(first!.id);
  }, 60_000);

  it('one storm is one message in the incidents channel: when the incident it joins changes, that message says so', async () => {
    const source = 'storm-once';
    const opened = await twoIncidents(source);
    await fire({ source, key: 'cpu', metric: 'cpu_usage', value: '97%', threshold: '> 90%', summary: 'CPU on api-8' });
    const firstId = await incidentOf(source, 'cpu');
    const first = opened.find((i) => i.id === firstId)!;
    const stormPosts = () =>
      posts(INCIDENTS_CHANNEL_ID).filter(
        (c) => c.response?.ok && json(c.args.blocks).includes('reached its cap') && json(c.args).includes(source),
      );
    const storm = await waitUntil('the storm told in the incidents channel', async () => stormPosts()[0]);
    expect(json(storm.args.blocks)).toContain(`incident #${first.number}`);
    // The incident it joined is resolved: the storm's next new name joins the other one.
    await bot.command('resolve cpu throttled', { channel_id: first.channel_id });
    await waitUntil('resolved', async () =>
      (await bot.db.query("SELECT 1 FROM incidents WHERE id = $1 AND status = 'resolved'", [first.id])).rows.length
        ? true
        : null,
    );
    await fire({
      source,
      key: 'disk',
      metric: 'disk_usage',
      value: '97%',
      threshold: '> 95%',
      summary: 'Disk on api-8',
    });
    const secondId = await incidentOf(source, 'disk');
    const second = opened.find((i) => i.id === secondId)!;
    expect(second.id).not.toBe(first.id);
    // Its channel is told (news there); the incidents channel's first message says where the storm goes now, and its
    // thread says when that changed: no second top-level message.
    await bot.fake.waitFor(
      'chat.postMessage',
      (c) => c.args.channel === second.channel_id && json(c.args.blocks).includes('reached its cap'),
    );
    const reply = await bot.fake.waitFor(
      'chat.postMessage',
      (c) => c.args.channel === INCIDENTS_CHANNEL_ID && c.args.thread_ts === storm.response!.ts,
    );
    expect(json(reply.args.blocks)).toContain(`incident #${second.number}`);
    const updated = await waitUntil('the first message to name the incident joined now', async () =>
      now(storm).includes(`incident #${second.number}`) ? now(storm) : null,
    );
    expect(updated).toContain(`#${first.number}`);
    await inboxDone(bot.db);
    expect(stormPosts().filter((c) => !c.args.thread_ts)).toHaveLength(1);
  }, 60_000);

  it('a critical alert a window held back that joins a storm incident once it ends: its notice says it joined, not declared', async () => {
    const source = 'held-storm';
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
        summary: 'Health checks failing on node-3',
      });
      const notice = await bot.fake.waitFor(
        'chat.postMessage',
        (c) => c.args.channel === INCIDENTS_CHANNEL_ID && json(c.args).includes('Health checks failing on node-3'),
      );
      expect(json(notice.args)).toContain('Recorded, not declared');
    } finally {
      await bot.command('maintenance end');
    }
    const joined = await waitUntil('the held alert to join an open incident', () => incidentOf(source, 'health'));
    const into = opened.find((i) => i.id === joined)!;
    expect(into).toBeDefined();
    const notice = posts(INCIDENTS_CHANNEL_ID).find((c) => json(c.args).includes('Health checks failing on node-3'))!;
    const said = await waitUntil(
      'the notice to say where it went',
      async () => (now(notice).includes(`#${into.number}`) ? now(notice) : null),
      15_000,
    );
    expect(said).not.toContain('Declared as');
    expect(said).toContain(`Joined incident #${into.number}`);
    expect(said).toContain('storm cap');
    // It may be a different trouble: the notice still offers to declare it apart.
    expect(said).toContain(ACTION.declareFromAlert);
  }, 60_000);
});
