import { describe, expect, it } from 'vitest';
import { parseRunbook } from '../../src/runbook/runbook.js';
import { ACTION } from '../../src/templates/ids.js';
import {
  ALERTS_ENV,
  alertmanagerAlert,
  alertmanagerGroup,
  genericAlert,
  postAlerts,
} from '../support/alert-request.js';
import {
  alertRunbookData,
  declareFormPrivate,
  inboxDone,
  incidentsOfSource,
  waitUntil,
} from '../support/alert-runbook.js';
import { INCIDENTS_CHANNEL_ID, useBot } from '../support/bot-harness.js';
import { makeAppHomeOpened } from '../support/slack-request.js';

const json = (v: unknown) => JSON.stringify(v);
const ON_CALL = 'U0ONCALL';

/** A row of an operator's own: a warning about request spikes, handled as a DDoS attack (a security playbook). */
const SPIKE_WARNING_ROW = {
  name: 'TrafficSpikeWarning',
  metric: 'request_spike',
  threshold: '> 5x normal',
  level: 'warning',
  action: 'Watch the edge for abusive sources',
  playbook: 'ddos-attack',
  severity: 'SEV-2',
};

describe('warning notices', () => {
  const data = alertRunbookData();
  const bot = useBot({
    incidentsChannel: true,
    // Private incidents announced as such (`notice`): a security alert's notice says as much in the incidents channel.
    runbook: parseRunbook({
      ...data,
      alerts: [...data.alerts, SPIKE_WARNING_ROW],
      private_incidents: { announce: 'notice' },
    }),
    // Storm control at one incident a source: a source's second critical alert joins its first one's incident.
    env: { ...ALERTS_ENV, ALERTS_MAX_INCIDENTS: '1' },
  });
  const post = (over: Record<string, unknown>) => postAlerts(bot.baseUrl, '/hooks/alerts', genericAlert(over));
  const inIncidents = () => bot.fake.callsTo('chat.postMessage').filter((c) => c.args.channel === INCIDENTS_CHANNEL_ID);
  const toOnCall = () => bot.fake.callsTo('chat.postMessage').filter((c) => c.args.channel === ON_CALL);

  it.each([
    {
      why: 'its row points at a security playbook',
      alert: {
        source: 'edge',
        key: 'spike-eu',
        level: 'warning',
        metric: 'request_spike',
        value: '7x',
        threshold: '> 5x',
        service: 'api-eu',
        summary: 'Requests 7x normal from 203.0.113.9',
        labels: { client_ip: '203.0.113.9' },
        url: 'https://grafana.example.com/d/edge',
      },
      words: ['203.0.113.9', 'Requests 7x', 'api-eu', 'grafana.example.com', 'TrafficSpikeWarning'],
    },
    {
      why: 'its title reads as a security matter',
      alert: {
        source: 'falco',
        key: 'bastion-logins',
        level: 'warning',
        metric: 'auth_failures',
        value: '42',
        threshold: '> 20',
        service: 'bastion',
        summary: 'Suspicious login attempts on the bastion host',
      },
      words: ['Suspicious login', 'bastion'],
    },
  ])(
    'says only that a security alert fired, in public, when $why; on-call gets it whole, with Declare incident (Private ticked)',
    async ({ alert, words }) => {
      await post({ ...alert });
      await inboxDone(bot.db);
      const pub = await waitUntil('the notice in the incidents channel', async () => inIncidents()[0]);
      const shown = json(pub.args);
      for (const w of words) expect(shown).not.toContain(w);
      expect(String(pub.args.text)).toContain('A security alert fired (warning level)');
      expect(shown).not.toContain(ACTION.declareFromAlert);
      const dm = await waitUntil('the notice sent to on-call', async () => toOnCall()[0]);
      // On-call has what fired, and declares from there: the form has Private ticked.
      expect(json(dm.args)).toContain(words[0]);
      expect(json(dm.args)).not.toContain(ACTION.attachAlert);
      expect(await declareFormPrivate(bot, dm)).toBe(true);
      // Nor does `/incident alerts` outside an incident (anyone may type it), nor a search for what it says.
      for (const [key, text] of [
        [`firing-${alert.key}`, 'alerts'],
        [`search-${alert.key}`, `alerts ${words[1]}`],
      ] as const) {
        await bot.command(text, { channel_id: 'C0GENERAL', response_url: bot.fake.responseUrl(key) });
        const listed = await bot.fake.waitFor('response_url', (c) => (c as { key?: string }).key === key);
        // A search answers with the words searched (the person's own): the others are what must not show.
        for (const w of words.filter((w) => text === 'alerts' || !text.includes(w)))
          expect(json(listed.args)).not.toContain(w);
        if (text === 'alerts') expect(json(listed.args)).toContain('A security alert');
        else expect(json(listed.args)).not.toContain('A security alert');
      }
      // Nor the Home tab's Alerts firing now.
      const watcher = `U0W${alert.key
        .replace(/[^a-z]/g, '')
        .toUpperCase()
        .slice(0, 8)}`;
      await bot.event(makeAppHomeOpened(watcher));
      const home = await waitUntil('the Home tab', async () => {
        const v = json(bot.fake.homeTabs.get(watcher)?.view ?? null);
        return v.includes('Alerts firing now') ? v : null;
      });
      expect(home).toContain('A security alert');
      for (const w of words) expect(home).not.toContain(w);
      // Resolving: the public notice still names nothing.
      await post({ ...alert, status: 'resolved' });
      await inboxDone(bot.db);
      const updated = await waitUntil('the notice updated', async () =>
        bot.fake.callsTo('chat.update').find((c) => c.args.channel === INCIDENTS_CHANNEL_ID),
      );
      for (const w of words) expect(json(updated.args)).not.toContain(w);
      expect(json(updated.args)).toContain('has resolved');
    },
  );

  it('`/incident alerts WORDS` counts no security alert in no incident: as if nothing held its words, from any page', async () => {
    // Found from outside: the answer said "No alert firing from there." but its block "Alerts firing now holding
    // “203.0.113.9”: 1, none from number 1 on": the count (and so each page's) held the security alert it left out.
    await post({
      source: 'edge',
      key: 'spike-count',
      level: 'warning',
      metric: 'request_spike',
      value: '8x',
      summary: 'Requests 8x normal from 198.51.100.77 zqcount',
    });
    await post({
      source: 'falco',
      key: 'bastion-count',
      level: 'warning',
      summary: 'Suspicious login attempts on bastion-9 zqcount',
    });
    await post({
      source: 'web',
      key: 'lat-count',
      level: 'warning',
      metric: 'p99_zq',
      summary: 'Slow checkout zqcount',
    });
    await inboxDone(bot.db);
    const ask = async (text: string) => {
      const key = `count-${text}`;
      await bot.command(text, { channel_id: 'C0GENERAL', response_url: bot.fake.responseUrl(key) });
      return (await bot.fake.waitFor('response_url', (c) => (c as { key?: string }).key === key)).args;
    };
    for (const words of ['198.51.100.77', 'bastion-9', '198.51.100.77 from 2', 'suspicious login from 3']) {
      const answer = await ask(`alerts ${words}`);
      expect(answer.text).toBe('No alert firing now holds those words.');
      expect(json(answer)).not.toMatch(/: 1, none from|: 2, none from/);
    }
    // A word both hold: the public one alone is counted, listed and paged.
    const both = await ask('alerts zqcount');
    expect(json(both)).toContain('Slow checkout zqcount');
    expect(json(both)).toContain('1 firing holding');
    expect(json(both)).not.toContain('A security alert');
    expect(json(both)).not.toContain('(1+)');
    const past = await ask('alerts zqcount from 2');
    expect(json(past)).toContain('holding “zqcount”: 1, none from number 2 on');
  });

  it('security alerts of one group open a private incident even when its title, cut to fit, no longer reads as one', async () => {
    const startsAt = new Date(Date.now() - 60_000).toISOString();
    const pad =
      'Ledger reconciliation job on payments-eu reports unexpected bulk export of customer rows by svc-report account ';
    // "data breach" at the 125th character: the group's title ("…, and 1 more alert") cuts it.
    const summary = `${pad}${'x'.repeat(Math.max(0, 124 - pad.length))} data breach`;
    await postAlerts(
      bot.baseUrl,
      '/hooks/alertmanager?source=ledger',
      alertmanagerGroup('{}:{alertname="ledger"}', [
        alertmanagerAlert('l1', { alertname: 'LedgerExport', severity: 'critical' }, { summary }, { startsAt }),
        alertmanagerAlert(
          'l2',
          { alertname: 'Bastion', severity: 'critical' },
          { summary: 'intrusion on bastion-7 from 198.51.100.4' },
          { startsAt },
        ),
      ]),
    );
    await inboxDone(bot.db);
    const [incident] = await waitUntil('the incident', async () => {
      const found = await incidentsOfSource(bot.db, 'ledger');
      return found.length ? found : null;
    });
    const { rows } = await bot.db.query<{ private: boolean; title: string }>(
      'SELECT private, title FROM incidents WHERE id = $1',
      [incident!.id],
    );
    expect(rows[0]!.title).not.toContain('data breach');
    expect(rows[0]!.private).toBe(true);
    for (const c of inIncidents()) {
      expect(json(c.args)).not.toContain('Ledger reconciliation');
      expect(json(c.args)).not.toContain('bastion-7');
    }
  });

  it("a security alert joining a group's public notice, or past the ten it lists, reaches on-call; their copy follows the notice", async () => {
    const startsAt = new Date(Date.now() - 60_000).toISOString();
    const disk = alertmanagerAlert(
      'g1',
      { alertname: 'DiskFill', severity: 'warning', instance: 'web-1' },
      { summary: 'Disk 80% on web-1' },
      { startsAt },
    );
    const breach = alertmanagerAlert(
      'g2',
      { alertname: 'DiskFill', severity: 'warning', instance: 'db-9' },
      { summary: 'suspected data breach: 40k rows exported by svc-report on db-9' },
      { startsAt },
    );
    const post = (alerts: Record<string, unknown>[]) =>
      postAlerts(
        bot.baseUrl,
        '/hooks/alertmanager?source=disks',
        alertmanagerGroup('{}:{alertname="DiskFill"}', alerts),
      );
    await post([disk]);
    await inboxDone(bot.db);
    await waitUntil('the public notice', async () => inIncidents().find((c) => json(c.args).includes('Disk 80%')));
    const before = toOnCall().length;
    await post([disk, breach]);
    await inboxDone(bot.db);
    const dm = await waitUntil('the notice sent to on-call', async () => toOnCall()[before]);
    expect(json(dm.args)).toContain('suspected data breach');
    // Private incidents announced as such here: the channel heard that security alerts fired, and on-call is told so.
    expect(json(dm.args)).toContain('the incidents channel was told only that security alerts fired');
    // Resolved: on-call's copy says so too, and is not sent again.
    await post([
      { ...disk, status: 'resolved', endsAt: new Date().toISOString() },
      { ...breach, status: 'resolved', endsAt: new Date().toISOString() },
    ]);
    await inboxDone(bot.db);
    await waitUntil("on-call's copy updated", async () =>
      bot.fake
        .callsTo('chat.update')
        .find(
          (c) =>
            c.args.channel !== INCIDENTS_CHANNEL_ID &&
            json(c.args).includes('data breach') &&
            /[Rr]esolved/.test(json(c.args)),
        ),
    );
    expect(toOnCall().length).toBe(before + 1);

    // Eleven ordinary warnings and a security one in one delivery: the notice lists ten, and is a security notice.
    const many = Array.from({ length: 11 }, (_, i) =>
      alertmanagerAlert(
        `m${i}`,
        { alertname: 'HighLatencyD', severity: 'warning', instance: `web-${i}` },
        { summary: `Latency high on web-${i}` },
        { startsAt },
      ),
    );
    many.push(
      alertmanagerAlert(
        'msec',
        { alertname: 'HighLatencyD', severity: 'warning', instance: 'vault-1' },
        { summary: 'credential stuffing against vault-1 from 192.0.2.77' },
        { startsAt },
      ),
    );
    const sent = toOnCall().length;
    await postAlerts(
      bot.baseUrl,
      '/hooks/alertmanager?source=latency',
      alertmanagerGroup('{}:{alertname="HighLatencyD"}', many),
    );
    await inboxDone(bot.db);
    const copy = await waitUntil('the security notice sent to on-call', async () => toOnCall()[sent]);
    expect(json(copy.args)).toContain('HighLatencyD');
    const pub = inIncidents().filter(
      (c) => json(c.args).includes('HighLatencyD') || json(c.args).includes('security alert'),
    );
    for (const c of pub) expect(json(c.args)).not.toContain('web-3');
  });

  it("names its row's playbook beside the row's action", async () => {
    await post({
      source: 'integration-metrics',
      key: 'api-error-rate-warning',
      level: 'warning',
      value: '7%',
      threshold: '> 5%',
      summary: 'Error rate above 5% on api-service',
    });
    await inboxDone(bot.db);
    const notice = await waitUntil('the notice', async () => inIncidents()[0]);
    const text = json(notice.args.blocks);
    expect(text).toContain('*Runbook action:* Check logs for patterns · *Playbook:* High Error Rates');
    // A row without a playbook names none.
    await post({
      source: 'integration-metrics',
      key: 'redis-hit-rate',
      level: 'warning',
      metric: 'redis_hit_rate',
      value: '60%',
      threshold: '< 70%',
      summary: 'Redis hit rate 60%',
    });
    await inboxDone(bot.db);
    const other = await waitUntil('the second notice', async () => inIncidents()[1]);
    expect(json(other.args.blocks)).toContain('*Runbook action:* Review caching strategy');
    expect(json(other.args.blocks)).not.toContain('*Playbook:*');
  });

  it("follows an alert's level: critical, then a warning again (one key), its notice and its incident's card", async () => {
    const alert = { source: 'levels', key: 'checkout-errors', service: 'checkout', metric: 'error_rate' };
    const warning = { ...alert, level: 'warning', value: '7%', threshold: '> 5%', summary: 'Checkout errors 7%' };
    await post(warning);
    await inboxDone(bot.db);
    const notice = await waitUntil('the notice', async () => inIncidents()[0]);
    await post({ ...alert, level: 'critical', value: '14%', threshold: '> 10%', summary: 'Checkout errors 14%' });
    await inboxDone(bot.db);
    const [incident] = await waitUntil('the incident', async () => {
      const l = await incidentsOfSource(bot.db, 'levels');
      return l[0]?.card_ts ? l : null;
    });
    await post(warning);
    await inboxDone(bot.db);
    // The notice says what the alert is now: a warning, not a critical alert.
    const shown = await waitUntil(
      'the notice at warning level',
      async () => {
        const m = bot.fake.message(INCIDENTS_CHANNEL_ID, String(notice.response?.ts));
        return m && json(m.blocks).includes('Checkout errors 7%') ? m : null;
      },
      5000,
      async () => json(bot.fake.message(INCIDENTS_CHANNEL_ID, String(notice.response?.ts))),
    );
    expect(json(shown.blocks)).toContain('*Warning:*');
    expect(json(shown.blocks)).not.toContain('Critical alert');
    // The card: one runbook line for its one alert, its current row's.
    const card = await waitUntil('the card at warning level', async () => {
      const m = bot.fake.message(incident!.channel_id, incident!.card_ts!);
      return m && json(m.blocks).includes('Checkout errors 7%') ? m : null;
    });
    const runbookLines = json(card.blocks).match(/\*Runbook:\*/g) ?? [];
    expect(json(card.blocks)).toContain('ElevatedErrorRate');
    expect(runbookLines).toHaveLength(1);
  });

  it("a storm's critical alerts of new names joining its incident are told in its channel, one message a delivery", async () => {
    const critical = (key: string, name: string) => ({
      source: 'storm',
      key,
      name,
      metric: 'probe_failures',
      value: '3',
      threshold: '> 0',
      summary: `${name} on ${key}`,
    });
    await post(critical('web-1', 'ProbeFailing'));
    const [incident] = await waitUntil('the incident', async () => {
      const l = await incidentsOfSource(bot.db, 'storm');
      return l[0]?.card_ts ? l : null;
    });
    const told = () =>
      bot.fake
        .callsTo('chat.postMessage')
        .filter((c) => c.args.channel === incident!.channel_id && json(c.args).includes('New alert'));
    // Its declaration's page first (it goes out after the card).
    await bot.fake.waitFor(
      'chat.postMessage',
      (c) => c.args.channel === incident!.channel_id && json(c.args).includes('Paged *On-Call Engineer*'),
    );
    const paged = bot.fake.callsTo('chat.postMessage').filter((c) => c.args.channel === ON_CALL).length;
    expect(paged).toBe(1);
    // Past the cap: another name joins it. Said once in its channel.
    await post(critical('checkout', 'CheckoutDown'));
    await inboxDone(bot.db);
    const first = await waitUntil('the channel told', async () => told()[0]);
    expect(json(first.args.blocks)).toContain('*CheckoutDown* (critical)');
    expect(await incidentsOfSource(bot.db, 'storm')).toHaveLength(1);
    // Another alert of a name it has: the card's, not said.
    await post(critical('checkout-eu', 'CheckoutDown'));
    await inboxDone(bot.db);
    // An Alertmanager delivery of three alerts of two new names: one message names both.
    const startsAt = new Date(Date.now() - 60_000).toISOString();
    const alert = (fp: string, name: string) =>
      alertmanagerAlert(
        fp,
        { alertname: name, severity: 'critical', instance: fp },
        { summary: `${name} on ${fp}` },
        {
          startsAt,
        },
      );
    await postAlerts(
      bot.baseUrl,
      '/hooks/alertmanager?source=storm',
      alertmanagerGroup('{}:{alertname="db"}', [
        alert('db-1', 'DbDown'),
        alert('db-2', 'DbDown'),
        alert('cache-1', 'CacheDown'),
      ]),
    );
    await inboxDone(bot.db);
    await waitUntil('the card shows them', async () =>
      json(bot.fake.message(incident!.channel_id, incident!.card_ts!)?.blocks).includes('CacheDown'),
    );
    await new Promise((r) => setTimeout(r, 500));
    const all = told();
    expect(all).toHaveLength(2);
    expect(json(all[1]!.args.blocks)).toContain('*DbDown* (critical, ×2)');
    expect(json(all[1]!.args.blocks)).toContain('*CacheDown* (critical)');
    // Nobody paged again for them.
    expect(bot.fake.callsTo('chat.postMessage').filter((c) => c.args.channel === ON_CALL)).toHaveLength(paged);
  });
});

