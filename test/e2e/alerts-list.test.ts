import { describe, expect, it } from 'vitest';
import { alertmanagerFixture, postAlerts } from '../support/alert-request.js';
import { inboxDone, incidentsOfSource, waitUntil } from '../support/alert-runbook.js';
import { postGenericAlert as post, useAlertsBot } from '../support/use-alerts-bot.js';

const json = (v: unknown) => JSON.stringify(v);

/** `/incident alerts` and `/incident status` in an incident opened from alerts, and the alerts a delivery left out. */
describe('alerts open and track incidents', () => {
  const { bot, cardText, one } = useAlertsBot();

  it('`/incident alerts` of a long list gives the command for the rest, and words narrow it: every alert can be read', async () => {
    const am = JSON.parse(alertmanagerFixture('group-firing')) as Record<string, unknown> & {
      alerts: Record<string, unknown>[];
    };
    const pad = (i: number) => String(i).padStart(3, '0');
    const disk = (i: number, status = 'firing') => ({
      ...am.alerts[0],
      status,
      labels: { alertname: 'DiskFull', severity: 'critical', instance: `node-${pad(i)}:9100`, mountpoint: '/data' },
      annotations: { summary: `disk 9${i % 10}% on node-${pad(i)}`, description: 'x'.repeat(200) },
      fingerprint: `disk-${pad(i)}`,
    });
    const send = (alerts: Record<string, unknown>[], status = 'firing') =>
      postAlerts(bot.baseUrl, '/hooks/alertmanager?source=disks', {
        ...am,
        status,
        groupKey: '{}:{alertname="DiskFull"}',
        commonAnnotations: {},
        alerts,
      });
    expect((await send(Array.from({ length: 250 }, (_, i) => disk(i)))).status).toBe(202);
    const incident = await one('disks');
    const ask = async (text: string) => {
      const before = bot.replies().length;
      await bot.command(`alerts${text ? ` ${text}` : ''}`, { channel_id: incident.channel_id });
      return json(await waitUntil(`the reply to "${text}"`, async () => bot.replies().slice(before)[0]));
    };
    // Each alert's line in the blocks (the header names the first summary too).
    const shown = (reply: string) => new Set([...reply.matchAll(/· disk 9\d% on node-(\d{3}) ·/g)].map((m) => m[1]));
    // The first part: as many as fit, which they are, and the command for the rest.
    const first = await ask('');
    const next = /showing 1–(\d+) · (\d+) more not shown: `\/incident alerts from (\d+)` shows the next/.exec(first);
    expect(next, first.slice(-600)).not.toBeNull();
    const [upTo, more, from] = [Number(next![1]), Number(next![2]), Number(next![3])];
    expect(upTo + more).toBe(250);
    expect(from).toBe(upTo + 1);
    expect(shown(first).size).toBe(upTo);
    // The rest, with that command: together, every alert once.
    const rest = await ask(`from ${from}`);
    expect(rest).toContain(`showing ${from}–250`);
    expect(rest).not.toContain('more not shown');
    expect(new Set([...shown(first), ...shown(rest)]).size).toBe(250);
    // Words keep the alerts holding each, in their labels or summary, in any case.
    const node = await ask('NODE-042');
    expect(node).toContain('250 alerts · 250 firing · 0 resolved · 1 holds “node-042” (1 firing)');
    expect([...shown(node)]).toEqual(['042']);
    const byLabel = await ask('mountpoint=/data 97%');
    expect([...shown(byLabel)].sort()).toEqual(Array.from({ length: 25 }, (_, i) => pad(i * 10 + 7)));
    // A state is a word too, once some have resolved.
    expect((await send([disk(3, 'resolved'), disk(4, 'resolved')], 'resolved')).status).toBe(202);
    await inboxDone(bot.db);
    const resolved = await ask('resolved');
    expect(resolved).toContain('250 alerts · 248 firing · 2 resolved · 2 hold “resolved” (0 firing)');
    expect([...shown(resolved)].sort()).toEqual(['003', '004']);
    // Nothing matching, a start past the end, and an incident's number are each said, with what to type.
    expect(await ask('eu-west')).toContain('No alert of this incident holds “eu-west”');
    expect(await ask('disk from 900')).toContain(
      'none from number 900 on. `/incident alerts disk` lists them from the first.',
    );
    expect(await ask('#12')).toContain("type it in incident #12's channel");
  }, 60_000);

  it('`/incident alerts` words name the fields of any format as key=value: service=, metric=, source=, level=', async () => {
    const warn = (source: string, key: string, service: string, metric: string) =>
      post(bot.baseUrl, {
        source,
        key,
        level: 'warning',
        service,
        metric,
        summary: `${metric} high on ${service} (fields)`,
      });
    expect((await warn('fields-nagios', 'a', 'api-fields', 'p95_latency')).status).toBe(202);
    expect((await warn('fields-cron', 'b', 'db-fields', 'replica_lag')).status).toBe(202);
    await inboxDone(bot.db);
    const ask = async (text: string) => {
      const before = bot.replies().length;
      await bot.command(`alerts ${text}`);
      return json(await waitUntil(`the reply to "${text}"`, async () => bot.replies().slice(before)[0]));
    };
    for (const [words, found, not] of [
      ['service=api-fields', 'high on api-fields', 'high on db-fields'],
      ['metric=replica_lag', 'high on db-fields', 'high on api-fields'],
      ['source=fields-nagios', 'high on api-fields', 'high on db-fields'],
      ['fields-cron level=warning', 'high on db-fields', 'high on api-fields'],
    ]) {
      const reply = await ask(words!);
      expect(reply, words).toContain(found);
      expect(reply, words).not.toContain(not);
    }
  });

  it('alerts Alertmanager left out of a delivery (its max_alerts) are named on the card until it sends them all', async () => {
    const am = JSON.parse(alertmanagerFixture('group-firing')) as { alerts: Record<string, unknown>[] };
    // A summary of its own: an alert incident titled as another one the bot declared moments ago joins it.
    const summary = { summary: 'Error rate above 10% on checkout (capped)' };
    am.alerts = am.alerts.map((a) => ({ ...a, annotations: summary }));
    Object.assign(am, { commonAnnotations: summary });
    const send = (truncatedAlerts: unknown) =>
      postAlerts(bot.baseUrl, '/hooks/alertmanager?source=capped', { ...am, truncatedAlerts });
    expect((await send(38)).status).toBe(202);
    const incident = await one('capped');
    await waitUntil('the card', async () => (await incidentsOfSource(bot.db, 'capped'))[0]?.card_ts);
    const withCard = (await incidentsOfSource(bot.db, 'capped'))[0]!;
    await waitUntil('the card to name the 38', async () => cardText(withCard).includes('38 more alerts not sent'));
    expect(cardText(withCard)).toContain(
      "capped left them out of its latest delivery of this group (its webhook's `max_alerts`)",
    );
    // `/incident alerts`, which lists every alert recorded, says so too.
    await bot.command('alerts', { channel_id: withCard.channel_id });
    const list = await waitUntil('the alert list', async () =>
      bot.replies().find((m) => json(m).includes('more not sent by capped')),
    );
    expect(json(list)).toContain('2 alerts · 2 firing · 0 resolved · 38 more not sent by capped (its `max_alerts`)');
    // A count that is none is read as none (the group is taken, not refused), and the card no longer says it.
    expect((await send('lots')).status).toBe(202);
    await inboxDone(bot.db);
    await waitUntil('the card to drop it', async () => !cardText(withCard).includes('not sent'));
    expect((await send(1)).status).toBe(202);
    await waitUntil('the card to name the one', async () => cardText(withCard).includes('1 more alert not sent'));
    expect((await one('capped')).id).toBe(incident.id);
  });

  it('/incident status shows the card as its channel has it: who was paged and who is next, and its alerts', async () => {
    await post(bot.baseUrl, { source: 'status-card', key: 'queue-stuck', summary: 'Queue consumer stuck' });
    const inc = await one('status-card');
    await waitUntil('the page', async () => (cardText(await one('status-card')).includes('Paged:') ? true : null));
    const before = bot.replies().length;
    await bot.command('status', { channel_id: inc.channel_id });
    const reply = await waitUntil('the card shown', async () =>
      bot
        .replies()
        .slice(before)
        .find((m) => json(m).includes('Queue consumer stuck')),
    );
    expect(json(reply)).toContain(':pager: Paged: On-Call Engineer');
    expect(json(reply)).toContain(':rotating_light: *Alerts* · 1 firing · 0 resolved · from status-card');
  });
});
