import { randomUUID } from 'node:crypto';
import { beforeEach, describe, expect, it } from 'vitest';
import type { Severity } from '../../src/incidents/severity.js';
import type { Incident } from '../../src/incidents/types.js';
import type { Queryable } from '../../src/store/db.js';
import { insertDeclaring, markDeclaredHeld } from '../../src/store/declaration.repo.js';
import { insertEvent, listEvents } from '../../src/store/event.repo.js';
import {
  deleteIncident,
  findRecentSameDeclaration,
  getIncident,
  getIncidentByChannel,
  incidentIdIssued,
  insertIncident,
  isDeclaring,
  listOpenIncidents,
  nextIncidentNumber,
  numberIncident,
  updateIncident,
} from '../../src/store/incident.repo.js';
import { claimRequestKey, claimRequestKeyLocked } from '../../src/store/request-key.repo.js';
import { signal } from '../support/signal.js';
import { forEachDatabase } from './databases.js';

const TEAM = 'T0001';

forEachDatabase(
  (ctx) => {
    beforeEach(() => ctx.truncate());

    /** Declares an incident the way the service does: number and insert in one transaction. */
    const declare = (title: string, severity: Severity = 1, teamId = TEAM, reporterId = 'UREP') =>
      ctx.db.transaction(async (tx) => {
        const number = await nextIncidentNumber(tx, teamId);
        return insertIncident(tx, { teamId, number, title, severity, reporterId });
      });
    /** Moves an incident's creation time into the past, as if declared `seconds` ago. */
    const age = (id: number, seconds: number) =>
      ctx.db.query(`UPDATE incidents SET created_at = now() - make_interval(secs => $2) WHERE id = $1`, [id, seconds]);
    const withChannel = async (title: string, severity: Severity, channelId: string) => {
      const i = await declare(title, severity);
      return updateIncident(ctx.db, i.id, { channelId, channelName: `inc-${i.number}` });
    };

    describe('incident numbers', () => {
      it('counts 1, 2, 3 per workspace, independently per team', async () => {
        const a = [await declare('a1'), await declare('a2'), await declare('a3')];
        const b = [await declare('b1', 1, 'T0002'), await declare('b2', 1, 'T0002')];
        const a4 = await declare('a4');
        expect(a.map((i) => i.number)).toEqual([1, 2, 3]);
        expect(b.map((i) => i.number)).toEqual([1, 2]);
        expect(a4.number).toBe(4);
        expect(new Set([...a, ...b, a4].map((i) => i.id)).size).toBe(6);
      });

      it('a rolled-back declaration does not use up a number', async () => {
        await declare('one');
        await expect(
          ctx.db.transaction(async (tx) => {
            await nextIncidentNumber(tx, TEAM);
            throw new Error('abort');
          }),
        ).rejects.toThrow('abort');
        expect((await declare('two')).number).toBe(2);
      });

      it('20 concurrent declarations get 20 distinct, consecutive numbers', async () => {
        const db = ctx.test.connectAgain({ max: 20 });
        const teamId = `T-${randomUUID()}`;
        const made = await Promise.all(
          Array.from({ length: 20 }, (_, k) =>
            db.transaction(async (tx) => {
              const number = await nextIncidentNumber(tx, teamId);
              // Give the others time to pile up on the counter row.
              await tx.query('SELECT pg_sleep(0.01)');
              return insertIncident(tx, { teamId, number, title: `t${k}`, severity: 2, reporterId: 'U' });
            }),
          ),
        );
        expect(made.map((i) => i.number).sort((x, y) => x - y)).toEqual(Array.from({ length: 20 }, (_, k) => k + 1));
        const { rows } = await db.query<{ last_number: number }>(
          'SELECT last_number FROM incident_counters WHERE team_id = $1',
          [teamId],
        );
        expect(Number(rows[0]!.last_number)).toBe(20);
      });
    });

    describe('numbered last (the team counter held only as the transaction ends)', () => {
      it('one declaration numbers and commits while another, inserted earlier, is still open; no number is lost', async () => {
        const db = ctx.test.connectAgain({ max: 4 });
        const teamId = `T-${randomUUID()}`;
        const gate = signal();
        const inserted = signal();
        const early = db.transaction(async (tx) => {
          const i = await insertIncident(tx, { teamId, title: 'early', severity: 2, reporterId: 'U' });
          expect(i.number).toBeLessThan(0); // the stand-in
          inserted.fire();
          await gate.fired;
          return { ...i, number: await numberIncident(tx, i.id, teamId) };
        });
        await inserted.fired;
        // Another declaration, with a stand-in of its own, goes through whole while the first is open.
        const late = await db.transaction(async (tx) => {
          const i = await insertIncident(tx, { teamId, title: 'late', severity: 2, reporterId: 'U' });
          return { ...i, number: await numberIncident(tx, i.id, teamId) };
        });
        expect(late.number).toBe(1);
        // One that fails after its insert uses up no number.
        await expect(
          db.transaction(async (tx) => {
            const i = await insertIncident(tx, { teamId, title: 'failed', severity: 2, reporterId: 'U' });
            await numberIncident(tx, i.id, teamId);
            throw new Error('abort');
          }),
        ).rejects.toThrow('abort');
        gate.fire();
        expect((await early).number).toBe(2);
        const { rows } = await db.query<{ title: string; number: number }>(
          'SELECT title, number FROM incidents WHERE team_id = $1 ORDER BY number',
          [teamId],
        );
        expect(rows.map((r) => [r.title, Number(r.number)])).toEqual([
          ['late', 1],
          ['early', 2],
        ]);
      });
    });

    describe('insert and read', () => {
      it('inserts an open incident with defaults and reads it back the same', async () => {
        const i = await declare('db down', 0);
        expect(i).toMatchObject({
          teamId: TEAM,
          number: 1,
          title: 'db down',
          severity: 0,
          status: 'investigating',
          phase: 'detection',
          reporterId: 'UREP',
          commanderId: null,
          channelId: null,
          channelName: null,
          cardTs: null,
          acknowledgedAt: null,
          resolvedAt: null,
          customerImpact: false,
          dataLossRisk: false,
          nextUpdateAt: null,
        });
        expect(typeof i.id).toBe('number');
        expect(i.createdAt).toBeInstanceOf(Date);
        expect(Math.abs(i.createdAt.getTime() - Date.now())).toBeLessThan(60_000);
        expect(await getIncident(ctx.db, i.id)).toEqual(i);
        expect(await getIncident(ctx.db, i.id, { forUpdate: true })).toEqual(i);
      });

      it('keeps emoji, non-Latin and markup in titles as written', async () => {
        const title = '🔥 <!channel> データベース & "quotes" \'; DROP TABLE incidents; --';
        const i = await declare(title);
        expect((await getIncident(ctx.db, i.id))!.title).toBe(title);
      });

      it('returns null for an unknown id or channel', async () => {
        expect(await getIncident(ctx.db, 999_999)).toBeNull();
        expect(await getIncidentByChannel(ctx.db, 'CNOPE')).toBeNull();
      });

      it('finds an incident by its channel', async () => {
        const i = await withChannel('db down', 1, 'CINC1');
        await withChannel('other', 1, 'CINC2');
        expect((await getIncidentByChannel(ctx.db, 'CINC1'))?.id).toBe(i.id);
      });

      it('refuses two incidents in one channel', async () => {
        await withChannel('a', 1, 'CSAME');
        const b = await declare('b');
        await expect(updateIncident(ctx.db, b.id, { channelId: 'CSAME' })).rejects.toThrow();
      });

      it('rejects a severity outside 0..3 and an unknown status', async () => {
        const i = await declare('x');
        await expect(updateIncident(ctx.db, i.id, { severity: 4 as Severity })).rejects.toThrow();
        await expect(updateIncident(ctx.db, i.id, { status: 'closed' as Incident['status'] })).rejects.toThrow();
      });

      it('deletes an incident with its events', async () => {
        const i = await declare('x');
        await insertEvent(ctx.db, i.id, 'declared', 'UREP', { title: 'x' });
        await deleteIncident(ctx.db, i.id);
        expect(await getIncident(ctx.db, i.id)).toBeNull();
        expect(await listEvents(ctx.db, i.id)).toEqual([]);
      });
    });

    describe('updateIncident', () => {
      it('writes each field of the patch and returns the updated incident', async () => {
        const i = await declare('x');
        const at = new Date('2026-11-27T23:20:00.000Z');
        const next = new Date('2026-11-28T00:00:00.000Z');
        const updated = await updateIncident(ctx.db, i.id, {
          severity: 0,
          status: 'mitigated',
          phase: 'resolution',
          commanderId: 'UCMD',
          channelId: 'CX',
          channelName: 'inc-1-x',
          cardTs: '1700000000.000100',
          acknowledgedAt: at,
          acknowledgedBy: 'UCMD',
          mitigatedAt: at,
          customerImpact: true,
          dataLossRisk: true,
          affected: 'EU',
          currentImpact: 'errors',
          currentStatus: 'failing over',
          mitigationSteps: 'replica',
          nextUpdateAt: next,
          lastUpdateAt: at,
        });
        expect(updated).toMatchObject({
          id: i.id,
          number: i.number,
          title: 'x',
          severity: 0,
          status: 'mitigated',
          phase: 'resolution',
          commanderId: 'UCMD',
          channelId: 'CX',
          cardTs: '1700000000.000100',
          acknowledgedAt: at,
          mitigatedAt: at,
          customerImpact: true,
          dataLossRisk: true,
          currentStatus: 'failing over',
          nextUpdateAt: next,
          lastUpdateAt: at,
        });
        expect(await getIncident(ctx.db, i.id)).toEqual(updated);
      });

      it('leaves fields out of the patch (and undefined ones) untouched, and sets nulls', async () => {
        const i = await declare('x');
        await updateIncident(ctx.db, i.id, { commanderId: 'UCMD', affected: 'EU' });
        const u = await updateIncident(ctx.db, i.id, { commanderId: null, affected: undefined, severity: 2 });
        expect(u.commanderId).toBeNull();
        expect(u.affected).toBe('EU');
        expect(u.severity).toBe(2);
      });

      it('ignores keys that are not columns', async () => {
        const i = await declare('x');
        const patch = { reporterId: 'U0OTHER', id: 5, teamId: 'T9', severity: 3 } as unknown as Parameters<
          typeof updateIncident
        >[2];
        const u = await updateIncident(ctx.db, i.id, patch);
        expect(u).toMatchObject({ id: i.id, reporterId: i.reporterId, teamId: TEAM, severity: 3 });
      });

      it('with an empty patch returns the current incident', async () => {
        const i = await declare('x');
        expect(await updateIncident(ctx.db, i.id, {})).toEqual(i);
      });

      it('throws for an unknown incident', async () => {
        await expect(updateIncident(ctx.db, 999_999, { severity: 2 })).rejects.toThrow(/999999 not found/);
        await expect(updateIncident(ctx.db, 999_999, {})).rejects.toThrow(/not found/);
      });
    });

    describe('listOpenIncidents', () => {
      it('lists open incidents with a channel, most severe first, newest first within a severity', async () => {
        const s2 = await withChannel('s2', 2, 'C1');
        const s0old = await withChannel('s0 old', 0, 'C2');
        await age(s0old.id, 600);
        const s0new = await withChannel('s0 new', 0, 'C3');
        const s1 = await withChannel('s1', 1, 'C4');
        const s3 = await withChannel('s3 mitigated', 3, 'C5');
        await updateIncident(ctx.db, s3.id, { status: 'mitigated' });
        const resolved = await withChannel('resolved', 0, 'C6');
        await updateIncident(ctx.db, resolved.id, { status: 'resolved' });
        await declare('no channel yet', 0);
        const otherTeam = await declare('other team', 0, 'T0002');
        await updateIncident(ctx.db, otherTeam.id, { channelId: 'C7' });

        const open = await listOpenIncidents(ctx.db, TEAM);
        expect(open.incidents.map((i) => i.title)).toEqual(['s0 new', 's0 old', 's1', 's2', 's3 mitigated']);
        expect(open.incidents.map((i) => i.id)).toEqual([s0new.id, s0old.id, s1.id, s2.id, s3.id]);
        expect(open.total).toBe(5);
        expect((await listOpenIncidents(ctx.db, 'T0002')).incidents.map((i) => i.id)).toEqual([otherTeam.id]);
        expect(await listOpenIncidents(ctx.db, 'TNONE')).toEqual({ incidents: [], total: 0 });
      });

      it('honours the limit, and counts every open incident beyond it', async () => {
        for (let k = 0; k < 5; k++) await withChannel(`i${k}`, 2, `C${k}`);
        const resolved = await withChannel('resolved', 2, 'C9');
        await updateIncident(ctx.db, resolved.id, { status: 'resolved' });
        const first = await listOpenIncidents(ctx.db, TEAM, 3);
        expect(first.incidents).toHaveLength(3);
        expect(first.total).toBe(5);
      });
    });

    describe('findRecentSameDeclaration', () => {
      it('finds an open incident by the same reporter with the same title, ignoring case', async () => {
        const i = await declare('DB Down');
        expect((await findRecentSameDeclaration(ctx.db, TEAM, 'UREP', 'db down', 120))?.id).toBe(i.id);
        expect((await findRecentSameDeclaration(ctx.db, TEAM, 'UREP', 'DB DOWN', 120))?.id).toBe(i.id);
      });

      it('ignores other reporters, other titles, other teams and resolved incidents', async () => {
        const i = await declare('db down');
        expect(await findRecentSameDeclaration(ctx.db, TEAM, 'UOTHER', 'db down', 120)).toBeNull();
        expect(await findRecentSameDeclaration(ctx.db, TEAM, 'UREP', 'db down!', 120)).toBeNull();
        expect(await findRecentSameDeclaration(ctx.db, 'T0002', 'UREP', 'db down', 120)).toBeNull();
        await updateIncident(ctx.db, i.id, { status: 'resolved' });
        expect(await findRecentSameDeclaration(ctx.db, TEAM, 'UREP', 'db down', 120)).toBeNull();
      });

      it('only looks back withinSeconds', async () => {
        const i = await withChannel('db down', 1, 'CAGED');
        await age(i.id, 300);
        expect(await findRecentSameDeclaration(ctx.db, TEAM, 'UREP', 'db down', 120)).toBeNull();
        expect((await findRecentSameDeclaration(ctx.db, TEAM, 'UREP', 'db down', 600))?.id).toBe(i.id);
      });

      it('returns the newest when there are several', async () => {
        const old = await declare('db down');
        await age(old.id, 30);
        const newer = await declare('DB down');
        expect((await findRecentSameDeclaration(ctx.db, TEAM, 'UREP', 'db down', 120))?.id).toBe(newer.id);
      });
    });

    describe('events', () => {
      it('lists an incident’s events oldest first, with details round-tripped', async () => {
        const i = await declare('x');
        const other = await declare('y');
        const details = {
          title: '🔥 <!channel> & データ',
          severity: 0,
          nested: { list: [1, 'two', null, true], empty: {} },
          nothing: null,
        };
        await ctx.db.transaction(async (tx: Queryable) => {
          await insertEvent(tx, i.id, 'declared', 'UREP', details);
          await insertEvent(tx, i.id, 'channel_created', null, { channelId: 'C1', channelName: 'inc-1-x' });
          await insertEvent(tx, i.id, 'acknowledged', 'UCMD');
        });
        await insertEvent(ctx.db, other.id, 'note', 'UREP', { text: 'elsewhere' });
        const events = await listEvents(ctx.db, i.id);
        expect(events.map((e) => e.kind)).toEqual(['declared', 'channel_created', 'acknowledged']);
        expect(events[0]).toMatchObject({ incidentId: i.id, actorId: 'UREP', details });
        expect(events[1]!.actorId).toBeNull();
        expect(events[2]!.details).toEqual({});
        for (const e of events) expect(e.at).toBeInstanceOf(Date);
        expect(events[0]!.at.getTime()).toBeLessThanOrEqual(events[1]!.at.getTime());
        expect(events[0]!.id).toBeLessThan(events[1]!.id);
      });

      it('orders by time, not by insertion', async () => {
        const i = await declare('x');
        await insertEvent(ctx.db, i.id, 'note', 'U', { text: 'second' });
        await insertEvent(ctx.db, i.id, 'note', 'U', { text: 'first' });
        await ctx.db.query(`UPDATE incident_events SET at = at - interval '1 hour' WHERE details->>'text' = 'first'`);
        expect((await listEvents(ctx.db, i.id)).map((e) => e.details.text)).toEqual(['first', 'second']);
      });

      it('returns nothing for an incident without events', async () => {
        const i = await declare('x');
        expect(await listEvents(ctx.db, i.id)).toEqual([]);
      });
    });

    describe('claimRequestKey', () => {
      it('claims a key once', async () => {
        expect(await claimRequestKey(ctx.db, 'cmd:trigger-1')).toBe(true);
        expect(await claimRequestKey(ctx.db, 'cmd:trigger-1')).toBe(false);
        expect(await claimRequestKey(ctx.db, 'cmd:trigger-2')).toBe(true);
      });

      it('releases the key when the claiming transaction rolls back', async () => {
        await expect(
          ctx.db.transaction(async (tx) => {
            expect(await claimRequestKey(tx, 'k')).toBe(true);
            throw new Error('abort');
          }),
        ).rejects.toThrow('abort');
        expect(await claimRequestKey(ctx.db, 'k')).toBe(true);
      });

      it('with its lock in the same statement: a second claim under the same lock waits, then reads what the first wrote', async () => {
        const other = ctx.test.connectAgain();
        let release!: () => void;
        const held = new Promise<void>((r) => (release = r));
        let locked!: () => void;
        const holding = new Promise<void>((r) => (locked = r));
        const first = ctx.db.transaction(async (tx) => {
          expect(await claimRequestKeyLocked(tx, 'declare:T:U:db down', 'k:first')).toBe(true);
          locked();
          await held;
          await insertIncident(tx, { teamId: TEAM, number: 1, title: 'db down', severity: 1, reporterId: 'U' });
        });
        await holding;
        let claimedAt = 0;
        const second = other.transaction(async (tx) => {
          const claimed = await claimRequestKeyLocked(tx, 'declare:T:U:db down', 'k:second');
          claimedAt = Date.now();
          return { claimed, same: await findRecentSameDeclaration(tx, TEAM, 'U', 'db down', 60) };
        });
        await new Promise((r) => setTimeout(r, 150));
        expect(claimedAt).toBe(0); // still waiting for the lock
        release();
        await first;
        const { claimed, same } = await second;
        expect(claimed).toBe(true);
        expect(same?.title).toBe('db down');
        // The key once claimed is not claimed again, under the lock or not.
        expect(await ctx.db.transaction((tx) => claimRequestKeyLocked(tx, 'declare:T:U:other', 'k:first'))).toBe(false);
      });

      it('lets exactly one of many concurrent claims win', async () => {
        const db = ctx.test.connectAgain({ max: 10 });
        const key = `race:${randomUUID()}`;
        const wins = await Promise.all(
          Array.from({ length: 10 }, () => db.transaction((tx) => claimRequestKey(tx, key))),
        );
        expect(wins.filter(Boolean)).toHaveLength(1);
      });
    });

    describe('declaring in few statements', () => {
      const events = async (id: number) => (await listEvents(ctx.db, id)).map((e) => [e.kind, e.actorId, e.details]);
      const declarations = async () =>
        (await ctx.db.query<{ incident_id: number; owner: string }>('SELECT incident_id, owner FROM declarations'))
          .rows;

      it('insertDeclaring writes the row out of sight, its declared event and the declaration held by its owner', async () => {
        const i = await ctx.db.transaction((tx) =>
          insertDeclaring(
            tx,
            { teamId: TEAM, title: 'db down', severity: 1, reporterId: 'UREP', private: true, maintenance: 'upgrade' },
            { title: 'db down', severity: 1, private: 'asked' },
            'owner-1',
            15_000,
          ),
        );
        expect(i).toMatchObject({ title: 'db down', severity: 1, private: true, maintenance: 'upgrade' });
        expect(i.number).toBeLessThan(0); // a stand-in until numbered
        expect((await listOpenIncidents(ctx.db, TEAM)).incidents).toEqual([]);
        expect(await events(i.id)).toEqual([['declared', 'UREP', { title: 'db down', severity: 1, private: 'asked' }]]);
        expect(await declarations()).toEqual([{ incident_id: i.id, owner: 'owner-1' }]);
      });

      it('markDeclaredHeld makes it whole with its channel and event for its owner only, once', async () => {
        const make = (number: number) =>
          ctx.db.transaction((tx) =>
            insertDeclaring(
              tx,
              { teamId: TEAM, number, title: 't', severity: 2, reporterId: 'U' },
              {},
              'owner-1',
              15_000,
            ),
          );
        const i = await make(1);
        const channel = { channelId: 'C1', channelName: 'inc-t' };
        // Taken over (another owner holds it): nothing is written.
        expect(await ctx.db.transaction((tx) => markDeclaredHeld(tx, i.id, 'owner-2', channel))).toBeNull();
        expect((await getIncident(ctx.db, i.id))?.channelId).toBeNull();
        expect((await events(i.id)).map(([k]) => k)).toEqual(['declared']);
        const whole = await ctx.db.transaction((tx) => markDeclaredHeld(tx, i.id, 'owner-1', channel));
        expect(whole).toMatchObject({ id: i.id, channelId: 'C1', channelName: 'inc-t' });
        expect(await getIncidentByChannel(ctx.db, 'C1')).toMatchObject({ id: i.id });
        expect(await events(i.id)).toEqual([
          ['declared', 'U', {}],
          ['channel_created', null, channel],
        ]);
        // Whole already: not again.
        expect(await ctx.db.transaction((tx) => markDeclaredHeld(tx, i.id, 'owner-1', channel))).toBeNull();
        expect(await events(i.id)).toHaveLength(2);
        // No declaration row (ended, or never there): not its owner's to make whole.
        const j = await make(2);
        await ctx.db.query('DELETE FROM declarations WHERE incident_id = $1', [j.id]);
        expect(await ctx.db.transaction((tx) => markDeclaredHeld(tx, j.id, 'owner-1', channel))).toBeNull();
      });

      it('markDeclaredHeld waits for a takeover under way and then refuses', async () => {
        const i = await ctx.db.transaction((tx) =>
          insertDeclaring(tx, { teamId: TEAM, title: 't', severity: 2, reporterId: 'U' }, {}, 'owner-1', 15_000),
        );
        const other = ctx.test.connectAgain();
        let release!: () => void;
        const held = new Promise<void>((r) => (release = r));
        let updated!: () => void;
        const taken = new Promise<void>((r) => (updated = r));
        const takeover = other.transaction(async (tx) => {
          await tx.query(`UPDATE declarations SET owner = 'sweeper' WHERE incident_id = $1`, [i.id]);
          updated();
          await held;
        });
        // The takeover's row lock is held before the mark starts (a fixed
        // sleep was not enough on a loaded machine: the mark ran first).
        await taken;
        const mark = ctx.db.transaction((tx) =>
          markDeclaredHeld(tx, i.id, 'owner-1', { channelId: 'C2', channelName: 'inc-t' }),
        );
        await new Promise((r) => setTimeout(r, 100));
        release();
        await takeover;
        expect(await mark).toBeNull();
        expect(await isDeclaring(ctx.db, i.id)).toBe(true);
      });
    });
  },
  { migrate: true },
);

forEachDatabase((ctx) => {
  it("whether an id was issued reads this schema's sequence alone: schemas of others dropped meanwhile do not fail it", async () => {
    // Test files (or other tenants of the database) create and drop schemas with sequences all the time. Reading every
    // schema's sequences raced with such a drop ("schema … does not exist") and answered a click with an error.
    const other = ctx.test.connectAgain();
    let churning = true;
    const churn = (async () => {
      for (let i = 0; churning; i++) {
        const schema = `churn_${process.pid}_${i}`;
        await other.exec(`CREATE SCHEMA ${schema}; CREATE SEQUENCE ${schema}.s; SELECT nextval('${schema}.s')`);
        await other.exec(`DROP SCHEMA ${schema} CASCADE`);
      }
    })();
    try {
      for (let i = 0; i < 300; i++) expect(await incidentIdIssued(ctx.db, 1_000_000 + i)).toBe(false);
    } finally {
      churning = false;
      await churn;
      await other.close();
    }
  });
});
