import { describe, expect, it } from 'vitest';
import { ALERTS_ENV, alertmanagerFixture, postAlerts } from '../support/alert-request.js';
import { alertRunbook, inboxDone, incidentsOfSource } from '../support/alert-runbook.js';
import { useBot } from '../support/bot-harness.js';

/** The fixture's group under another group key, its alerts' fingerprints its own, its first alert changed by `first`. */
function group(groupKey: string, first: Record<string, unknown>) {
  const body = JSON.parse(alertmanagerFixture('group-firing')) as {
    groupKey: string;
    alerts: Record<string, unknown>[];
  };
  body.groupKey = groupKey;
  body.alerts = body.alerts.map((a, i) => ({ ...a, fingerprint: `${groupKey}-${i}`, ...(i === 0 ? first : {}) }));
  return body;
}

describe("Alertmanager times at or before Go's zero time", () => {
  const bot = useBot({ env: ALERTS_ENV, incidentsChannel: true, runbook: alertRunbook() });

  it('a start or an end before year 1 (a zero time written in a zone) is no time: recorded, declared, and its group is not refused', async () => {
    const source = 'zero-times';
    const post = (body: object) => postAlerts(bot.baseUrl, `/hooks/alertmanager?source=${source}`, body);
    // Go's zero time in a zone east of UTC is a time in year 0, which PostgreSQL cannot hold; west of UTC, the text
    // says year 0 of the same instant; an end of year 1 on a resolved alert is no end either.
    const east = await post(group('east', { startsAt: '0001-01-01T00:00:00+14:00' }));
    const west = await post(
      group('west', { status: 'resolved', startsAt: '2026-11-30T08:02:05Z', endsAt: '0000-12-31T19:00:00-05:00' }),
    );
    const plain = await post(group('plain', {}));
    for (const r of [east, west, plain]) expect(r.status, r.text).toBe(202);

    await inboxDone(bot.db);
    const { rows: deliveries } = await bot.db.query<{ state: string }>(
      'SELECT state FROM alert_deliveries WHERE source = $1',
      [source],
    );
    expect(deliveries.map((d) => d.state)).toEqual(['done', 'done', 'done']);
    const { rows } = await bot.db.query<{
      group_key: string;
      status: string;
      starts_at: Date | null;
      ends_at: Date | null;
      resolved_at: Date | null;
      first_seen: Date;
    }>(
      `SELECT group_key, status, starts_at, ends_at, resolved_at, first_seen FROM alerts
       WHERE source = $1 AND fingerprint LIKE '%-0' ORDER BY group_key`,
      [source],
    );
    const year = (d: Date | null) => d?.getUTCFullYear() ?? null;
    const received = new Date().getUTCFullYear();
    expect(rows.map((r) => [r.group_key, r.status, year(r.starts_at), year(r.ends_at), year(r.first_seen)])).toEqual([
      // No start given: first seen is when the bot received it, as for a source that sends no times.
      ['east', 'firing', null, null, received],
      ['plain', 'firing', 2026, null, 2026],
      // No end given: resolved when the bot received the resolution.
      ['west', 'resolved', 2026, null, 2026],
    ]);
    expect(year(rows.find((r) => r.group_key === 'west')!.resolved_at)).toBe(received);
    expect((await incidentsOfSource(bot.db, source)).length).toBeGreaterThan(0);
  });
});
