import { beforeEach, expect, it } from 'vitest';
import { EscalationService } from '../../src/incidents/escalation.service.js';
import type { IncidentChat } from '../../src/incidents/ports.js';
import type { Incident } from '../../src/incidents/types.js';
import { parseRunbook } from '../../src/runbook/runbook.js';
import type { Database } from '../../src/store/db.js';
import { nextDueAt } from '../../src/store/escalation-jobs.repo.js';
import { addJob as addTimer, incidentInChannel, LEASE_MS, pageChat, QUIET as quiet } from '../support/page-scene.js';
import { signal } from '../support/signal.js';
import { testRunbook, testRunbookData } from '../support/test-runbook.js';
import { forEachDatabase } from './databases.js';

/** The chat port, recording what the escalation work sends; `failPages` makes that many page DMs fail like a 500. */
function recordingChat() {
  const chat = { pages: [] as { incidentId: number; userId: string; roleName: string }[], failPages: 0 };
  const { seen, port } = pageChat(async (userId, _seen, incident, page) => {
    if (chat.failPages > 0) {
      chat.failPages--;
      throw new Error('Slack answered 500');
    }
    chat.pages.push({ incidentId: incident.id, userId, roleName: page.roleName });
  });
  return { chat, seen, port };
}

const openIncident = (db: Database, patch: { acknowledgedAt?: Date } = {}): Promise<Incident> =>
  incidentInChannel(db, { severity: 1, acknowledgedAt: patch.acknowledgedAt });

const addJob = (db: Database, incidentId: number, key: string, role: string, dueInMs = -1) =>
  addTimer(db, incidentId, role, { rule: key, dueInMs });

const jobState = async (db: Database, id: number) =>
  (
    await db.query<{ state: string; attempts: number }>('SELECT state, attempts FROM escalation_jobs WHERE id = $1', [
      id,
    ])
  ).rows[0];

