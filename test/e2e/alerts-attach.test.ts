import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it, onTestFinished } from 'vitest';
import { ACTION, BLOCK, INPUT, VIEW } from '../../src/templates/ids.js';
import { alertmanagerAlert, alertmanagerGroup, postAlerts } from '../support/alert-request.js';
import { inboxDone, incidentsOfSource, waitUntil } from '../support/alert-runbook.js';
import { INCIDENTS_CHANNEL_ID } from '../support/bot-harness.js';
import { TEST_REPORTER_ID } from '../support/slack-request.js';
import { postGenericAlert as post, useAlertsBot } from '../support/use-alerts-bot.js';

const json = (v: unknown) => JSON.stringify(v);

/** A warning's Add to an open incident, and taking it out again. */
describe('alerts open and track incidents', () => {
  const { bot, maintenance, cardText, one } = useAlertsBot();
  describe("a warning's Add to an open incident", () => {
    /** The notice of a warning whose summary is `summary`, and its actions block. */
    const noticeOf = async (summary: string) => {
      const notice = await bot.fake.waitFor(
        'chat.postMessage',
        (c) => c.args.channel === INCIDENTS_CHANNEL_ID && json(c.args).includes(summary),
      );
      const actions = notice.args.blocks.find((b: { type: string }) => b.type === 'actions');
      return { ts: notice.response!.ts as string, actions };
    };
    type Notice = Awaited<ReturnType<typeof noticeOf>>;
    const pressAdd = (n: Notice) =>
      bot.click({
        channelId: INCIDENTS_CHANNEL_ID,
        messageTs: n.ts,
        actionId: ACTION.attachAlert,
        blockId: n.actions.block_id,
        value: n.actions.elements[1].value,
      });
    /** Clicks Add to an open incident on a notice: the form it opened. */
    const clickAdd = async (n: Notice) => {
      const opened = bot.fake.callsTo('views.open').length;
      await pressAdd(n);
      return (await bot.fake.waitForCount('views.open', opened + 1)).at(-1)!.args.view;
    };
    /** Clicks Add to an open incident on a notice: what it answered instead of a form. */
    const addAnswer = async (n: Notice) => {
      const before = bot.replies().length;
      await pressAdd(n);
      return json(await waitUntil('the answer', async () => bot.replies().slice(before)[0]));
    };
    const pick = (view: { private_metadata: string }, incidentId: number) =>
      bot.submit({
        callbackId: VIEW.attachAlert,
        privateMetadata: view.private_metadata,
        values: {
          [BLOCK.attachIncident]: {
            [INPUT.select]: { type: 'static_select', selected_option: { value: String(incidentId) } },
          },
        },
      });
    /** The incident channel's message saying a warning alert was added to it. */
    const toldAdded = (channel: string) =>
      bot.fake.waitFor(
        'chat.postMessage',
        (c) => c.args.channel === channel && json(c.args).includes('added the warning alert'),
      );
    /** A critical alert opens an incident: that incident, once its card is posted. */
    const openedBy = async (critical: { source: string; key: string; summary: string }) => {
      expect((await post(bot.baseUrl, critical)).status).toBe(202);
      const incident = await one(critical.source);
      await waitUntil('the card', async () => (await incidentsOfSource(bot.db, critical.source))[0]?.card_ts);
      return incident;
    };
    /** An alert posted, then added to `incident` from its notice. */
    const addFromNotice = async (alert: { summary: string } & Record<string, unknown>, incident: { id: number }) => {
      expect((await post(bot.baseUrl, alert)).status).toBe(202);
      expect((await pick(await clickAdd(await noticeOf(alert.summary)), incident.id)).status).toBe(200);
    };
    /** Presses Take it out on the channel's message saying alerts were added (`added`, as the fake Slack recorded it). */
    const pressTakeOut = (added: Awaited<ReturnType<typeof toldAdded>>) => bot.press(added, ACTION.detachAlerts);
    /** Resolves an incident with `/incident resolve <summary>` in its channel, and waits until it is. */
    const resolveTyped = async (incident: { id: number; channel_id: string }, summary: string) => {
      await bot.command(`resolve ${summary}`, { channel_id: incident.channel_id });
      await waitUntil('the resolution', async () => {
        const { rows } = await bot.db.query<{ status: string }>('SELECT status FROM incidents WHERE id = $1', [
          incident.id,
        ]);
        return rows[0]?.status === 'resolved';
      });
    };
    /** What the bot posted in a channel holding `words`. */
    const postedIn = (channel: string, words: string) =>
      bot.fake.callsTo('chat.postMessage').filter((c) => c.args.channel === channel && json(c.args).includes(words));
    const typedIncident = async (title: string) => {
      await bot.command(`sev2 ${title}`);
      return waitUntil('the typed incident', async () => {
        const { rows } = await bot.db.query<{ id: number; number: number; channel_id: string; card_ts: string }>(
          'SELECT id, number, channel_id, card_ts FROM incidents WHERE title = $1 AND card_ts IS NOT NULL',
          [title],
        );
        return rows[0];
      });
    };

    it('joins the incident picked: its card, timeline and channel say so, the notice says where, and its resolving offers nothing', async () => {
      const incident = await typedIncident('Checkout slow for EU users');
      const warning = {
        source: 'attach-metrics',
        key: 'db-disk',
        level: 'warning',
        metric: 'disk_usage',
        value: '87%',
        threshold: '85%',
        service: 'postgres',
        summary: 'Disk 87% on db-eu-1',
      };
      expect((await post(bot.baseUrl, warning)).status).toBe(202);
      const notice = await noticeOf('Disk 87% on db-eu-1');
      expect(notice.actions.elements.map((e: { text: { text: string } }) => e.text.text)).toEqual([
        'Declare incident',
        'Add to an open incident',
      ]);
      // The form lists the open incidents, this one among them.
      const view = await clickAdd(notice);
      expect(view.callback_id).toBe(VIEW.attachAlert);
      expect(json(view)).toContain(`#${incident.number} · SEV-2 · Checkout slow for EU users`);
      expect((await pick(view, incident.id)).status).toBe(200);
      // Its channel is told who added what; its card shows the alert; the timeline has both.
      const told = await toldAdded(incident.channel_id);
      expect(json(told.args)).toContain(
        `<@${TEST_REPORTER_ID}> added the warning alert *ElevatedDiskUsage* (attach-metrics)`,
      );
      const card = () => json(bot.fake.message(incident.channel_id, incident.card_ts)?.blocks);
      await waitUntil('the card to show the alert', async () => card().includes('Disk 87% on db-eu-1'));
      expect(card()).toContain('1 firing');
      // It was typed, not opened from alerts: the card does not say it was reported from them.
      expect(card()).toContain(`*Reported by*\\n<@${TEST_REPORTER_ID}>"`);
      const { rows: events } = await bot.db.query<{
        kind: string;
        actor_id: string | null;
        details: { text?: string };
      }>(
        `SELECT kind, actor_id, details FROM incident_events WHERE incident_id = $1 AND kind IN ('note', 'alert_fired', 'alert_resolved') ORDER BY id`,
        [incident.id],
      );
      expect(events.map((e) => e.kind)).toEqual(['note', 'alert_fired']);
      expect(events[0]).toMatchObject({
        actor_id: TEST_REPORTER_ID,
        details: { text: 'Added the warning alert ElevatedDiskUsage of attach-metrics to this incident' },
      });
      // The notice says where it went, without its buttons; the person who added it is answered.
      await waitUntil('the notice to say where', async () =>
        json(bot.fake.message(INCIDENTS_CHANNEL_ID, notice.ts)?.blocks).includes(
          `Added to incident #${incident.number} in <#${incident.channel_id}> by <@${TEST_REPORTER_ID}>.`,
        ),
      );
      expect(json(bot.fake.message(INCIDENTS_CHANNEL_ID, notice.ts)?.blocks)).not.toContain(ACTION.attachAlert);
      await waitUntil('the answer to whoever added it', async () =>
        json(bot.fake.calls).includes(`Added the alert to incident #${incident.number}`),
      );
      // Its repeats go to the incident (no second notice), and its resolution too.
      expect((await post(bot.baseUrl, { ...warning, value: '89%' })).status).toBe(202);
      await inboxDone(bot.db);
      expect((await post(bot.baseUrl, { ...warning, status: 'resolved', value: '60%' })).status).toBe(202);
      await inboxDone(bot.db);
      await waitUntil('the card to show it resolved', async () => card().includes('0 firing · 1 resolved'));
      expect(
        bot.fake
          .callsTo('chat.postMessage')
          .filter((c) => c.args.channel === INCIDENTS_CHANNEL_ID && json(c.args).includes('Disk 87% on db-eu-1'))
          .length,
      ).toBe(1);
      // A typed incident is not offered to resolve because an alert people added to it resolved.
      await sleep(500);
      expect(json(bot.fake.calls)).not.toContain('Every alert of this incident has resolved');
      // Nor does it stop a round of nobody acknowledging from climbing, as it does for an incident opened from alerts
      // whose every alert has resolved: a person saw this trouble, not the alert. The card's Next still names the
      // next role with on-call.
      expect(card()).toContain('then too: On-Call Engineer and Senior DevOps Engineer unless acknowledged');
      // The old notice's button, pressed again (another person's stale view): told where the alert is.
      expect(await addAnswer(notice)).toContain(`incident #${incident.number}`);
    });

    it('alerts added to an incident opened from alerts: it is offered to resolve once none of them fires', async () => {
      const critical = { source: 'attach-open', key: 'api-5xx', summary: 'API 5xx above 10% (attach-open)' };
      expect((await post(bot.baseUrl, critical)).status).toBe(202);
      const incident = await one('attach-open');
      await waitUntil('the card', async () => (await incidentsOfSource(bot.db, 'attach-open'))[0]?.card_ts);
      const warning = {
        source: 'attach-side',
        key: 'queue',
        level: 'warning',
        metric: 'queue_depth',
        value: '900',
        summary: 'Queue depth 900 (attach-side)',
      };
      expect((await post(bot.baseUrl, warning)).status).toBe(202);
      const view = await clickAdd(await noticeOf('Queue depth 900 (attach-side)'));
      expect((await pick(view, incident.id)).status).toBe(200);
      await toldAdded(incident.channel_id);
      // The alert that opened it resolves while the one added still fires: no offer.
      expect((await post(bot.baseUrl, { ...critical, status: 'resolved' })).status).toBe(202);
      await inboxDone(bot.db);
      await sleep(800);
      const offers = () =>
        bot.fake
          .callsTo('chat.postMessage')
          .filter((c) => c.args.channel === incident.channel_id && json(c.args).includes('has resolved'));
      expect(offers()).toHaveLength(0);
      // The one added resolves too: now the channel is offered to resolve.
      expect((await post(bot.baseUrl, { ...warning, status: 'resolved' })).status).toBe(202);
      await inboxDone(bot.db);
      await waitUntil('the offer', async () => offers().length === 1);
    });

    it('a firing alert added after the offer to resolve: the offer no longer stands, said in place; the opener firing again is not told as a second alert firing again', async () => {
      const critical = { source: 'offer-open', key: 'api-5xx', summary: 'API 5xx above 10% (offer-open)' };
      const incident = await openedBy(critical);
      expect((await post(bot.baseUrl, { ...critical, status: 'resolved' })).status).toBe(202);
      const offer = await bot.fake.waitFor(
        'chat.postMessage',
        (c) =>
          c.args.channel === incident.channel_id && json(c.args).includes('Every alert of this incident has resolved'),
      );
      await addFromNotice(
        { source: 'offer-side', key: 'queue', level: 'warning', summary: 'Queue depth 950 (offer-side)' },
        incident,
      );
      await toldAdded(incident.channel_id);
      const offerNow = () => json(bot.fake.message(incident.channel_id, offer.response!.ts)?.blocks);
      await waitUntil('the offer closed', async () => !offerNow().includes(ACTION.resolve));
      expect(offerNow()).toContain('A firing alert was added to this incident');
      // The alert that opened it fires again: no offer stood, so nothing says one no longer stands.
      expect((await post(bot.baseUrl, critical)).status).toBe(202);
      await inboxDone(bot.db);
      await sleep(800);
      expect(postedIn(incident.channel_id, 'after every one had resolved')).toHaveLength(0);
    });

    it('the only firing alert taken out of an incident opened from alerts, whose own alerts resolved: offered to resolve', async () => {
      const critical = { source: 'offer-out', key: 'api-5xx', summary: 'API 5xx above 10% (offer-out)' };
      const incident = await openedBy(critical);
      await addFromNotice(
        { source: 'offer-out-side', key: 'queue', level: 'warning', summary: 'Queue depth 990 (offer-out)' },
        incident,
      );
      const added = await toldAdded(incident.channel_id);
      expect((await post(bot.baseUrl, { ...critical, status: 'resolved' })).status).toBe(202);
      await inboxDone(bot.db);
      await sleep(500);
      const offers = () => postedIn(incident.channel_id, 'has resolved');
      expect(offers()).toHaveLength(0);
      await pressTakeOut(added);
      await waitUntil('the offer', async () => offers().length === 1);
      expect(json(offers()[0]!.args)).toContain(ACTION.resolve);
    });

    it('added by mistake, taken out again from the message that said so: in no incident, its notice live again', async () => {
      const incident = await typedIncident('Login page slow in APAC');
      const warning = {
        source: 'detach-metrics',
        key: 'redis-hit',
        level: 'warning',
        summary: 'Redis hit rate 62% (detach)',
      };
      expect((await post(bot.baseUrl, warning)).status).toBe(202);
      const notice = await noticeOf('Redis hit rate 62% (detach)');
      expect((await pick(await clickAdd(notice), incident.id)).status).toBe(200);
      const added = await toldAdded(incident.channel_id);
      const card = () => json(bot.fake.message(incident.channel_id, incident.card_ts)?.blocks);
      await waitUntil('the card to show it', async () => card().includes('Redis hit rate 62%'));
      const row = added.args.blocks.find((b: { type: string }) => b.type === 'actions');
      expect(row.elements[0].text.text).toBe('Take it out (added by mistake)');
      const takeOut = () => bot.press(added, ACTION.detachAlerts, 'U0RESP2');
      await takeOut();
      // The channel says who took it out; the card no longer shows it; the notice has its buttons again.
      await bot.fake.waitFor(
        'chat.postMessage',
        (c) =>
          c.args.channel === incident.channel_id && String(c.args.text).includes('<@U0RESP2> took the warning alert'),
      );
      await waitUntil('the card without it', async () => !card().includes('Redis hit rate 62%'));
      // The message saying it was added loses its button, and says who took it out.
      await waitUntil('the added message closed', async () => {
        const now = json(bot.fake.message(incident.channel_id, added.response!.ts)?.blocks);
        return !now.includes(ACTION.detachAlerts) && now.includes('Taken out by <@U0RESP2>');
      });
      await waitUntil('the notice live again', async () =>
        json(bot.fake.message(INCIDENTS_CHANNEL_ID, notice.ts)?.blocks).includes(ACTION.attachAlert),
      );
      const { rows: events } = await bot.db.query<{ actor_id: string; details: { text?: string } }>(
        `SELECT actor_id, details FROM incident_events WHERE incident_id = $1 AND kind = 'note' ORDER BY id`,
        [incident.id],
      );
      expect(events.at(-1)).toMatchObject({ actor_id: 'U0RESP2' });
      expect(events.at(-1)!.details.text).toMatch(/^Took the warning alert .* of detach-metrics out of this incident/);
      // Pressed again: nothing to take out, said.
      await takeOut();
      await waitUntil('the answer', async () =>
        json(bot.fake.calls).includes('Those alerts are no longer in this incident: nothing was taken out.'),
      );
      // Its next delivery goes to its notice, not the incident; it can be added again.
      expect((await post(bot.baseUrl, { ...warning, summary: 'Redis hit rate 61% (detach)' })).status).toBe(202);
      await inboxDone(bot.db);
      await sleep(300);
      expect(card()).not.toContain('Redis hit rate 61%');
      expect((await pick(await clickAdd(notice), incident.id)).status).toBe(200);
      await waitUntil('the card to show it again', async () => card().includes('Redis hit rate 61%'));
      // Once the incident is resolved, what was added stays on its record.
      const again = (
        await bot.fake.waitForCount(
          'chat.postMessage',
          2,
          (c) => c.args.channel === incident.channel_id && json(c.args).includes('added the warning alert'),
        )
      ).at(-1)!;
      await bot.db.query(`UPDATE incidents SET status = 'resolved', resolved_at = now() WHERE id = $1`, [incident.id]);
      await pressTakeOut(again);
      await waitUntil('the refusal', async () =>
        json(bot.fake.calls).includes('This incident is resolved: the alerts added to it stay on its record.'),
      );
      expect(card()).toContain('Redis hit rate 61%');
    });

    it('an alert still firing in a resolved incident stays on its record when a new alert of its group is added elsewhere', async () => {
      const first = await typedIncident('Replica lag on EU (kept)');
      const second = await typedIncident('Replica lag on EU again (kept)');
      const startsAt = new Date(Date.now() - 60_000).toISOString();
      const lag = (n: number) =>
        alertmanagerAlert(
          `lag-${n}`,
          { alertname: 'ReplicaLag', severity: 'warning', instance: `db-${n}` },
          { summary: `Replica lag 30s on db-${n} (kept)` },
          { startsAt },
        );
      const group = (alerts: Record<string, unknown>[]) => alertmanagerGroup('{}:{alertname="ReplicaLag"}', alerts);
      const hook = '/hooks/alertmanager?source=kept-am';
      expect((await postAlerts(bot.baseUrl, hook, group([lag(1)]))).status).toBe(202);
      expect((await pick(await clickAdd(await noticeOf('Replica lag 30s on db-1 (kept)')), first.id)).status).toBe(200);
      await toldAdded(first.channel_id);
      await resolveTyped(first, 'lag gone by hand');
      // Alertmanager's next delivery: db-1 the same firing (its start unchanged), and a new db-2 on a notice of its own.
      expect((await postAlerts(bot.baseUrl, hook, group([lag(1), lag(2)]))).status).toBe(202);
      await inboxDone(bot.db);
      const view = await clickAdd(await noticeOf('Replica lag 30s on db-2 (kept)'));
      expect(json(view.blocks)).not.toContain('on db-1 (kept)');
      expect((await pick(view, second.id)).status).toBe(200);
      await toldAdded(second.channel_id);
      const { rows } = await bot.db.query<{ fingerprint: string; incident_id: number }>(
        `SELECT a.fingerprint, ai.incident_id FROM alerts a JOIN alert_incidents ai ON ai.id = a.alert_incident_id
         WHERE a.source = 'kept-am' ORDER BY a.fingerprint`,
      );
      expect(rows.map((r) => [r.fingerprint, Number(r.incident_id)])).toEqual([
        ['lag-1', first.id],
        ['lag-2', second.id],
      ]);
    });

    it('a group taken out again, with an alert that joined after it was added: that alert is on the notice too', async () => {
      const incident = await typedIncident('Queue workers lagging (group out)');
      const startsAt = new Date(Date.now() - 60_000).toISOString();
      const queue = (n: string, status: 'firing' | 'resolved' = 'firing') =>
        alertmanagerAlert(
          `queue-${n}`,
          { alertname: 'QueueLag', severity: 'warning', queue: `q-${n}` },
          { summary: `Queue q-${n} lagging (group out)` },
          { startsAt, status },
        );
      const group = (alerts: Record<string, unknown>[]) => alertmanagerGroup('{}:{alertname="QueueLag"}', alerts);
      const hook = '/hooks/alertmanager?source=group-out';
      expect((await postAlerts(bot.baseUrl, hook, group([queue('a'), queue('b')]))).status).toBe(202);
      const notice = await noticeOf('Queue q-a lagging (group out)');
      expect((await pick(await clickAdd(notice), incident.id)).status).toBe(200);
      const added = await bot.fake.waitFor(
        'chat.postMessage',
        (c) =>
          c.args.channel === incident.channel_id && String(c.args.text).startsWith('Alerts added to this incident'),
      );
      // The group's next delivery: q-a resolved, a new q-c, which joins the incident as the group's alerts do.
      expect(
        (await postAlerts(bot.baseUrl, hook, group([queue('a', 'resolved'), queue('b'), queue('c')]))).status,
      ).toBe(202);
      await inboxDone(bot.db);
      const card = () => json(bot.fake.message(incident.channel_id, incident.card_ts)?.blocks);
      await waitUntil('the card to show q-c', async () => card().includes('Queue q-c lagging'));
      await pressTakeOut(added);
      await waitUntil('the card without them', async () => !card().includes('Queue q-c lagging'));
      // Every alert taken out is on a notice at once, with its buttons: q-c too (on the group's notice).
      const notices = () =>
        bot.fake
          .postedIn(INCIDENTS_CHANNEL_ID)
          .map((m) => json(m.blocks))
          .filter((t) => t.includes('(group out)'));
      await waitUntil('q-c on a live notice', async () =>
        notices().some((t) => t.includes('Queue q-c lagging') && t.includes(ACTION.attachAlert)),
      );
    });

    it('a warning that fires again after its incident was resolved: its notice names that incident, and one declared from it links it', async () => {
      const warning = { source: 'again-metrics', key: 'mq-depth', level: 'warning', summary: 'MQ depth 5k (again)' };
      expect((await post(bot.baseUrl, warning)).status).toBe(202);
      const first = await noticeOf('MQ depth 5k (again)');
      const earlier = await typedIncident('Message queue backing up (again)');
      expect((await pick(await clickAdd(first), earlier.id)).status).toBe(200);
      await toldAdded(earlier.channel_id);
      await resolveTyped(earlier, 'consumers scaled');
      // It resolves, then fires again: a new notice, which says where it was.
      expect((await post(bot.baseUrl, { ...warning, status: 'resolved' })).status).toBe(202);
      await inboxDone(bot.db);
      expect((await post(bot.baseUrl, { ...warning, summary: 'MQ depth 6k (again)' })).status).toBe(202);
      const notice = await noticeOf('MQ depth 6k (again)');
      expect(notice.ts).not.toBe(first.ts);
      const text = json(bot.fake.message(INCIDENTS_CHANNEL_ID, notice.ts)?.blocks);
      expect(text).toContain(`The same alert was in incident #${earlier.number} (<#${earlier.channel_id}>) before`);
      // Declared from it: the new incident's card links the earlier one.
      const opened = bot.fake.callsTo('views.open').length;
      await bot.click({
        channelId: INCIDENTS_CHANNEL_ID,
        messageTs: notice.ts,
        actionId: ACTION.declareFromAlert,
        blockId: notice.actions.block_id,
        value: notice.actions.elements[0].value,
      });
      const view = (await bot.fake.waitForCount('views.open', opened + 1)).at(-1)!.args.view;
      await bot.submit({
        callbackId: VIEW.declare,
        privateMetadata: view.private_metadata,
        values: {
          [BLOCK.declareSeverity]: { [INPUT.severity]: { type: 'static_select', selected_option: { value: '3' } } },
          [BLOCK.declareTitle]: { [INPUT.text]: { type: 'plain_text_input', value: 'Message queue backing up again' } },
        },
      });
      const again = await waitUntil('the new incident', async () => {
        const { rows } = await bot.db.query<{ channel_id: string; card_ts: string }>(
          `SELECT channel_id, card_ts FROM incidents WHERE title = 'Message queue backing up again' AND card_ts IS NOT NULL`,
        );
        return rows[0];
      });
      await waitUntil('the card to link the earlier one', async () =>
        json(bot.fake.message(again.channel_id, again.card_ts)?.blocks).includes(
          `The same alert was in incident #${earlier.number}`,
        ),
      );
    });

    it('a critical alert a window held back, added to a less severe incident: its channel is offered to raise it', async () => {
      const incident = await typedIncident('Nodes flapping (held, added)');
      maintenance.open = true;
      try {
        await addFromNotice(
          {
            source: 'held-added',
            key: 'health',
            metric: 'app_health_check_failures',
            summary: 'Health checks failing on node-9 (held, added)',
          },
          incident,
        );
      } finally {
        maintenance.open = false;
      }
      // The window is over: the notice no longer says it holds the alert back (the alert is in the incident).
      const notice = await noticeOf('Health checks failing on node-9 (held, added)');
      await waitUntil(
        'the notice without its maintenance mark',
        async () => {
          const now = json(bot.fake.message(INCIDENTS_CHANNEL_ID, notice.ts)?.blocks);
          return now.includes('Added to incident') && !now.includes('Recorded, not declared') ? now : null;
        },
        15_000,
      );
      const told = await bot.fake.waitFor(
        'chat.postMessage',
        (c) =>
          c.args.channel === incident.channel_id &&
          String(c.args.text).includes('A critical alert joined this SEV-2 incident'),
      );
      expect(json(told.args.blocks)).toContain(ACTION.raiseSeverity);
    });

    it('two people adding one alert to two incidents at once: one of them has it, the other is told where it is', async () => {
      const first = await typedIncident('Search results empty (race one)');
      const second = await typedIncident('Search results empty (race two)');
      const warning = { source: 'race-metrics', key: 'es-heap', level: 'warning', summary: 'ES heap 91% (race)' };
      expect((await post(bot.baseUrl, warning)).status).toBe(202);
      const notice = await noticeOf('ES heap 91% (race)');
      const [a, b] = [await clickAdd(notice), await clickAdd(notice)];
      const sent = await Promise.all([pick(a, first.id), pick(b, second.id)]);
      expect(sent.map((r) => r.status)).toEqual([200, 200]);
      // One alert incident, in one of them; the channel of that one only is told.
      await waitUntil('the answers', async () => {
        const calls = json(bot.fake.calls);
        return calls.includes('Added the alert to incident #') && calls.includes('This alert is already in incident #');
      });
      const { rows } = await bot.db.query<{ incident_id: number }>(
        `SELECT incident_id FROM alert_incidents WHERE source = 'race-metrics'`,
      );
      expect(rows).toHaveLength(1);
      const winner = rows[0]!.incident_id === first.id ? first : second;
      const loser = winner === first ? second : first;
      await toldAdded(winner.channel_id);
      await sleep(300);
      expect(
        bot.fake
          .callsTo('chat.postMessage')
          .filter((c) => c.args.channel === loser.channel_id && json(c.args).includes('added the warning alert')),
      ).toHaveLength(0);
    });

    it('refuses what it cannot do with what to do instead', async () => {
      // No incident open that the person may see: told to declare one instead.
      const { rows: open } = await bot.db.query<{ id: number; status: string }>(
        `SELECT id, status FROM incidents WHERE status <> 'resolved'`,
      );
      await bot.db.query(`UPDATE incidents SET status = 'resolved', resolved_at = now() WHERE status <> 'resolved'`);
      // The others' incidents are open again after (the tests after these find theirs as they left them).
      onTestFinished(async () => {
        for (const o of open)
          await bot.db.query('UPDATE incidents SET status = $2, resolved_at = NULL WHERE id = $1', [o.id, o.status]);
      });
      const warning = {
        source: 'attach-none',
        key: 'cert',
        level: 'warning',
        summary: 'TLS certificate expires in 9 days (attach-none)',
      };
      expect((await post(bot.baseUrl, warning)).status).toBe(202);
      const notice = await noticeOf('TLS certificate expires in 9 days (attach-none)');
      const none = await addAnswer(notice);
      expect(none).toContain('No incident is open (that you may see) to add');
      expect(none).toContain('*Declare incident* on its notice opens one with it');
      // An incident resolved while the form was open: refused in the form, which stays open to pick another; nothing
      // added, nothing said elsewhere.
      const incident = await typedIncident('Payments retries piling up');
      const view = await clickAdd(notice);
      await bot.db.query(`UPDATE incidents SET status = 'resolved', resolved_at = now() WHERE id = $1`, [incident.id]);
      const refused = await pick(view, incident.id);
      expect(refused.status).toBe(200);
      expect(refused.json).toMatchObject({
        response_action: 'errors',
        errors: {
          [BLOCK.attachIncident]: expect.stringContaining('That incident is resolved, or not one you may add'),
        },
      });
      await sleep(300);
      expect(json(bot.fake.calls)).not.toContain('That incident is resolved, or not one you may add alerts to');
      const { rows } = await bot.db.query(`SELECT 1 FROM alert_incidents WHERE source = 'attach-none'`);
      expect(rows).toHaveLength(0);
      // A form with nothing picked, or of another version: said on the form.
      const empty = await bot.submit({
        callbackId: VIEW.attachAlert,
        privateMetadata: view.private_metadata,
        values: {},
      });
      expect(json(empty.json)).toContain('Pick the incident to add it to.');
      const stale = await bot.submit({ callbackId: VIEW.attachAlert, privateMetadata: '{"x":1}', values: {} });
      expect(json(stale.json)).toContain('This form is out of date');
    });

    it("alerts added by hand come after a storm's critical alerts on the card: only the group that opened it leads", async () => {
      // Past the storm cap (2 here), the third critical alert of the source joins the second's incident.
      for (const key of ['k1', 'k2', 'k3'])
        expect((await post(bot.baseUrl, { source: 'order-add', key, summary: `Order ${key} down` })).status).toBe(202);
      await inboxDone(bot.db);
      const incidents = await incidentsOfSource(bot.db, 'order-add');
      expect(incidents).toHaveLength(2);
      const stormed = await waitUntil('the storm incident with its card', async () => {
        const all = await incidentsOfSource(bot.db, 'order-add');
        const { rows } = await bot.db.query<{ incident_id: number }>(
          `SELECT ai.incident_id FROM alert_incidents ai WHERE ai.source = 'order-add' AND ai.storm`,
        );
        return all.find((i) => i.id === rows[0]?.incident_id && i.card_ts);
      });
      await addFromNotice({ source: 'order-add-w', key: 'w', level: 'warning', summary: 'Order queue slow' }, stormed);
      const text = await waitUntil('the card with the warning', async () =>
        cardText(stormed).includes('Order queue slow') ? cardText(stormed) : null,
      );
      const order = ['Order queue slow', ...['k1', 'k2', 'k3'].map((k) => `Order ${k} down`)]
        .map((s) => ({ s, at: text.indexOf(` · ${s} · `) }))
        .filter((x) => x.at >= 0)
        .sort((a, b) => a.at - b.at)
        .map((x) => x.s);
      expect(order).toHaveLength(3);
      // The opener, then the storm's other critical alert, then the warning added by hand.
      expect(order.at(-1)).toBe('Order queue slow');
    });
  });
});
