import { describe, expect, it } from 'vitest';
import { AuditTrail } from '../../src/incidents/audit.service.js';
import { DomainError } from '../../src/incidents/errors.js';
import {
  AuditBusyError,
  insertAudit,
  listAudit,
  listIncidentAudit,
  settledAuditId,
} from '../../src/store/audit.repo.js';
import { insertIncident, nextIncidentNumber, updateIncident } from '../../src/store/incident.repo.js';
import { forEachDatabase } from './databases.js';

const silent = { info() {}, warn() {}, error() {} };

forEachDatabase(
  (ctx) => {
    const incidentIn = (channelId: string) =>
      ctx.db.transaction(async (tx) => {
        const number = await nextIncidentNumber(tx, 'T1');
        const i = await insertIncident(tx, { teamId: 'T1', number, title: 'db down', severity: 1, reporterId: 'U1' });
        return updateIncident(tx, i.id, { channelId, channelName: `inc-${number}` });
      });

    describe('audit_log', () => {
      it('is append-only: UPDATE and DELETE are refused', async () => {
        await insertAudit(ctx.db, { actor: 'U1', action: 'ack', surface: 'button', outcome: 'ok' });
        await expect(ctx.db.query("UPDATE audit_log SET outcome = 'refused'")).rejects.toThrow(/append-only/);
        await expect(ctx.db.query('DELETE FROM audit_log')).rejects.toThrow(/append-only/);
        const { rows } = await ctx.db.query<{ outcome: string }>('SELECT outcome FROM audit_log');
        expect(rows.map((r) => r.outcome)).toContain('ok');
      });

      it("takes the incident of the channel when the row names none, and lists an incident's rows", async () => {
        const inc = await incidentIn('C0AUDIT1');
        await insertAudit(ctx.db, {
          actor: 'U2',
          action: 'escalate',
          surface: 'command',
          channelId: 'C0AUDIT1',
          outcome: 'refused',
          reason: 'x',
        });
        await insertAudit(ctx.db, {
          actor: 'U3',
          action: 'list',
          surface: 'command',
          channelId: 'C0ELSEWHERE',
          outcome: 'ok',
        });
        const rows = await listIncidentAudit(ctx.db, inc.id, 50);
        expect(rows).toEqual([
          expect.objectContaining({
            actor: 'U2',
            action: 'escalate',
            incidentId: inc.id,
            outcome: 'refused',
            reason: 'x',
          }),
        ]);
        const page = await listAudit(ctx.db, { since: new Date(0), afterId: 0, limit: 1000 });
        expect(page.find((r) => r.actor === 'U3')?.incidentId).toBeNull();
      });

      it('a reader following the cursor gets a row that committed after one with a higher id was written', async () => {
        // Two replicas writing at once: A takes the lower id but commits late; B's row, with the higher id, is in first.
        const replicaB = ctx.test.connectAgain();
        const trail = new AuditTrail(
          ctx.db,
          { resolveContacts: async () => ({ userIds: [], unresolved: [] }) },
          [],
          silent,
        );
        const { rows } = await ctx.db.query<{ id: string }>('SELECT COALESCE(max(id), 0) AS id FROM audit_log');
        let cursor = Number(rows[0]!.id);
        let inserted!: () => void;
        const aInserted = new Promise<void>((r) => {
          inserted = r;
        });
        let commit!: () => void;
        const aCommits = new Promise<void>((r) => {
          commit = r;
        });
        const replicaA = ctx.db.transaction(async (tx) => {
          await insertAudit(tx, { actor: 'U0LATE', action: 'ack', surface: 'button', outcome: 'ok' });
          inserted();
          await aCommits;
        });
        await aInserted;
        await insertAudit(replicaB, { actor: 'U0EARLY', action: 'ack', surface: 'button', outcome: 'ok' });
        // A's insert is still in flight: a page waits for it rather than pass over its id.
        await expect(settledAuditId(ctx.db, 100)).rejects.toBeInstanceOf(AuditBusyError);
        setTimeout(commit, 300);
        const seen: string[] = [];
        for (let i = 0; i < 2; i++) {
          const page = await trail.page(new Date(0), cursor, 1000);
          seen.push(...page.map((r) => r.actor));
          cursor = page.at(-1)?.id ?? cursor;
          await replicaA;
        }
        expect(seen).toEqual(['U0LATE', 'U0EARLY']);
        // Nothing in flight: the bound is the last id taken, at once.
        expect(await settledAuditId(ctx.db, 100)).toBe(cursor);
        await replicaB.close();
      });

      it('the trail masks and clips what it stores, and shows an incident only to approvers', async () => {
        const inc = await incidentIn('C0AUDIT2');
        const trail = new AuditTrail(
          ctx.db,
          { resolveContacts: async () => ({ userIds: ['U0INGROUP'], unresolved: [] }) },
          ['U0APPROVER', 'S0GROUP'],
          silent,
        );
        await trail.record({
          actor: 'U4',
          action: 'declare',
          surface: 'command',
          channelId: 'C0AUDIT2',
          outcome: 'ok',
          details: { command: `/incident sev1 leaked xoxb-1111-2222-abcdefabcdef ${'x'.repeat(2000)}` },
        });
        const [row] = await trail.forIncident(inc.id, 'U0APPROVER');
        expect(String(row?.details.command)).toMatch(/^\/incident sev1 leaked xoxb-\*\*\* x+…$/);
        expect(String(row?.details.command).length).toBeLessThanOrEqual(501);
        expect(await trail.forIncident(inc.id, 'U0INGROUP')).toHaveLength(1);
        await expect(trail.forIncident(inc.id, 'U0SOMEONE')).rejects.toThrow(DomainError);
      });

      it('rows recorded at once go in few statements, in the order they were recorded, all stored', async () => {
        let statements = 0;
        const counting = {
          ...ctx.db,
          query: (text: string, params?: readonly unknown[]) => {
            if (text.includes('INSERT INTO audit_log')) statements++;
            return ctx.db.query(text, params);
          },
        };
        const trail = new AuditTrail(
          counting as typeof ctx.db,
          { resolveContacts: async () => ({ userIds: [], unresolved: [] }) },
          [],
          silent,
        );
        const actors = Array.from({ length: 200 }, (_, n) => `U0BATCH${n}`);
        await Promise.all(
          actors.map((actor) => trail.record({ actor, action: 'list', surface: 'command', outcome: 'ok' })),
        );
        await trail.flush();
        expect(statements).toBeGreaterThan(0);
        expect(statements).toBeLessThanOrEqual(3);
        const { rows } = await ctx.db.query<{ actor: string }>(
          "SELECT actor FROM audit_log WHERE actor LIKE 'U0BATCH%' ORDER BY id",
        );
        expect(rows.map((r) => r.actor)).toEqual(actors);
      });

      it('a NUL byte or a lone surrogate in what was typed is dropped, and the rows recorded with it are all stored', async () => {
        const logged: unknown[][] = [];
        const trail = new AuditTrail(ctx.db, { resolveContacts: async () => ({ userIds: [], unresolved: [] }) }, [], {
          ...silent,
          error: (...a: unknown[]) => logged.push(a),
        });
        await Promise.all([
          trail.record({ actor: 'U0NULBEFORE', action: 'ack', surface: 'button', outcome: 'ok' }),
          trail.record({
            actor: 'U0NULTYPED',
            action: 'maintenance',
            surface: 'command',
            outcome: 'refused',
            reason: 'bad \u0000 input \uD800',
            details: { command: '/incident maintenance start \u0000\u0007\u001b[31mred', nested: { at: '\u0000' } },
          }),
          trail.record({ actor: 'U0NULAFTER', action: 'ack', surface: 'button', outcome: 'ok' }),
        ]);
        await trail.flush();
        expect(logged).toEqual([]);
        const { rows } = await ctx.db.query<{ actor: string; reason: string | null; details: Record<string, unknown> }>(
          "SELECT actor, reason, details FROM audit_log WHERE actor LIKE 'U0NUL%' ORDER BY id",
        );
        expect(rows.map((r) => r.actor)).toEqual(['U0NULBEFORE', 'U0NULTYPED', 'U0NULAFTER']);
        expect(rows[1]?.reason).toBe('bad  input \uFFFD');
        expect(rows[1]?.details.command).toBe('/incident maintenance start red');
      });

      it('a row that cannot be stored is logged, and the action is not failed', async () => {
        const logged: unknown[][] = [];
        const down = { ...ctx.db, query: () => Promise.reject(new Error('database down')) };
        const trail = new AuditTrail(down, { resolveContacts: async () => ({ userIds: [], unresolved: [] }) }, [], {
          ...silent,
          error: (...a: unknown[]) => logged.push(a),
        });
        await trail.record({ actor: 'U5', action: 'ack', surface: 'button', outcome: 'ok' });
        expect(logged[0]?.[0]).toBe('audit row not stored');
      });

      it('a page since a recent time reads about its own rows, not every older row of the table', async () => {
        // Stamped after every row the other tests wrote (ids and stamps rise together, as the default stamp makes
        // them), and rolled back after: ten days of old rows, then half an hour of recent ones, a row every 50 ms.
        const rolledBack = new Error('rolled back');
        const done = ctx.db.transaction(async (tx) => {
          await tx.query(
            `INSERT INTO audit_log (at, actor, action, surface, outcome)
             SELECT now() + interval '1 day' + g * interval '5 seconds', 'U0OLD', 'ack', 'button', 'ok'
               FROM generate_series(1, 40000) g`,
          );
          await tx.query(
            `INSERT INTO audit_log (at, actor, action, surface, outcome)
             SELECT now() + interval '20 days' + g * interval '50 milliseconds', 'U0NEW', 'ack', 'button', 'ok'
               FROM generate_series(1, 20000) g`,
          );
          await tx.query('ANALYZE audit_log');
          // Rows each plan node produced or threw away, summed over the plan (EXPLAIN ANALYZE of the very statement).
          type PlanNode = {
            'Actual Rows'?: number;
            'Actual Loops'?: number;
            'Rows Removed by Filter'?: number;
            Plans?: PlanNode[];
          };
          const touched = (n: PlanNode): number =>
            (n['Actual Rows'] ?? 0) * (n['Actual Loops'] ?? 1) +
            (n['Rows Removed by Filter'] ?? 0) +
            (n.Plans ?? []).reduce((sum, c) => sum + touched(c), 0);
          let rowsTouched = 0;
          const explained = {
            ...tx,
            async query<R>(text: string, params?: readonly unknown[]) {
              const plan = await tx.query<{ 'QUERY PLAN': [{ Plan: PlanNode }] }>(
                `EXPLAIN (ANALYZE, FORMAT JSON) ${text}`,
                params,
              );
              rowsTouched += touched(plan.rows[0]!['QUERY PLAN'][0].Plan);
              return tx.query<R>(text, params);
            },
          };
          const { rows: at } = await tx.query<{ since: Date }>(
            "SELECT now() + interval '20 days' + interval '10 minutes' AS since",
          );
          const since = at[0]!.since;
          const page = await listAudit(explained, { since, afterId: 0, limit: 10 });
          // The same first rows as a plain reading of the table gives.
          const { rows } = await tx.query<{ id: string }>(
            'SELECT id FROM audit_log WHERE at >= $1 ORDER BY id LIMIT 10',
            [since],
          );
          expect(page.map((r) => r.id)).toEqual(rows.map((r) => Number(r.id)));
          expect(page.every((r) => r.actor === 'U0NEW' && r.at >= since)).toBe(true);
          expect(page).toHaveLength(10);
          expect(rowsTouched).toBeLessThan(2000);
          throw rolledBack;
        });
        await expect(done).rejects.toBe(rolledBack);
      });
    });
  },
  { migrate: true },
);
