import { beforeEach, expect, it } from 'vitest';
import { EscalationService } from '../../src/incidents/escalation.service.js';
import { NotificationService } from '../../src/incidents/notification.service.js';
import type { IncidentChat } from '../../src/incidents/ports.js';
import { parseRunbook } from '../../src/runbook/runbook.js';
import type { Database, Queryable } from '../../src/store/db.js';
import { insertIncident } from '../../src/store/incident.repo.js';
import { testRunbookData } from '../support/test-runbook.js';
import { forEachDatabase } from './databases.js';

const quiet = { info() {}, warn() {}, error() {} };

/** The database with every statement sent through it (a transaction's too) kept in `sent`, in order. */
function counting(db: Database): { db: Database; sent: string[] } {
  const sent: string[] = [];
  const wrap = <Q extends Queryable>(q: Q): Q =>
    new Proxy(q, {
      get(target, prop, receiver) {
        if (prop === 'query')
          return (sql: string, params?: readonly unknown[]) => {
            sent.push(sql);
            return target.query(sql, params);
          };
        if (prop === 'transaction')
          return <T>(fn: (tx: Queryable) => Promise<T>) =>
            (target as unknown as Database).transaction((tx) => {
              sent.push('BEGIN');
              return fn(wrap(tx));
            });
        const v = Reflect.get(target, prop, receiver);
        return typeof v === 'function' ? v.bind(target) : v;
      },
    });
  return { db: wrap(db), sent };
}

/**
 * The record of a page's DMs (whom it reached, where each DM is, and what its notify: rules leave: the DMs as
 * deliveries and the later steps as timers) is one statement: counted through a wrapping Queryable between the last
 * DM and the channel's notice, what it records read back.
 */
forEachDatabase((suite) => {
  beforeEach(() => suite.truncate());

  const data = testRunbookData();
  const roles = data.escalation.roles;
  const runbook = parseRunbook({
    ...data,
    people: {
      U0ONCALL: { name: 'Olive', email: 'olive@example.com' },
      U0SECOND: { name: 'Sam', email: 'sam@example.com' },
    },
    escalation: {
      ...data.escalation,
      roles: {
        ...roles,
        on_call: {
          ...roles.on_call,
          contacts: ['U0ONCALL', 'U0SECOND'],
          notify: [{ via: 'slack' }, { via: 'email', after: '1m' }, { via: 'email', after: '5m' }],
        },
      },
    },
  });

  it('records a page’s DMs, their deliveries and the later steps of its notify: rules in one statement', async () => {
    const { db, sent } = counting(suite.db);
    let dmsSent = 0;
    let noticeAt = -1;
    const chat = {
      async notify() {
        noticeAt = sent.length;
      },
      async resolveContacts(ids: string[]) {
        return { userIds: ids, unresolved: [] };
      },
      async sendPage(_i: unknown, _p: unknown, userId: string) {
        dmsSent = sent.length;
        return { channel: `D${userId}`, ts: `1.${userId.length}` };
      },
      async inviteToChannel() {
        return { unreachable: [] };
      },
      async refreshCard() {},
    } as unknown as IncidentChat;
    const senders = { email: { async send() {} }, pagerduty: null };
    const notifications = new NotificationService(db, chat, runbook, senders as never, quiet);
    const svc = new EscalationService(db, chat, runbook, quiet, undefined, {}, undefined, notifications);
    const i = await insertIncident(suite.db, {
      teamId: 'T1',
      number: 1,
      title: 'db',
      severity: 1,
      reporterId: 'U0REP',
    });
    await suite.db.query(`UPDATE incidents SET channel_id = 'CINC1', card_ts = '1.1' WHERE id = $1`, [i.id]);
    await suite.db.query(
      `INSERT INTO escalation_jobs (incident_id, key, rule, role, due_at)
       VALUES ($1, 'declared', 'declared', 'on_call', now())`,
      [i.id],
    );
    const [fired] = (await svc.claim(100, 60_000)).works;
    await svc.run(fired!);
    // Between the last DM and the channel's notice: the record, one round trip (three before: the page's deliveries,
    // the DMs as notification deliveries, the later steps).
    expect(noticeAt).toBeGreaterThan(dmsSent);
    expect(sent.slice(dmsSent, noticeAt)).toHaveLength(1);
    // What it records, as before.
    const page = (await suite.db.query<{ id: number; created_at: Date }>('SELECT id, created_at FROM pages')).rows;
    expect(page).toHaveLength(1);
    const pageId = Number(page[0]!.id);
    const delivered = await suite.db.query(
      'SELECT user_id, dm_channel, dm_ts, unreachable FROM page_deliveries WHERE page_id = $1 ORDER BY user_id',
      [pageId],
    );
    expect(delivered.rows).toEqual([
      { user_id: 'U0ONCALL', dm_channel: 'DU0ONCALL', dm_ts: '1.8', unreachable: false },
      { user_id: 'U0SECOND', dm_channel: 'DU0SECOND', dm_ts: '1.8', unreachable: false },
    ]);
    const dms = await suite.db.query(
      `SELECT incident_id, page_id, role, user_id, via, outcome FROM notification_deliveries ORDER BY user_id`,
    );
    expect(dms.rows.map((r) => ({ ...r, incident_id: Number(r.incident_id), page_id: Number(r.page_id) }))).toEqual(
      ['U0ONCALL', 'U0SECOND'].map((u) => ({
        incident_id: i.id,
        page_id: pageId,
        role: 'on_call',
        user_id: u,
        via: 'slack',
        outcome: 'sent',
      })),
    );
    const steps = await suite.db.query<{ key: string; user_id: string; via: string; role: string; after: number }>(
      `SELECT j.key, j.user_id, j.via, j.role, extract(epoch FROM j.due_at - p.created_at)::int AS after
       FROM notification_jobs j JOIN pages p ON p.id = j.page_id ORDER BY j.id`,
    );
    // In the runbook's order (ids follow it), due from the page's time.
    expect(steps.rows).toEqual([
      { key: `step:${pageId}:U0ONCALL:1`, user_id: 'U0ONCALL', via: 'email', role: 'on_call', after: 60 },
      { key: `step:${pageId}:U0ONCALL:2`, user_id: 'U0ONCALL', via: 'email', role: 'on_call', after: 300 },
      { key: `step:${pageId}:U0SECOND:1`, user_id: 'U0SECOND', via: 'email', role: 'on_call', after: 60 },
      { key: `step:${pageId}:U0SECOND:2`, user_id: 'U0SECOND', via: 'email', role: 'on_call', after: 300 },
    ]);
  });
});
