import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { VIEW } from '../../src/templates/ids.js';
import { ALERTS_ENV, genericAlert, postAlerts } from '../support/alert-request.js';
import { alertRunbook, inboxDone, incidentsOfSource, waitUntil } from '../support/alert-runbook.js';
import { INCIDENTS_CHANNEL_ID, useBot } from '../support/bot-harness.js';
import { statusFormValues } from '../support/status-form.js';

const json = (v: unknown) => JSON.stringify(v);

/**
 * A status update whose status is Resolved resolves the incident as `/incident resolve` does: the same checks, the
 * resolution notice (with the alerts still firing) in the channel and the incidents channel, the `resolved` event.
 * Found from outside: it set the resolution time and said nothing else.
 */
describe('a status update saying Resolved resolves as /incident resolve does', () => {
  const bot = useBot({ env: ALERTS_ENV, incidentsChannel: true, runbook: alertRunbook() });
  const opened = async (source: string) => {
    await inboxDone(bot.db);
    return waitUntil('the card', async () => (await incidentsOfSource(bot.db, source)).find((i) => i.card_ts));
  };
  const openForm = async (channelId: string, text = 'update') => {
    const before = bot.fake.callsTo('views.open').length;
    await bot.command(text, { channel_id: channelId });
    const form = (await bot.fake.waitForCount('views.open', before + 1)).at(-1)!;
    return form.args.view as { private_metadata: string; blocks: unknown[] };
  };
  const submit = (view: { private_metadata: string }, currentStatus: string) =>
    bot.submit({
      callbackId: VIEW.statusUpdate,
      privateMetadata: view.private_metadata,
      values: statusFormValues({
        status: 'resolved',
        affected: 'checkout',
        impact: 'none now',
        currentStatus,
      }),
    });
  const kinds = async (id: number) =>
    (
      await bot.db.query<{ kind: string }>('SELECT kind FROM incident_events WHERE incident_id = $1 ORDER BY id', [id])
    ).rows.map((r) => r.kind);

  it('posts the update and the resolution (alerts still firing said), records resolved, moves to the post-mortem', async () => {
    const alert = { source: 'update-resolves', key: 'checkout-5xx', summary: 'Checkout 5xx above 10%' };
    await postAlerts(bot.baseUrl, '/hooks/alerts', genericAlert(alert));
    const inc = await opened('update-resolves');
    const view = await openForm(inc.channel_id, 'update resolved all good now');
    // The form says the alert still fires, as the resolve form does.
    expect(json(view.blocks)).toContain('1 alert of this incident still fires');
    await submit(view, 'all good now');
    await waitUntil(
      'the resolution',
      async () => (await incidentsOfSource(bot.db, 'update-resolves'))[0]?.status === 'resolved',
    );
    const inChannel = await waitUntil('the resolution in the channel', async () =>
      bot.fake
        .callsTo('chat.postMessage')
        .find((c) => c.args.channel === inc.channel_id && json(c.args).includes(`Incident #${inc.number} resolved`)),
    );
    const said = json(inChannel.args);
    expect(said).toContain('CURRENT STATUS');
    expect(said).toContain('all good now');
    expect(said).toContain('Time to acknowledge');
    expect(said).toContain('never acknowledged');
    expect(said).toContain('1 alert of this incident still fires');
    expect(said).toContain('Phase: *Post-mortem*');
    const copied = await waitUntil('the resolution in the incidents channel', async () =>
      bot.fake
        .callsTo('chat.postMessage')
        .find(
          (c) => c.args.channel === INCIDENTS_CHANNEL_ID && json(c.args).includes(`Incident #${inc.number} resolved`),
        ),
    );
    expect(json(copied.args)).not.toContain('still fire');
    const k = await kinds(inc.id);
    expect(k.slice(-3)).toEqual(['status_update', 'resolved', 'phase_changed']);
    const { rows } = await bot.db.query<{ phase: string; resolution_summary: string }>(
      'SELECT phase, resolution_summary FROM incidents WHERE id = $1',
      [inc.id],
    );
    expect(rows[0]).toEqual({ phase: 'postmortem', resolution_summary: 'all good now' });
  });

  it('a form opened with no alert firing does not resolve once one fires: nothing is posted, what was written comes back', async () => {
    const alert = { source: 'update-race', key: 'api-latency', summary: 'API latency over 3s' };
    await postAlerts(bot.baseUrl, '/hooks/alerts', genericAlert(alert));
    const inc = await opened('update-race');
    await postAlerts(bot.baseUrl, '/hooks/alerts', genericAlert({ ...alert, status: 'resolved' }));
    await inboxDone(bot.db);
    const view = await openForm(inc.channel_id);
    expect(json(view.blocks)).not.toContain('still fire');
    // It fires again while the form is open.
    await postAlerts(bot.baseUrl, '/hooks/alerts', genericAlert(alert));
    await inboxDone(bot.db);
    await submit(view, 'latency back under 1s');
    const told = await bot.fake.waitFor(
      'chat.postEphemeral',
      (c) => c.args.channel === inc.channel_id && json(c.args).includes('Not resolved: An alert fired since'),
    );
    expect(json(told.args)).toContain('latency back under 1s');
    await sleep(300);
    expect((await incidentsOfSource(bot.db, 'update-race'))[0]!.status).toBe('investigating');
    expect(await kinds(inc.id)).not.toContain('status_update');
  });
});
