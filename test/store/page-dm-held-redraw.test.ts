import { expect, it } from 'vitest';
import { EscalationService } from '../../src/incidents/escalation.service.js';
import { getIncident } from '../../src/store/incident.repo.js';
import { holdNextDrawing, LEASE_MS, runDue } from '../support/drawing-chat.js';
import { addJob, QUIET, useDrawingScene } from '../support/page-scene.js';
import { testRunbook } from '../support/test-runbook.js';
import { forEachDatabase } from './databases.js';

/**
 * A redraw timer (`redraw_pages`) that finds a page DM held by another redraw (a page's showAnswered, drawing it while
 * Slack is slow) waits for it: it is tried again, and those tries are not counted against its limit, which is for
 * Slack refusing the DMs.
 */
forEachDatabase(
  (suite) => {
    const scene = useDrawingScene(
      suite,
      { severity: 2 },
      (db, port) => new EscalationService(db, port, testRunbook(), QUIET, undefined, { redrawTries: 2 }),
    );

    const timer = async (key: string) =>
      (
        await scene.db.query<{ state: string; attempts: number }>(
          'SELECT state, attempts FROM escalation_jobs WHERE incident_id = $1 AND key = $2',
          [scene.incidentId, key],
        )
      ).rows[0];

    it('a DM held by showAnswered longer than the timer has tries: the timer waits for it, and is not given up', async () => {
      const { db, rec, svc, incidentId } = scene;
      await addJob(db, incidentId, 'on_call');
      await runDue(svc);
      expect(rec.chat.drawn).toEqual(['Senior DevOps Engineer']);
      // Raised to SEV-1, with the change's timer: on-call's DM still says SEV-2.
      await db.query('UPDATE incidents SET severity = 1, severity_changed_at = now() WHERE id = $1', [incidentId]);
      const raised = (await getIncident(db, incidentId))!;
      await svc.sync(db, raised);
      const key = `redraw_pages@${raised.severityChangedAt?.toISOString()}`;
      // A page's showAnswered draws it meanwhile, Slack slow to take it: it holds the DM.
      const held = holdNextDrawing(rec.chat);
      const drawing = svc.showAnsweredPages(raised);
      await held.reached;
      // The timer fires three times (one more than its tries) while the DM is held, each due at once.
      for (let round = 0; round < 3; round++) {
        const { works } = await svc.claim(100, LEASE_MS);
        for (const w of works) await svc.run(w);
        await db.query('UPDATE escalation_jobs SET due_at = now() WHERE incident_id = $1 AND key = $2', [
          incidentId,
          key,
        ]);
      }
      // Still to draw the DM, none of its tries spent.
      expect(await timer(key)).toEqual({ state: 'pending', attempts: 0 });
      held.go();
      await drawing;
      // Free again: its one try finds the DM shown as the incident is, and it is done.
      await runDue(svc);
      expect(await timer(key)).toEqual({ state: 'done', attempts: 1 });
      const { rows } = await db.query<{ dm_severity: number }>(
        `SELECT d.dm_severity FROM page_deliveries d JOIN pages p ON p.id = d.page_id WHERE p.incident_id = $1`,
        [incidentId],
      );
      expect(rows).toEqual([{ dm_severity: 1 }]);
    });
  },
  { only: ['postgres'] },
);