forEachDatabase((suite) => {
  const runbook = testRunbook();
  let db: Database;
  let rec: ReturnType<typeof recordingChat>;
  let svc: EscalationService;
  beforeEach(async () => {
    await suite.truncate();
    db = suite.db;
    rec = recordingChat();
    svc = new EscalationService(db, rec.port, runbook, quiet);
  });

  it("the card's Next names every role timers due together page (a round and `unresolved`), and a round pages on-call alone while every alert has resolved", async () => {
    const data = testRunbookData();
    const rb = parseRunbook({
      ...data,
      escalation: { ...data.escalation, rules: { ...data.escalation.rules, unresolved: { after: '1h', page: 'cto' } } },
    });
    const view = new EscalationService(db, rec.port, rb, quiet);
    const i = await openIncident(db);
    await addJob(db, i.id, 'unacknowledged', 'on_call', 60_000);
    await addJob(db, i.id, 'unresolved', 'cto', 60_300);
    const v = await view.view(db, i);
    expect(v.next).toMatchObject({
      roleName: 'On-Call Engineer',
      with: [{ roleName: 'Senior DevOps Engineer' }],
      also: [{ roles: [{ roleName: 'CTO' }], unless: expect.stringMatching(/resolved/) }],
    });
    // `unresolved` paging a role the round names already: named again, since only the resolution stops it.
    const same = new EscalationService(db, rec.port, testRunbook(), quiet);
    expect((await same.view(db, i)).next?.also).toEqual([
      { roles: [{ roleName: 'Senior DevOps Engineer' }], unless: expect.stringMatching(/resolved/) },
    ]);
    // A timer due later is not named with it.
    await db.query(`UPDATE escalation_jobs SET due_at = due_at + interval '10 minutes' WHERE rule = 'unresolved'`);
    expect((await view.view(db, i)).next?.also).toBeUndefined();
    // Every alert of the incident resolved: the round pages on-call alone, and the card says no more.
    await db.query(
      `INSERT INTO alert_incidents (source, group_key, state, incident_id, title, severity, all_resolved_at)
       VALUES ('alertmanager', 'g', 'declared', $1, 'db down', 1, now())`,
      [i.id],
    );
    expect((await view.view(db, i)).next?.with).toBeUndefined();
  });

  it('a claim fires only due timers, once: it leases them and records the roles they page', async () => {
    const i = await openIncident(db);
    const due = await addJob(db, i.id, 'declared', 'on_call');
    const later = await addJob(db, i.id, 'unresolved', 'senior_devops', 60_000);
    const claim = await svc.claim(100, LEASE_MS);
    const fired = claim.works;
    expect(fired.map((f) => f.id)).toEqual([due]);
    expect(fired[0]!.pages.map((p) => p.role)).toEqual(['on_call']);
    expect(fired[0]!.pages[0]!.pageId).toBeGreaterThan(0);
    // The claim says, in the same statement, when the next job it did not take is due: the later one.
    const laterDue = await db.query<{ due_at: Date }>('SELECT due_at FROM escalation_jobs WHERE id = $1', [later]);
    expect(claim.nextDueAt?.getTime()).toBe(new Date(laterDue.rows[0]!.due_at).getTime());
    const again = await svc.claim(100, LEASE_MS);
    expect(again.works).toEqual([]); // leased: not claimed again
    // Nothing claimed: the earliest of the later job and the claimed one's lease, as nextDueAt reads it.
    expect(again.nextDueAt?.getTime()).toBe((await nextDueAt(db))?.getTime());
    await svc.run(fired[0]!);
    expect(rec.chat.pages).toEqual([{ incidentId: i.id, userId: 'U0ONCALL', roleName: 'On-Call Engineer' }]);
    expect(rec.seen.invites).toEqual([['U0ONCALL']]);
    expect(rec.seen.notices.map((n) => n.kind)).toEqual(['paged']);
    expect(rec.seen.refreshes).toBe(1);
    expect(await jobState(db, due)).toMatchObject({ state: 'done', attempts: 1 });
    expect(await jobState(db, later)).toMatchObject({ state: 'pending', attempts: 0 });
    const { rows } = await db.query<{ kind: string }>('SELECT kind FROM incident_events WHERE incident_id = $1', [
      i.id,
    ]);
    expect(rows.map((r) => r.kind)).toEqual(['paged']);
  });

  it("shows the card after a page through the incident service's refresh when given one (it checks the row after its update)", async () => {
    const refreshed: number[] = [];
    const own = new EscalationService(db, rec.port, runbook, quiet, undefined, {
      refreshCard: async (id) => {
        refreshed.push(id);
      },
    });
    const i = await openIncident(db);
    await addJob(db, i.id, 'declared', 'on_call');
    const [fired] = (await own.claim(100, LEASE_MS)).works;
    await own.run(fired!);
    expect(rec.chat.pages).toHaveLength(1);
    expect(refreshed).toEqual([i.id]);
    expect(rec.seen.refreshes).toBe(0);
  });

  it('two timers due at once that name the same role (both overdue after an outage) page it once', async () => {
    const i = await openIncident(db);
    // Nobody acknowledged (on-call again, and senior DevOps next), and not resolved in time (senior DevOps).
    const unacked = await addJob(db, i.id, 'unacknowledged', 'on_call', -2000);
    const unresolved = await addJob(db, i.id, 'unresolved', 'senior_devops', -1000);
    const { works } = await svc.claim(100, LEASE_MS);
    expect(works.map((w) => [w.id, w.pages.map((p) => p.role)])).toEqual([
      [unacked, ['on_call', 'senior_devops']],
      [unresolved, []],
    ]);
    for (const w of works) await svc.run(w);
    expect(rec.chat.pages.map((p) => p.roleName).sort()).toEqual(['On-Call Engineer', 'Senior DevOps Engineer']);
    expect(await jobState(db, unresolved)).toMatchObject({ state: 'done' });
  });

  it('a timer whose reason is gone is cancelled when it fires, and pages nobody', async () => {
    const i = await openIncident(db, { acknowledgedAt: new Date() });
    const id = await addJob(db, i.id, 'unacknowledged', 'on_call');
    expect((await svc.claim(100, LEASE_MS)).works).toEqual([]);
    expect(await jobState(db, id)).toMatchObject({ state: 'cancelled' });
    expect(rec.chat.pages).toEqual([]);
  });

  it('a retried job pages the roles it chose the first time, and does not page twice whom it reached', async () => {
    const i = await openIncident(db);
    // Its declaration's page went (a claim sets the incident's timers again: this one is there, done).
    await db.query(
      "INSERT INTO escalation_jobs (incident_id, key, rule, role, due_at, state) VALUES ($1, 'declared', 'declared', 'on_call', now(), 'done')",
      [i.id],
    );
    // Nobody acknowledged: on-call again, with the next role in the contact order (senior DevOps).
    const id = await addJob(db, i.id, 'unacknowledged', 'on_call');
    const [first] = (await svc.claim(100, LEASE_MS)).works;
    expect(first!.pages.map((p) => p.role)).toEqual(['on_call', 'senior_devops']);
    rec.chat.failPages = 1; // the on-call DM fails (Slack 500); the job is rescheduled
    await svc.run(first!);
    expect(await jobState(db, id)).toMatchObject({ state: 'pending' });
    // Senior DevOps' DM does not wait for on-call's retry.
    expect(rec.chat.pages.map((p) => p.userId)).toEqual(['U0SENIOR']);
    // Make it due again now. senior DevOps now counts as paged for the incident, yet the retry must not move on to
    // the engineering manager.
    await db.query("UPDATE escalation_jobs SET due_at = clock_timestamp() - interval '1 second' WHERE id = $1", [id]);
    const [again] = (await svc.claim(100, LEASE_MS)).works;
    expect(again!.pages.map((p) => p.role)).toEqual(['on_call', 'senior_devops']);
    await svc.run(again!);
    expect(rec.chat.pages.map((p) => p.userId)).toEqual(['U0SENIOR', 'U0ONCALL']);
    expect(await jobState(db, id)).toMatchObject({ state: 'done', attempts: 2 });
    const pages = await db.query('SELECT role FROM pages WHERE incident_id = $1 ORDER BY id', [i.id]);
    expect(pages.rows).toEqual([{ role: 'on_call' }, { role: 'senior_devops' }]);
  });

  it('a thousand timers due at once are fired by a few claims, each page recorded once', async () => {
    await db.query(
      `WITH inc AS (
         INSERT INTO incidents (team_id, number, title, severity, status, phase, reporter_id, channel_id, card_ts)
         SELECT 'T1', g, 'db down ' || g, 2, 'investigating', 'detection', 'U0REPORTER', 'C' || g, '1.1'
         FROM generate_series(1, 1000) g RETURNING id
       )
       INSERT INTO escalation_jobs (incident_id, key, rule, role, due_at)
       SELECT id, 'declared', 'declared', 'on_call', clock_timestamp() - interval '1 second' FROM inc`,
    );
    const sizes: number[] = [];
    for (;;) {
      const fired = (await svc.claim(250, LEASE_MS)).works;
      if (fired.length === 0) break;
      sizes.push(fired.length);
    }
    expect(sizes).toEqual([250, 250, 250, 250]);
    const { rows } = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM pages');
    expect(rows[0]!.n).toBe(1000);
  });

  it('a claim skips a timer whose incident another transaction holds, without waiting, and takes it after', async () => {
    const i = await openIncident(db);
    const id = await addJob(db, i.id, 'declared', 'on_call');
    const held = signal();
    const locked = signal();
    const tx = db.transaction(
      // another connection from the pool
      async (t) => {
        await t.query('SELECT id FROM incidents WHERE id = $1 FOR UPDATE', [i.id]); // someone acknowledging, say
        locked.fire();
        await held.fired;
      },
    );
    await locked.fired;
    const started = Date.now();
    expect((await svc.claim(100, LEASE_MS)).works).toEqual([]);
    expect(Date.now() - started).toBeLessThan(1000);
    held.fire();
    await tx;
    const fired = (await svc.claim(100, LEASE_MS)).works;
    expect(fired.map((f) => f.id)).toEqual([id]);
  });
});

