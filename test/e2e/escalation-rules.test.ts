import { describe, expect, it } from 'vitest';
import { ACTION, VIEW } from '../../src/templates/ids.js';
import { encodeModalMetadata } from '../../src/templates/payloads.js';
import { channelSays, declare, dmsTo, json, useEscalationRulesBot } from '../support/escalation-flow.js';
import { cardShows, eventually, untilPasses } from '../support/incident-flow.js';
import { statusFormValues } from '../support/status-form.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Pages at once (SEV-0, flags, a walk by hand), what stops the response-time timer, the pages' words, the card,
 * reminders.
 */
describe('escalation rules', () => {
  const bot = useEscalationRulesBot();
  /**
   * The incident's response-time timer once no longer pending: cancelled by the acknowledgement, or fired ('done') when
   * a loaded machine took the declaration and the acknowledgement past its response time of seconds.
   */
  const responseTimer = (id: number) =>
    eventually(async () => {
      const { rows } = await bot.db.query<{
        state: string;
        due_at: Date;
        fired_at: Date | null;
        acknowledged_at: Date | null;
      }>(
        `SELECT j.state, j.due_at, j.fired_at, i.acknowledged_at FROM escalation_jobs j JOIN incidents i ON i.id = j.incident_id
         WHERE j.incident_id = $1 AND j.key = 'unacknowledged'`,
        [id],
      );
      return rows[0] && rows[0].state !== 'pending' ? rows[0] : undefined;
    }, 'the response-time timer cancelled or fired');
  /**
   * Whether the loop took the response-time timer (fired_at) before the acknowledgement came, as a loaded machine may
   * (then it was due first; the acknowledgement, coming while it ran, may leave it cancelled all the same: a loaded CI
   * run saw that); else it was cancelled before it was due, and the caller checks that no page follows.
   */
  const takenBeforeTheAck = async (id: number) => {
    const timer = await responseTimer(id);
    if (!timer.fired_at) {
      expect(timer.state).toBe('cancelled');
      return false;
    }
    expect(timer.fired_at.getTime()).toBeGreaterThanOrEqual(timer.due_at.getTime());
    expect(timer.acknowledged_at!.getTime()).toBeGreaterThanOrEqual(timer.due_at.getTime());
    return true;
  };

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

  it('acknowledging stops the response-time timer', async () => {
    // SEV-3 responds within 4 s in this runbook: room to acknowledge first, most often even on a slow machine (else
    // the timer fired before the acknowledgement, as it should).
    const inc = await declare(bot, 'sev3 acked in time');
    await bot.clickCard(inc, ACTION.acknowledge, 'U0ONCALL');
    await bot.fake.waitFor(
      'chat.postMessage',
      (c) => c.args.channel === inc.channelId && /acknowledged/.test(String(c.args.text)),
    );
    if (await takenBeforeTheAck(inc.id)) return;
    await sleep(4500);
    expect(dmsTo(bot, 'U0ONCALL').filter((c) => json(c).includes('acked in time'))).toHaveLength(1);
    expect(dmsTo(bot, 'U0SENIOR').filter((c) => json(c).includes('acked in time'))).toHaveLength(0);
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
    // SEV-1 responds within 2 s: its timer is cancelled, and no page follows, unless it fired before the
    // acknowledgement (a loaded machine).
    if (await takenBeforeTheAck(inc.id)) return;
    await sleep(2500);
    expect(dmsTo(bot, 'U0ONCALL').filter((c) => json(c).includes('acked from the page'))).toHaveLength(1);
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
