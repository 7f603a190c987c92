import type { Runbook } from '../runbook/runbook.js';
import { incidentsWithAlertsAllResolved } from '../store/alert-incident.repo.js';
import type { Database } from '../store/db.js';
import { cancelJobs, claimDueJobs, peekDueJobs, type SyncRules, syncJobs } from '../store/escalation-jobs.repo.js';
import { insertRedrawJob } from '../store/escalation-redraws.repo.js';
import { hasEventSince } from '../store/event.repo.js';
import { getIncidents } from '../store/incident.repo.js';
import { insertPages, pagesOfIncidents, type StoredPage } from '../store/page.repo.js';
import type { FiredJob } from './escalation-jobs.js';
import {
  climbHeld,
  desiredJobs,
  openedAt,
  RECENT_PAGE_MS,
  RESYNCED_RULES,
  redrawsCard,
  redrawsPages,
  remindsCommander,
  rolesToPage,
  ruleDef,
  stillHolds,
  tellsPageFailed,
} from './escalation-policy.js';
import type { Lanes } from './lanes.js';
import { type JobPage, reachedBy } from './pager.js';
import type { IncidentMetrics } from './ports.js';
import type { ClaimWithNext } from './timer-loop.js';
import type { Incident } from './types.js';

/** What claiming due timers needs of the EscalationService that holds it. */
export interface ClaimDeps {
  db: Database;
  /** The service's Slack lanes: paused while the claim's transaction holds its locks. */
  lanes: Lanes;
  runbook: Runbook;
  metrics: IncidentMetrics;
  /** The rules a resync of an incident's timers moves and keeps (the service's, as `sync` uses). */
  syncRules: (incident: Incident) => SyncRules;
}

/** A stored page as a job's retry pages it: with what its earlier attempts did. */
const jobPage = (e: StoredPage): JobPage => ({
  pageId: e.id,
  role: e.role,
  announced: e.announced,
  deliveredTo: e.deliveredTo,
  unreachable: e.unreachable,
  unreachableWhy: e.unreachableWhy,
  since: e.createdAt,
  failure: e.failure,
});

/**
 * Fires due timers: in one transaction, locks up to `limit` of them and their incidents (skipping any another
 * transaction holds) but those of the incidents `held` (which wait: nor are they counted as due next), leases them,
 * re-checks each reason against the incident as it is now, cancels the ones whose
 * reason is gone (but for a page of theirs that went out unannounced: fired to announce it, `calledOff`) and records
 * which roles the others page. Returns the work to carry out (`run`).
 */
