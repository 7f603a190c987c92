import { describe, expect, it } from 'vitest';
import { ACTION, BLOCK, INPUT, VIEW } from '../../src/templates/ids.js';
import { ALERTS_ENV, alertmanagerFixture, postAlerts } from '../support/alert-request.js';
import { alertRunbook, inboxDone, incidentsOfSource, waitUntil } from '../support/alert-runbook.js';
import { INCIDENTS_CHANNEL_ID, useBot } from '../support/bot-harness.js';
import { makeAppHomeOpened } from '../support/slack-request.js';
import { postGenericAlert as post } from '../support/use-alerts-bot.js';

const json = (v: unknown) => JSON.stringify(v);

describe("a group's waiting deliveries are recorded together, in the order they came", () => {
  const bot = useBot({
    env: ALERTS_ENV,
    incidentsChannel: true,
    runbook: alertRunbook(),
    alerts: { duplicateWindowMs: 1 },
  });
  const deliveries = async (source: string) =>
    (
      await bot.db.query<{ state: string; plan: { kind: string }[]; attempts: number }>(
        'SELECT state, plan, attempts FROM alert_deliveries WHERE source = $1 ORDER BY id',
        [source],
      )
    ).rows;
  const alertEvents = async (incidentId: number) =>
    (
      await bot.db.query<{ kind: string }>(
        `SELECT kind FROM incident_events WHERE incident_id = $1 AND kind IN ('alert_fired', 'alert_resolved')
         ORDER BY id`,
        [incidentId],
      )
    ).rows.map((e) => e.kind);
  /** Posts deliveries of one alert while the alert loop is stopped, then starts it: they wait, and go together. */
  const heldBack = async (source: string, statuses: ('firing' | 'resolved')[]) => {
    await bot.alerts.stop();
    for (const [i, status] of statuses.entries()) {
      const r = await post(bot.baseUrl, {
        source,
        key: 'pool',
        status,
        value: `${90 + i}%`,
        summary: `${source} errors`,
      });
      expect(r.status).toBe(202);
    }
    expect((await deliveries(source)).filter((d) => d.state === 'received')).toHaveLength(statuses.length);
    bot.alerts.start();
    await inboxDone(bot.db);
  };
  const offers = (channel: string) =>
    bot.fake
      .callsTo('chat.postMessage')
      .filter((c) => c.args.channel === channel && json(c.args).includes('Every alert of this incident'));

  it('a new alert and its repeats waiting together open one incident, counted once each', async () => {
    await heldBack('batch-new', ['firing', 'firing', 'firing']);
    const list = await incidentsOfSource(bot.db, 'batch-new');
    expect(list).toHaveLength(1);
    const rows = await deliveries('batch-new');
    expect(rows.map((d) => d.state)).toEqual(['done', 'done', 'done']);
    // One batch: the last delivery carried the plan (the declaration), the others none.
    expect(rows.map((d) => d.plan.map((s) => s.kind))).toEqual([[], [], ['declare']]);
    const { rows: alerts } = await bot.db.query<{ count: number; status: string }>(
      `SELECT count, status FROM alerts WHERE source = 'batch-new'`,
    );
    expect(alerts).toEqual([{ count: 3, status: 'firing' }]);
    expect(await alertEvents(list[0]!.id)).toEqual(['alert_fired']);
    await waitUntil('the card to count 3', async () =>
      json(bot.fake.message(list[0]!.channel_id, list[0]!.card_ts ?? '')?.blocks).includes('×3'),
    );
  });

  it('repeats, a resolution and a new firing in one batch: the timeline has each change, the card one refresh', async () => {
    await post(bot.baseUrl, { source: 'batch-open', key: 'pool', value: '89%', summary: 'batch-open errors' });
    await inboxDone(bot.db);
    const [incident] = await incidentsOfSource(bot.db, 'batch-open');
    await waitUntil('the card', async () => (await incidentsOfSource(bot.db, 'batch-open'))[0]?.card_ts);
    const cardTs = (await incidentsOfSource(bot.db, 'batch-open'))[0]!.card_ts!;

    await heldBack('batch-open', ['firing', 'firing', 'resolved', 'firing', 'firing']);
    const rows = await deliveries('batch-open');
    expect(rows.map((d) => d.state)).toEqual(Array(6).fill('done'));
    expect(rows.slice(1).map((d) => d.plan.map((s) => s.kind))).toEqual([[], [], [], [], ['card']]);
    const { rows: alerts } = await bot.db.query<{ count: number; status: string }>(
      `SELECT count, status FROM alerts WHERE source = 'batch-open'`,
    );
    expect(alerts).toEqual([{ count: 5, status: 'firing' }]);
    // First firing, its resolution, its firing again: not the repeats.
    expect(await alertEvents(incident!.id)).toEqual(['alert_fired', 'alert_resolved', 'alert_fired']);
    await waitUntil('the card to count 5', async () =>
      json(bot.fake.message(incident!.channel_id, cardTs)?.blocks).includes('×5'),
    );
    // It fires at the end of the batch: nothing to offer.
    expect(offers(incident!.channel_id)).toHaveLength(0);

    // A batch that ends resolved offers Resolve incident once.
    await heldBack('batch-open', ['firing', 'resolved', 'resolved']);
    await bot.fake.waitFor(
      'chat.postMessage',
      (c) => c.args.channel === incident!.channel_id && json(c.args).includes('Every alert of this incident'),
    );
    expect(offers(incident!.channel_id)).toHaveLength(1);
    expect(await alertEvents(incident!.id)).toEqual(['alert_fired', 'alert_resolved', 'alert_fired', 'alert_resolved']);
    const last = (await deliveries('batch-open')).slice(-3);
    expect(last.map((d) => d.plan.map((s) => s.kind))).toEqual([[], [], ['card', 'all_resolved']]);
  });
});

