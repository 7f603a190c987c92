import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ACTION, VIEW } from '../../src/templates/ids.js';
import { encodeModalMetadata } from '../../src/templates/payloads.js';
import { type BotHarness, startBot } from '../support/bot-harness.js';
import type { RecordedCall } from '../support/fake-slack.js';
import { cardShows, untilPasses } from '../support/incident-flow.js';
import { statusFormValues } from '../support/status-form.js';
import { COMMUNICATION_HEADINGS } from '../support/template-parts.js';
import { testRunbook } from '../support/test-runbook.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const dmsTo = (bot: BotHarness, user: string) =>
  bot.fake.callsTo('chat.postMessage').filter((c) => !c.failed && c.args.channel === user);
const json = (c: RecordedCall | undefined) => JSON.stringify(c?.args ?? {});

interface Declared {
  id: number;
  channelId: string;
  cardTs: string;
}

async function declare(bot: BotHarness, text: string, user = 'U0REPORTER'): Promise<Declared> {
  const before = bot.fake.callsTo('conversations.create').filter((c) => !c.failed).length;
  await bot.command(text, { user_id: user });
  const created = await bot.fake.waitForCount('conversations.create', before + 1);
  const name = created.at(-1)!.args.name as string;
  const channelId = bot.fake.channelByName(name)!.id;
  await bot.fake.waitFor('pins.add', (c) => c.args.channel === channelId);
  // The declarer's reply comes last; waiting for it keeps it out of what a test looks at next.
  await bot.fake.waitFor('response_url', (c) => String(c.args.text).includes(`<#${channelId}>`));
  const { rows } = await bot.db.query<{ id: number; card_ts: string }>(
    'SELECT id, card_ts FROM incidents WHERE channel_id = $1',
    [channelId],
  );
  return { id: Number(rows[0]!.id), channelId, cardTs: rows[0]!.card_ts };
}

const channelSays = (bot: BotHarness, channelId: string, re: RegExp) =>
  bot.fake
    .callsTo('chat.postMessage')
    .filter((c) => !c.failed && c.args.channel === channelId && re.test(String(c.args.text)));

describe.each(['postgres', 'embedded'] as const)('escalation by the contact order (%s)', (database) => {
  let bot: BotHarness;
  beforeAll(async () => {
    bot = await startBot({
      database,
      runbook: testRunbook({ unresolvedAfter: '3s', unresolvedUntil: 'mitigated', respond: { 1: '60s' } }),
    });
  });
  afterAll(async () => bot?.stop());

  it('pages on-call at declare: a DM with the communication template and Acknowledge, an invitation, a line in the channel', async () => {
    const inc = await declare(bot, 'sev1 payments failing');
    const dm = await bot.fake.waitFor(
      'chat.postMessage',
      (c) => c.args.channel === 'U0ONCALL' && json(c).includes('payments failing'),
    );
    const body = json(dm);
    for (const line of [
      'SUBJECT: [SEV-1] payments failing',
      'SEVERITY: SEV-1',
      'STATUS: Investigating',
      ...COMMUNICATION_HEADINGS,
    ]) {
      expect(body).toContain(line);
    }
    expect(body).toContain(ACTION.acknowledge);
    expect(body).toContain(`<#${inc.channelId}>`);
    await bot.fake.waitFor(
      'conversations.invite',
      (c) => c.args.channel === inc.channelId && c.args.users === 'U0ONCALL',
    );
    await bot.fake.waitFor(
      'chat.postMessage',
      (c) =>
        c.args.channel === inc.channelId &&
        /Paged \*On-Call Engineer\* \(<@U0ONCALL>\) because a new incident was declared/.test(String(c.args.text)),
    );
    await untilPasses(async () => {
      const events = await bot.db.query<{ kind: string }>(
        "SELECT kind FROM incident_events WHERE incident_id = $1 AND kind = 'paged'",
        [inc.id],
      );
      expect(events.rows).toHaveLength(1);
    });
  });

  it('pages senior DevOps once when the incident is still unresolved after the configured time, not before', async () => {
    const inc = await declare(bot, 'sev2 slow checkout');
    const dm = await bot.fake.waitFor(
      'chat.postMessage',
      (c) => c.args.channel === 'U0SENIOR' && json(c).includes('slow checkout'),
      8000,
    );
    const { rows } = await bot.db.query<{ created_at: Date }>('SELECT created_at FROM incidents WHERE id = $1', [
      inc.id,
    ]);
    // Not before the configured 3 s (the DM's time against the incident's own creation time), and not much after.
    const late = dm.at - new Date(rows[0]!.created_at).getTime() - 3000;
    expect(late).toBeGreaterThanOrEqual(-50);
    expect(late).toBeLessThan(1500);
    await sleep(1500);
    expect(dmsTo(bot, 'U0SENIOR').filter((c) => json(c).includes('slow checkout'))).toHaveLength(1);
    expect(
      channelSays(bot, inc.channelId, /Senior DevOps Engineer.*not resolved 3 seconds after it was declared/),
    ).toHaveLength(1);
  });

  it('mitigating cancels the pending escalation (unresolved: { until: mitigated })', async () => {
    const inc = await declare(bot, 'sev2 mitigated quickly');
    await bot.command('mitigated', { channel_id: inc.channelId });
    await bot.fake.waitFor(
      'chat.postMessage',
      (c) => c.args.channel === inc.channelId && /mitigated/.test(String(c.args.text)),
    );
    await sleep(3800);
    expect(dmsTo(bot, 'U0SENIOR').filter((c) => json(c).includes('mitigated quickly'))).toHaveLength(0);
    const { rows } = await bot.db.query<{ key: string; state: string }>(
      'SELECT key, state FROM escalation_jobs WHERE incident_id = $1 ORDER BY key',
      [inc.id],
    );
    expect(rows.find((r) => r.key === 'unresolved')?.state).toBe('cancelled');
  });
});

