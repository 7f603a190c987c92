import { describe, expect, it } from 'vitest';
import { parseRunbook } from '../../src/runbook/runbook.js';
import { ACTION, BLOCK, FLAG, INPUT, VIEW } from '../../src/templates/ids.js';
import {
  ALERTS_ENV,
  alertmanagerAlert,
  alertmanagerGroup,
  genericAlert,
  postAlerts,
} from '../support/alert-request.js';
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
import { BOT_USER_ID } from '../support/fake-slack.js';
import { stateValue } from '../support/slack-request.js';

const json = (v: unknown) => JSON.stringify(v);

/** Storm control at two incidents a source in 10 minutes. */
describe('storm control never hides a more severe, different trouble', () => {
  const bot = useBot({
    incidentsChannel: true,
    runbook: parseRunbook(alertRunbookData()),
    env: { ...ALERTS_ENV, ALERTS_MAX_INCIDENTS: '2' },
  });
  /** One alert in the generic format, recorded and its plan carried out before the next. */
  const fire = (over: Record<string, unknown>) => fireAlert(bot, over);
  const incidentOf = (source: string, key: string) => incidentOfAlert(bot.db, source, key);
  const inIncidents = () => bot.fake.callsTo('chat.postMessage').filter((c) => c.args.channel === INCIDENTS_CHANNEL_ID);

  /** Presses a told alert's Declare incident and submits the form: the incident its alert is in then. */
  const declareApart = async (told: RecordedCall, title: string, opts: { private?: boolean } = {}) => {
    const section = (told.args.blocks as { accessory?: { action_id: string; value: string } }[]).find(
      (b) => b.accessory?.action_id === ACTION.declareFromAlert,
    )!;
    const forms = bot.fake.callsTo('views.open').length;
    await bot.click({
      channelId: INCIDENTS_CHANNEL_ID,
      messageTs: String(told.response!.ts),
      actionId: ACTION.declareFromAlert,
      value: section.accessory!.value,
    });
    const form = (await bot.fake.waitForCount('views.open', forms + 1)).at(-1)!;
    const before = new Set(
      (await bot.db.query<{ id: number }>('SELECT id FROM incidents')).rows.map((r) => Number(r.id)),
    );
    const submitted = await bot.submit({
      callbackId: VIEW.declare,
      privateMetadata: form.args.view.private_metadata,
      values: {
        [BLOCK.declareSeverity]: { [INPUT.severity]: { type: 'static_select', selected_option: { value: '2' } } },
        [BLOCK.declareTitle]: { [INPUT.text]: { type: 'plain_text_input', value: title } },
        ...(opts.private
          ? { [BLOCK.declarePrivate]: { [INPUT.checks]: stateValue.checkboxes([{ value: FLAG.private }]) } }
          : {}),
      },
    });
    expect(submitted.status).toBe(200);
    return waitUntil('the incident declared apart', async () => {
      const { rows } = await bot.db.query<{ id: number }>(
        'SELECT id FROM incidents WHERE title = $1 AND NOT declaring AND card_ts IS NOT NULL',
        [title],
      );
      const id = rows.map((r) => Number(r.id)).find((i) => !before.has(i));
      return id ?? null;
    });
  };

  it('past the cap: a database outage opens its own incident (said why); the same trouble joins its own; a new name is told in the incidents channel and can be declared apart', async () => {
    const source = 'prom-eu';
    // Two SEV-2 incidents: the cap.
    await fire({
      source,
      key: 'mem-1',
      metric: 'memory_usage',
      value: '97%',
      threshold: '> 95%',
      service: 'worker',
      summary: 'Memory above 95% on worker-1',
    });
    await fire({
      source,
      key: 'disk-1',
      metric: 'disk_usage',
      value: '97%',
      threshold: '> 95%',
      service: 'worker',
      summary: 'Disk above 95% on worker-1',
    });
    const opened = await waitUntil('the two incidents', async () => {
      const l = await incidentsOfSource(bot.db, source);
      return l.length === 2 && l.every((i) => i.card_ts) ? l : null;
    });
    expect(opened.map((i) => i.severity)).toEqual([2, 2]);
    const [memory, disk] = opened;

    // A critical alert no row matches declares SEV-1: no open incident of its source is that severe, so it opens its
    // own past the cap, rather than being hidden in a SEV-2's channel.
    await fire({
      source,
      key: 'db-primary',
      name: 'DatabaseUnavailable',
      metric: 'pg_up',
      value: '0',
      threshold: '< 1',
      service: 'postgres',
      summary: 'Database unavailable: primary refuses connections',
    });
    const all = await waitUntil('the database incident', async () => {
      const l = await incidentsOfSource(bot.db, source);
      return l.length === 3 && l[2]?.card_ts ? l : null;
    });
    const db = all[2]!;
    expect(db.severity).toBe(1);
    expect(db.title).toContain('Database unavailable');
    expect(await incidentOf(source, 'db-primary')).toBe(db.id);
    // Said why, where people look: the incidents channel (naming it) and its channel.
    const everyone = await waitUntil('the incidents channel told it went past the cap', async () =>
      inIncidents().find((c) => json(c.args.blocks).includes('Past the storm cap')),
    );
    expect(json(everyone.args.blocks)).toContain(`Incident #${db.number}`);
    expect(json(everyone.args.blocks)).toContain('SEV-1');
    await bot.fake.waitFor(
      'chat.postMessage',
      (c) => c.args.channel === db.channel_id && json(c.args.blocks).includes('Past the storm cap'),
    );

    // More of the same trouble (a name the memory incident has) joins that one, not the latest opened.
    await fire({
      source,
      key: 'mem-2',
      metric: 'memory_usage',
      value: '98%',
      threshold: '> 95%',
      service: 'worker',
      summary: 'Memory above 95% on worker-2',
    });
    expect(await incidentOf(source, 'mem-2')).toBe(memory!.id);

    // A SEV-2 of a name new to all of them joins an open one as severe (the cap holds), and the incidents channel is
    // told too, with Declare incident: it may be a different trouble.
    await fire({
      source,
      key: 'cpu-1',
      metric: 'cpu_usage',
      value: '97%',
      threshold: '> 90%',
      service: 'api',
      summary: 'CPU above 90% on api-1',
    });
    expect(await incidentsOfSource(bot.db, source)).toHaveLength(3);
    const joinedTo = await incidentOf(source, 'cpu-1');
    expect([memory!.id, disk!.id]).toContain(joinedTo);
    const where = all.find((i) => i.id === joinedTo)!;
    const told = await waitUntil('the incidents channel told of the new name', async () =>
      inIncidents().find((c) => json(c.args.blocks).includes('HighCpuUsage')),
    );
    expect(json(told.args.blocks)).toContain(`joined incident #${where.number}`);
    const section = (told.args.blocks as { accessory?: { action_id: string; value: string } }[]).find(
      (b) => b.accessory?.action_id === ACTION.declareFromAlert,
    )!;
    expect(section).toBeDefined();
    // Declare incident: the form, prefilled, says it leaves the storm's incident.
    const forms = bot.fake.callsTo('views.open').length;
    await bot.click({
      channelId: INCIDENTS_CHANNEL_ID,
      messageTs: String(told.response!.ts),
      actionId: ACTION.declareFromAlert,
      value: section.accessory!.value,
    });
    const form = (await bot.fake.waitForCount('views.open', forms + 1)).at(-1)!;
    expect(json(form.args.view.blocks)).toContain('CPU above 90% on api-1');
    expect(json(form.args.view.blocks)).toContain(`leave #${where.number}`);
    const submitted = await bot.submit({
      callbackId: VIEW.declare,
      privateMetadata: form.args.view.private_metadata,
      values: {
        [BLOCK.declareSeverity]: { [INPUT.severity]: { type: 'static_select', selected_option: { value: '2' } } },
        [BLOCK.declareTitle]: { [INPUT.text]: { type: 'plain_text_input', value: 'CPU saturated on api' } },
      },
    });
    expect(submitted.status).toBe(200);
    const apart = await waitUntil('the incident declared apart', async () => {
      const id = await incidentOf(source, 'cpu-1');
      return id !== null && id !== joinedTo ? id : null;
    });
    expect(await incidentOf(source, 'cpu-1')).toBe(apart);
    // Its next firing stays with the incident declared apart.
    await fire({
      source,
      key: 'cpu-1',
      metric: 'cpu_usage',
      value: '99%',
      threshold: '> 90%',
      service: 'api',
      summary: 'CPU above 90% on api-1',
    });
    expect(await incidentOf(source, 'cpu-1')).toBe(apart);
  }, 60_000);

  it('past the cap: a failed timeline note does not make the retry tell the channels twice', async () => {
    const source = 'cap-retry';
    await fire({ source, key: 'mem', metric: 'memory_usage', value: '97%', threshold: '> 95%', service: 'worker' });
    await fire({ source, key: 'disk', metric: 'disk_usage', value: '97%', threshold: '> 95%', service: 'worker' });
    await waitUntil('the two incidents', async () => {
      const l = await incidentsOfSource(bot.db, source);
      return l.length === 2 && l.every((i) => i.card_ts) ? l : null;
    });
    // The first past-cap note the database is asked to write fails (a sequence: not undone with the statement).
    await bot.db.exec(`
      CREATE SEQUENCE past_cap_note_writes;
      CREATE FUNCTION fail_first_past_cap_note() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.kind = 'note' AND NEW.details->>'text' LIKE 'Opened past the storm cap%'
           AND nextval('past_cap_note_writes') = 1 THEN
          RAISE EXCEPTION 'the timeline note could not be written (test)';
        END IF;
        RETURN NEW;
      END $$;
      CREATE TRIGGER fail_first_past_cap_note BEFORE INSERT ON incident_events
        FOR EACH ROW EXECUTE FUNCTION fail_first_past_cap_note();`);
    try {
      await fire({ source, key: 'db', name: 'DatabaseUnavailable', metric: 'pg_up', value: '0', threshold: '< 1' });
      const db = await waitUntil('the database incident', async () => {
        const l = await incidentsOfSource(bot.db, source);
        return l.length === 3 && l[2]?.card_ts ? l[2] : null;
      });
      const notes = async () =>
        (
          await bot.db.query(
            `SELECT 1 FROM incident_events WHERE incident_id = $1 AND kind = 'note'
             AND details->>'text' LIKE 'Opened past the storm cap%'`,
            [db.id],
          )
        ).rows.length;
      await waitUntil('the past-cap note, written on the retry', async () => (await notes()) > 0);
      await inboxDone(bot.db);
      expect(await notes()).toBe(1);
      const told = (channel: string) =>
        bot.fake
          .callsTo('chat.postMessage')
          .filter(
            (c) =>
              c.args.channel === channel &&
              json(c.args.blocks).includes('Past the storm cap') &&
              (channel !== INCIDENTS_CHANNEL_ID || json(c.args.blocks).includes(`Incident #${db.number}`)),
          ).length;
      expect(told(db.channel_id)).toBe(1);
      expect(told(INCIDENTS_CHANNEL_ID)).toBe(1);
    } finally {
      await bot.db.exec('DROP TRIGGER fail_first_past_cap_note ON incident_events');
    }
  }, 60_000);

  it('a storm step whose incidents-channel post Slack refuses is retried without telling the incident channel twice', async () => {
    const source = 'storm-retry';
    await fire({ source, key: 'mem', metric: 'memory_usage', value: '97%', threshold: '> 95%', service: 'worker' });
    await fire({ source, key: 'disk', metric: 'disk_usage', value: '97%', threshold: '> 95%', service: 'worker' });
    const opened = await waitUntil('the two incidents', async () => {
      const l = await incidentsOfSource(bot.db, source);
      return l.length === 2 && l.every((i) => i.card_ts) ? l : null;
    });
    // Slack takes the incident channel's message, then refuses the incidents channel's (the bot was removed from it):
    // the step fails after one of its posts went out, and is tried again once the bot is back.
    const incidents = bot.fake.channels.get(INCIDENTS_CHANNEL_ID)!;
    incidents.members.delete(BOT_USER_ID);
    try {
      const r = await postAlerts(
        bot.baseUrl,
        '/hooks/alerts',
        genericAlert({ source, key: 'cpu', metric: 'cpu_usage', value: '97%', threshold: '> 90%', service: 'api' }),
      );
      expect(r.status).toBe(202);
      await waitUntil('a post refused in the incidents channel', async () =>
        bot.fake
          .callsTo('chat.postMessage')
          .find((c) => c.args.channel === INCIDENTS_CHANNEL_ID && c.response?.error === 'not_in_channel'),
      );
    } finally {
      incidents.members.add(BOT_USER_ID);
    }
    await inboxDone(bot.db);
    const joinedTo = await incidentOf(source, 'cpu');
    const into = opened.find((i) => i.id === joinedTo)!;
    const posts = (channel: string, text: string) =>
      bot.fake
        .callsTo('chat.postMessage')
        .filter((c) => c.args.channel === channel && c.response?.ok && json(c.args.blocks).includes(text)).length;
    // Each message once where it went, the refused ones once on the retry.
    expect(posts(into.channel_id, 'reached its cap')).toBe(1);
    expect(posts(into.channel_id, 'HighCpuUsage')).toBe(1);
    expect(posts(INCIDENTS_CHANNEL_ID, 'reached its cap')).toBe(1);
    expect(posts(INCIDENTS_CHANNEL_ID, 'HighCpuUsage')).toBe(1);
  }, 60_000);

  it('new names joining: a message posted but not recorded (the write failed) is recorded by the retry, not posted again', async () => {
    const source = 'joined-retry';
    await fire({ source, key: 'mem', metric: 'memory_usage', value: '97%', threshold: '> 95%', service: 'worker' });
    await fire({ source, key: 'disk', metric: 'disk_usage', value: '97%', threshold: '> 95%', service: 'worker' });
    await waitUntil('the two incidents', async () => {
      const l = await incidentsOfSource(bot.db, source);
      return l.length === 2 && l.every((i) => i.card_ts) ? l : null;
    });
    // The first joined message the database is asked to keep fails, after Slack took it (as a process dying would).
    await bot.db.exec(`
      CREATE SEQUENCE joined_message_writes;
      CREATE FUNCTION fail_first_joined_message() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF nextval('joined_message_writes') = 1 THEN
          RAISE EXCEPTION 'the joined message could not be recorded (test)';
        END IF;
        RETURN NEW;
      END $$;
      CREATE TRIGGER fail_first_joined_message BEFORE INSERT ON alert_joined_messages
        FOR EACH ROW EXECUTE FUNCTION fail_first_joined_message();`);
    try {
      await fire({ source, key: 'cpu', metric: 'cpu_usage', value: '97%', threshold: '> 90%', service: 'api' });
      const joinedTo = await incidentOf(source, 'cpu');
      const kept = await bot.db.query<{ ts: string }>('SELECT ts FROM alert_joined_messages WHERE incident_id = $1', [
        joinedTo,
      ]);
      const told = bot.fake
        .callsTo('chat.postMessage')
        .filter(
          (c) =>
            c.args.channel === INCIDENTS_CHANNEL_ID && c.response?.ok && json(c.args.blocks).includes('HighCpuUsage'),
        );
      expect(told).toHaveLength(1);
      // Kept, so that declaring it apart updates that message's button.
      expect(kept.rows.map((r) => r.ts)).toEqual([String(told[0]!.response!.ts)]);
    } finally {
      await bot.db.exec('DROP TRIGGER fail_first_joined_message ON alert_joined_messages');
    }
  }, 60_000);

  it("the incidents channel refusing a new name's message does not hold back its incident's card", async () => {
    const source = 'card-not-held';
    await fire({ source, key: 'mem', metric: 'memory_usage', value: '97%', threshold: '> 95%', service: 'worker' });
    await fire({ source, key: 'disk', metric: 'disk_usage', value: '97%', threshold: '> 95%', service: 'worker' });
    const opened = await waitUntil('the two incidents', async () => {
      const l = await incidentsOfSource(bot.db, source);
      return l.length === 2 && l.every((i) => i.card_ts) ? l : null;
    });
    const incidents = bot.fake.channels.get(INCIDENTS_CHANNEL_ID)!;
    incidents.members.delete(BOT_USER_ID);
    try {
      const r = await postAlerts(
        bot.baseUrl,
        '/hooks/alerts',
        genericAlert({ source, key: 'cpu', metric: 'cpu_usage', value: '97%', threshold: '> 90%', service: 'api' }),
      );
      expect(r.status).toBe(202);
      const joinedTo = await waitUntil('the alert joined', () => incidentOf(source, 'cpu'));
      const into = opened.find((i) => i.id === joinedTo)!;
      // While the bot is still out of the incidents channel, the card shows the alert that joined.
      await waitUntil(
        'the card showing the new alert',
        async () => json(bot.fake.message(into.channel_id, into.card_ts!)?.blocks).includes('HighCpuUsage') || null,
        8000,
      );
    } finally {
      incidents.members.add(BOT_USER_ID);
    }
    await inboxDone(bot.db);
  }, 60_000);

  it('Alertmanager: past the cap, a sev0 "database unavailable" opens its own SEV-0 incident rather than join a SEV-2', async () => {
    const source = 'am-eu';
    const startsAt = new Date(Date.now() - 60_000).toISOString();
    const group = async (name: string, severity: string, summary: string) => {
      const r = await postAlerts(
        bot.baseUrl,
        `/hooks/alertmanager?source=${source}`,
        alertmanagerGroup(`{}:{alertname="${name}"}`, [
          alertmanagerAlert(
            `${name}-1`,
            { alertname: name, severity, instance: 'db-1:9100' },
            { summary },
            { startsAt },
          ),
        ]),
      );
      expect(r.status).toBe(202);
      await inboxDone(bot.db);
    };
    await group('HighMemoryUsage', 'critical', 'Memory above 95% on db-1');
    await group('HighDiskUsage', 'critical', 'Disk above 95% on db-1');
    await waitUntil('the two SEV-2 incidents', async () => {
      const l = await incidentsOfSource(bot.db, source);
      return l.length === 2 && l.every((i) => i.card_ts && i.severity === 2) ? l : null;
    });
    await group('DatabaseUnavailable', 'sev0', 'Database unavailable');
    const all = await waitUntil('the database incident', async () => {
      const l = await incidentsOfSource(bot.db, source);
      return l.length === 3 && l[2]?.card_ts ? l : null;
    });
    expect(all[2]).toMatchObject({ severity: 0, title: 'Database unavailable' });
    expect(await incidentOf(source, 'DatabaseUnavailable-1')).toBe(all[2]!.id);
    await waitUntil('the incidents channel told why', async () =>
      inIncidents().find(
        (c) => json(c.args.blocks).includes('Past the storm cap') && json(c.args.blocks).includes(`#${all[2]!.number}`),
      ),
    );
  }, 60_000);

  it('declared apart from a storm: the incidents channel message says where it went, and the storm card no longer counts what the source left out of that group', async () => {
    const source = 'am-apart';
    const startsAt = new Date(Date.now() - 60_000).toISOString();
    const group = async (name: string, truncatedAlerts = 0) => {
      const r = await postAlerts(bot.baseUrl, `/hooks/alertmanager?source=${source}`, {
        ...alertmanagerGroup(`{}:{alertname="${name}"}`, [
          alertmanagerAlert(
            `${name}-1`,
            { alertname: name, severity: 'critical', instance: 'api-1:9100' },
            { summary: `${name} on api-1` },
            { startsAt },
          ),
        ]),
        truncatedAlerts,
      });
      expect(r.status).toBe(202);
      await inboxDone(bot.db);
    };
    await group('HighMemoryUsage');
    await group('HighDiskUsage');
    const two = await waitUntil('the two SEV-2 incidents', async () => {
      const l = await incidentsOfSource(bot.db, source);
      return l.length === 2 && l.every((i) => i.card_ts) ? l : null;
    });
    // Past the cap, a new name joins one as severe; its source left 4 of its group out.
    await group('HighCpuUsage', 4);
    const joinedTo = await incidentOf(source, 'HighCpuUsage-1');
    const storm = two.find((i) => i.id === joinedTo)!;
    const cardText = () => json(bot.fake.message(storm.channel_id, storm.card_ts!)?.blocks);
    await waitUntil('the storm card to count the 4 left out', async () =>
      cardText().includes('4 more alerts not sent'),
    );
    const told = await waitUntil('the incidents channel told of the new name', async () =>
      inIncidents().find((c) => json(c.args.blocks).includes('HighCpuUsage on api-1')),
    );
    const apart = await declareApart(told, 'CPU saturated on api-1 (Alertmanager)');
    expect(apart).not.toBe(storm.id);
    await waitUntil('the storm card to no longer count them', async () => !cardText().includes('not sent'));
    const { rows } = await bot.db.query<{ truncated: number; incident_id: number }>(
      'SELECT truncated, incident_id FROM alert_incidents WHERE incident_id = ANY($1) ORDER BY id',
      [[storm.id, apart]],
    );
    expect(rows.map((r) => [Number(r.incident_id), r.truncated])).toEqual([
      [storm.id, 0],
      [apart, 4],
    ]);
    // The message that offered to declare it says where it went, its button gone (pressing it again said only that
    // the alert was in an incident already).
    const numberOf = async (id: number) =>
      Number(
        (await bot.db.query<{ number: number }>('SELECT number FROM incidents WHERE id = $1', [id])).rows[0]!.number,
      );
    const now = (m: RecordedCall) => json(bot.fake.message(INCIDENTS_CHANNEL_ID, String(m.response!.ts))?.blocks);
    await waitUntil('the message to say where it went', async () =>
      now(told).includes(`Declared as #${await numberOf(apart)}`),
    );
    expect(now(told)).not.toContain(ACTION.declareFromAlert);
    // Declared apart as a private incident: said, not named.
    await group('QueueBacklogCritical');
    const another = await waitUntil('the incidents channel told of another new name', async () =>
      inIncidents().find((c) => json(c.args.blocks).includes('QueueBacklogCritical on api-1')),
    );
    const secret = await declareApart(another, 'Queue trouble, handled quietly', { private: true });
    await waitUntil('the message to say it was declared apart', async () =>
      now(another).includes('Declared apart, as a private incident'),
    );
    expect(now(another)).not.toContain(ACTION.declareFromAlert);
    expect(now(another)).not.toContain(`#${await numberOf(secret)}`);
  }, 60_000);

  it('a private (security) incident does not use up the public cap, nor the reverse', async () => {
    const source = 'edge-eu';
    await fire({ source, key: 'errors', summary: 'Error rate above 10% on api-service' });
    await fire({ source, key: 'admin-logins', summary: 'Suspicious login attempts on the admin console' });
    await waitUntil('a public and a private incident', async () => {
      const l = await incidentsOfSource(bot.db, source);
      return l.length === 2 && l.every((i) => i.card_ts) ? l : null;
    });
    // A second public trouble: one public incident of two allowed, so it opens its own.
    await fire({ source, key: 'checkout', metric: 'checkout_5xx', summary: 'Checkout returning 503' });
    const l = await waitUntil('the second public incident', async () => {
      const list = await incidentsOfSource(bot.db, source);
      return list.length === 3 && list[2]?.card_ts ? list : null;
    });
    expect(await incidentOf(source, 'checkout')).toBe(l[2]!.id);
    const { rows } = await bot.db.query<{ private: boolean }>(
      'SELECT private FROM incidents WHERE id = ANY($1) ORDER BY id',
      [l.map((i) => i.id)],
    );
    expect(rows.map((r) => r.private)).toEqual([false, true, false]);
    // A second security trouble: one private incident of two allowed, so it opens its own too.
    await fire({ source, key: 'vpn-logins', metric: 'vpn_logins', summary: 'Suspicious login attempts on the VPN' });
    const four = await waitUntil('the second private incident', async () => {
      const list = await incidentsOfSource(bot.db, source);
      return list.length === 4 && list[3]?.card_ts ? list : null;
    });
    expect(await incidentOf(source, 'vpn-logins')).toBe(four[3]!.id);
  }, 60_000);

  it('declared from a notice after its alert resolved: declared, and the reply and its channel say it resolved', async () => {
    const warning = {
      source: 'late-declare',
      key: 'api-errors',
      level: 'warning',
      value: '7%',
      threshold: '> 5%',
      summary: 'Error rate above 5% on api-service',
    };
    await fire(warning);
    const notice = await bot.fake.waitFor(
      'chat.postMessage',
      (c) => c.args.channel === INCIDENTS_CHANNEL_ID && json(c.args).includes('Error rate above 5% on api-service'),
    );
    const forms = bot.fake.callsTo('views.open').length;
    await bot.press(notice, ACTION.declareFromAlert);
    const form = (await bot.fake.waitForCount('views.open', forms + 1)).at(-1)!;
    // While the form is open, the alert resolves.
    await fire({ ...warning, status: 'resolved' });
    const submitted = await bot.submit({
      callbackId: VIEW.declare,
      privateMetadata: form.args.view.private_metadata,
      values: {
        [BLOCK.declareSeverity]: { [INPUT.severity]: { type: 'static_select', selected_option: { value: '2' } } },
        [BLOCK.declareTitle]: { [INPUT.text]: { type: 'plain_text_input', value: 'Errors creeping up on api' } },
      },
    });
    expect(submitted.status).toBe(200);
    const incident = await waitUntil('the declared incident', async () =>
      (await incidentsOfSource(bot.db, 'late-declare')).find((i) => i.card_ts),
    );
    // The declarer is told it had resolved before they declared.
    const reply = await bot.fake.waitFor(
      'chat.postEphemeral',
      (c) => json(c.args).includes(`Incident #${incident.number}`) && json(c.args).includes('had resolved'),
    );
    expect(json(reply.args)).toContain('before you declared');
    // Its channel is offered to resolve it, as when its alerts resolve in an incident; its timeline says so.
    await bot.fake.waitFor(
      'chat.postMessage',
      (c) =>
        c.args.channel === incident.channel_id && json(c.args).includes('Every alert of this incident has resolved'),
    );
    const { rows } = await bot.db.query<{ text: string }>(
      `SELECT details->>'text' AS text FROM incident_events WHERE incident_id = $1 AND kind = 'note'`,
      [incident.id],
    );
    expect(rows.some((r) => r.text.includes('before this incident was declared'))).toBe(true);
  }, 60_000);
});
