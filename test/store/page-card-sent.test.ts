import { beforeEach, describe, expect, it } from 'vitest';
import { EscalationService } from '../../src/incidents/escalation.service.js';
import type { EscalationView, IncidentChat } from '../../src/incidents/ports.js';
import type { Incident } from '../../src/incidents/types.js';
import { parseRunbook } from '../../src/runbook/runbook.js';
import type { Database } from '../../src/store/db.js';
import { getIncident, insertIncident } from '../../src/store/incident.repo.js';
import { escalationLineOf } from '../support/card-escalation-line.js';
import { testRunbookData } from '../support/test-runbook.js';
import { forEachDatabase } from './databases.js';

const quiet = { info() {}, warn() {}, error() {} };
const LEASE_MS = 60_000;

/** A declaration pages two roles together (one job, on-call's page first); nobody acknowledging, a round a minute. */
const data = testRunbookData({ respond: { 2: '1m' } });
const runbook = parseRunbook({
  ...data,
  escalation: { ...data.escalation, rules: { ...data.escalation.rules, on_declare: ['on_call', 'senior_devops'] } },
});

/** A chat whose DMs to senior DevOps Slack refuses (500) while `refusing`; every card shown is kept. */
function chatOf() {
  const seen = { cards: [] as EscalationView[], refusing: true };
  const port: Pick<IncidentChat, 'notify' | 'resolveContacts' | 'sendPage' | 'inviteToChannel' | 'refreshCard'> = {
    async notify() {},
    async resolveContacts(ids) {
      return { userIds: ids, unresolved: [] };
    },
    async sendPage(_incident, _page, userId) {
      if (userId === 'U0SENIOR' && seen.refusing) throw new Error('Slack answered 500');
      return { channel: `D${userId}`, ts: `${Date.now() / 1000}` };
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

/** The card's escalation line, as drawn from a view. */
const lineOf = (incident: Incident, view: EscalationView) => escalationLineOf(incident, view, runbook.severities);

/**
 * A page's row is written when its job is claimed, before any DM: the card said the role was paged from then on, and
 * Escalate now and the rounds counted it, though its DM had not gone (and might never: Slack refusing it, the job
 * called off on its retry). The card says a role was paged once its page went out, "paging" while it goes, and that it
 * failed once given up; a page being sent counts as paging its role (not paged twice), one called off or given up
 * does not.
 */
forEachDatabase((suite) => {
  let db: Database;
  let incident: Incident;
  let svc: EscalationService;
  let chat: ReturnType<typeof chatOf>;
  beforeEach(async () => {
    await suite.truncate();
    db = suite.db;
    const i = await insertIncident(db, { teamId: 'T1', number: 7, title: 'db down', severity: 2, reporterId: 'U0REP' });
    await db.query(`UPDATE incidents SET channel_id = 'CINC1', card_ts = '1.1' WHERE id = $1`, [i.id]);
    incident = (await getIncident(db, i.id))!;
    await db.query(
      `INSERT INTO escalation_jobs (incident_id, key, rule, role, due_at)
       VALUES ($1, 'declared', 'declared', 'on_call', now())`,
      [i.id],
    );
    chat = chatOf();
    svc = new EscalationService(db, chat.port, runbook, quiet, () => {}, { pageTries: 3 });
  });

  /** One round of the timer loop, the declaration's job due again now (its backoff not waited for). */
  const round = async () => {
    await db.query(
      "UPDATE escalation_jobs SET due_at = now(), locked_until = NULL WHERE key = 'declared' AND state = 'pending'",
    );
    for (const w of (await svc.claim(100, LEASE_MS)).works) await svc.run(w);
  };
  const declaredJob = async () =>
    (
      await db.query<{ state: string; attempts: number }>(
        "SELECT state, attempts FROM escalation_jobs WHERE key = 'declared'",
      )
    ).rows[0];

  describe('a page whose DM Slack refuses', () => {
    it('is "paging" on the card, not paged, and counted: Escalate now offers the role after it, not it again', async () => {
      await round();
      expect(await declaredJob()).toMatchObject({ state: 'pending', attempts: 1 });
      const view = await svc.view(db, incident);
      const line = lineOf(incident, view);
      // On-call's page went: paged. Senior DevOps' did not: being paged, with why it has not gone yet.
      expect(line).toMatch(/:pager: Paged: On-Call Engineer \(<!date[^)]*\) {2}· {2}/);
      expect(line).not.toMatch(/Paged: [^·]*Senior DevOps/);
      expect(line).toContain(
        ':hourglass_flowing_sand: Paging: Senior DevOps Engineer (not sent yet: Slack answered 500; trying again)',
      );
      // Being paged counts: Escalate now does not page senior DevOps a second time, and says it is being paged.
      expect(view.escalateTo?.role).toBe('engineering_manager');
      const again = await svc.escalateNow(incident.id, 'U0BOSS', { named: 'senior_devops' });
      expect(again).toMatchObject({ kind: 'already', pending: true });
      expect(again?.kind === 'already' && again.unchanged).toMatch(/being paged already/);

      // Its DM goes on the next try: paged.
      chat.seen.refusing = false;
      await round();
      expect(await declaredJob()).toMatchObject({ state: 'done' });
      const sent = lineOf(incident, await svc.view(db, incident));
      expect(sent).toMatch(/:pager: Paged: On-Call Engineer \([^)]*\), Senior DevOps Engineer \(/);
      expect(sent).not.toContain('Paging:');
    });

    it('failed once given up: the card says so and what to do, and the role is paged again (Escalate now, a round)', async () => {
      for (let i = 0; i < 3; i++) await round();
      // Given up after its tries, not tried for ever: on the timeline too.
      expect(await declaredJob()).toMatchObject({ state: 'cancelled', attempts: 3 });
      const { rows: events } = await db.query<{ details: { roles: string[] } }>(
        "SELECT details FROM incident_events WHERE kind = 'page_failed'",
      );
      expect(events.map((e) => e.details.roles)).toEqual([['senior_devops']]);
      const view = await svc.view(db, incident);
      const line = lineOf(incident, view);
      expect(line).toMatch(/:pager: Paged: On-Call Engineer \(/);
      expect(line).not.toMatch(/Paged: [^·]*Senior DevOps/);
      expect(line).toContain(
        ':warning: Page failed, not sent: Senior DevOps Engineer (Slack answered 500): page it again with `/incident escalate Senior DevOps Engineer`, or call its people',
      );
      expect(line).not.toContain('Paging:');
      // The card was shown saying so.
      expect(chat.seen.cards.at(-1)?.paged.find((p) => p.roleName === 'Senior DevOps Engineer')?.failed).toBeTruthy();
      // Not paged: Escalate now offers it again.
      expect(view.escalateTo?.role).toBe('senior_devops');

      // Nobody acknowledging: the round pages on-call and climbs to senior DevOps, not past it.
      chat.seen.refusing = false;
      await db.query("UPDATE incidents SET created_at = now() - interval '90 seconds' WHERE id = $1", [incident.id]);
      await svc.sync(db, (await getIncident(db, incident.id))!);
      const { works } = await svc.claim(100, LEASE_MS);
      const rounds = works.filter((w) => w.job.rule === 'unacknowledged');
      expect(rounds.map((w) => w.pages.map((p) => p.role))).toEqual([['on_call', 'senior_devops']]);
      for (const w of works) await svc.run(w);
      const after = lineOf(incident, await svc.view(db, incident));
      expect(after).toMatch(/Paged: On-Call Engineer ×2 \([^)]*\), Senior DevOps Engineer \(/);
      expect(after).not.toContain('Page failed');
    });

    it('called off on its retry (the incident mitigated meanwhile): never paged, not counted', async () => {
      await round();
      await db.query("UPDATE incidents SET status = 'mitigated' WHERE id = $1", [incident.id]);
      incident = (await getIncident(db, incident.id))!;
      await round();
      expect(await declaredJob()).toMatchObject({ state: 'cancelled' });
      const view = await svc.view(db, incident);
      expect(view.paged.map((p) => p.roleName)).toEqual(['On-Call Engineer']);
      const line = lineOf(incident, view);
      expect(line).toMatch(/:pager: Paged: On-Call Engineer \([^)]*\) {2}· {2}/);
      expect(line).not.toMatch(/Paged: [^·]*Senior DevOps/);
      expect(line).not.toMatch(/Paging:|Page failed/);
      // Not paged: Escalate now offers it.
      expect(line).toContain('Escalate now: Senior DevOps Engineer (<@U0SENIOR>)');
      expect(view.escalateTo?.role).toBe('senior_devops');
    });
  });
});
