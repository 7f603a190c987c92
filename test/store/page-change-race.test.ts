import { beforeEach, expect, it } from 'vitest';
import { EscalationService } from '../../src/incidents/escalation.service.js';
import { desiredJobs } from '../../src/incidents/escalation-policy.js';
import { IncidentService } from '../../src/incidents/incident.service.js';
import type { IncidentChat } from '../../src/incidents/ports.js';
import type { Incident } from '../../src/incidents/types.js';
import type { Database } from '../../src/store/db.js';
import { escalationSummary } from '../../src/store/escalation-summary.repo.js';
import { takenRoles } from '../../src/store/page.repo.js';
import { addJob, claimJob, incidentInChannel, LEASE_MS, pageChat, QUIET as quiet } from '../support/page-scene.js';
import { signal } from '../support/signal.js';
import { testRunbook } from '../support/test-runbook.js';
import { forEachDatabase } from './databases.js';

/**
 * A timer's page on its way while the incident changes so that the timer is no longer wanted (acknowledged, resolved):
 * as PagerDuty does, a page that went out is recorded as sent (its delivery, the timeline's `paged`, the job done, not
 * called off), and nothing more is paged once the change has committed: the round's next role is not woken, and a
 * change committed between the claim and the run pages nobody at all (the job called off, as the claim would have).
 */
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The chat port: records what is sent; a DM to `holdFor` waits for `release` once `held` has fired, one to `refuse`
 * fails as a Slack 500 does.
 */
function recordingChat() {
  const rec = {
    dms: [] as string[],
    holdFor: null as string | null,
    refuse: null as string | null,
    held: signal(),
    release: signal(),
  };
  const { seen, port } = pageChat(async (userId) => {
    if (userId === rec.refuse) throw new Error('Slack answered 500');
    if (userId === rec.holdFor) {
      rec.held.fire();
      await rec.release.fired;
    }
    rec.dms.push(userId);
  });
  const incidents: Pick<IncidentChat, 'postCard' | 'pinCard' | 'announce'> = {
    async postCard() {
      return '1.1';
    },
    async pinCard() {},
    async announce() {},
  };
  return { rec, seen, port: Object.assign(port, incidents) };
}