forEachDatabase((suite) => {
  it("a page acknowledged while its DM was on its way: the DM says so once recorded, not at the incident's next change", async () => {
    await suite.truncate();
    const db = suite.db;
    const i = await openIncident(db);
    const updated: { channel: string; ts: string; state: string; by: string | null }[] = [];
    const rec = recordingChat();
    const port: IncidentChat = {
      ...rec.port,
      // The incident is acknowledged (another person, another replica) while Slack takes the page's DM.
      async sendPage() {
        await db.query(
          `UPDATE incidents SET acknowledged_at = clock_timestamp(), acknowledged_by = 'U0REP' WHERE id = $1`,
          [i.id],
        );
        return { channel: 'D0ONCALL', ts: '1700000000.000100' };
      },
      async updatePage(_incident, dm, answered) {
        updated.push({ ...dm, state: answered.state, by: answered.by });
      },
    };
    const svc = new EscalationService(db, port, testRunbook(), quiet);
    await addJob(db, i.id, 'declared', 'on_call');
    const [fired] = (await svc.claim(100, LEASE_MS)).works;
    await svc.run(fired!);
    expect(updated).toEqual([{ channel: 'D0ONCALL', ts: '1700000000.000100', state: 'acknowledged', by: 'U0REP' }]);
    const { rows } = await db.query<{ dm_state: string }>('SELECT dm_state FROM page_deliveries');
    expect(rows).toEqual([{ dm_state: 'acknowledged' }]);
    // Shown once: the incident's next look finds nothing behind.
    await svc.showAnsweredPages(i);
    expect(updated).toHaveLength(1);
  });
});