export async function claimDue(
  d: ClaimDeps,
  limit: number,
  leaseMs: number,
  held: readonly number[] = [],
): Promise<ClaimWithNext<FiredJob>> {
  // Nothing due (most rounds): one statement, not a transaction of three.
  const peek = await peekDueJobs(d.db, held);
  if (!peek.due) return { works: [], nextDueAt: peek.nextDueAt };
  const now = new Date();
  let nextDueAt: Date | null = null;
  const fired = await d.lanes.whilePaused(() =>
    d.db.transaction(async (tx) => {
      const claimed = await claimDueJobs(tx, limit, leaseMs, held);
      const jobs = claimed.jobs;
      nextDueAt = claimed.nextDueAt;
      if (jobs.length === 0) return [];
      const incidents = await getIncidents(tx, [...new Set(jobs.map((j) => j.incidentId))]); // locked by the claim
      const stored = await pagesOfIncidents(tx, [...incidents.keys()]);
      const paged = new Map<number, Set<string>>();
      const recently = new Map<number, Set<string>>();
      for (const p of stored) {
        // A page called off or given up before it went out paged nobody: its role is paged when its turn comes.
        if (!p.counts) continue;
        // A round climbs past the roles paged in this opening of the incident: reopened, a role paged before the
        // resolution is paged again when its turn comes (as Escalate now counts them, and as PagerDuty runs an
        // escalation policy again from its first level for an incident triggered again).
        const opened = openedAt(incidents.get(p.incidentId)!);
        if (p.createdAt >= opened) {
          const set = paged.get(p.incidentId) ?? new Set<string>();
          set.add(p.role);
          paged.set(p.incidentId, set);
        }
        if (now.getTime() - p.createdAt.getTime() < RECENT_PAGE_MS) {
          const recent = recently.get(p.incidentId) ?? new Set<string>();
          recent.add(p.role);
          recently.set(p.incidentId, recent);
        }
      }
      const cancelled: number[] = [];
      const fired: FiredJob[] = [];
      const newPages: { incidentId: number; jobId: number; role: string; rule: string }[] = [];
      // Roles this claim pages anew, by incident: two timers due at once (both overdue after an outage, say) that
      // name the same role page it once, not twice a moment apart.
      const pagingNow = new Map<number, Set<string>>();
      // Incidents whose alerts have all resolved: a round of nobody acknowledging pages on-call alone there.
      const rounds = jobs.filter((j) => ruleDef(j.rule)?.pages === 'role_and_next').map((j) => j.incidentId);
      const quiet = await incidentsWithAlertsAllResolved(tx, [...new Set(rounds)]);
      for (const job of jobs) {
        const incident = incidents.get(job.incidentId)!;
        if (!stillHolds(job, incident, d.runbook, now)) {
          // Its reason gone, but a page of it went out unannounced (it reached someone, and waited for its retry for
          // another DM or its line): that page is announced, nobody paged (calledOff), as PagerDuty records a
          // notification sent before the acknowledgement. Else it is called off.
          const owed = stored.filter((p) => p.jobId === job.id && !p.announced && reachedBy(p).length > 0);
          if (owed.length) fired.push({ id: job.id, job, incident, pages: owed.map(jobPage), calledOff: true });
          else cancelled.push(job.id);
          continue;
        }
        const work: FiredJob = { id: job.id, job, incident, pages: [] };
        fired.push(work);
        if (remindsCommander(job.rule) || redrawsPages(job.rule) || redrawsCard(job.rule) || tellsPageFailed(job.rule))
          continue;
        // A retried job pages the roles it chose the first time; a new one chooses now.
        const earlier = stored.filter((p) => p.jobId === job.id);
        const incidentPaged = paged.get(incident.id) ?? new Set<string>();
        const anew = pagingNow.get(incident.id) ?? new Set<string>();
        pagingNow.set(incident.id, anew);
        const alone = quiet.has(incident.id);
        const roles = earlier.length
          ? earlier.map((p) => p.role)
          : rolesToPage(job, d.runbook, incident, incidentPaged, {
              recently: recently.get(incident.id),
              alone,
            }).filter((r) => !anew.has(r));
        // A round that climbs to nobody for the runbook's conditions: said once for each opening of the incident (a
        // first attempt). Reopened, nobody acknowledging again is a new episode: the people now in the channel may
        // not have seen the first explanation, and without it on-call alone being paged again reads as a broken
        // climb. Every held round would be noise: the rounds repeat every response time.
        if (!earlier.length && job.attempts <= 1) {
          const notClimbed = climbHeld(job, d.runbook, incident, incidentPaged, alone);
          const opened = openedAt(incident);
          if (notClimbed.length && !(await hasEventSince(tx, incident.id, 'climb_held', opened)))
            work.climbHeld = notClimbed;
        }
        // A flag's roles paged moments before, held back (a first attempt only: a retry told the channel already).
        if (!earlier.length && job.attempts <= 1 && ruleDef(job.rule)?.onFlag) {
          const held = rolesToPage(job, d.runbook, incident, incidentPaged, { alone }).filter(
            (r) => !roles.includes(r) && !anew.has(r) && recently.get(incident.id)?.has(r),
          );
          // When each was paged last (the stored pages come in the order they were made).
          const lastOf = (role: string) =>
            stored.filter((p) => p.incidentId === incident.id && p.role === role).at(-1)!.createdAt;
          if (held.length) work.held = held.map((role) => ({ role, pagedAt: lastOf(role) }));
        }
        for (const role of roles) {
          const e = earlier.find((p) => p.role === role);
          if (e) {
            work.pages.push(jobPage(e));
          } else {
            newPages.push({ incidentId: incident.id, jobId: job.id, role, rule: job.rule });
            work.pages.push({
              pageId: 0,
              role,
              announced: false,
              deliveredTo: new Set(),
              unreachable: new Set(),
              unreachableWhy: new Map(),
              since: null,
              failure: null,
            });
            anew.add(role);
          }
          incidentPaged.add(role);
        }
        paged.set(incident.id, incidentPaged);
      }
      await cancelJobs(tx, cancelled);
      // A round fired (or found stale): the incident's next round is set now, nobody having changed it meanwhile.
      const resync = new Set(jobs.filter((j) => RESYNCED_RULES.has(j.rule)).map((j) => j.incidentId));
      for (const id of resync) {
        const incident = incidents.get(id)!;
        const due = await syncJobs(tx, id, desiredJobs(incident, d.runbook, now), d.syncRules(incident));
        if (due && (!nextDueAt || due < nextDueAt)) nextDueAt = due;
      }
      // A page of roles (a flag's, a round of nobody acknowledging climbing to the next, a timed rule's, Escalate
      // now's): the earlier pages' DMs offering to escalate to one of them are shown again, by a timer of its own
      // written with its pages (retried until Slack takes each, as a severity change's).
      for (const id of new Set(newPages.map((p) => p.jobId))) {
        const mine = newPages.filter((p) => p.jobId === id);
        const offering = mine.map((p) => p.role);
        if (await insertRedrawJob(tx, mine[0]!.incidentId, `redraw_pages@page:${id}`, { offering })) nextDueAt = now;
      }
      const inserted = await insertPages(tx, newPages);
      const byJob = new Map(fired.map((f) => [f.id, f]));
      for (const row of inserted) {
        const page = byJob.get(row.jobId)?.pages.find((p) => p.role === row.role);
        if (page) page.pageId = row.id;
      }
      return fired;
    }),
  );
  // How late each timer fired: the timer loop's health (a busy database, a replica down, a long poll).
  for (const f of fired)
    d.metrics.escalationLate(f.job.rule, Math.max(0, now.getTime() - f.job.dueAt.getTime()) / 1000);
  return { works: fired, nextDueAt };
}