describe('repeats alone are shown on the card by a refresh due ALERTS_REPEAT_REFRESH later', () => {
  // Past the second a group's later deliveries (repeats, a resolution) are gathered for, with room for a busy machine.
  const REFRESH_MS = 5000;
  const bot = useBot({
    env: { ...ALERTS_ENV, ALERTS_REPEAT_REFRESH: `${REFRESH_MS / 1000}s` },
    incidentsChannel: true,
    runbook: alertRunbook(),
    alerts: { duplicateWindowMs: 1 },
  });
  const dueAt = async (source: string) =>
    (
      await bot.db.query<{ card_due_at: Date | null }>('SELECT card_due_at FROM alert_incidents WHERE source = $1', [
        source,
      ])
    ).rows[0]?.card_due_at ?? null;
  /** Posts an alert's first firing and waits for its incident's card: its text, and the updates of it since. */
  const firstAlertsCard = async (alert: { source: string; key: string; summary: string }, value: string) => {
    await post(bot.baseUrl, { ...alert, value });
    await inboxDone(bot.db);
    const incident = await waitUntil('the card', async () =>
      (await incidentsOfSource(bot.db, alert.source)).find((i) => i.card_ts),
    );
    return {
      incident,
      cardText: () => json(bot.fake.message(incident.channel_id, incident.card_ts!)?.blocks),
      updates: () =>
        bot.fake
          .callsTo('chat.update')
          .filter((c) => c.args.channel === incident.channel_id && c.args.ts === incident.card_ts),
    };
  };

  it('no card step per repeat; one refresh, from the loop, no sooner than due; then nothing is due', async () => {
    const alert = { source: 'repeats', key: 'disk', summary: 'Disk filling on db-1' };
    const { cardText, updates } = await firstAlertsCard(alert, '91%');
    await waitUntil('the card to count 1', async () => cardText().includes('×1'));
    await waitUntil('no refresh left due', async () => (await dueAt('repeats')) === null);
    const before = updates().length;

    for (const value of ['92%', '93%']) await post(bot.baseUrl, { ...alert, value });
    await inboxDone(bot.db);
    const { rows } = await bot.db.query<{ plan: unknown[]; finished_at: Date }>(
      `SELECT plan, finished_at FROM alert_deliveries WHERE source = 'repeats' ORDER BY id`,
    );
    // Repeats leave nothing to do: done as they are recorded.
    expect(rows.slice(1).map((r) => r.plan)).toEqual([[], []]);
    // The first repeat made the refresh due, in the transaction that recorded it.
    const firstRepeatAt = rows[1]!.finished_at.getTime();

    await waitUntil('the card to count 3', async () => cardText().includes('×3'), 15_000);
    const refresh = updates().slice(before);
    expect(refresh.length).toBeGreaterThanOrEqual(1);
    // Due ALERTS_REPEAT_REFRESH after the first repeat was recorded, never sooner (the clocks are the same machine's).
    expect(refresh[0]!.at).toBeGreaterThanOrEqual(firstRepeatAt + REFRESH_MS - 100);
    await waitUntil('no refresh left due', async () => (await dueAt('repeats')) === null);
    // A repeat's card refresh is not made twice.
    await new Promise((r) => setTimeout(r, REFRESH_MS + 500));
    expect(updates().slice(before)).toHaveLength(refresh.length);
  }, 30_000);

  it('a card refreshed for another reason shows the repeats waiting: their refresh is not made again', async () => {
    const alert = { source: 'shown', key: 'mem', summary: 'Memory high on api-2' };
    const { cardText, updates } = await firstAlertsCard(alert, '81%');
    await waitUntil('no refresh left due', async () => (await dueAt('shown')) === null);

    // Two repeats: the card's refresh becomes due ALERTS_REPEAT_REFRESH later...
    for (const value of ['82%', '83%']) await post(bot.baseUrl, { ...alert, value });
    await inboxDone(bot.db);
    const repeatsDue = await dueAt('shown');
    expect(repeatsDue).not.toBeNull();
    // ...but the alert resolves first, which refreshes the card at once: it shows the repeats and the resolution.
    await post(bot.baseUrl, { ...alert, status: 'resolved', value: '40%' });
    await waitUntil('the card to show ×3 and the resolution', async () => {
      const t = cardText();
      return t.includes('×3') && t.includes('0 firing · 1 resolved');
    });
    const after = updates().length;
    expect(Date.now()).toBeLessThan(repeatsDue!.getTime()); // shown before the repeats' refresh was due
    // Past the time the repeats' refresh was due: no card update for them, and none is due.
    await new Promise((r) => setTimeout(r, Math.max(0, repeatsDue!.getTime() - Date.now()) + REFRESH_MS));
    expect(updates()).toHaveLength(after);
    expect(await dueAt('shown')).toBeNull();
  }, 30_000);

  it("a storm's repeats of a group with an incident are recorded together, a few transactions a second", async () => {
    const alert = { source: 'gathered', key: 'cpu', summary: 'CPU saturated on api-1' };
    await post(bot.baseUrl, { ...alert, value: '95%' });
    await inboxDone(bot.db);
    await waitUntil('the card', async () => (await incidentsOfSource(bot.db, 'gathered')).find((i) => i.card_ts));

    // 12 repeats one after another (each answered before the next), as fast as the bot answers.
    for (let i = 0; i < 12; i++)
      expect((await post(bot.baseUrl, { ...alert, value: `${96 + i / 10}%` })).status).toBe(202);
    await inboxDone(bot.db);
    const { rows } = await bot.db.query<{ tx: string; waited_ms: number }>(
      `SELECT xmin::text AS tx, extract(epoch FROM finished_at - received_at) * 1000 AS waited_ms
       FROM alert_deliveries WHERE source = 'gathered' ORDER BY id OFFSET 1`,
    );
    expect(rows).toHaveLength(12);
    // Deliveries recorded by one transaction share its id: a handful, not one per delivery.
    expect(new Set(rows.map((r) => r.tx)).size).toBeLessThanOrEqual(4);
    // None waited long: gathered for a second, two at most (one that came as a recording began waits for the next),
    // then recorded.
    expect(Math.max(...rows.map((r) => Number(r.waited_ms)))).toBeLessThan(3000);
    const { rows: alerts } = await bot.db.query<{ count: number }>(
      `SELECT count FROM alerts WHERE source = 'gathered'`,
    );
    expect(alerts).toEqual([{ count: 13 }]);
  }, 30_000);
  it('`/incident alerts` outside an incident channel lists what is firing now, most severe first, and where each is', async () => {
    const source = 'firing-now';
    const base = { source, metric: 'queue_depth', service: 'worker' };
    await post(bot.baseUrl, { ...base, key: 'fn-info', level: 'info', summary: 'Queue depth noted' });
    await post(bot.baseUrl, { ...base, key: 'fn-warn', level: 'warning', summary: 'Queue depth rising' });
    await post(bot.baseUrl, { ...base, key: 'fn-crit', level: 'critical', summary: 'Queue stuck for 20 minutes' });
    await post(bot.baseUrl, { ...base, key: 'fn-gone', level: 'warning', summary: 'Queue briefly slow' });
    await post(bot.baseUrl, {
      ...base,
      key: 'fn-gone',
      level: 'warning',
      status: 'resolved',
      summary: 'Queue briefly slow',
    });
    await inboxDone(bot.db);
    const [incident] = await incidentsOfSource(bot.db, source);
    await waitUntil('the warning notice', async () =>
      bot.fake
        .callsTo('chat.postMessage')
        .find((c) => c.args.channel === INCIDENTS_CHANNEL_ID && json(c.args).includes('Queue depth rising')),
    );

    const before = bot.replies().length;
    await bot.command('alerts', { channel_id: 'C0GENERAL' });
    const reply = await waitUntil('the firing list', async () =>
      bot
        .replies()
        .slice(before)
        .find((m) => json(m).includes('Alerts firing now')),
    );
    const text = (reply.blocks as { type: string; text?: { text: string } }[])
      .filter((b) => b.type === 'section')
      .map((b) => b.text!.text)
      .join('\n');
    const lineOf = (summary: string) => text.split('\n').find((l) => l.includes(summary)) ?? '';
    expect(lineOf('Queue stuck for 20 minutes')).toContain(
      `→ incident #${incident!.number} <#${incident!.channel_id}>`,
    );
    expect(lineOf('Queue depth rising')).toContain(`→ its notice in <#${INCIDENTS_CHANNEL_ID}>`);
    expect(lineOf('Queue depth noted')).toContain('→ recorded only');
    // What resolved is not firing.
    expect(text).not.toContain('Queue briefly slow');
    // The most severe level first.
    const order = ['Queue stuck', 'Queue depth rising', 'Queue depth noted'].map((s) => text.indexOf(s));
    expect(order).toEqual([...order].sort((a, b) => a - b));
    expect(text.indexOf(':rotating_light: *Critical*')).toBeLessThan(text.indexOf(':warning: *Warning*'));
    // Each line's icon is its level's while it fires: a warning is not shown with a critical's red circle.
    expect(lineOf('Queue stuck for 20 minutes')).toMatch(/^:red_circle: /);
    expect(lineOf('Queue depth rising')).toMatch(/^:warning: /);
    expect(lineOf('Queue depth noted')).toMatch(/^:information_source: /);

    // The Home tab shows them too, most severe first.
    await bot.event(makeAppHomeOpened('U0WATCHER'));
    const home = await waitUntil('the Home tab', async () => {
      const v = json(bot.fake.homeTabs.get('U0WATCHER')?.view ?? null);
      return v.includes('Alerts firing now') ? v : null;
    });
    expect(home.indexOf('Queue stuck for 20 minutes')).toBeLessThan(home.indexOf('Queue depth rising'));
    expect(home).toContain(`→ incident #${incident!.number}`);
    expect(home).toContain(':warning: *queue_depth* · Queue depth rising');
    expect(home).not.toContain(':red_circle:');

    // In the incident's channel it is still that incident's list, resolved ones too.
    await bot.command('alerts', { channel_id: incident!.channel_id });
    await waitUntil('the incident list', async () =>
      bot
        .replies()
        .slice(before)
        .find((m) => json(m).includes(`Alerts · #${incident!.number}`)),
    );
  }, 30_000);
  it('a critical alert joining an incident less severe than its row declares is told in its channel, once', async () => {
    /** Declares the incident of a warning's notice at SEV-3, as a person does from its button. */
    const declareAtSev3 = async (summary: string, title: string, source: string) => {
      const notice = await bot.fake.waitFor(
        'chat.postMessage',
        (c) => c.args.channel === INCIDENTS_CHANNEL_ID && json(c.args).includes(summary),
      );
      const opened = bot.fake.callsTo('views.open').length;
      await bot.press(notice, ACTION.declareFromAlert);
      const view = (await bot.fake.waitForCount('views.open', opened + 1)).at(-1)!.args.view;
      await bot.submit({
        callbackId: VIEW.declare,
        privateMetadata: view.private_metadata,
        values: {
          [BLOCK.declareSeverity]: { [INPUT.severity]: { type: 'static_select', selected_option: { value: '3' } } },
          [BLOCK.declareTitle]: { [INPUT.text]: { type: 'plain_text_input', value: title } },
        },
      });
      return waitUntil('the declared incident', async () =>
        (await incidentsOfSource(bot.db, source)).find((i) => i.card_ts && i.title === title),
      );
    };
    const toldIn = (channel: string) =>
      bot.fake
        .callsTo('chat.postMessage')
        .filter((c) => c.args.channel === channel && json(c.args).includes('A critical alert joined'));
    const toldIn2 = (channel: string) =>
      bot.fake
        .callsTo('chat.postMessage')
        .filter((c) => c.args.channel === channel && /critical alerts? joined/.test(json(c.args)));

    // One key, a warning that grows critical (the generic format: disk 85%, then 99%).
    const grow = { source: 'outranked', key: 'disk-db1', metric: 'disk_fill', service: 'db-1' };
    await post(bot.baseUrl, { ...grow, level: 'warning', summary: 'Disk 85% on db-1' });
    const incident = await declareAtSev3('Disk 85% on db-1', 'disk filling on db-1', 'outranked');
    await post(bot.baseUrl, { ...grow, level: 'critical', summary: 'Disk 99% on db-1' });
    await inboxDone(bot.db);
    const told = await waitUntil('the channel told', async () => toldIn(incident.channel_id)[0]);
    expect(String(told.args.text)).toContain('A critical alert joined this SEV-3 incident');
    expect(String(told.args.text)).toContain('declared SEV-1');
    expect(String(told.args.text)).toContain('`/incident sev1`');
    expect(json(told.args.blocks)).toContain('Disk 99% on db-1');
    // Not raised by itself; a repeat says nothing more.
    const severity = async (id: number) =>
      (await bot.db.query<{ severity: number }>('SELECT severity FROM incidents WHERE id = $1', [id])).rows[0]!
        .severity;
    expect(await severity(incident.id)).toBe(3);
    // Its button raises it (once: a second click is told it is that severe already).
    const clickRaise = () => bot.press(told, ACTION.raiseSeverity);
    await clickRaise();
    await waitUntil('SEV-1', async () => (await severity(incident.id)) === 1);
    const replies = bot.replies().length;
    await clickRaise();
    const again = await waitUntil('the second click answered', async () => bot.replies()[replies]);
    expect(again.text).toContain('is SEV-1 already; nothing was changed');
    await post(bot.baseUrl, { ...grow, level: 'critical', summary: 'Disk 99% on db-1', value: '99.5%' });
    await inboxDone(bot.db);

    // An Alertmanager group: a new critical alert joins the warning's SEV-3 incident: told. Raised to SEV-1, the next
    // critical one is not.
    const am = JSON.parse(alertmanagerFixture('group-firing'));
    const warning = {
      ...am.alerts[0],
      fingerprint: 'outranked-w',
      labels: { alertname: 'SlowQueries', severity: 'warning' },
      annotations: { summary: 'Queries slow on db-2' },
    };
    const group = { ...am, groupKey: 'outranked-group', alerts: [warning] };
    await postAlerts(bot.baseUrl, '/hooks/alertmanager', group);
    const second = await declareAtSev3('Queries slow on db-2', 'slow queries on db-2', 'alertmanager');
    const critical = (n: number, summary: string) => ({
      ...warning,
      fingerprint: `outranked-c${n}`,
      labels: { alertname: `DbDown${n}`, severity: 'critical' },
      annotations: { summary },
    });
    // Two at once: one message names both.
    await postAlerts(bot.baseUrl, '/hooks/alertmanager', {
      ...group,
      alerts: [warning, critical(1, 'db-2 down'), critical(3, 'db-2 disk gone')],
    });
    await inboxDone(bot.db);
    const joined = await waitUntil('the channel told', async () => toldIn2(second.channel_id)[0]);
    expect(String(joined.args.text)).toContain('2 critical alerts joined this SEV-3 incident');
    expect(json(joined.args.blocks)).toContain('db-2 down');
    expect(json(joined.args.blocks)).toContain('db-2 disk gone');
    // Another one later, while that offer stands (the severity unchanged): not offered again; the card shows it.
    await postAlerts(bot.baseUrl, '/hooks/alertmanager', {
      ...group,
      alerts: [warning, critical(1, 'db-2 down'), critical(3, 'db-2 disk gone'), critical(4, 'db-2 wal full')],
    });
    await inboxDone(bot.db);
    await waitUntil('the card shows it', async () =>
      json(bot.fake.message(second.channel_id, second.card_ts!)?.blocks).includes('db-2 wal full'),
    );
    // Raised to SEV-2 only: still less severe than they declare, so the next critical alert offers SEV-1 again.
    await bot.command('sev2', { channel_id: second.channel_id });
    await waitUntil(
      'SEV-2',
      async () =>
        (await bot.db.query('SELECT severity FROM incidents WHERE id = $1', [second.id])).rows[0]?.severity === 2,
    );
    await new Promise((r) => setTimeout(r, 300));
    expect(toldIn2(second.channel_id)).toHaveLength(1);
    await postAlerts(bot.baseUrl, '/hooks/alertmanager', {
      ...group,
      alerts: [
        warning,
        critical(1, 'db-2 down'),
        critical(3, 'db-2 disk gone'),
        critical(4, 'db-2 wal full'),
        critical(5, 'db-2 backups failing'),
      ],
    });
    await inboxDone(bot.db);
    const offeredAgain = await waitUntil('offered again', async () => toldIn2(second.channel_id)[1]);
    expect(String(offeredAgain.args.text)).toContain('A critical alert joined this SEV-2 incident');
    expect(json(offeredAgain.args.blocks)).toContain('db-2 backups failing');
    // Each offer is on the timeline, for the post-mortem.
    const offers = (
      await bot.db.query<{ details: { severity: number; alerts: string[] } }>(
        `SELECT details FROM incident_events WHERE incident_id = $1 AND kind = 'raise_offered' ORDER BY id`,
        [second.id],
      )
    ).rows.map((r) => r.details);
    expect(offers).toEqual([
      { severity: 1, alerts: ['DbDown1', 'DbDown3'] },
      { severity: 1, alerts: ['DbDown5'] },
    ]);
    await bot.command('sev1', { channel_id: second.channel_id });
    await waitUntil(
      'SEV-1',
      async () =>
        (await bot.db.query('SELECT severity FROM incidents WHERE id = $1', [second.id])).rows[0]?.severity === 1,
    );
    const alerts = [
      warning,
      critical(1, 'db-2 down'),
      critical(3, 'db-2 disk gone'),
      critical(4, 'db-2 wal full'),
      critical(5, 'db-2 backups failing'),
      critical(2, 'db-2 replica down'),
    ];
    await postAlerts(bot.baseUrl, '/hooks/alertmanager', { ...group, alerts });
    await inboxDone(bot.db);
    await waitUntil('the card shows it', async () =>
      json(bot.fake.message(second.channel_id, second.card_ts!)?.blocks).includes('db-2 replica down'),
    );
    await new Promise((r) => setTimeout(r, 300));
    expect(toldIn2(second.channel_id)).toHaveLength(2);
    expect(toldIn(incident.channel_id)).toHaveLength(1);
  }, 30_000);
});