describe('a security warning where private incidents are announced nowhere (the default)', () => {
  const bot = useBot({
    incidentsChannel: true,
    runbook: parseRunbook({ ...alertRunbookData(), alerts: [...alertRunbookData().alerts, SPIKE_WARNING_ROW] }),
    env: ALERTS_ENV,
  });

  it('says nothing of it in the incidents channel: its notice is on-call’s direct message, updated there', async () => {
    const alert = {
      source: 'edge',
      key: 'spike-us',
      level: 'warning',
      metric: 'request_spike',
      value: '9x',
      threshold: '> 5x',
      summary: 'Requests 9x normal from 203.0.113.80',
    };
    await postAlerts(bot.baseUrl, '/hooks/alerts', genericAlert(alert));
    await inboxDone(bot.db);
    const dm = await waitUntil('the notice sent to on-call', async () =>
      bot.fake.callsTo('chat.postMessage').find((c) => c.args.channel === ON_CALL),
    );
    expect(json(dm.args)).toContain('203.0.113.80');
    // The channel hears nothing of it, and on-call is not told it heard that one fired.
    expect(json(dm.args)).toContain('the incidents channel was told nothing of it');
    expect(json(dm.args)).not.toContain('told only that');
    await postAlerts(bot.baseUrl, '/hooks/alerts', genericAlert({ ...alert, status: 'resolved' }));
    await inboxDone(bot.db);
    await waitUntil('its direct message updated', async () =>
      bot.fake
        .callsTo('chat.update')
        .find((c) => json(c.args).includes('203.0.113.80') && /[Rr]esolved/.test(json(c.args))),
    );
    const inIncidents = [...bot.fake.callsTo('chat.postMessage'), ...bot.fake.callsTo('chat.update')].filter(
      (c) => c.args.channel === INCIDENTS_CHANNEL_ID,
    );
    expect(inIncidents).toEqual([]);
  });
});
