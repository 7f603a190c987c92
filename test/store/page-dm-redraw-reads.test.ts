import { beforeEach, expect, it } from 'vitest';
import { EscalationService } from '../../src/incidents/escalation.service.js';
import { fixedContacts, type OnCallResolver } from '../../src/incidents/oncall.service.js';
import { insertRedrawJob } from '../../src/store/escalation-redraws.repo.js';
import { runDue } from '../support/drawing-chat.js';
import { addJob, QUIET, useDrawingScene } from '../support/page-scene.js';
import { testRunbook } from '../support/test-runbook.js';
import { forEachDatabase } from './databases.js';

/**
 * What a redraw of page direct messages reads: who is on call (for each DM's Escalate to …, which passes over a role
 * whose people on call all run the incident) is asked once for the whole redraw, not once per role and read of the
 * incident and again for each DM drawn.
 */
forEachDatabase(
  (suite) => {
    const runbook = testRunbook({ contacts: { on_call: ['U0ONCALL', 'U0ONCALL2'] } });
    let asks: string[][] = [];
    beforeEach(() => {
      asks = [];
    });
    const fixed = fixedContacts(runbook);
    const oncall: OnCallResolver = {
      contactsFor: fixed.contactsFor,
      onCallNow: (roles, at) => {
        asks.push([...roles]);
        return fixed.onCallNow(roles, at);
      },
    };
    // Senior DevOps runs it: a page of on-call offers to escalate to the engineering manager, passing over them.
    const scene = useDrawingScene(
      suite,
      { severity: 1, commanderId: 'U0SENIOR' },
      (db, port) => new EscalationService(db, port, runbook, QUIET, undefined, {}, undefined, undefined, oncall),
    );

    it("a severity change's redraw of two DMs asks who is on call once", async () => {
      const { db, rec, svc, incidentId } = scene;
      await addJob(db, incidentId, 'on_call');
      await runDue(svc);
      expect(rec.chat.dms.map((d) => [d.userId, d.escalateTo])).toEqual([
        ['U0ONCALL', 'Engineering Manager'],
        ['U0ONCALL2', 'Engineering Manager'],
      ]);
      // Lowered to SEV-2, with its redraw timer (as a change writes it).
      await db.query('UPDATE incidents SET severity = 2 WHERE id = $1', [incidentId]);
      await insertRedrawJob(db, incidentId, 'redraw_pages@severity');
      rec.chat.dms.length = 0;
      asks.length = 0;
      await runDue(svc);
      expect(rec.chat.dms.map((d) => [d.userId, d.flag, d.escalateTo]).sort()).toEqual([
        ['U0ONCALL', 'SEV-2', 'Engineering Manager'],
        ['U0ONCALL2', 'SEV-2', 'Engineering Manager'],
      ]);
      expect(asks).toHaveLength(1);
    });
  },
  { only: ['postgres'] },
);