forEachDatabase(
  (suite) => {
    /** On-call is two people: a test refuses the second one's DM. */
    const runbook = testRunbook({ contacts: { on_call: ['U0ONCALL', 'U0BACKUP'] } });
    let db: Database;
    let chat: ReturnType<typeof recordingChat>;
    let escalation: EscalationService;
    let incidents: IncidentService;
    beforeEach(async () => {
      await suite.truncate();
      db = suite.db;
      chat = recordingChat();
      escalation = new EscalationService(db, chat.port, runbook, quiet);
      incidents = new IncidentService(db, chat.port, quiet, escalation);
    });

    /** A SEV-1 nobody acknowledged, its first round of nobody acknowledging due: it pages on-call and senior DevOps. */
    async function roundDue(): Promise<{ incident: Incident; jobId: number }> {
      const incident = await incidentInChannel(db, { severity: 1 });
      const round = desiredJobs(incident, runbook, new Date()).find((d) => d.rule === 'unacknowledged')!;
      const jobId = await addJob(db, incident.id, 'on_call', {
        rule: 'unacknowledged',
        key: round.key,
        dueInMs: -1000,
      });
      // Its declaration's page went long ago (a claim's resync does not set it again: a test claiming the round twice
      // would take it, and leave its page being sent).
      await db.query(
        `INSERT INTO escalation_jobs (incident_id, key, rule, role, due_at, state, finished_at)
         VALUES ($1, 'declared', 'declared', 'on_call', now() - interval '1 hour', 'done', now())`,
        [incident.id],
      );
      return { incident, jobId };
    }

    /** What is recorded of the incident's pages, the job, and the timeline's paging events. */
    async function recorded(incidentId: number, jobId: number) {
      const job = (
        await db.query<{ state: string; locked_until: Date | null }>(
          'SELECT state, locked_until FROM escalation_jobs WHERE id = $1',
          [jobId],
        )
      ).rows[0]!;
      const pages = (
        await db.query<{ role: string; announced: boolean; delivered: string[] | null }>(
          `SELECT p.role, p.announced_at IS NOT NULL AS announced,
                  (SELECT array_agg(d.user_id ORDER BY d.user_id) FROM page_deliveries d WHERE d.page_id = p.id) AS delivered
           FROM pages p WHERE p.incident_id = $1 ORDER BY p.id`,
          [incidentId],
        )
      ).rows;
      const events = (
        await db.query<{ kind: string; role: string | null }>(
          `SELECT kind, details->>'role' AS role FROM incident_events
           WHERE incident_id = $1 AND kind IN ('paged', 'page_skipped', 'page_failed') ORDER BY id`,
          [incidentId],
        )
      ).rows;
      const summary = await escalationSummary(db, incidentId, []);
      return {
        state: job.state,
        leased: job.locked_until !== null,
        pages,
        events,
        card: summary.paged.map((p) => ({ role: p.role, going: 'going' in p })),
        taken: [...(await takenRoles(db, incidentId))].sort(),
      };
    }

    const pagedNotices = () =>
      chat.seen.notices.flatMap((n) =>
        n.kind === 'paged' ? [{ roleName: n.roleName, userIds: [...n.userIds].sort() }] : [],
      );

    for (const change of ['acknowledged', 'resolved'] as const) {
      const make = (incidentId: number) =>
        change === 'acknowledged'
          ? incidents.acknowledge(incidentId, 'U0ONCALL')
          : incidents.resolve(incidentId, 'U0ONCALL', 'failed over');

      it(`${change} while on-call's page DM is on its way: that page is recorded as sent, the job done, and senior DevOps is not paged`, async () => {
        const { incident, jobId } = await roundDue();
        const work = await claimJob(escalation, jobId);
        expect(work.pages.map((p) => p.role)).toEqual(['on_call', 'senior_devops']);
        chat.rec.holdFor = 'U0ONCALL';
        const run = escalation.run(work);
        await chat.rec.held.fired;
        await make(incident.id);
        // Meanwhile the page is being sent: its job is not called off under it, and on-call counts as being paged (the
        // card says so, and Escalate now does not page them again).
        const during = await recorded(incident.id, jobId);
        expect(during.state).toBe('pending');
        expect(during.card).toEqual([
          { role: 'on_call', going: true },
          { role: 'senior_devops', going: true },
        ]);
        chat.rec.release.fire();
        await run;

        expect([...chat.rec.dms].sort()).toEqual(['U0BACKUP', 'U0ONCALL']);
        expect(pagedNotices()).toEqual([{ roleName: 'On-Call Engineer', userIds: ['U0BACKUP', 'U0ONCALL'] }]);
        const r = await recorded(incident.id, jobId);
        expect(r.state).toBe('done');
        expect(r.leased).toBe(false);
        expect(r.pages).toEqual([
          { role: 'on_call', announced: true, delivered: ['U0BACKUP', 'U0ONCALL'] },
          { role: 'senior_devops', announced: false, delivered: null },
        ]);
        expect(r.events).toEqual([{ kind: 'paged', role: 'on_call' }]);
        // The card and Escalate now: on-call paged, senior DevOps neither paged nor being paged.
        expect(r.card).toEqual([{ role: 'on_call', going: false }]);
        expect(r.taken).toEqual(['on_call']);
        // Nothing of the job is left to fire later.
        expect((await escalation.claim(10, LEASE_MS)).works.filter((w) => w.id === jobId)).toEqual([]);
      });

      it(`${change} while on-call's page is on its way, one of its DMs refused: the page is announced as gone out, the refused person missed, nothing tried again`, async () => {
        const { incident, jobId } = await roundDue();
        const work = await claimJob(escalation, jobId);
        chat.rec.holdFor = 'U0ONCALL';
        chat.rec.refuse = 'U0BACKUP';
        const run = escalation.run(work);
        await chat.rec.held.fired;
        await make(incident.id);
        chat.rec.release.fire();
        await run;

        expect(chat.rec.dms).toEqual(['U0ONCALL']);
        const said = chat.seen.notices.flatMap((n) => (n.kind === 'paged' ? [n] : []));
        expect(said).toMatchObject([
          { roleName: 'On-Call Engineer', userIds: ['U0ONCALL'], missed: { userIds: ['U0BACKUP'] } },
        ]);
        const r = await recorded(incident.id, jobId);
        expect(r.state).toBe('done');
        expect(r.pages).toEqual([
          { role: 'on_call', announced: true, delivered: ['U0ONCALL'] },
          { role: 'senior_devops', announced: false, delivered: null },
        ]);
        expect(r.events).toEqual([{ kind: 'paged', role: 'on_call' }]);
        expect(r.card).toEqual([{ role: 'on_call', going: false }]);
        expect((await escalation.claim(10, LEASE_MS)).works.filter((w) => w.id === jobId)).toEqual([]);
      });

      it(`${change} while on-call's page waits for its retry (one of its DMs refused): the page is announced as gone out, nobody new paged, the job done`, async () => {
        const { incident, jobId } = await roundDue();
        chat.rec.refuse = 'U0BACKUP';
        await escalation.run(await claimJob(escalation, jobId));
        // The first try: on-call reached, the backup's DM refused (left for the retry), senior DevOps paged.
        const waiting = await recorded(incident.id, jobId);
        expect(waiting).toMatchObject({ state: 'pending', leased: false });
        expect(waiting.pages).toEqual([
          { role: 'on_call', announced: false, delivered: ['U0ONCALL'] },
          { role: 'senior_devops', announced: true, delivered: ['U0SENIOR'] },
        ]);
        await make(incident.id);
        // Slack would take the backup's DM now: none is to be sent.
        chat.rec.refuse = null;
        // The change leaves the job to its retry's claim, which only announces the page that went out.
        expect((await recorded(incident.id, jobId)).state).toBe('pending');
        await escalation.run(await claimJob(escalation, jobId));

        expect([...chat.rec.dms].sort()).toEqual(['U0ONCALL', 'U0SENIOR']);
        const said = chat.seen.notices.flatMap((n) => (n.kind === 'paged' ? [n] : []));
        expect(said).toMatchObject([
          { roleName: 'Senior DevOps Engineer', userIds: ['U0SENIOR'] },
          { roleName: 'On-Call Engineer', userIds: ['U0ONCALL'], missed: { userIds: ['U0BACKUP'] } },
        ]);
        const r = await recorded(incident.id, jobId);
        expect(r).toMatchObject({ state: 'done', leased: false });
        expect(r.pages).toEqual([
          { role: 'on_call', announced: true, delivered: ['U0ONCALL'] },
          { role: 'senior_devops', announced: true, delivered: ['U0SENIOR'] },
        ]);
        expect(r.events).toEqual([
          { kind: 'paged', role: 'senior_devops' },
          { kind: 'paged', role: 'on_call' },
        ]);
        expect(r.card).toEqual([
          { role: 'on_call', going: false },
          { role: 'senior_devops', going: false },
        ]);
        expect(r.taken).toEqual(['on_call', 'senior_devops']);
        // The backup is recorded as missed by the page, with Slack's answer, and the commander is to be told.
        const missed = await db.query<{ missed: string[] | null; missed_errors: string[] | null }>(
          `SELECT missed, missed_errors FROM pages WHERE job_id = $1 AND role = 'on_call'`,
          [jobId],
        );
        expect(missed.rows).toEqual([{ missed: ['U0BACKUP'], missed_errors: ['Slack answered 500'] }]);
        const told = await db.query(`SELECT 1 FROM escalation_jobs WHERE incident_id = $1 AND rule = 'page_failed'`, [
          incident.id,
        ]);
        expect(told.rows).toHaveLength(1);
        expect((await escalation.claim(10, LEASE_MS)).works.filter((w) => w.id === jobId)).toEqual([]);
      });

      it(`${change} while on-call's page waits for its retry, the process claiming it dying: the next claim announces it, once`, async () => {
        const { incident, jobId } = await roundDue();
        chat.rec.refuse = 'U0BACKUP';
        await escalation.run(await claimJob(escalation, jobId));
        await make(incident.id);
        chat.rec.refuse = null;
        // Claimed by a process that stops before doing anything: its lease runs out.
        await claimJob(escalation, jobId, 200);
        await sleep(300);
        await escalation.run(await claimJob(escalation, jobId));
        // Claimed again (a retry of the claim): nothing of the job is left.
        expect((await escalation.claim(10, LEASE_MS)).works.filter((w) => w.id === jobId)).toEqual([]);

        expect([...chat.rec.dms].sort()).toEqual(['U0ONCALL', 'U0SENIOR']);
        expect(pagedNotices()).toEqual([
          { roleName: 'Senior DevOps Engineer', userIds: ['U0SENIOR'] },
          { roleName: 'On-Call Engineer', userIds: ['U0ONCALL'] },
        ]);
        const r = await recorded(incident.id, jobId);
        expect(r.state).toBe('done');
        expect(r.events).toEqual([
          { kind: 'paged', role: 'senior_devops' },
          { kind: 'paged', role: 'on_call' },
        ]);
      });

      it(`${change} after the claim, before the run sends anything: nobody is paged, the job called off`, async () => {
        const { incident, jobId } = await roundDue();
        const work = await claimJob(escalation, jobId);
        await make(incident.id);
        await escalation.run(work);

        expect(chat.rec.dms).toEqual([]);
        expect(pagedNotices()).toEqual([]);
        const r = await recorded(incident.id, jobId);
        expect(r.state).toBe('cancelled');
        expect(r.leased).toBe(false);
        expect(r.pages.every((p) => !p.announced && p.delivered === null)).toBe(true);
        expect(r.events).toEqual([]);
        expect(r.card).toEqual([]);
        expect(r.taken).toEqual([]);
      });
    }
  },
  { only: ['postgres'] },
);
