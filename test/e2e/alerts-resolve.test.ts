import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { ACTION, BLOCK, INPUT, VIEW } from '../../src/templates/ids.js';
import { alertmanagerAlert, alertmanagerGroup, postAlerts } from '../support/alert-request.js';
import { inboxDone, incidentsOfSource, waitUntil } from '../support/alert-runbook.js';
import { INCIDENTS_CHANNEL_ID } from '../support/bot-harness.js';
import { BOT_USER_ID } from '../support/fake-slack.js';
import { stateValue } from '../support/slack-request.js';
import { postGenericAlert as post, useAlertsBot } from '../support/use-alerts-bot.js';

const json = (v: unknown) => JSON.stringify(v);

/** An incident's alerts resolving: the offer to resolve, auto_resolve, resolving by hand, firing again after. */
describe('alerts open and track incidents', () => {
  const { bot, cardText, one, alertRows } = useAlertsBot();

  it('a resolve form opened when every alert had resolved does not resolve once one fires again: the person is told', async () => {
    const alert = { source: 'form-race', key: 'checkout-5xx', summary: 'Checkout 5xx above 10%' };
    await post(bot.baseUrl, alert);
    const incident = await one('form-race');
    await post(bot.baseUrl, { ...alert, status: 'resolved' });
    const offer = await bot.fake.waitFor(
      'chat.postMessage',
      (c) => c.args.channel === incident.channel_id && json(c.args).includes('Every alert of this incident'),
    );
    const opened = bot.fake.callsTo('views.open').length;
    await bot.press(offer, ACTION.resolve);
    const form = await bot.fake.waitForCount('views.open', opened + 1);
    const view = form.at(-1)!.args.view as { private_metadata: string };
    // It fires again while the form is open.
    await post(bot.baseUrl, alert);
    await inboxDone(bot.db);
    await waitUntil('the card to show it firing', async () => cardText(incident).includes('1 firing'));
    await bot.submit({
      callbackId: VIEW.resolve,
      privateMetadata: view.private_metadata,
      values: { [BLOCK.resolveSummary]: { [INPUT.summary]: stateValue.plainText('Rolled back the deploy') } },
    });
    const told = await bot.fake.waitFor(
      'chat.postEphemeral',
      (c) => c.args.channel === incident.channel_id && json(c.args).includes('Not resolved: An alert fired since'),
    );
    expect(json(told.args)).toContain('Rolled back the deploy');
    await sleep(300);
    expect((await one('form-race')).status).toBe('investigating');
  });

  it('a row with auto_resolve resolves its incident once every alert resolved', async () => {
    const alert = {
      source: 'queue-checks',
      key: 'backlog',
      metric: 'queue_backlog',
      summary: 'Queue backlog over 10000',
    };
    await post(bot.baseUrl, { ...alert, value: 12000 });
    const incident = await one('queue-checks');
    expect(incident.severity).toBe(2);
    await post(bot.baseUrl, { ...alert, status: 'resolved', value: 40 });
    await waitUntil('the incident to resolve', async () => (await one('queue-checks')).status === 'resolved');
    const { rows } = await bot.db.query<{ resolved_by: string }>('SELECT resolved_by FROM incidents WHERE id = $1', [
      incident.id,
    ]);
    expect(rows[0]!.resolved_by).toBe(BOT_USER_ID);
  });

  it("an info alert still firing keeps no incident open: once the group's critical alert resolves, Resolve is offered", async () => {
    const startsAt = new Date(Date.now() - 60_000).toISOString();
    const alert = (name: string, severity: string, status: 'firing' | 'resolved' = 'firing') =>
      alertmanagerAlert(
        `${name}-info-stays`,
        { alertname: name, service: 'search', severity },
        { summary: `${name} on search (info stays)` },
        { startsAt, status },
      );
    const group = (alerts: Record<string, unknown>[]) => alertmanagerGroup('{}:{service="search"}', alerts);
    const hook = '/hooks/alertmanager?source=info-stays';
    expect(
      (await postAlerts(bot.baseUrl, hook, group([alert('SearchDown', 'critical'), alert('PodRestarts', 'info')])))
        .status,
    ).toBe(202);
    const incident = await waitUntil('the card', async () =>
      (await incidentsOfSource(bot.db, 'info-stays')).find((i) => i.card_ts),
    );
    expect(
      (
        await postAlerts(
          bot.baseUrl,
          hook,
          group([alert('SearchDown', 'critical', 'resolved'), alert('PodRestarts', 'info')]),
        )
      ).status,
    ).toBe(202);
    await inboxDone(bot.db);
    const offer = await bot.fake.waitFor(
      'chat.postMessage',
      (c) => c.args.channel === incident.channel_id && json(c.args).includes('has resolved'),
    );
    expect(json(offer.args.blocks)).toContain('Every critical and warning alert of this incident has resolved');
    expect(json(offer.args.blocks)).toContain('1 info alert still fires');
    expect(json(offer.args.blocks)).toContain(ACTION.resolve);
    // Resolved: the info alert still firing is not "monitoring still sees the trouble", in the form or the resolution.
    const opened = bot.fake.callsTo('views.open').length;
    await bot.command('resolve', { channel_id: incident.channel_id, trigger_id: 'info-stays-resolve' });
    const form = (await bot.fake.waitForCount('views.open', opened + 1)).at(-1)!;
    expect(json(form.args)).not.toContain('of this incident still fire');
    await bot.command('resolve search is back', { channel_id: incident.channel_id });
    const resolution = await bot.fake.waitFor(
      'chat.postMessage',
      (c) => c.args.channel === incident.channel_id && json(c.args).includes('resolved'),
    );
    await waitUntil('resolved', async () => (await incidentsOfSource(bot.db, 'info-stays'))[0]?.status === 'resolved');
    const said = bot.fake.callsTo('chat.postMessage').filter((c) => c.args.channel === incident.channel_id);
    expect(resolution).toBeDefined();
    const stillFire = said.filter((c) => json(c.args).includes('of this incident still fire'));
    expect(
      stillFire.map((c) => String(c.args.text)),
      JSON.stringify(stillFire.map((c) => c.args.blocks)),
    ).toHaveLength(0);
  });

  it('an alert listed twice in one delivery, firing then resolved, is as its last mention says: resolved, Resolve offered', async () => {
    const startsAt = new Date(Date.now() - 60_000).toISOString();
    const alert = (status: 'firing' | 'resolved') =>
      alertmanagerAlert(
        'twice-listed-1',
        { alertname: 'CartDown', service: 'cart', severity: 'critical' },
        { summary: 'Cart is down (listed twice)' },
        { startsAt, status },
      );
    const group = (alerts: Record<string, unknown>[]) => alertmanagerGroup('{}:{service="cart"}', alerts);
    const hook = '/hooks/alertmanager?source=twice-listed';
    expect((await postAlerts(bot.baseUrl, hook, group([alert('firing')]))).status).toBe(202);
    const incident = await waitUntil('the card', async () =>
      (await incidentsOfSource(bot.db, 'twice-listed')).find((i) => i.card_ts),
    );
    // A proxy merging two deliveries: the firing it had, then the resolution that came after.
    expect((await postAlerts(bot.baseUrl, hook, group([alert('firing'), alert('resolved')]))).status).toBe(202);
    await inboxDone(bot.db);
    const offer = await bot.fake.waitFor(
      'chat.postMessage',
      (c) => c.args.channel === incident.channel_id && json(c.args).includes('has resolved'),
    );
    expect(json(offer.args.blocks)).toContain(ACTION.resolve);
    expect(await alertRows('twice-listed')).toMatchObject([{ status: 'resolved' }]);
  });

  it('an alert firing again after every alert had resolved is told in the channel: the offer to resolve no longer stands', async () => {
    const alert = { source: 'flapping', key: 'api-5xx', summary: 'API 5xx spike' };
    await post(bot.baseUrl, alert);
    const inc = await one('flapping');
    await post(bot.baseUrl, { ...alert, status: 'resolved' });
    const offer = await bot.fake.waitFor(
      'chat.postMessage',
      (c) => c.args.channel === inc.channel_id && json(c.args).includes('Every alert of this incident'),
    );
    await post(bot.baseUrl, { ...alert, value: 'again' });
    const told = await bot.fake.waitFor(
      'chat.postMessage',
      (c) => c.args.channel === inc.channel_id && json(c.args).includes('no longer stands'),
    );
    expect(json(told.args.blocks)).toContain('An alert of this incident is firing after every one had resolved');
    expect(json(told.args.blocks)).toContain('API 5xx spike');
    // The offer itself no longer offers: its Resolve incident button is gone, and it says why.
    const closed = await bot.fake.waitFor(
      'chat.update',
      (c) => c.args.channel === inc.channel_id && c.args.ts === offer.response!.ts,
    );
    expect(json(closed.args.blocks)).toContain('An alert of this incident is firing (');
    expect(json(closed.args.blocks)).not.toContain(ACTION.resolve);
    await inboxDone(bot.db);
    expect((await one('flapping')).status).toBe('investigating');
    // Told once; resolving again makes a new offer.
    await post(bot.baseUrl, { ...alert, status: 'resolved', value: 'over' });
    await inboxDone(bot.db);
    const calls = bot.fake.callsTo('chat.postMessage').filter((c) => c.args.channel === inc.channel_id);
    expect(calls.filter((c) => json(c.args).includes('no longer stands'))).toHaveLength(1);
    await waitUntil('a second offer', async () =>
      bot.fake
        .callsTo('chat.postMessage')
        .filter((c) => c.args.channel === inc.channel_id && json(c.args).includes('Every alert of this incident'))
        .length === 2
        ? true
        : null,
    );
  });

  it('an offer to resolve says who resolved the incident once it is, its button gone', async () => {
    const alert = { source: 'offer-then-resolve', key: 'api-latency', summary: 'API latency over 3s' };
    await post(bot.baseUrl, alert);
    const inc = await one('offer-then-resolve');
    await post(bot.baseUrl, { ...alert, status: 'resolved' });
    const offer = await bot.fake.waitFor(
      'chat.postMessage',
      (c) => c.args.channel === inc.channel_id && json(c.args).includes('Every alert of this incident'),
    );
    expect(json(offer.args.blocks)).toContain(ACTION.resolve);
    await bot.command('resolve latency back under 1s', { channel_id: inc.channel_id, user_id: 'U0RESOLVER' });
    const closed = await bot.fake.waitFor(
      'chat.update',
      (c) => c.args.channel === inc.channel_id && c.args.ts === offer.response!.ts,
    );
    expect(json(closed.args.blocks)).toContain('The incident was *resolved* by <@U0RESOLVER>');
    expect(json(closed.args.blocks)).not.toContain(ACTION.resolve);
    // It has no info alert: nothing said of info alerts.
    expect(json(closed.args.blocks)).toContain('Every alert of this incident had resolved.');
    expect(json(closed.args.blocks)).not.toContain('info alert');
    // Updated once: the offer is no longer recorded.
    const { rows } = await bot.db.query('SELECT offer_ts FROM alert_incidents WHERE incident_id = $1', [inc.id]);
    expect(rows).toEqual([{ offer_ts: null }]);
  });

  it("the card of an incident resolved by hand still shows its alerts' resolution", async () => {
    const alert = { source: 'by-hand', key: 'queue-depth', summary: 'Queue depth at 10k' };
    await post(bot.baseUrl, alert);
    const inc = await one('by-hand');
    await waitUntil('the card', async () => (await one('by-hand')).card_ts);
    // The resolve form says the alert still fires before anyone resolves.
    const opened = bot.fake.callsTo('views.open').length;
    await bot.command('resolve', { channel_id: inc.channel_id });
    const form = await waitUntil('the resolve form', async () => bot.fake.callsTo('views.open')[opened]);
    expect(json(form.args)).toContain('1 alert of this incident still fires');
    await bot.command('resolve drained the queue', { channel_id: inc.channel_id });
    await waitUntil('the resolution', async () => (await one('by-hand')).status === 'resolved');
    // Resolved while monitoring still reports its alert firing: the resolution says so, and what to do.
    const resolution = await waitUntil('the resolution message', async () =>
      bot.fake
        .callsTo('chat.postMessage')
        .find((c) => c.args.channel === inc.channel_id && json(c.args).includes('resolved* by')),
    );
    expect(json(resolution.args)).toContain('1 alert of this incident still fires');
    expect(json(resolution.args)).toContain('/incident reopen');
    // A generic alert gives no start time: its next report while it fires opens a new incident, said before it does.
    expect(json(resolution.args)).toContain('opens a new incident and pages again');
    // The incidents channel hears of the resolution, not what to do in the incident's channel.
    const announced = await waitUntil('the resolution in the incidents channel', async () =>
      bot.fake
        .callsTo('chat.postMessage')
        .find(
          (c) => c.args.channel === INCIDENTS_CHANNEL_ID && json(c.args).includes(`Incident #${inc.number} resolved`),
        ),
    );
    expect(json(announced.args)).not.toContain('still fire');
    const resolvedCard = await waitUntil('the resolved card', async () =>
      cardText(await one('by-hand')).includes('1 firing') ? await one('by-hand') : null,
    );
    await post(bot.baseUrl, { ...alert, status: 'resolved' });
    await inboxDone(bot.db);
    await waitUntil('the card to show the alert resolved', async () =>
      cardText(resolvedCard).includes('0 firing · 1 resolved'),
    );
    // Nothing is offered in a resolved incident.
    expect(
      bot.fake
        .callsTo('chat.postMessage')
        .filter((c) => c.args.channel === inc.channel_id && json(c.args).includes('Every alert of this incident')),
    ).toHaveLength(0);
  });

  it('a resolve that sends its key alone keeps what the firing said: name, runbook row, level, service, value, summary', async () => {
    await post(bot.baseUrl, {
      source: 'key-only',
      key: 'api-5xx',
      value: '14%',
      summary: 'API 5xx at 14%',
    });
    const inc = await waitUntil('the card', async () => {
      const i = await one('key-only');
      return i.card_ts ? i : null;
    });
    // The alert's line names it (bold), its service and its value; the runbook's row is named above it.
    const line = '<https://console.atomagentos.com/metrics/error_rate|*HighErrorRate*> · api-service · error_rate 14%';
    expect(cardText(inc)).toContain(line);
    // As a script's resolve (or PagerDuty's resolve event) sends it: the key, and a level the format wants.
    const r = await postAlerts(bot.baseUrl, '/hooks/alerts', {
      source: 'key-only',
      key: 'api-5xx',
      status: 'resolved',
      level: 'info',
    });
    expect(r.status).toBe(202);
    await inboxDone(bot.db);
    await waitUntil('the card to show the alert resolved', async () => cardText(inc).includes('0 firing · 1 resolved'));
    const resolved = cardText(inc);
    for (const said of ['HighErrorRate', 'api-service', 'error_rate 14%', 'API 5xx at 14%'])
      expect(resolved).toContain(said);
    const { rows } = await bot.db.query(
      `SELECT name, rule, level, status, service, metric, value, threshold, summary, labels, url
       FROM alerts WHERE source = 'key-only'`,
    );
    expect(rows).toEqual([
      {
        name: 'HighErrorRate',
        rule: 'HighErrorRate',
        level: 'critical',
        status: 'resolved',
        service: 'api-service',
        metric: 'error_rate',
        value: '14%',
        threshold: '> 10%',
        summary: 'API 5xx at 14%',
        labels: { tenant: 'acme' },
        url: 'https://console.atomagentos.com/metrics/error_rate',
      },
    ]);
    // A resolve that says more changes what it says, and keeps the rest.
    await post(bot.baseUrl, { source: 'key-only', key: 'api-5xx', value: '16%', summary: 'API 5xx at 16%' });
    await postAlerts(bot.baseUrl, '/hooks/alerts', {
      source: 'key-only',
      key: 'api-5xx',
      status: 'resolved',
      level: 'critical',
      value: '2%',
    });
    await inboxDone(bot.db);
    const { rows: after } = await bot.db.query(
      `SELECT name, status, service, value, summary FROM alerts WHERE source = 'key-only' ORDER BY id DESC LIMIT 1`,
    );
    expect(after[0]).toEqual({
      name: 'HighErrorRate',
      status: 'resolved',
      service: 'api-service',
      value: '2%',
      summary: 'API 5xx at 16%',
    });
  });

  it('an incident resolved once its alerts resolved says nothing of alerts still firing', async () => {
    const alert = { source: 'all-clear', key: 'cache-misses', summary: 'Cache misses at 60%' };
    await post(bot.baseUrl, alert);
    const inc = await one('all-clear');
    await waitUntil('the card', async () => (await one('all-clear')).card_ts);
    await post(bot.baseUrl, { ...alert, status: 'resolved' });
    await inboxDone(bot.db);
    const opened = bot.fake.callsTo('views.open').length;
    await bot.command('resolve', { channel_id: inc.channel_id });
    const form = await waitUntil('the resolve form', async () => bot.fake.callsTo('views.open')[opened]);
    expect(json(form.args)).not.toContain('still fire');
    await bot.command('resolve cache warmed', { channel_id: inc.channel_id });
    const resolution = await waitUntil('the resolution message', async () =>
      bot.fake
        .callsTo('chat.postMessage')
        .find((c) => c.args.channel === inc.channel_id && json(c.args).includes('resolved* by')),
    );
    expect(json(resolution.args)).not.toContain('still fire');
  });

  it('an alert firing again after its incident was resolved opens a new incident that links the earlier one', async () => {
    const alert = { source: 'refire', key: 'db-pool', metric: 'database_pool_usage', summary: 'DB pool at 95%' };
    await post(bot.baseUrl, { ...alert, value: '95%' });
    const first = await one('refire');
    await waitUntil('the card', async () => (await incidentsOfSource(bot.db, 'refire'))[0]?.card_ts);
    await bot.command('resolve pool recovered', { channel_id: first.channel_id });
    await waitUntil('the resolution', async () => (await one('refire')).status === 'resolved');
    await post(bot.baseUrl, { ...alert, value: '97%' });
    await inboxDone(bot.db);
    const both = await incidentsOfSource(bot.db, 'refire');
    expect(both).toHaveLength(2);
    const second = await waitUntil('the second card', async () =>
      (await incidentsOfSource(bot.db, 'refire')).find((i) => i.id !== first.id && i.card_ts),
    );
    expect(cardText(second)).toContain(`The same alert was in incident #${first.number}`);
    expect((await alertRows('refire')).map((a) => a.count)).toEqual([1, 1]);

    // The first incident's record no longer follows it: reopened, its card does not show it firing (its firing goes
    // on in the second), nor counts it, and its resolution there is not the first's.
    expect((await alertRows('refire')).map((a) => a.status)).toEqual(['resolved', 'firing']);
    // Its card, resolved, shows it at once (not once reopened).
    await waitUntil('the resolved card updated', async () =>
      cardText(first).includes('fired again after this incident was resolved'),
    );
    await bot.command('reopen pool again', { channel_id: first.channel_id });
    await waitUntil(
      'reopened',
      async () => (await incidentsOfSource(bot.db, 'refire')).find((i) => i.id === first.id)?.status !== 'resolved',
    );
    // The card as drawn reopened (it says so), not as it was resolved: that one showed all of this already.
    const moved = await waitUntil('the reopened card', async () =>
      cardText(first).includes(':repeat: Reopened') ? cardText(first) : null,
    );
    expect(moved).toContain('fired again after this incident was resolved');
    expect(moved).toContain('0 firing · 1 resolved');
    expect(moved).toContain(':arrow_right: <');
    expect(moved).not.toContain(':red_circle: <');
    await bot.command('alerts', { channel_id: first.channel_id });
    const list = await waitUntil('the list', async () =>
      bot.replies().find((m) => json(m).includes(`Alerts · #${first.number}`)),
    );
    expect(json(list)).toContain('fired again after this incident was resolved');
    expect(json(list)).not.toContain(':red_circle: <');
  });
});
