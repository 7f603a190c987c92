import { describe, expect, it } from 'vitest';
import { parseRunbook } from '../../src/runbook/runbook.js';
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

const json = (v: unknown) => JSON.stringify(v);

/**
 * The storm's reply in its thread when it moves to another incident, and the message telling a resolved incident that
 * its alert fired again elsewhere, posted by a process killed once Slack took them, before it recorded them: the
 * step's retry (its claim stale two minutes on) finds them by their metadata and keeps them, rather than post again.
 */
describe('storm moves posted by a process that died before recording them', () => {
  const bot = useBot({
    incidentsChannel: true,
    runbook: parseRunbook(alertRunbookData()),
    env: { ...ALERTS_ENV, ALERTS_MAX_INCIDENTS: '2' },
  });
  const fire = (over: Record<string, unknown>) => fireAlert(bot, over);
  const incidentOf = (source: string, key: string) => incidentOfAlert(bot.db, source, key);
  const posts = (channel: string | null) =>
    bot.fake.callsTo('chat.postMessage').filter((c) => c.args.channel === channel && c.response?.ok);
  /** Two SEV-1 incidents of the source: its cap. */
  const twoIncidents = async (source: string) => {
    await fire({ source, key: 'a', metric: 'queue_depth_a', summary: `Queue A stuck (${source})` });
    await fire({ source, key: 'b', metric: 'queue_depth_b', summary: `Queue B stuck (${source})` });
    return waitUntil('the two incidents', async () => {
      const l = await incidentsOfSource(bot.db, source);
      return l.length === 2 && l.every((i) => i.card_ts) ? l : null;
    });
  };
  const resolve = async (incident: { id: number; channel_id: string }) => {
    await bot.command('resolve handled', { channel_id: incident.channel_id });
    await waitUntil('resolved', async () =>
      (await bot.db.query("SELECT 1 FROM incidents WHERE id = $1 AND status = 'resolved'", [incident.id])).rows.length
        ? true
        : null,
    );
  };

  /**
   * What a process killed after the post `key` names, before it recorded it, leaves: the claim two minutes old and
   * nothing kept of where it went, and the delivery whose plan holds `step` not done. The loop then takes it again.
   */
  const crashAfterPosting = async (source: string, key: string, step: Record<string, unknown>) => {
    const { rows: claims } = await bot.db.query(
      `UPDATE alert_step_posts SET posted = false, channel = NULL, ts = NULL, claimed_at = now() - interval '119 seconds'
        WHERE key = $1 RETURNING key`,
      [key],
    );
    expect(claims).toHaveLength(1);
    const { rows: replayed } = await bot.db.query(
      `UPDATE alert_deliveries SET state = 'recorded', done = '{}', due_at = now(), locked_until = NULL
        WHERE source = $1 AND plan @> jsonb_build_array($2::jsonb) RETURNING id`,
      [source, json(step)],
    );
    expect(replayed).toHaveLength(1);
    // The loop wakes for a delivery (of another source), and takes the replayed one over with it.
    await fire({ source: `${source}-wake`, key: 'w', level: 'warning', metric: 'queue_depth', value: '9' });
    await inboxDone(bot.db, 20_000);
  };

  it("the storm's reply in its thread, saying where it goes now, is found and kept: not posted again", async () => {
    const source = 'moved-crash';
    const opened = await twoIncidents(source);
    await fire({ source, key: 'cpu', metric: 'cpu_usage', value: '97%', threshold: '> 90%', summary: 'CPU on api-9' });
    const firstId = await incidentOf(source, 'cpu');
    const from = opened.find((i) => i.id === firstId)!;
    const storm = await waitUntil('the storm told in the incidents channel', async () =>
      posts(INCIDENTS_CHANNEL_ID).find((c) => json(c.args.blocks).includes('reached its cap') && !c.args.thread_ts),
    );
    await resolve(from);
    await fire({
      source,
      key: 'disk',
      metric: 'disk_usage',
      value: '97%',
      threshold: '> 95%',
      summary: 'Disk on api-9',
    });
    const toId = await incidentOf(source, 'disk');
    expect(toId).not.toBe(from.id);
    const replies = () => posts(INCIDENTS_CHANNEL_ID).filter((c) => c.args.thread_ts === storm.response!.ts);
    const reply = await waitUntil('the reply in its thread', async () => replies()[0]);
    await inboxDone(bot.db);
    expect(replies()).toHaveLength(1);
    // The storm step of the incident it moved to, its place in the incidents channel.
    const { rows } = await bot.db.query<{ id: number }>(
      'SELECT id FROM alert_incidents WHERE incident_id = $1 AND storm ORDER BY id',
      [toId],
    );
    const ai = Number(rows[0]!.id);
    await crashAfterPosting(source, `storm:${ai}:everyone`, { kind: 'storm', alertIncident: ai });

    expect(replies()).toHaveLength(1);
    const { rows: kept } = await bot.db.query<{ ts: string; posted: boolean }>(
      'SELECT ts, posted FROM alert_step_posts WHERE key = $1',
      [`storm:${ai}:everyone`],
    );
    // Kept as an attempt that lived keeps it: the storm's message, which the reply is in.
    expect(kept).toEqual([{ ts: storm.response!.ts, posted: true }]);
    expect(reply.args.metadata).toMatchObject({ event_payload: { key: `storm:${ai}:everyone` } });
  }, 60_000);

  it('the message telling a resolved incident its alert fired again elsewhere is found and kept: not posted again', async () => {
    const source = 'elsewhere-crash';
    const [first, second] = await twoIncidents(source);
    await resolve(first!);
    // (Another value: the same body again soon after is taken for a retry of the delivery.)
    await fire({ source, key: 'a', metric: 'queue_depth_a', value: '40', summary: `Queue A stuck (${source})` });
    expect(await incidentOf(source, 'a')).toBe(second!.id);
    const told = () => posts(first!.channel_id).filter((c) => json(c.args.blocks).includes('fired again'));
    await waitUntil('the resolved incident told', async () => told()[0]);
    await inboxDone(bot.db);
    expect(told()).toHaveLength(1);
    const { rows } = await bot.db.query<{ key: string }>("SELECT key FROM alert_step_posts WHERE key LIKE $1 || ':%'", [
      `fired_elsewhere:${first!.id}`,
    ]);
    const key = rows[0]!.key;
    // Nor was it recorded (the message that Reopen closes): the process died before.
    await bot.db.query('DELETE FROM alert_fired_elsewhere_messages WHERE incident_id = $1', [first!.id]);
    await crashAfterPosting(source, key, { kind: 'fired_elsewhere', from: first!.id });

    expect(told()).toHaveLength(1);
    const { rows: kept } = await bot.db.query<{ ts: string; posted: boolean }>(
      'SELECT ts, posted FROM alert_step_posts WHERE key = $1',
      [key],
    );
    expect(kept).toEqual([{ ts: told()[0]!.response!.ts, posted: true }]);
    // Kept as the message Reopen closes, as an attempt that lived would have.
    const { rows: recorded } = await bot.db.query<{ ts: string }>(
      'SELECT ts FROM alert_fired_elsewhere_messages WHERE incident_id = $1',
      [first!.id],
    );
    expect(recorded.map((r) => r.ts)).toEqual([told()[0]!.response!.ts]);
  }, 60_000);
});
