import { beforeEach, expect, it } from 'vitest';
import { EscalationService } from '../../src/incidents/escalation.service.js';
import { fixedContacts, type OnCallResolver } from '../../src/incidents/oncall.service.js';
import type { Database } from '../../src/store/db.js';
import { insertRedrawJob } from '../../src/store/escalation-redraws.repo.js';
import { insertIncident } from '../../src/store/incident.repo.js';
import { drawingChat, runDue } from '../support/drawing-chat.js';
import { testRunbook } from '../support/test-runbook.js';
import { forEachDatabase } from './databases.js';

const quiet = { info() {}, warn() {}, error() {} };
/**
 * What a redraw of page direct messages reads: who is on call (for each DM's Escalate to …, which passes over a role
 * whose people on call all run the incident) is asked once for the whole redraw, not once per role and read of the
 * incident and again for each DM drawn.
 */
forEachDatabase(
  (suite) => {
    const runbook = testRunbook({ contacts: { on_call: ['U0ONCALL', 'U0ONCALL2'] } });
    let db: Database;
    let rec: ReturnType<typeof drawingChat>;
    let asks: string[][];
    let svc: EscalationService;
    let incidentId: number;
    beforeEach(async () => {
      await suite.truncate();
      db = suite.db;
      rec = drawingChat();
      asks = [];
      const fixed = fixedContacts(runbook);
      const oncall: OnCallResolver = {
        contactsFor: fixed.contactsFor,
        onCallNow: (roles, at) => {
          asks.push([...roles]);
          return fixed.onCallNow(roles, at);
        },
      };
      svc = new EscalationService(db, rec.port, runbook, quiet, undefined, {}, undefined, undefined, oncall);
      const i = await insertIncident(db, {
        teamId: 'T1',
        number: 1,
        title: 'ledger drift',
        severity: 1,
        reporterId: 'U0REPORTER',
      });
      incidentId = i.id;
      // Senior DevOps runs it: a page of on-call offers to escalate to the engineering manager, passing over them.
      await db.query(
        `UPDATE incidents SET channel_id = 'CINC1', card_ts = '1.1', commander_id = 'U0SENIOR' WHERE id = $1`,
        [incidentId],
      );
    });

    it("a severity change's redraw of two DMs asks who is on call once", async () => {
      await db.query(
        `INSERT INTO escalation_jobs (incident_id, key, rule, role, due_at) VALUES ($1, 'declared', 'declared', 'on_call', now())`,
        [incidentId],
      );
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
