import { beforeEach, expect, it } from 'vitest';
import type { Queryable } from '../../src/store/db.js';
import { insertIncident } from '../../src/store/incident.repo.js';
import { failedPagesOf, pageFailedKey } from '../../src/store/page-failure.repo.js';
import { forEachDatabase } from './databases.js';

/**
 * A `page_failed` timer's pages (failedPagesOf) are found by its job's id through an index of pages (their
 * `(job_id, role)` key), not by a key string joined for every page of the incident; what it finds is as before.
 */
forEachDatabase((suite) => {
  beforeEach(() => suite.truncate());

  /** An incident with two paging jobs: one page of the first given up, one of the second that went out missing one. */
  async function twoJobs(): Promise<{ incidentId: number; first: number; second: number }> {
    const db = suite.db;
    const i = await insertIncident(db, { teamId: 'T1', number: 7, title: 'db down', severity: 2, reporterId: 'U0REP' });
    const job = async (key: string) =>
      Number(
        (
          await db.query<{ id: number }>(
            `INSERT INTO escalation_jobs (incident_id, key, rule, role, due_at, state)
             VALUES ($1, $2, 'declared', 'on_call', now(), 'cancelled') RETURNING id`,
            [i.id, key],
          )
        ).rows[0]!.id,
      );
    const first = await job('declared');
    const second = await job('manual:1');
    await db.query(
      `INSERT INTO pages (incident_id, job_id, role, rule, failed_at, failure, missed) VALUES
         ($1, $2, 'on_call', 'declared', now(), 'Slack answered 500', NULL),
         ($1, $2, 'senior_devops', 'declared', NULL, NULL, NULL),
         ($1, $3, 'cto', 'manual', NULL, 'Slack answered 503', ARRAY['U0CTO2'])`,
      [i.id, first, second],
    );
    return { incidentId: i.id, first, second };
  }

  it("finds each timer's own job's pages, by its key; a key of another form finds none", async () => {
    const { incidentId, first, second } = await twoJobs();
    expect(await failedPagesOf(suite.db, incidentId, pageFailedKey(first))).toEqual([
      { role: 'on_call', error: 'Slack answered 500', failed: true },
    ]);
    expect(await failedPagesOf(suite.db, incidentId, pageFailedKey(second))).toEqual([
      {
        role: 'cto',
        error: 'Slack answered 503',
        failed: false,
        missed: { userIds: ['U0CTO2'], errors: ['Slack answered 503'] },
      },
    ]);
    for (const key of [
      `page_failed@job:0${first}`,
      `page_failed@job:${first} `,
      `page_failed@job:${first}.0`,
      `redraw_card@job:${first}`,
      'page_failed@job:99999999999',
      'page_failed@job:',
      `${first}`,
    ]) {
      expect(await failedPagesOf(suite.db, incidentId, key)).toEqual([]);
    }
    expect(await failedPagesOf(suite.db, incidentId + 1, pageFailedKey(first))).toEqual([]);
  });

  it("reads its job's pages through an index on their job, not every page of the incident (the plan's index condition names job_id)", async () => {
    const { incidentId, first, second } = await twoJobs();
    // A long incident: thousands of pages of the second job (a role each), the planner told how many.
    await suite.db.query(
      `INSERT INTO pages (incident_id, job_id, role, rule)
       SELECT $1, $2, 'role_' || n, 'manual' FROM generate_series(1, 3000) AS n`,
      [incidentId, second],
    );
    await suite.db.query('ANALYZE pages');
    // The statement failedPagesOf sends, explained as sent.
    const sent: { sql: string; params: readonly unknown[] }[] = [];
    const recording: Queryable = new Proxy(suite.db, {
      get(target, prop) {
        if (prop === 'query')
          return (sql: string, params: readonly unknown[] = []) => {
            sent.push({ sql, params });
            return target.query(sql, params);
          };
        const v = Reflect.get(target, prop);
        return typeof v === 'function' ? v.bind(target) : v;
      },
    });
    await failedPagesOf(recording, incidentId, pageFailedKey(first));
    expect(sent).toHaveLength(1);
    const { rows } = await suite.db.query<{ 'QUERY PLAN': unknown }>(
      `EXPLAIN (FORMAT JSON) ${sent[0]!.sql}`,
      sent[0]!.params,
    );
    const plan = JSON.stringify(rows[0]!['QUERY PLAN']);
    expect(plan).toMatch(/"Index Cond":"[^"]*job_id/);
  });
});
