import { beforeEach, expect, it } from 'vitest';
import type { Database } from '../../src/store/db.js';
import { insertRedrawJob } from '../../src/store/escalation-redraws.repo.js';
import { insertIncident } from '../../src/store/incident.repo.js';
import { insertPages, recordDeliveries } from '../../src/store/page.repo.js';
import { pageDmDrawn } from '../../src/store/page-dm.repo.js';
import { eventually } from '../support/incident-flow.js';
import { signal } from '../support/signal.js';
import { forEachDatabase } from './databases.js';

/**
 * A page DM's redraw recorded (pageDmDrawn) while a timer's claim pages the role the DM was just drawn offering to
 * escalate to. The claim holds the incident's row (FOR UPDATE, as claimDueJobs takes it) without changing it, records
 * the page, and finds no DM offering that role as recorded before the redraw's record: it writes no timer. The
 * record waits for it under the incident's row, and must then read the page: a timer shows the DM again. (A record
 * made in one statement, the lock taken in it, read the pages as they were when the statement began, before the
 * claim committed, and wrote none: the DM was left offering to escalate to a role paged already.)
 */
forEachDatabase(
  (suite) => {
    let db: Database;
    let incidentId: number;
    let pageId: number;
    let jobId: number;
    beforeEach(async () => {
      await suite.truncate();
      db = suite.db;
      const i = await insertIncident(db, {
        teamId: 'T1',
        number: 1,
        title: 'ledger drift',
        severity: 1,
        reporterId: 'U0R',
      });
      incidentId = i.id;
      const job = async (key: string, role: string, state: string) =>
        Number(
          (
            await db.query<{ id: number }>(
              `INSERT INTO escalation_jobs (incident_id, key, rule, role, due_at, state)
               VALUES ($1, $2, $2, $3, now(), $4) RETURNING id`,
              [incidentId, key, role, state],
            )
          ).rows[0]!.id,
        );
      const declared = await job('declared', 'on_call', 'done');
      const pages = await insertPages(db, [{ incidentId, jobId: declared, role: 'on_call', rule: 'declared' }]);
      pageId = pages[0]!.id;
      // On-call's DM, as recorded: offering to escalate to the engineering manager.
      await recordDeliveries(
        db,
        pageId,
        ['U0ONCALL'],
        new Map([['U0ONCALL', { channel: 'D1', ts: '1.1' }]]),
        new Set(),
        1,
        'engineering_manager',
        '',
      );
      jobId = await job('unresolved', 'senior_devops', 'pending');
    });

    it('a claim paging the role offered while the record waits: the DM gets a timer', async () => {
      const paged = signal();
      const commit = signal();
      let pid = 0;
      const claim = db.transaction(async (tx) => {
        await tx.query('SELECT 1 FROM incidents WHERE id = $1 FOR UPDATE', [incidentId]);
        pid = Number((await tx.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid);
        // No DM offers senior DevOps as recorded: no timer.
        const wrote = await insertRedrawJob(tx, incidentId, `redraw_pages@page:${jobId}`, {
          offering: ['senior_devops'],
        });
        await insertPages(tx, [{ incidentId, jobId, role: 'senior_devops', rule: 'unresolved' }]);
        paged.fire();
        await commit.fired;
        return wrote;
      });
      await paged.fired;
      // The DM was drawn (read before the page) offering to escalate to senior DevOps.
      const record = pageDmDrawn(db, { pageId, userId: 'U0ONCALL', step: null }, 1, 'senior_devops', '');
      await eventually(async () => {
        const { rows } = await db.query('SELECT 1 FROM pg_stat_activity WHERE $1 = ANY (pg_blocking_pids(pid))', [pid]);
        return rows.length > 0 ? true : undefined;
      }, 'the record waiting for the claim');
      commit.fire();
      expect(await claim).toBe(false);
      expect(await record).toBe(true);
      const { rows } = await db.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM escalation_jobs WHERE incident_id = $1 AND rule = 'redraw_pages' AND state = 'pending'`,
        [incidentId],
      );
      expect(rows[0]?.n).toBe(1);
    });
  },
  { only: ['postgres'] },
);