describe('escalation rules', () => {
  let bot: BotHarness;
  beforeAll(async () => {
    bot = await startBot({
      runbook: testRunbook({
        respond: { 0: '60s', 1: '2s', 2: '60s', 3: '4s' },
        contacts: { senior_devops: ['U0SENIOR', 'S0SREGROUP'] },
      }),
      // The walk below types `/incident escalate` again as soon as each page is out, on purpose: no repeat window.
      escalation: { repeatWindowMs: 0 },
    });
    bot.fake.usergroups.set('S0SREGROUP', ['U0SRE1', 'U0SENIOR']);
  });
  afterAll(async () => bot?.stop());

  it('SEV-0 pages the CTO at once, and a user group is expanded to its members', async () => {
    const inc = await declare(bot, 'sev0 all machines down');
    await bot.fake.waitFor(
      'chat.postMessage',
      (c) => c.args.channel === 'U0CTO' && json(c).includes('all machines down'),
    );
    await bot.fake.waitFor(
      'chat.postMessage',
      (c) => c.args.channel === inc.channelId && /Paged \*CTO\*/.test(String(c.args.text)),
    );
    // Escalate now goes to the next role not yet paged: senior DevOps (a user plus a group holding them and one more).
    await bot.clickCard(inc, ACTION.escalate, 'U0ONCALL');
    await bot.fake.waitFor(
      'chat.postMessage',
      (c) => c.args.channel === 'U0SRE1' && json(c).includes('all machines down'),
    );
    expect(dmsTo(bot, 'U0SENIOR').filter((c) => json(c).includes('all machines down'))).toHaveLength(1);
    // One message in the channel for one escalation, naming who escalated (it said "someone", after a first message).
    const paged = await bot.fake.waitFor(
      'chat.postMessage',
      (c) => c.args.channel === inc.channelId && /Paged \*Senior DevOps Engineer\*/.test(String(c.args.text)),
    );
    expect(String(paged.args.text)).toMatch(/because <@U0ONCALL> escalated by hand\.$/m);
    expect(json(dmsTo(bot, 'U0SENIOR').find((c) => json(c).includes('all machines down'))!)).toContain(
      'because <@U0ONCALL> escalated by hand',
    );
    await new Promise((r) => setTimeout(r, 300));
    expect(channelSays(bot, inc.channelId, /escalated/)).toHaveLength(1);
  });

  it('nobody acknowledging within the response time pages on-call again together with the next role', async () => {
    const inc = await declare(bot, 'sev1 auth broken');
    await bot.fake.waitFor('chat.postMessage', (c) => c.args.channel === 'U0ONCALL' && json(c).includes('auth broken'));
    await bot.fake.waitForCount(
      'chat.postMessage',
      2,
      (c) => c.args.channel === 'U0ONCALL' && json(c).includes('auth broken'),
      5000,
    );
    await bot.fake.waitFor(
      'chat.postMessage',
      (c) => c.args.channel === 'U0SENIOR' && json(c).includes('auth broken'),
      3000,
    );
    expect(
      channelSays(bot, inc.channelId, /nobody acknowledged within the SEV-1 response time \(2 seconds\)/).length,
    ).toBeGreaterThanOrEqual(1);
  });

  it('nobody acknowledging: each response time pages on-call again with the next role whose condition holds, until someone acknowledges', async () => {
    const inc = await declare(bot, 'sev1 nobody answers');
    const title = (c: RecordedCall) => json(c).includes('nobody answers');
    // Round 1 (2 s): on-call again and senior DevOps; rounds 2 (4 s) and 3 (6 s): on-call again, alone. The engineering
    // manager (if customer impact) and the CTO (if SEV-0 or data loss risk) are not climbed to for a SEV-1 without
    // either (they were, in turn, before the climb followed the runbook's conditions).
    await bot.fake.waitFor('chat.postMessage', (c) => c.args.channel === 'U0SENIOR' && title(c), 10_000);
    // The card names on-call alone for the next round.
    const shown = await cardShows(
      bot,
      inc,
      /Next: On-Call Engineer again \(<@U0ONCALL>\) <!date[^"]*unless acknowledged by then/,
    );
    expect(shown).toMatch(/Paged: On-Call Engineer [^"]*Senior DevOps Engineer/);
    await bot.fake.waitForCount('chat.postMessage', 4, (c) => c.args.channel === 'U0ONCALL' && title(c), 10_000);
    expect(dmsTo(bot, 'U0SENIOR').filter(title)).toHaveLength(1);
    for (const user of ['U0MANAGER', 'U0CTO']) expect(dmsTo(bot, user).filter(title)).toHaveLength(0);
    await bot.fake.waitFor(
      'chat.postMessage',
      (c) => c.args.channel === inc.channelId && /paged again, and nobody further up/.test(String(c.args.text)),
    );
    expect(channelSays(bot, inc.channelId, /nobody further up/)).toHaveLength(1);
    // Round 1's two pages and one of on-call for each later round, each said in the channel.
    await bot.fake.waitForCount(
      'chat.postMessage',
      4,
      (c) =>
        c.args.channel === inc.channelId &&
        /nobody acknowledged within the SEV-1 response time \(2 seconds\)/.test(String(c.args.text)),
    );
    // Acknowledged: no round after it.
    await bot.clickCard(inc, ACTION.acknowledge, 'U0ONCALL');
    await bot.fake.waitFor(
      'chat.postMessage',
      (c) => c.args.channel === inc.channelId && /acknowledged/.test(String(c.args.text)),
    );
    const onCall = dmsTo(bot, 'U0ONCALL').filter(title).length;
    await sleep(4500);
    expect(dmsTo(bot, 'U0ONCALL').filter(title)).toHaveLength(onCall);
    const { rows } = await bot.db.query<{ n: string }>(
      "SELECT count(*) AS n FROM escalation_jobs WHERE incident_id = $1 AND rule = 'unacknowledged' AND state = 'pending'",
      [inc.id],
    );
    expect(Number(rows[0]!.n)).toBe(0);
  });

  it('reopened with nobody having acknowledged: the response time counts again from the reopening and pages as at first', async () => {
    // SEV-3 responds within 4 s here. Its first round fires (on-call again, senior DevOps), then it is resolved.
    const inc = await declare(bot, 'sev3 flapping link');
    const title = (c: RecordedCall) => json(c).includes('flapping link');
    await bot.fake.waitFor('chat.postMessage', (c) => c.args.channel === 'U0SENIOR' && title(c), 8000);
    await bot.command('resolve it came back', { channel_id: inc.channelId });
    await bot.fake.waitFor(
      'chat.postMessage',
      (c) => c.args.channel === inc.channelId && /resolved/.test(String(c.args.text)),
    );
    const onCall = dmsTo(bot, 'U0ONCALL').filter(title).length;
    const reopened = Date.now();
    await bot.command('reopen it is down again', { channel_id: inc.channelId });
    await bot.fake.waitFor(
      'chat.postMessage',
      (c) => c.args.channel === inc.channelId && /reopened/.test(String(c.args.text)),
    );
    // One response time after the reopening, nobody having acknowledged: on-call again. Senior DevOps was paged, and
    // the engineering manager and the CTO are paged for customer impact, SEV-0 or data loss, none of which holds: on-call
    // alone, and the channel is told why (before the climb followed the runbook's conditions: the engineering manager).
    const again = await bot.fake.waitForCount(
      'chat.postMessage',
      onCall + 1,
      (c) => c.args.channel === 'U0ONCALL' && title(c),
      8000,
    );
    expect(again.at(-1)!.at - reopened).toBeGreaterThanOrEqual(3500);
    await bot.fake.waitFor(
      'chat.postMessage',
      (c) => c.args.channel === inc.channelId && /nobody further up/.test(String(c.args.text)),
    );
    expect(dmsTo(bot, 'U0MANAGER').filter(title)).toHaveLength(0);
    await bot.command('resolve done', { channel_id: inc.channelId });
  });

  it('acknowledging stops the response-time timer', async () => {
    // SEV-3 responds within 4 s in this runbook: room to acknowledge first even on a slow machine.
    const inc = await declare(bot, 'sev3 acked in time');
    await bot.clickCard(inc, ACTION.acknowledge, 'U0ONCALL');
    await bot.fake.waitFor(
      'chat.postMessage',
      (c) => c.args.channel === inc.channelId && /acknowledged/.test(String(c.args.text)),
    );
    await sleep(4500);
    expect(dmsTo(bot, 'U0ONCALL').filter((c) => json(c).includes('acked in time'))).toHaveLength(1);
    expect(dmsTo(bot, 'U0SENIOR').filter((c) => json(c).includes('acked in time'))).toHaveLength(0);
    const { rows } = await bot.db.query<{ state: string }>(
      "SELECT state FROM escalation_jobs WHERE incident_id = $1 AND key = 'unacknowledged'",
      [inc.id],
    );
    expect(rows[0]?.state).toBe('cancelled');
  });

  it('Acknowledge in the page DM acknowledges the incident and stops the response-time timer', async () => {
    const inc = await declare(bot, 'sev1 acked from the page');
    const dm = await bot.fake.waitFor(
      'chat.postMessage',
      (c) => c.args.channel === 'U0ONCALL' && json(c).includes('acked from the page'),
    );
    const dmTs = (dm.response as { ts: string }).ts;
    await bot.click({
      channelId: 'D0ONCALL',
      messageTs: dmTs,
      actionId: ACTION.acknowledge,
      value: String(inc.id),
      userId: 'U0ONCALL',
    });
    await bot.fake.waitFor(
      'chat.postMessage',
      (c) => c.args.channel === inc.channelId && /<@U0ONCALL> acknowledged/.test(String(c.args.text)),
    );
    const { rows } = await bot.db.query<{ commander_id: string }>('SELECT commander_id FROM incidents WHERE id = $1', [
      inc.id,
    ]);
    expect(rows[0]!.commander_id).toBe('U0ONCALL');
    await sleep(2500);
    expect(dmsTo(bot, 'U0ONCALL').filter((c) => json(c).includes('acked from the page'))).toHaveLength(1);
  });

  it('a severity change reschedules the response-time timer by the new response time', async () => {
    const inc = await declare(bot, 'sev3 minor glitch');
    await bot.command('sev1', { channel_id: inc.channelId });
    await bot.fake.waitForCount(
      'chat.postMessage',
      2,
      (c) => c.args.channel === 'U0ONCALL' && json(c).includes('minor glitch'),
      5000,
    );
  });

  it('customer impact pages the engineering manager at once, once; data-loss risk pages the CTO', async () => {
    const inc = await declare(bot, 'sev2 enterprise tenant errors');
    await bot.command('impact', { channel_id: inc.channelId });
    await bot.fake.waitFor(
      'chat.postMessage',
      (c) => c.args.channel === 'U0MANAGER' && json(c).includes('enterprise tenant errors'),
    );
    bot.fake.reset();
    await bot.command('impact', { channel_id: inc.channelId });
    expect((await bot.fake.waitFor('response_url')).args.text).toMatch(/already flagged/);
    await bot.command('data-loss', { channel_id: inc.channelId });
    await bot.fake.waitFor(
      'chat.postMessage',
      (c) => c.args.channel === 'U0CTO' && json(c).includes('enterprise tenant errors'),
    );
    await sleep(500);
    expect(dmsTo(bot, 'U0MANAGER')).toHaveLength(0);
  });

  it('a role paged by hand moments before is not paged again when a flag asks for it', async () => {
    const inc = await declare(bot, 'sev2 orders table at risk');
    await bot.command('escalate cto', { channel_id: inc.channelId });
    await bot.fake.waitFor(
      'chat.postMessage',
      (c) => c.args.channel === 'U0CTO' && json(c).includes('orders table at risk'),
    );
    bot.fake.reset();
    await bot.command('data-loss orders may be lost', { channel_id: inc.channelId });
    // The flag's timer fires and ends without a page: the CTO's page of moments ago is still reaching them.
    await untilPasses(async () => {
      const { rows } = await bot.db.query<{ state: string }>(
        "SELECT state FROM escalation_jobs WHERE incident_id = $1 AND rule = 'critical'",
        [inc.id],
      );
      expect(rows.map((r) => r.state)).toEqual(['done']);
    });
    await sleep(300);
    expect(dmsTo(bot, 'U0CTO')).toHaveLength(0);
    const { rows } = await bot.db.query<{ role: string; rule: string }>(
      'SELECT role, rule FROM pages WHERE incident_id = $1 ORDER BY id',
      [inc.id],
    );
    expect(rows.filter((r) => r.role === 'cto')).toEqual([{ role: 'cto', rule: 'manual' }]);
    // Not in silence: the channel and the timeline say who was not paged again for it, and how to page them again.
    const said = await bot.fake.waitFor(
      'chat.postMessage',
      (c) => c.args.channel === inc.channelId && /Not paged again/.test(json(c)),
    );
    expect(json(said)).toContain('*CTO*');
    expect(json(said)).toContain('a data-loss risk was flagged');
    expect(json(said)).toContain('/incident escalate cto');
    const held = await bot.db.query<{ details: { roles: string[] } }>(
      "SELECT details FROM incident_events WHERE incident_id = $1 AND kind = 'page_held'",
      [inc.id],
    );
    expect(held.rows.map((r) => r.details.roles)).toEqual([['cto']]);
  });

  it('customer impact from the status update form pages the engineering manager', async () => {
    const inc = await declare(bot, 'sev2 form impact');
    await bot.submit({
      callbackId: VIEW.statusUpdate,
      privateMetadata: encodeModalMetadata({ incidentId: inc.id, channelId: inc.channelId }),
      values: statusFormValues({
        affected: 'enterprise tenants',
        impact: 'timeouts',
        currentStatus: 'looking',
        flags: ['customer_impact'],
      }),
    });
    const dm = await bot.fake.waitFor(
      'chat.postMessage',
      (c) => c.args.channel === 'U0MANAGER' && json(c).includes('form impact'),
    );
    expect(json(dm)).toContain('AFFECTED: enterprise tenants');
  });

  it('a page caused by a flag says what was typed with it (escaped), and its template takes it while no update says otherwise', async () => {
    const inc = await declare(bot, 'sev2 tenant logins');
    await bot.command('impact enterprise tenants cannot log in', { channel_id: inc.channelId });
    const manager = await bot.fake.waitFor(
      'chat.postMessage',
      (c) => c.args.channel === 'U0MANAGER' && json(c).includes('tenant logins'),
    );
    const mtext = String(manager.args.text);
    const mhead = JSON.stringify((manager.args.blocks as unknown[])[0]);
    // The page itself and its notification (a phone's lock screen) say what was flagged, not only that it was.
    expect(mhead).toContain('customer impact was flagged: \\"enterprise tenants cannot log in\\"');
    expect(mtext).toContain('customer impact was flagged: "enterprise tenants cannot log in"');
    // No status update yet: the template takes what was flagged; no next update is promised, and it says so.
    expect(mtext).toContain('AFFECTED: customers (flagged: enterprise tenants cannot log in)');
    expect(mtext).toContain('CURRENT IMPACT: customer impact flagged: enterprise tenants cannot log in');
    expect(mtext).toContain('NEXT UPDATE: none set');
    expect(mtext).not.toContain('with the next change');

    await bot.command('data-loss writes *may* be lost <!channel>', { channel_id: inc.channelId });
    const cto = await bot.fake.waitFor(
      'chat.postMessage',
      (c) => c.args.channel === 'U0CTO' && json(c).includes('tenant logins'),
    );
    const chead = JSON.stringify((cto.args.blocks as unknown[])[0]);
    // Escaped: what was typed cannot ping a whole channel from a page.
    expect(chead).toContain('a data-loss risk was flagged: \\"writes *may* be lost &lt;!channel&gt;\\"');
    expect(json(cto)).not.toContain('<!channel>');
    const ctext = String(cto.args.text);
    expect(ctext).toContain('a data-loss risk was flagged: "writes *may* be lost &lt;!channel&gt;"');
    expect(ctext).toContain(
      'CURRENT IMPACT: customer impact flagged: enterprise tenants cannot log in; data-loss risk flagged: writes *may* be lost &lt;!channel&gt;',
    );
  });

  it("a flag's page keeps a status update's AFFECTED, CURRENT IMPACT and next update; a long flag note is cut", async () => {
    const inc = await declare(bot, 'sev2 updated first');
    const next = Math.floor(Date.now() / 1000) + 3600;
    await bot.submit({
      callbackId: VIEW.statusUpdate,
      privateMetadata: encodeModalMetadata({ incidentId: inc.id, channelId: inc.channelId }),
      values: statusFormValues({ affected: 'EU shoppers', impact: 'slow checkout', currentStatus: 'looking', next }),
    });
    await bot.fake.waitFor(
      'chat.postMessage',
      (c) => c.args.channel === inc.channelId && json(c).includes('EU shoppers'),
    );
    // At most 300 characters may be said with a flag; the page's first line keeps the start of it.
    const long = `orders ${'x'.repeat(270)} end-of-note`;
    await bot.command(`data-loss ${long}`, { channel_id: inc.channelId });
    const cto = await bot.fake.waitFor(
      'chat.postMessage',
      (c) => c.args.channel === 'U0CTO' && json(c).includes('updated first'),
    );
    const text = String(cto.args.text);
    expect(text).toContain('AFFECTED: EU shoppers');
    expect(text).toContain('CURRENT IMPACT: slow checkout');
    const stamp = new Date(next * 1000).toISOString().slice(0, 16).replace('T', ' ');
    expect(text).toContain(`NEXT UPDATE: ${stamp}`);
    // The note in the page's lead is cut on purpose (the channel has all of it).
    const head = JSON.stringify((cto.args.blocks as unknown[])[0]);
    expect(head).toContain('a data-loss risk was flagged: \\"orders xxx');
    expect(head).toContain('…');
    expect(head).not.toContain('end-of-note');
    expect(text).toContain('a data-loss risk was flagged: "orders xxx');
    expect(text).not.toContain('end-of-note');
  });

  it('reminds the commander when the promised next update passes without a new one', async () => {
    const inc = await declare(bot, 'sev2 reminder due');
    await bot.command('ack', { channel_id: inc.channelId, user_id: 'U0CMDR' });
    await bot.submit({
      callbackId: VIEW.statusUpdate,
      privateMetadata: encodeModalMetadata({ incidentId: inc.id, channelId: inc.channelId }),
      values: statusFormValues({
        affected: 'api',
        impact: 'some errors',
        currentStatus: 'digging',
        next: Math.floor(Date.now() / 1000) + 2,
      }),
    });
    const reminder = await bot.fake.waitFor(
      'chat.postMessage',
      (c) => c.args.channel === inc.channelId && /the next status update was due/.test(String(c.args.text)),
      5000,
    );
    expect(reminder.args.text).toContain('<@U0CMDR>');
    // The card no longer says it is due as if it were still to come: it was due, and is overdue.
    await untilPasses(async () => {
      const card = JSON.stringify(bot.fake.message(inc.channelId, inc.cardTs)?.blocks ?? []);
      expect(card).toContain('Next update was due');
      expect(card).toContain('overdue');
    });
  });

  it('/incident escalate walks the contact order and then says everyone has been paged', async () => {
    const inc = await declare(bot, 'sev2 walk the order');
    await bot.fake.waitFor(
      'chat.postMessage',
      (c) => c.args.channel === 'U0ONCALL' && json(c).includes('walk the order'),
    );
    for (const user of ['U0SENIOR', 'U0MANAGER', 'U0CTO']) {
      await bot.command('escalate', { channel_id: inc.channelId });
      await bot.fake.waitFor('chat.postMessage', (c) => c.args.channel === user && json(c).includes('walk the order'));
    }
    bot.fake.reset();
    await bot.command('escalate', { channel_id: inc.channelId });
    expect((await bot.fake.waitFor('response_url')).args.text).toMatch(
      /Every role in the contact order has been paged/,
    );
  });

  it('the card shows who was paged and what comes next', async () => {
    const inc = await declare(bot, 'sev2 card shows paging');
    await bot.fake.waitFor(
      'chat.postMessage',
      (c) => c.args.channel === inc.channelId && /Paged \*On-Call/.test(String(c.args.text)),
    );
    await cardShows(bot, inc, /Paged: On-Call Engineer/);
    const card = bot.fake.message(inc.channelId, inc.cardTs)!;
    // SEV-2 responds within 60 s in this runbook: next is on-call again if nobody acknowledges by then, and with them
    // the next role of the contact order (the same timer pages both).
    expect(JSON.stringify(card.blocks)).toMatch(
      /Next: On-Call Engineer again \(<@U0ONCALL>\) and Senior DevOps Engineer <!date\^\d+\^[^>]*> unless acknowledged by then/,
    );
  });
});

describe('contacts that cannot be paged', () => {
  let bot: BotHarness;
  afterEach(async () => bot?.stop());

  it('a role with nobody in it is skipped with a warning in the channel', async () => {
    bot = await startBot({ runbook: testRunbook({ contacts: { on_call: [] } }) });
    // The card is slow to post: the page is skipped meanwhile, and its card refresh finds no card yet (as on CI).
    bot.fake.failNext('chat.postMessage', { delayMs: 1500 });
    const inc = await declare(bot, 'sev2 nobody on call');
    const warn = await bot.fake.waitFor(
      'chat.postMessage',
      (c) => c.args.channel === inc.channelId && /nobody is configured for that role/.test(String(c.args.text)),
    );
    expect(warn.args.text).toContain('On-Call Engineer');
    // The card does not say the role was paged: it says it was not, and why (as posted, when the page was skipped
    // before the card was; else once it is updated).
    await untilPasses(() => {
      expect(JSON.stringify(bot.fake.message(inc.channelId, inc.cardTs)?.blocks)).toMatch(
        /Not paged \(no contacts\): On-Call Engineer/,
      );
    }, 10_000);
    const card = bot.fake.message(inc.channelId, inc.cardTs)!;
    expect(JSON.stringify(card.blocks)).not.toMatch(/Paged: On-Call Engineer/);
    expect(JSON.stringify(card.blocks)).toContain('Nobody paged yet');

    // Escalate now for that role (the card showed it) is told it has nobody to page, not that it was paged.
    bot.fake.reset();
    await bot.click({
      channelId: inc.channelId,
      messageTs: inc.cardTs,
      actionId: ACTION.escalate,
      value: JSON.stringify({ i: inc.id, r: 'on_call' }),
    });
    const told = await bot.fake.waitFor('response_url');
    expect(String(told.args.text)).toContain('*On-Call Engineer* has nobody to page');
    expect(String(told.args.text)).not.toContain('was already paged');
  });

  it('an unknown user and an empty group are reported in the channel', async () => {
    bot = await startBot({ runbook: testRunbook({ contacts: { on_call: ['U0GONE', 'S0EMPTY', 'U0ONCALL'] } }) });
    bot.fake.usergroups.set('S0EMPTY', []);
    // Slack answers a DM to a user that does not exist with channel_not_found.
    bot.fake.unknownUsers.add('U0GONE');
    const inc = await declare(bot, 'sev2 stale contacts');
    const line = await bot.fake.waitFor(
      'chat.postMessage',
      (c) => c.args.channel === inc.channelId && /Paged \*On-Call Engineer\*/.test(String(c.args.text)),
    );
    expect(line.args.text).toContain('(<@U0ONCALL>)');
    expect(line.args.text).toMatch(/Could not reach .*`S0EMPTY`.*<@U0GONE>|Could not reach .*<@U0GONE>.*`S0EMPTY`/);
    expect(dmsTo(bot, 'U0ONCALL')).toHaveLength(1);
  });

  it('a deactivated account still in the contacts (someone who left) is reported unreachable, not paged', async () => {
    bot = await startBot({ runbook: testRunbook({ contacts: { on_call: ['U0LEFT', 'U0ONCALL'] } }) });
    // Slack takes a DM to a deactivated account; users.info says `deleted`.
    bot.fake.addUser('U0LEFT', { name: 'left', real_name: 'Left Already', deleted: true });
    const inc = await declare(bot, 'sev2 someone left');
    const line = await bot.fake.waitFor(
      'chat.postMessage',
      (c) => c.args.channel === inc.channelId && /Paged \*On-Call Engineer\*/.test(String(c.args.text)),
    );
    expect(line.args.text).toContain('(<@U0ONCALL>)');
    expect(line.args.text).toMatch(/Could not reach .*<@U0LEFT>/);
    const { rows } = await bot.db.query<{ user_id: string }>(
      `SELECT d.user_id FROM page_deliveries d JOIN pages p ON p.id = d.page_id
       WHERE p.incident_id = $1 AND d.dm_ts IS NOT NULL ORDER BY d.user_id`,
      [inc.id],
    );
    expect(rows.map((r) => r.user_id)).toEqual(['U0ONCALL']);
  });

  it('a Slack 500 while paging is retried until the page goes through, and sent once', async () => {
    bot = await startBot({ runbook: testRunbook({ unresolvedAfter: '1500ms' }) });
    const inc = await declare(bot, 'sev2 slack flaky while paging');
    await bot.fake.waitFor(
      'chat.postMessage',
      (c) => c.args.channel === inc.channelId && /Paged \*On-Call/.test(String(c.args.text)),
    );
    bot.fake.failNext('chat.postMessage', { status: 500 }, 5);
    // The Slack client tries each call four times (a quarter second to two seconds apart), then the job is tried again
    // a second later. A fresh-clone CI once saw the second try of the job only after 15 s: a lease heartbeat that
    // reached the database after the job was rescheduled had leased it again (test/store/lease-renewal.test.ts).
    const dm = await bot.fake.waitFor('chat.postMessage', (c) => c.args.channel === 'U0SENIOR', 40_000);
    expect(json(dm)).toContain('slack flaky while paging');
    expect(bot.fake.callsTo('chat.postMessage').filter((c) => c.failed).length).toBe(5);
    await sleep(500);
    expect(dmsTo(bot, 'U0SENIOR')).toHaveLength(1);
    const { rows } = await bot.db.query<{ attempts: number; state: string }>(
      "SELECT attempts, state FROM escalation_jobs WHERE incident_id = $1 AND key = 'unresolved'",
      [inc.id],
    );
    expect(rows[0]).toMatchObject({ state: 'done' });
    expect(Number(rows[0]!.attempts)).toBeGreaterThanOrEqual(2);
  }, 60_000);
});
