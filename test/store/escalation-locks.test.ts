import { beforeEach, expect, it } from 'vitest';
import { finishReminder } from '../../src/store/escalation-jobs.repo.js';
import { insertIncident } from '../../src/store/incident.repo.js';
import { finishNotification } from '../../src/store/notification.repo.js';
import { announcePage } from '../../src/store/page.repo.js';
import { forEachDatabase } from './databases.js';

/**
 * A page's announcement (its timeline event, its job's end, the page marked) against a change of its incident (the
 * incident locked first, then its escalation jobs): they take their locks in one order, so neither waits on the other
 * in a cycle (Postgres would end one with "deadlock detected").
 */
forEachDatabase(
  (ctx) => {
    beforeEach(() => ctx.truncate());

    const openIncident = () =>
      insertIncident(ctx.db, { teamId: 'T1', number: 1, title: 'db down', severity: 1, reporterId: 'U0REPORTER' });
    /** The id of the row an INSERT … RETURNING id wrote. */
    const inserted = async (sql: string, params: unknown[]) =>
      (await ctx.db.query<{ id: number }>(sql, params)).rows[0]!.id;
    const reminderJob = (incidentId: number) =>
      inserted(
        `INSERT INTO escalation_jobs (incident_id, key, rule, role, due_at) VALUES ($1, 'update', 'update_due', NULL, now())
         RETURNING id`,
        [incidentId],
      );

    it('a page announced while a change of its incident holds the incident: no deadlock, both done', async () => {
      const incident = await openIncident();
      const job = await inserted(
        `INSERT INTO escalation_jobs (incident_id, key, rule, role, due_at) VALUES ($1, 'declared', 'declared', 'on_call', now())
           RETURNING id`,
        [incident.id],
      );
      const page = await inserted(
        `INSERT INTO pages (incident_id, job_id, role, rule) VALUES ($1, $2, 'on_call', 'declared') RETURNING id`,
        [incident.id, job],
      );

      let announced: Promise<boolean> | null = null;
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
      await expect(announced!).resolves.toBe(false);
      const { rows } = await ctx.db.query<{ state: string; announced: boolean }>(
        `SELECT j.state, p.announced_at IS NOT NULL AS announced FROM escalation_jobs j JOIN pages p ON p.job_id = j.id`,
      );
      expect(rows).toEqual([{ state: 'done', announced: true }]);
    });

    it('a reminder and a notification step finished while a change holds the incident: no deadlock, all done', async () => {
      const incident = await openIncident();
      const reminder = await reminderJob(incident.id);
      const step = await inserted(
        `INSERT INTO notification_jobs (incident_id, key, role, user_id, via, due_at)
           VALUES ($1, 'step:x:U1:1', 'on_call', 'U1', 'email', now()) RETURNING id`,
        [incident.id],
      );
      const job = {
        id: step,
        incidentId: incident.id,
        pageId: null,
        key: 'step:x:U1:1',
        role: 'on_call',
        userId: 'U1',
        via: 'email' as const,
        action: 'notify' as const,
        dedupKey: null,
        dueAt: new Date(),
        attempts: 1,
        pagedAt: null,
        rule: 'declared',
        acknowledgedInPagerDuty: false,
      };
      let finished: Promise<unknown> | null = null;
      // The change: the incident first, then both kinds of job, as IncidentService.change does.
      const change = ctx.db.transaction(async (tx) => {
        await tx.query('SELECT id FROM incidents WHERE id = $1 FOR UPDATE', [incident.id]);
        finished = Promise.all([
          finishReminder(ctx.db, reminder, { incidentId: incident.id, details: { to: 'U1' } }),
          finishNotification(ctx.db, job, 'sent', null, { kind: 'page_emailed', details: { to: 'U1' } }),
        ]);
        await new Promise((r) => setTimeout(r, 300));
        await tx.query(`UPDATE escalation_jobs SET due_at = now() WHERE id = $1`, [reminder]);
        await tx.query(`UPDATE notification_jobs SET due_at = now() WHERE id = $1`, [step]);
      });
      await expect(change).resolves.toBeUndefined();
      await expect(finished!).resolves.toBeDefined();
      const states = await ctx.db.query<{ e: string; n: string; events: string[] }>(
        `SELECT (SELECT state FROM escalation_jobs WHERE id = $1) AS e, (SELECT state FROM notification_jobs WHERE id = $2) AS n,
                (SELECT array_agg(kind ORDER BY kind) FROM incident_events WHERE incident_id = $3) AS events`,
        [reminder, step, incident.id],
      );
      expect(states.rows[0]).toEqual({ e: 'done', n: 'done', events: ['page_emailed', 'reminder_sent'] });
    });

    it('with the incident gone, finishing its job writes nothing and does not fail', async () => {
      const incident = await openIncident();
      const reminder = await reminderJob(incident.id);
      await ctx.db.query('DELETE FROM incidents WHERE id = $1', [incident.id]);
      await expect(finishReminder(ctx.db, reminder, { incidentId: incident.id, details: {} })).resolves.toBeUndefined();
      expect((await ctx.db.query('SELECT 1 FROM incident_events')).rows).toEqual([]);
    });
  },
  { only: ['postgres'] },
);
