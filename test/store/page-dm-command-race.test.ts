import { expect, it } from 'vitest';
import { EscalationService } from '../../src/incidents/escalation.service.js';
import type { Database, Queryable } from '../../src/store/db.js';
import { getIncident } from '../../src/store/incident.repo.js';
import { holdNextDrawing, LEASE_MS, runDue } from '../support/drawing-chat.js';
import { eventually } from '../support/incident-flow.js';
import { addJob, QUIET, useDrawingScene } from '../support/page-scene.js';
import { signal } from '../support/signal.js';
import { testRunbook } from '../support/test-runbook.js';
import { forEachDatabase } from './databases.js';

/**
 * A change of command in a transaction of its own, held open after its redraw timer was (or was not) written, as
 * IncidentService.change writes it: the incident locked, its commander set, then commandMoved. `commit()` ends it.
 */
async function commandChange(db: Database, svc: EscalationService, incidentId: number, to: string) {
  const written = signal();
  const commit = signal();
  let pid = 0;
  const done = db.transaction(async (tx: Queryable) => {
    const before = (await getIncident(tx, incidentId, { forUpdate: true }))!;
    pid = Number((await tx.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid);
    await tx.query('UPDATE incidents SET commander_id = $2 WHERE id = $1', [incidentId, to]);
    const after = (await getIncident(tx, incidentId))!;
    await svc.commandMoved(tx, after, before);
    written.fire();
    await commit.fired;
  });
  await written.fired;
  return { pid, commit: commit.fire, done };
}

/**
 * A drawing of a page DM racing a change of command: the drawing read the incident before the change committed, and
 * the change looked for DMs drawn with another commander before the drawing was recorded. Neither saw the other; the
 * DM must still end drawn with the commander the incident has.
 */
forEachDatabase(
  (suite) => {
    const runbook = testRunbook();
    const scene = useDrawingScene(
      suite,
      { severity: 1, commanderId: 'U0SENIOR' },
      (db, port) => new EscalationService(db, port, runbook, QUIET),
    );

    /** Whether `pid`'s transaction holds up another session (the drawing's record waiting for the change). */
    const blocking = async (pid: number) =>
      (await scene.db.query('SELECT 1 FROM pg_stat_activity WHERE $1 = ANY (pg_blocking_pids(pid))', [pid])).rows
        .length > 0;

    /** Lets the change commit once the drawing is over, or is waiting for it. */
    const commitWhenDrawnOrWaiting = async (change: { pid: number; commit: () => void }, drawing: Promise<unknown>) => {
      let over = false;
      void drawing.finally(() => {
        over = true;
      });
      await eventually(async () => (over || (await blocking(change.pid)) ? true : undefined), 'the drawing recorded');
      change.commit();
    };

    const pageOnCall = async () => {
      await addJob(scene.db, scene.incidentId, 'on_call');
      const { works } = await scene.svc.claim(100, LEASE_MS);
      expect(works).toHaveLength(1);
      return works[0]!;
    };

    it("a hand-over's redraw, with the commander handed back as it draws: the DM is drawn again with the one back", async () => {
      const { db, rec, svc, incidentId } = scene;
      await svc.run(await pageOnCall());
      expect(rec.chat.drawn).toEqual(['Engineering Manager']);
      // Handed to the reporter: its timer shows the DM again (it passed over senior DevOps, who no longer runs it).
      const away = await commandChange(db, svc, incidentId, 'U0REPORTER');
      away.commit();
      await away.done;
      const { works } = await svc.claim(100, LEASE_MS);
      expect(works.map((w) => w.job.rule)).toEqual(['redraw_pages']);
      const held = holdNextDrawing(rec.chat);
      const drawing = svc.run(works[0]!);
      await held.reached;
      // Handed back to senior DevOps while the DM is being drawn for the reporter: it is recorded as drawn with senior
      // DevOps still, so the change finds nothing behind.
      const back = await commandChange(db, svc, incidentId, 'U0SENIOR');
      held.go();
      await commitWhenDrawnOrWaiting(back, drawing);
      await Promise.all([drawing, back.done]);
      await runDue(svc);
      expect(rec.chat.drawn.slice(0, 2)).toEqual(['Engineering Manager', 'Senior DevOps Engineer']);
      // Senior DevOps runs it again: the DM passes over them, as it did.
      expect(rec.chat.drawn.at(-1)).toBe('Engineering Manager');
    });
  },
  { only: ['postgres'] },
);
