import { beforeEach, expect, it } from 'vitest';
import { EscalationService } from '../../src/incidents/escalation.service.js';
import type { EscalationView, IncidentChat, IncidentNotice } from '../../src/incidents/ports.js';
import { parseRunbook } from '../../src/runbook/runbook.js';
import type { Database } from '../../src/store/db.js';
import { insertIncident } from '../../src/store/incident.repo.js';
import { eventually } from '../support/incident-flow.js';
import { testRunbookData } from '../support/test-runbook.js';
import { forEachDatabase } from './databases.js';

const quiet = { info() {}, warn() {}, error() {} };
const LEASE_MS = 60_000;

/** A declaration pages two roles together: one job, two pages, on-call's first. */
const data = testRunbookData();
const runbook = parseRunbook({
  ...data,
  escalation: { ...data.escalation, rules: { ...data.escalation.rules, on_declare: ['on_call', 'senior_devops'] } },
});

/**
 * A chat for one process: `senior` says what a DM to senior DevOps does (never answers: the process stopped there;
 * fails: Slack answering 500, the job retried), and every card it shows is kept.
 */
function chatOf(senior: 'hangs' | 'fails') {
  const seen = { notices: [] as IncidentNotice[], cards: [] as EscalationView[] };
  const port: Pick<IncidentChat, 'notify' | 'resolveContacts' | 'sendPage' | 'inviteToChannel' | 'refreshCard'> = {
    async notify(_i, notice) {
      seen.notices.push(notice);
    },
    async resolveContacts(ids) {
      return { userIds: ids, unresolved: [] };
    },
    async sendPage(_incident, _page, userId) {
      if (userId !== 'U0SENIOR') return undefined;
      if (senior === 'hangs') return new Promise<never>(() => {});
      throw new Error('Slack answered 500');
    },
    async inviteToChannel() {
      return { unreachable: [] };
    },
    async refreshCard(_i, view) {
      if (view) seen.cards.push(view);
    },
  };
  return { seen, port: port as IncidentChat };
}

/**
 * A paging job whose process stops between two of its pages (the first sent and said in the channel, the second's DM
 * never answered), and the process after it cannot send the second (Slack refusing it for a while): the first page,
 * sent, is shown on the card by the next process all the same, by the card's timer its record wrote.
 */
forEachDatabase((suite) => {
  let db: Database;
  beforeEach(async () => {
    await suite.truncate();
    db = suite.db;
  });

  it('a page sent before its process stopped between two pages of one job is shown on the card by the next', async () => {
    const i = await insertIncident(db, { teamId: 'T1', number: 7, title: 'db down', severity: 2, reporterId: 'U0REP' });
    await db.query(`UPDATE incidents SET channel_id = 'CINC1', card_ts = '1.1' WHERE id = $1`, [i.id]);
    await db.query(
      `INSERT INTO escalation_jobs (incident_id, key, rule, role, due_at)
       VALUES ($1, 'declared', 'declared', 'on_call', now())`,
      [i.id],
    );
    // The first process: pages on-call (sent, said in the channel, recorded), then stops at senior DevOps' DM.
    const first = chatOf('hangs');
    const stopped = new EscalationService(db, first.port, runbook, quiet);
    const [fired] = (await stopped.claim(100, LEASE_MS)).works;
    expect(fired?.pages.map((p) => p.role)).toEqual(['on_call', 'senior_devops']);
    void stopped.run(fired!);
    await eventually(async () => {
      const { rows } = await db.query<{ role: string }>('SELECT role FROM pages WHERE announced_at IS NOT NULL');
      return rows.length === 1 && rows[0]!.role === 'on_call' ? true : undefined;
    }, "on-call's page recorded");
    expect(first.seen.notices.map((n) => n.kind)).toEqual(['paged']);
    expect(first.seen.cards).toEqual([]);

    // The next process, once the stopped one's leases ran out (made so rather than waited for).
    await db.query('UPDATE escalation_jobs SET locked_until = now() WHERE locked_until > now()');
    const next = chatOf('fails');
    const svc = new EscalationService(db, next.port, runbook, quiet);
    for (let round = 0; round < 3; round++) {
      for (const w of (await svc.claim(100, LEASE_MS)).works) await svc.run(w);
    }
    // The job failed again at senior DevOps' DM (tried again later); the page that went is on the card meanwhile.
    const { rows } = await db.query<{ state: string; attempts: number }>(
      "SELECT state, attempts FROM escalation_jobs WHERE key = 'declared'",
    );
    expect(rows[0]).toMatchObject({ state: 'pending', attempts: 2 });
    expect(next.seen.cards.length).toBeGreaterThan(0);
    expect(next.seen.cards.at(-1)!.paged.map((p) => p.roleName)).toContain('On-Call Engineer');
  });
});
