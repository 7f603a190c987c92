import { beforeEach, expect, it } from 'vitest';
import { announcePage } from '../../src/store/escalation.repo.js';
import { insertIncident } from '../../src/store/incident.repo.js';
import { forEachDatabase } from './databases.js';

/**
 * A page's announcement (its timeline event, its job's end, the page marked) against a change of its incident (the
 * incident locked first, then its escalation jobs): they take their locks in one order, so neither waits on the other
 * in a cycle (Postgres would end one with "deadlock detected").
 */
forEachDatabase(
  (ctx) => {
    beforeEach(() => ctx.truncate());

    it('a page announced while a change of its incident holds the incident: no deadlock, both done', async () => {
      const incident = await insertIncident(ctx.db, {
        teamId: 'T1',
        number: 1,
        title: 'db down',
        severity: 1,
        reporterId: 'U0REPORTER',
      });
      const job = (
        await ctx.db.query<{ id: number }>(
          `INSERT INTO escalation_jobs (incident_id, key, rule, role, due_at) VALUES ($1, 'declared', 'declared', 'on_call', now())
           RETURNING id`,
          [incident.id],
        )
      ).rows[0]!.id;
      const page = (
        await ctx.db.query<{ id: number }>(
          `INSERT INTO pages (incident_id, job_id, role, rule) VALUES ($1, $2, 'on_call', 'declared') RETURNING id`,
          [incident.id, job],
        )
      ).rows[0]!.id;

      let announced: Promise<void> | null = null;
      // The change: the incident locked first, a moment's work, then its escalation job, as IncidentService.change and
      // EscalationService.sync do.
      const change = ctx.db.transaction(async (tx) => {
        await tx.query('SELECT id FROM incidents WHERE id = $1 FOR UPDATE', [incident.id]);
        announced = announcePage(
          ctx.db,
          page,
          { incidentId: incident.id, kind: 'paged', details: { role: 'on_call' } },
          job,
        );
        await new Promise((r) => setTimeout(r, 300));
        await tx.query(`UPDATE escalation_jobs SET due_at = now() WHERE id = $1`, [job]);
      });
      await expect(change).resolves.toBeUndefined();
      await expect(announced!).resolves.toBeUndefined();
      const { rows } = await ctx.db.query<{ state: string; announced: boolean }>(
        `SELECT j.state, p.announced_at IS NOT NULL AS announced FROM escalation_jobs j JOIN pages p ON p.job_id = j.id`,
      );
      expect(rows).toEqual([{ state: 'done', announced: true }]);
    });
  },
  { only: ['postgres'] },
);
