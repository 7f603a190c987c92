import { describe, expect, it } from 'vitest';
import { declareThroughBot, eventually } from '../support/incident-flow.js';
import {
  CTO_KEY,
  dedupPrefix,
  events,
  PAT_KEY,
  ROTA_KEY,
  recordedByBot,
  SECRET,
  said,
  usePhonesBot,
} from '../support/notify-scene.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** PagerDuty's side: acknowledged or resolved there, people paged by name, private incidents, its webhook's signature. */
describe('pages that ring phones: Slack, then email, then PagerDuty', () => {
  const { bot, smtp, pd } = usePhonesBot();

  it('acknowledged in PagerDuty: acknowledges the incident as that person (by email), stops the rest, shows in Slack', async () => {
    const card = await declareThroughBot(bot, 'sev0 everything is down');
    const prefix = await dedupPrefix(bot, card.incidentId);
    const trigger = await pd.waitFor(
      (e) => e.event_action === 'trigger' && e.routing_key === CTO_KEY && e.dedup_key.startsWith(prefix),
    );
    await recordedByBot(bot, trigger.dedup_key);
    expect(trigger.dedup_key).toMatch(/\/cto$/);
    const r = await pd.sendWebhook(`${bot.baseUrl}/hooks/pagerduty`, ['an-old-secret', SECRET], {
      type: 'incident.acknowledged',
      incidentKey: trigger.dedup_key,
      agent: { id: 'PCAROL1', summary: 'Carol C' },
    });
    expect(r).toEqual({ status: 200, json: { status: 'acknowledged', incidentId: card.incidentId } });
    expect(pd.apiCalls).toEqual(['/users/PCAROL1 Token token=pd-rest-token-read-only']);
    const { rows } = await bot.db.query<{ commander_id: string }>('SELECT commander_id FROM incidents WHERE id = $1', [
      card.incidentId,
    ]);
    expect(rows[0]!.commander_id).toBe('U0CTO');
    await eventually(
      async () =>
        said(bot, card.channelId, /acknowledged the page of \*CTO\* in PagerDuty and is now commander/).length
          ? true
          : undefined,
      'the channel told',
    );
    const evs = await events(bot, card.incidentId);
    expect(evs.find((e) => e.kind === 'pagerduty_acknowledged')).toMatchObject({
      actor_id: 'U0CTO',
      details: { name: 'Carol C' },
    });
    expect(evs.find((e) => e.kind === 'acknowledged')?.actor_id).toBe('U0CTO');
    // Carol's email (due 4 s after her page) never goes; PagerDuty is not sent its own acknowledgement back.
    await sleep(4500);
    expect(smtp.messages.filter((m) => m.to.includes('carol@example.com'))).toHaveLength(0);
    expect(pd.taken('acknowledge', trigger.dedup_key)).toHaveLength(0);
    expect(pd.taken('trigger', trigger.dedup_key)).toHaveLength(1);
    // The same webhook again (PagerDuty retries) changes nothing.
    const again = await pd.sendWebhook(`${bot.baseUrl}/hooks/pagerduty`, SECRET, {
      type: 'incident.acknowledged',
      incidentKey: trigger.dedup_key,
      agent: { id: 'PCAROL1', summary: 'Carol C' },
    });
    expect(again.json).toMatchObject({ status: 'ignored' });
  }, 30_000);

  it('a person paged by name (`/incident page @pat`) is reached by her own rules: PagerDuty says so, and its acknowledgement names her', async () => {
    pd.users.set('PPAT1', { name: 'Pat P', email: 'pat@example.com' });
    bot.fake.addUser('U0PAT', { name: 'pat', real_name: 'Pat Person' });
    const card = await declareThroughBot(bot, 'sev2 checkout slow');
    await bot.command('page <@U0PAT|pat>', { channel_id: card.channelId, user_id: 'U0ONCALL' });
    const trigger = await pd.waitFor((e) => e.event_action === 'trigger' && e.routing_key === PAT_KEY);
    expect(trigger.dedup_key).toMatch(/\/person:U0PAT:Pat Person$/);
    expect(trigger.payload?.summary).toContain('paging Pat Person by name because');
    await recordedByBot(bot, trigger.dedup_key);
    const r = await pd.sendWebhook(`${bot.baseUrl}/hooks/pagerduty`, SECRET, {
      type: 'incident.acknowledged',
      incidentKey: trigger.dedup_key,
      agent: { id: 'PPAT1', summary: 'Pat P' },
    });
    expect(r).toEqual({ status: 200, json: { status: 'acknowledged', incidentId: card.incidentId } });
    await eventually(
      async () =>
        said(bot, card.channelId, /acknowledged the page of \*Pat Person\* in PagerDuty/).length ? true : undefined,
      'the channel told, naming Pat',
    );
    expect(JSON.stringify(said(bot, card.channelId, /in PagerDuty/))).not.toContain('person:U0PAT');
  }, 30_000);

  /**
   * Declares an incident, pages the person by name in it (as on-call), and waits for its PagerDuty trigger to the
   * routing key their page follows: keyed and worded as theirs.
   */
  async function pagedByNameThrough(person: { id: string; handle: string; name: string }, title: string, key: string) {
    bot.fake.addUser(person.id, { name: person.handle, real_name: person.name });
    const card = await declareThroughBot(bot, title);
    await bot.command(`page <@${person.id}|${person.handle}>`, { channel_id: card.channelId, user_id: 'U0ONCALL' });
    const prefix = await dedupPrefix(bot, card.incidentId);
    const trigger = await pd.waitFor(
      (e) => e.event_action === 'trigger' && e.routing_key === key && e.dedup_key.startsWith(prefix),
    );
    expect(trigger.dedup_key).toMatch(new RegExp(`/person:${person.id}:${person.name}$`));
    expect(trigger.payload?.summary).toContain(`paging ${person.name} by name because`);
  }

  it("someone paged by name with no rules of their own follows the first role that names them: the CTO's PagerDuty, then email", async () => {
    await pagedByNameThrough({ id: 'U0CTO', handle: 'carol', name: 'Carol Chief' }, 'sev2 billing drift', CTO_KEY);
    await eventually(
      async () => (smtp.messages.some((m) => m.to.includes('carol@example.com')) ? true : undefined),
      "the CTO's email step, 4 s after the page",
      15_000,
    );
    const mail = smtp.messages.find((m) => m.to.includes('carol@example.com'))!;
    expect(mail.text).toContain('Carol, you are paged by name because');
  }, 30_000);

  it("someone paged by name whom a rotation has on call, with no rules of their own, follows that rotation's role", async () => {
    await pagedByNameThrough({ id: 'U0ROTA', handle: 'rota', name: 'Rita Rota' }, 'sev2 refunds stuck', ROTA_KEY);
  }, 30_000);

  it('an acknowledgement recorded but not carried out (the database went away) is carried out when PagerDuty sends it again', async () => {
    const card = await declareThroughBot(bot, 'sev0 payments are down');
    const prefix = await dedupPrefix(bot, card.incidentId);
    const trigger = await pd.waitFor(
      (e) => e.event_action === 'trigger' && e.routing_key === CTO_KEY && e.dedup_key.startsWith(prefix),
    );
    await recordedByBot(bot, trigger.dedup_key);
    // As far as the first delivery got before its 503: the PagerDuty acknowledgement recorded, the incident not.
    await bot.db.query(
      `UPDATE pagerduty_incidents SET acknowledged_at = now(), acknowledged_by = 'Carol C' WHERE dedup_key = $1`,
      [trigger.dedup_key],
    );
    const r = await pd.sendWebhook(`${bot.baseUrl}/hooks/pagerduty`, SECRET, {
      type: 'incident.acknowledged',
      incidentKey: trigger.dedup_key,
      agent: { id: 'PCAROL1', summary: 'Carol C' },
    });
    expect(r.json).toEqual({ status: 'acknowledged', incidentId: card.incidentId });
    const { rows } = await bot.db.query<{ commander_id: string | null }>(
      'SELECT commander_id FROM incidents WHERE id = $1',
      [card.incidentId],
    );
    expect(rows[0]!.commander_id).toBe('U0CTO');
    const again = await pd.sendWebhook(`${bot.baseUrl}/hooks/pagerduty`, SECRET, {
      type: 'incident.acknowledged',
      incidentKey: trigger.dedup_key,
      agent: { id: 'PCAROL1', summary: 'Carol C' },
    });
    expect(again.json).toMatchObject({ status: 'ignored' });
  }, 30_000);

  it('acknowledged in PagerDuty by someone the runbook does not know: recorded by name; their steps stop', async () => {
    const card = await declareThroughBot(bot, 'sev0 unknown acknowledger');
    const prefix = await dedupPrefix(bot, card.incidentId);
    const trigger = await pd.waitFor(
      (e) => e.event_action === 'trigger' && e.routing_key === CTO_KEY && e.dedup_key.startsWith(prefix),
    );
    await recordedByBot(bot, trigger.dedup_key);
    const r = await pd.sendWebhook(`${bot.baseUrl}/hooks/pagerduty`, SECRET, {
      type: 'incident.acknowledged',
      incidentKey: trigger.dedup_key,
      agent: { id: 'PZED0001', summary: 'Zed Stranger' },
    });
    expect(r.json).toMatchObject({ status: 'acknowledged' });
    await eventually(
      async () =>
        said(bot, card.channelId, /Zed Stranger acknowledged the page of \*CTO\* in PagerDuty: nobody under people/)
          .length
          ? true
          : undefined,
      'the channel told',
    );
    const evs = await events(bot, card.incidentId);
    expect(evs.find((e) => e.kind === 'pagerduty_acknowledged')).toMatchObject({
      actor_id: null,
      details: { name: 'Zed Stranger' },
    });
    expect(evs.find((e) => e.kind === 'acknowledged')).toBeUndefined();
    await sleep(4500);
    expect(smtp.messages.filter((m) => m.to.includes('carol@example.com'))).toHaveLength(0);
  }, 30_000);

  it('resolved in PagerDuty: the role stops being paged (its email does not go), the channel is told', async () => {
    const card = await declareThroughBot(bot, 'sev0 resolved over there');
    const prefix = await dedupPrefix(bot, card.incidentId);
    const trigger = await pd.waitFor(
      (e) => e.event_action === 'trigger' && e.routing_key === CTO_KEY && e.dedup_key.startsWith(prefix),
    );
    await recordedByBot(bot, trigger.dedup_key);
    const r = await pd.sendWebhook(`${bot.baseUrl}/hooks/pagerduty`, SECRET, {
      type: 'incident.resolved',
      incidentKey: trigger.dedup_key,
      agent: { id: 'PCAROL1', summary: 'Carol C' },
    });
    expect(r.json).toMatchObject({ status: 'resolved', incidentId: card.incidentId });
    // Carol's email was due 4 s after her page: she resolved her page in PagerDuty, so it does not go.
    await sleep(4500);
    expect(smtp.messages.filter((m) => m.to.includes('carol@example.com'))).toHaveLength(0);
    expect(pd.taken('trigger', trigger.dedup_key)).toHaveLength(1);
    const { rows } = await bot.db.query<{ status: string }>('SELECT status FROM incidents WHERE id = $1', [
      card.incidentId,
    ]);
    expect(rows[0]!.status).not.toBe('resolved');
  }, 30_000);

  it("a private incident's PagerDuty event names neither its title, its number nor its channel", async () => {
    const card = await declareThroughBot(bot, 'sev0 --private leaked signing keys');
    const prefix = await dedupPrefix(bot, card.incidentId);
    const trigger = await pd.waitFor(
      (e) => e.event_action === 'trigger' && e.routing_key === CTO_KEY && e.dedup_key.startsWith(prefix),
    );
    await recordedByBot(bot, trigger.dedup_key);
    const { rows } = await bot.db.query<{ number: number; channel_name: string; private: boolean }>(
      'SELECT number, channel_name, private FROM incidents WHERE id = $1',
      [card.incidentId],
    );
    expect(rows[0]!.private).toBe(true);
    const sent = JSON.stringify(trigger);
    expect(sent).not.toMatch(/leaked|signing/i);
    expect(sent).not.toContain(rows[0]!.channel_name);
    expect(sent).not.toContain(`#${rows[0]!.number}`);
    expect(trigger.payload?.summary).toContain('a private incident');
    // The link to the channel stays: whoever is paged is let in.
    expect(sent).toContain(card.channelId);
    // Resolved, so none of its steps reach the next test.
    await bot.command('resolve keys rotated', { channel_id: card.channelId });
    await pd.waitFor((e) => e.event_action === 'resolve' && e.dedup_key === trigger.dedup_key);
  }, 30_000);

  it('a bad signature is refused with 401 and changes nothing; bad JSON is 400; other event types are 200 and ignored', async () => {
    const card = await declareThroughBot(bot, 'sev0 forged acknowledgement');
    const prefix = await dedupPrefix(bot, card.incidentId);
    const trigger = await pd.waitFor(
      (e) => e.event_action === 'trigger' && e.routing_key === CTO_KEY && e.dedup_key.startsWith(prefix),
    );
    await recordedByBot(bot, trigger.dedup_key);
    const before = await events(bot, card.incidentId);
    const forged = await pd.sendWebhook(`${bot.baseUrl}/hooks/pagerduty`, 'not-the-secret', {
      type: 'incident.acknowledged',
      incidentKey: trigger.dedup_key,
      agent: { id: 'PCAROL1', summary: 'Carol C' },
    });
    expect(forged.status).toBe(401);
    expect(String(forged.json.message)).toMatch(/no signature in X-PagerDuty-Signature matches/);
    const unsigned = await fetch(`${bot.baseUrl}/hooks/pagerduty`, { method: 'POST', body: '{}' });
    expect(unsigned.status).toBe(401);
    // Its pages go on being recorded meanwhile; nothing was acknowledged.
    const acks = (list: { kind: string }[]) => list.filter((e) => /ack/.test(e.kind));
    expect(acks(await events(bot, card.incidentId))).toEqual(acks(before));

    const bad = await pd.sendWebhook(`${bot.baseUrl}/hooks/pagerduty`, SECRET, { type: 'x' }, { body: '{"event": ' });
    expect(bad.status).toBe(400);
    expect(String(bad.json.message)).toMatch(/^The body is not JSON/);
    const shapeless = await pd.sendWebhook(
      `${bot.baseUrl}/hooks/pagerduty`,
      SECRET,
      { type: 'x' },
      { body: '{"hello":1}' },
    );
    expect(shapeless.status).toBe(400);
    expect(String(shapeless.json.message)).toMatch(/Not a PagerDuty v3 webhook/);
    // A field's place as jq writes it, the body itself as `body` (as the alert hooks say it).
    const nested = await pd.sendWebhook(
      `${bot.baseUrl}/hooks/pagerduty`,
      SECRET,
      { type: 'x' },
      { body: '{"event":{"event_type":"incident.acknowledged","agent":{"id":7}}}' },
    );
    expect(nested.status).toBe(400);
    expect(nested.json.problems).toEqual([expect.stringMatching(/^event\.agent\.id: /)]);
    const notAnObject = await pd.sendWebhook(`${bot.baseUrl}/hooks/pagerduty`, SECRET, { type: 'x' }, { body: '[1]' });
    expect(notAnObject.json.problems).toEqual([expect.stringMatching(/^body: /)]);
    const ping = await pd.sendWebhook(`${bot.baseUrl}/hooks/pagerduty`, SECRET, { type: 'pagey.ping' });
    expect(ping).toMatchObject({ status: 200, json: { status: 'ignored' } });
    const other = await pd.sendWebhook(`${bot.baseUrl}/hooks/pagerduty`, SECRET, {
      type: 'incident.annotated',
      incidentKey: trigger.dedup_key,
    });
    expect(other).toMatchObject({ status: 200, json: { status: 'ignored' } });
    // Still unacknowledged: Carol's email goes at 4 s.
    await smtp.waitFor((m) => m.to.includes('carol@example.com'), 8000);
    const { rows } = await bot.db.query<{ acknowledged_at: Date | null }>(
      'SELECT acknowledged_at FROM incidents WHERE id = $1',
      [card.incidentId],
    );
    expect(rows[0]!.acknowledged_at).toBeNull();
    // Resolved, so none of its steps reach the next test.
    await bot.command('resolve not forged', { channel_id: card.channelId });
    await pd.waitFor((e) => e.event_action === 'resolve' && e.dedup_key === trigger.dedup_key);
  }, 30_000);
});
