import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { alertmanagerAlert, alertmanagerFixture, alertmanagerGroup, postAlerts } from '../support/alert-request.js';
import { inboxDone, incidentsOfSource, waitUntil } from '../support/alert-runbook.js';
import { INCIDENTS_CHANNEL_ID } from '../support/bot-harness.js';
import { postGenericAlert as post, useAlertsBot } from '../support/use-alerts-bot.js';

const json = (v: unknown) => JSON.stringify(v);

/** Storm control: at most ALERTS_MAX_INCIDENTS incidents a source, the rest joining the latest. */
describe('alerts open and track incidents', () => {
  const { bot, cardText, alertRows } = useAlertsBot();

  it("a storm's card names the alerts left out of the groups that joined it, and drops each as its group sends all", async () => {
    const am = JSON.parse(alertmanagerFixture('group-firing')) as { alerts: Record<string, unknown>[] };
    const group = (name: string, truncatedAlerts: number) => {
      const summary = { summary: `Queue ${name} backing up (capstorm)` };
      return postAlerts(bot.baseUrl, '/hooks/alertmanager?source=capstorm', {
        ...am,
        groupKey: `{}:{queue="${name}"}`,
        commonAnnotations: summary,
        alerts: am.alerts.map((a, i) => ({ ...a, annotations: summary, fingerprint: `capstorm-${name}-${i}` })),
        truncatedAlerts,
      });
    };
    // ALERTS_MAX_INCIDENTS is 2: the first two groups open incidents, the next two join the latest.
    for (const [name, left] of [
      ['a', 0],
      ['b', 0],
      ['c', 5],
      ['d', 3],
    ] as const) {
      expect((await group(name, left)).status).toBe(202);
      await inboxDone(bot.db);
    }
    const incidents = await incidentsOfSource(bot.db, 'capstorm');
    expect(incidents).toHaveLength(2);
    const storm = incidents[1]!;
    await waitUntil('the card', async () => (await incidentsOfSource(bot.db, 'capstorm'))[1]?.card_ts);
    const withCard = (await incidentsOfSource(bot.db, 'capstorm'))[1]!;
    expect(withCard.id).toBe(storm.id);
    await waitUntil('the storm card to name the 8', async () => cardText(withCard).includes('8 more alerts not sent'));
    expect(cardText(withCard)).toContain(
      "capstorm left them out of its latest deliveries of this storm's groups (its webhook's `max_alerts`)",
    );
    expect(cardText(incidents[0]!)).not.toContain('not sent');
    await bot.command('alerts', { channel_id: withCard.channel_id });
    const list = await waitUntil('the alert list', async () =>
      bot.replies().find((m) => json(m).includes('more not sent by capstorm')),
    );
    expect(json(list)).toContain('8 more not sent by capstorm');
    // Each group's latest delivery counts: c sends all of its alerts, then d.
    expect((await group('c', 0)).status).toBe(202);
    await inboxDone(bot.db);
    await waitUntil('the card to name the 3 left', async () => cardText(withCard).includes('3 more alerts not sent'));
    expect((await group('d', 0)).status).toBe(202);
    await inboxDone(bot.db);
    await waitUntil('the card to drop it', async () => !cardText(withCard).includes('not sent'));
    expect(await incidentsOfSource(bot.db, 'capstorm')).toHaveLength(2);
  });

  it("a group whose alerts a storm sent to another group's incident: its later alerts join them there, a warning too", async () => {
    const startsAt = new Date(Date.now() - 60_000).toISOString();
    const group = (service: string, alerts: { instance: string; severity: string }[]) =>
      alertmanagerGroup(
        `{}:{service="${service}"}`,
        alerts.map((a) =>
          alertmanagerAlert(
            `split-${a.instance}`,
            { alertname: 'ServiceDown', service, severity: a.severity, instance: a.instance },
            { summary: `${a.instance} is down (split)` },
            { startsAt },
          ),
        ),
      );
    const hook = '/hooks/alertmanager?source=split-storm';
    for (const n of [1, 2, 3]) {
      expect(
        (await postAlerts(bot.baseUrl, hook, group(`svc-${n}`, [{ instance: `svc-${n}-a`, severity: 'critical' }])))
          .status,
      ).toBe(202);
      await inboxDone(bot.db);
    }
    const incidents = await incidentsOfSource(bot.db, 'split-storm');
    expect(incidents).toHaveLength(2);
    const incidentOf = async (fingerprint: string) => {
      const { rows } = await bot.db.query<{ incident_id: number | null }>(
        `SELECT ai.incident_id FROM alerts a LEFT JOIN alert_incidents ai ON ai.id = a.alert_incident_id
         WHERE a.source = 'split-storm' AND a.fingerprint = $1`,
        [fingerprint],
      );
      return rows[0]?.incident_id === undefined || rows[0]?.incident_id === null ? null : Number(rows[0].incident_id);
    };
    const storm = await incidentOf('split-svc-3-a');
    expect(storm).toBe(incidents[1]!.id);
    // svc-3's group again: a new warning, then a new critical. Both join svc-3's first alert: no notice, no incident.
    expect(
      (
        await postAlerts(
          bot.baseUrl,
          hook,
          group('svc-3', [
            { instance: 'svc-3-a', severity: 'critical' },
            { instance: 'svc-3-b', severity: 'warning' },
          ]),
        )
      ).status,
    ).toBe(202);
    await inboxDone(bot.db);
    expect(await incidentOf('split-svc-3-b')).toBe(storm);
    expect(
      (await postAlerts(bot.baseUrl, hook, group('svc-3', [{ instance: 'svc-3-c', severity: 'critical' }]))).status,
    ).toBe(202);
    await inboxDone(bot.db);
    expect(await incidentOf('split-svc-3-c')).toBe(storm);
    expect(await incidentsOfSource(bot.db, 'split-storm')).toHaveLength(2);
    await sleep(300);
    expect(
      bot.fake
        .callsTo('chat.postMessage')
        .filter((c) => c.args.channel === INCIDENTS_CHANNEL_ID && json(c.args).includes('svc-3-b is down')),
    ).toHaveLength(0);
  });

  it('storm control: at most ALERTS_MAX_INCIDENTS incidents per source in 10 minutes; no alert is dropped', async () => {
    for (let n = 1; n <= 6; n++) {
      const r = await post(bot.baseUrl, {
        source: 'storm',
        key: `node-${n}`,
        summary: `Node ${n} failing health checks`,
      });
      expect(r.status).toBe(202);
    }
    await inboxDone(bot.db);
    const incidents = await incidentsOfSource(bot.db, 'storm');
    expect(incidents).toHaveLength(2);
    const rows = await alertRows('storm');
    expect(rows).toHaveLength(6);
    expect(rows.every((a) => a.alert_incident_id !== null)).toBe(true);
    const latest = incidents[1]!;
    await waitUntil('the storm on the card', async () => cardText(latest).includes('Alert storm'));
    expect(cardText(latest)).toContain('5 firing');
    await bot.command('alerts', { channel_id: latest.channel_id });
    const reply = await waitUntil('the alert list', async () =>
      bot.replies().find((m) => json(m).includes('Alerts · #')),
    );
    // Deliveries are recorded side by side: whichever node was recorded first opened the first incident (not always
    // node 1 on a busy machine); the storm incident holds the other five.
    const { rows: first } = await bot.db.query<{ summary: string }>(
      `SELECT a.summary FROM alerts a JOIN alert_incidents ai ON ai.id = a.alert_incident_id
       WHERE a.source = 'storm' AND ai.incident_id = $1`,
      [incidents[0]!.id],
    );
    expect(first).toHaveLength(1);
    const opener = Number(/Node (\d)/.exec(first[0]!.summary)?.[1]);
    for (let n = 1; n <= 6; n++) {
      if (n === opener) expect(json(reply)).not.toContain(`Node ${n} failing`);
      else expect(json(reply)).toContain(`Node ${n} failing`);
    }
    // The storm is said once where people look: the incidents channel (naming the incident it joins) and its channel.
    const storms = (channel: string) =>
      bot.fake
        .callsTo('chat.postMessage')
        .filter((c) => c.args.channel === channel && String(c.args.text).startsWith('Alert storm:'));
    const everyone = await waitUntil(
      'the storm told in the incidents channel',
      async () => storms(INCIDENTS_CHANNEL_ID)[0],
    );
    expect(json(everyone.args.blocks)).toContain(`*storm* reached its cap of 2 incidents opened in 10 minutes`);
    expect(json(everyone.args.blocks)).toContain(`join incident #${latest.number} (<#${latest.channel_id}>)`);
    await waitUntil('the storm told in its channel', async () => storms(latest.channel_id!)[0]);
    await post(bot.baseUrl, { source: 'storm', key: 'node-7', summary: 'Node 7 failing health checks' });
    await inboxDone(bot.db);
    await waitUntil('the seventh on the card', async () => cardText(latest).includes('6 firing'));
    expect(storms(INCIDENTS_CHANNEL_ID)).toHaveLength(1);
    expect(storms(latest.channel_id!)).toHaveLength(1);
    // On its timeline (so in its post-mortem) once, whether the storm came while it was being declared or after.
    const notes = async (id: number) =>
      (
        await bot.db.query<{ text: string }>(
          `SELECT details->>'text' AS text FROM incident_events WHERE incident_id = $1 AND kind = 'note' ORDER BY id`,
          [id],
        )
      ).rows.map((r) => r.text);
    expect((await notes(latest.id)).filter((t) => t.startsWith('Alert storm: storm reached its cap'))).toHaveLength(1);

    // The first incident resolved, its alert fires again: past the cap it joins the storm's incident, whose timeline
    // names the incident it was in before (as the card of an incident it opened would).
    const firstIncident = incidents[0]!;
    await bot.command('resolve node replaced', { channel_id: firstIncident.channel_id });
    await waitUntil(
      'the first resolved',
      async () =>
        (await incidentsOfSource(bot.db, 'storm')).find((i) => i.id === firstIncident.id)?.status === 'resolved',
    );
    await post(bot.baseUrl, {
      source: 'storm',
      key: `node-${opener}`,
      summary: `Node ${opener} failing health checks`,
    });
    await inboxDone(bot.db);
    expect(await incidentsOfSource(bot.db, 'storm')).toHaveLength(2);
    const joined = (await notes(latest.id)).filter((t) =>
      t.includes(`was in incident #${firstIncident.number} before`),
    );
    expect(joined).toHaveLength(1);
    expect(joined[0]).toMatch(/resolved; it fired again and joined this incident$/);
  });

  it("a storm's incidents, opened at once from several sources, are announced in the order of their numbers", async () => {
    const before = bot.fake.callsTo('chat.postMessage').length;
    // Two groups from each of three sources (the cap is 2 a source), delivered at once: six declarations side by side.
    // The first card's pin is slow, as Slack sometimes is: its announcement still comes first.
    bot.fake.failNext('pins.add', { delayMs: 800 });
    const sent = await Promise.all(
      ['east', 'west', 'north'].flatMap((region) =>
        [1, 2].map((n) =>
          post(bot.baseUrl, { source: `ordered-${region}`, key: `disk-${n}`, summary: `Disk ${n} full in ${region}` }),
        ),
      ),
    );
    expect(sent.map((r) => r.status)).toEqual([202, 202, 202, 202, 202, 202]);
    await inboxDone(bot.db);
    const numbers = await waitUntil('six announcements', async () => {
      const said = bot.fake
        .callsTo('chat.postMessage')
        .slice(before)
        .filter((c) => c.args.channel === INCIDENTS_CHANNEL_ID)
        .map((c) => /incident #(\d+): Disk \d full/.exec(String(c.args.text))?.[1])
        .filter((n): n is string => n !== undefined)
        .map(Number);
      return said.length === 6 ? said : null;
    });
    expect(numbers).toEqual([...numbers].sort((a, b) => a - b));
  });
});
