import { beforeEach, describe, expect, it } from 'vitest';
import type { Severity } from '../../src/incidents/severity.js';
import { cardSectionFacts, cardSectionFactsOf, cardSectionsPart } from '../../src/store/card-sections.repo.js';
import { jointPart, partsOf, type StatementPart } from '../../src/store/db.js';
import { nextDueOf, syncJobs, syncJobsPart } from '../../src/store/escalation-jobs.repo.js';
import { escalationSummary } from '../../src/store/escalation-summary.repo.js';
import { listEvents } from '../../src/store/event.repo.js';
import { peopleOfIncident, peopleOfIncidents } from '../../src/store/home.repo.js';
import {
  changeIncident,
  getVersionedIncident,
  incidentIfChanged,
  insertIncident,
  lockIncidentForChange,
  nextIncidentNumber,
  patched,
  updateIncident,
} from '../../src/store/incident.repo.js';
import { forEachDatabase } from './databases.js';

const TEAM = 'T0001';

/** The statements a change of an incident is made of, each doing in one round trip what used to take several. */
forEachDatabase(
  (ctx) => {
    beforeEach(() => ctx.truncate());

    const declare = (title = 'db down', severity: Severity = 2, reporterId = 'UREP') =>
      ctx.db.transaction(async (tx) => {
        const number = await nextIncidentNumber(tx, TEAM);
        return insertIncident(tx, { teamId: TEAM, number, title, severity, reporterId });
      });

    describe('lockIncidentForChange', () => {
      it('claims the request key and returns the incident; the same key again claims nothing and locks nothing', async () => {
        const i = await declare();
        const first = await ctx.db.transaction((tx) => lockIncidentForChange(tx, i.id, 'act:1'));
        expect(first.claimed).toBe(true);
        expect(first.incident).toEqual(i);
        const again = await ctx.db.transaction((tx) => lockIncidentForChange(tx, i.id, 'act:1'));
        expect(again).toEqual({ claimed: false, incident: null });
      });

      it('says when there is no such incident, with or without a key', async () => {
        expect(await ctx.db.transaction((tx) => lockIncidentForChange(tx, 999_999, 'act:2'))).toEqual({
          claimed: true,
          incident: null,
        });
        expect(await ctx.db.transaction((tx) => lockIncidentForChange(tx, 999_999))).toEqual({
          claimed: true,
          incident: null,
        });
      });

      it('holds the row: a second change waits for the first and then sees what it wrote', async () => {
        const i = await declare();
        const other = ctx.test.connectAgain();
        let release!: () => void;
        const held = new Promise<void>((r) => (release = r));
        let locked!: () => void;
        const holding = new Promise<void>((r) => (locked = r));
        const first = ctx.db.transaction(async (tx) => {
          await lockIncidentForChange(tx, i.id, 'k:first');
          locked();
          await held;
          await changeIncident(tx, i.id, { severity: 1 });
        });
        await holding;
        const second = other.transaction((tx) => lockIncidentForChange(tx, i.id, 'k:second'));
        await new Promise((r) => setTimeout(r, 100));
        release();
        await first;
        expect((await second).incident?.severity).toBe(1);
      });

      it('gives the key back when the transaction rolls back', async () => {
        const i = await declare();
        await expect(
          ctx.db.transaction(async (tx) => {
            expect((await lockIncidentForChange(tx, i.id, 'k:rb')).claimed).toBe(true);
            throw new Error('abort');
          }),
        ).rejects.toThrow('abort');
        expect((await ctx.db.transaction((tx) => lockIncidentForChange(tx, i.id, 'k:rb'))).claimed).toBe(true);
      });
    });

    describe('changeIncident', () => {
      it('writes the patch and its events in order, and returns the row with its version', async () => {
        const i = await declare();
        const { incident, version } = await changeIncident(ctx.db, i.id, { severity: 1, commanderId: 'UCMD' }, [
          { kind: 'severity_changed', actorId: 'UCMD', details: { from: 2, to: 1 } },
          { kind: 'acknowledged', actorId: 'UCMD' },
          { kind: 'phase_changed', actorId: null, details: { note: 'a "quoted", {braced} text' } },
        ]);
        expect(incident).toMatchObject({ id: i.id, severity: 1, commanderId: 'UCMD' });
        expect(version).toMatch(/^\d+$/);
        const events = await listEvents(ctx.db, i.id);
        expect(events.map((e) => [e.kind, e.actorId, e.details])).toEqual([
          ['severity_changed', 'UCMD', { from: 2, to: 1 }],
          ['acknowledged', 'UCMD', {}],
          ['phase_changed', null, { note: 'a "quoted", {braced} text' }],
        ]);
      });

      it('with nothing to set, writes only the events; updateIncident is the same without events', async () => {
        const i = await declare();
        const { incident } = await changeIncident(ctx.db, i.id, {}, [{ kind: 'flag_set', actorId: 'U1' }]);
        expect(incident).toEqual(i);
        expect((await listEvents(ctx.db, i.id)).map((e) => e.kind)).toEqual(['flag_set']);
        expect(await updateIncident(ctx.db, i.id, { severity: 3 })).toMatchObject({ severity: 3 });
        expect(await listEvents(ctx.db, i.id)).toHaveLength(1);
        await expect(changeIncident(ctx.db, 999_999, { severity: 1 })).rejects.toThrow('not found');
      });
    });

    describe('incidentIfChanged', () => {
      it('is null while the row is at the version given, and the newer row once another change wrote it', async () => {
        const i = await declare();
        const read = (await getVersionedIncident(ctx.db, i.id))!;
        expect(read.incident).toEqual(i);
        expect(await incidentIfChanged(ctx.db, i.id, read.version)).toBeNull();
        const written = await changeIncident(ctx.db, i.id, { severity: 0 });
        const newer = await incidentIfChanged(ctx.db, i.id, read.version);
        expect(newer).toEqual(written);
        expect(await incidentIfChanged(ctx.db, i.id, written.version)).toBeNull();
        expect(await incidentIfChanged(ctx.db, 999_999, read.version)).toBeNull();
        expect(await getVersionedIncident(ctx.db, 999_999)).toBeNull();
      });
    });

    describe('syncJobs', () => {
      const rules = { movable: new Set(['update_due']), kept: new Set(['manual']) };
      const jobs = async (incidentId: number) =>
        (
          await ctx.db.query<{ key: string; state: string; due_at: Date }>(
            'SELECT key, state, due_at FROM escalation_jobs WHERE incident_id = $1 ORDER BY key',
            [incidentId],
          )
        ).rows.map((r) => [r.key, r.state, new Date(r.due_at).getTime()]);
      const at = (s: number) => new Date(Date.UTC(2030, 0, 1, 0, 0, s));

      it('adds, moves the movable, keeps the others and those made by hand, cancels the rest; returns the earliest due', async () => {
        const i = await declare();
        expect(
          await syncJobs(
            ctx.db,
            i.id,
            [
              { key: 'ack:lead', rule: 'unacknowledged', role: 'lead', dueAt: at(30) },
              { key: 'update', rule: 'update_due', role: null, dueAt: at(60) },
              { key: 'old', rule: 'unacknowledged', role: 'cto', dueAt: at(90) },
            ],
            rules,
          ),
        ).toEqual(at(30));
        await ctx.db.query(
          `INSERT INTO escalation_jobs (incident_id, key, rule, role, due_at) VALUES ($1, 'manual:cto', 'manual', 'cto', $2)`,
          [i.id, at(5)],
        );
        await ctx.db.query(`UPDATE escalation_jobs SET state = 'done' WHERE incident_id = $1 AND key = 'ack:lead'`, [
          i.id,
        ]);
        const next = await syncJobs(
          ctx.db,
          i.id,
          [
            // done: never added again, nor counted
            { key: 'ack:lead', rule: 'unacknowledged', role: 'lead', dueAt: at(10) },
            // movable: moved
            { key: 'update', rule: 'update_due', role: null, dueAt: at(120) },
            { key: 'new', rule: 'unacknowledged', role: 'em', dueAt: at(100) },
          ],
          rules,
        );
        expect(next).toEqual(at(5));
        expect(await jobs(i.id)).toEqual([
          ['ack:lead', 'done', at(30).getTime()],
          ['manual:cto', 'pending', at(5).getTime()],
          ['new', 'pending', at(100).getTime()],
          ['old', 'cancelled', at(90).getTime()],
          ['update', 'pending', at(120).getTime()],
        ]);
      });

      it('as part of the statement that writes the change: the same timers, and the earliest due time selected', async () => {
        const i = await declare();
        const patch = { severity: 1 as Severity, commanderId: 'UCMD', acknowledgedAt: new Date(), nextUpdateAt: at(7) };
        const written = await changeIncident(
          ctx.db,
          i.id,
          patch,
          [{ kind: 'acknowledged', actorId: 'UCMD' }],
          (first) =>
            syncJobsPart('$1', first, [{ key: 'update', rule: 'update_due', role: null, dueAt: at(40) }], rules),
        );
        expect(written.incident).toEqual(patched(i, patch));
        expect(nextDueOf(written.more)).toEqual(at(40));
        expect(await jobs(i.id)).toEqual([['update', 'pending', at(40).getTime()]]);
        expect((await listEvents(ctx.db, i.id)).map((e) => e.kind)).toEqual(['acknowledged']);
        const again = await changeIncident(ctx.db, i.id, { severity: 2 }, [], (first) =>
          syncJobsPart('$1', first, [], rules),
        );
        expect(nextDueOf(again.more)).toBeNull();
        expect(await jobs(i.id)).toEqual([['update', 'cancelled', at(40).getTime()]]);
      });

      it('revives a cancelled timer the incident asks for again only when told to for its rule (a reopening), due anew', async () => {
        const i = await declare();
        await syncJobs(ctx.db, i.id, [{ key: 'u', rule: 'unresolved', role: 'sd', dueAt: at(30) }], rules);
        await syncJobs(ctx.db, i.id, [], rules);
        expect(await jobs(i.id)).toEqual([['u', 'cancelled', at(30).getTime()]]);
        const wanted = [{ key: 'u', rule: 'unresolved', role: 'sd', dueAt: at(90) }];
        // Asked for again by any other change: once per reason, it stays cancelled.
        expect(await syncJobs(ctx.db, i.id, wanted, rules)).toBeNull();
        expect(await jobs(i.id)).toEqual([['u', 'cancelled', at(30).getTime()]]);
        // Told to revive another rule's timers: it stays cancelled.
        expect(await syncJobs(ctx.db, i.id, wanted, { ...rules, revive: new Set(['rto_passed']) })).toBeNull();
        expect(await jobs(i.id)).toEqual([['u', 'cancelled', at(30).getTime()]]);
        // By the reopening (every rule): pending again, at its new due time, which is selected as the earliest.
        expect(await syncJobs(ctx.db, i.id, wanted, { ...rules, revive: new Set(['unresolved']) })).toEqual(at(90));
        expect(await jobs(i.id)).toEqual([['u', 'pending', at(90).getTime()]]);
      });

      it('keeps a due time that is not movable, and says null when nothing is pending', async () => {
        const i = await declare();
        await syncJobs(ctx.db, i.id, [{ key: 'a', rule: 'unacknowledged', role: 'lead', dueAt: at(30) }], rules);
        expect(
          await syncJobs(ctx.db, i.id, [{ key: 'a', rule: 'unacknowledged', role: 'lead', dueAt: at(50) }], rules),
        ).toEqual(at(30));
        expect(await syncJobs(ctx.db, i.id, [], rules)).toBeNull();
        expect(await jobs(i.id)).toEqual([['a', 'cancelled', at(30).getTime()]]);
      });
    });

    describe('cardSectionFacts and peopleOfIncidents', () => {
      it('say whether an incident has alerts and which playbooks are attached, first attached first', async () => {
        const plain = await declare('plain');
        const alerted = await declare('alerted');
        expect(await cardSectionFacts(ctx.db, plain.id, { playbooks: true })).toEqual({
          alerts: false,
          playbookIds: [],
          postmortem: null,
          actionItems: { open: 0, total: 0 },
        });
        await ctx.db.query(
          `INSERT INTO alert_incidents (source, group_key, state, incident_id, title, severity)
           VALUES ('generic', 'g', 'declared', $1, 't', 1)`,
          [alerted.id],
        );
        await ctx.db.query(
          `INSERT INTO incident_playbooks (incident_id, playbook_id, attached_at)
           VALUES ($1, 'dr', now()), ($1, 'db', now() - interval '1 minute')`,
          [alerted.id],
        );
        expect(await cardSectionFacts(ctx.db, alerted.id, { playbooks: true })).toEqual({
          alerts: true,
          playbookIds: ['db', 'dr'],
          postmortem: null,
          actionItems: { open: 0, total: 0 },
        });
        expect(await cardSectionFacts(ctx.db, alerted.id, { playbooks: false })).toEqual({
          alerts: true,
          playbookIds: [],
          postmortem: null,
          actionItems: { open: 0, total: 0 },
        });
      });

      it("say the post-mortem's latest version (who wrote it, when) and the action items open of all", async () => {
        const i = await declare('after');
        const [v1, v2] = [new Date('2026-12-01T10:00:00Z'), new Date('2026-12-02T11:30:00Z')];
        await ctx.db.query(
          `INSERT INTO postmortem_versions (incident_id, version, markdown, written_by, created_at)
           VALUES ($1, 1, '# v1', 'UFIRST', $2), ($1, 2, '# v2', 'USECOND', $3)`,
          [i.id, v1, v2],
        );
        await ctx.db.query(
          `INSERT INTO action_items (incident_id, team_id, text, created_by, state)
           VALUES ($1, $2, 'one', 'U1', 'open'), ($1, $2, 'two', 'U1', 'done'), ($1, $2, 'three', 'U1', 'open')`,
          [i.id, i.teamId],
        );
        const facts = await cardSectionFacts(ctx.db, i.id, { playbooks: false });
        expect(facts.postmortem).toEqual({ version: 2, writtenBy: 'USECOND', writtenAt: v2 });
        expect(facts.actionItems).toEqual({ open: 2, total: 3 });
        // Another incident's are not its.
        const other = await cardSectionFacts(ctx.db, (await declare('other')).id, { playbooks: false });
        expect(other.postmortem).toBeNull();
        expect(other.actionItems).toEqual({ open: 0, total: 0 });
      });

      it('read as part of the escalation summary (joined with another part), they are what their own statement reads', async () => {
        const alerted = await declare('alerted');
        await ctx.db.query(
          `INSERT INTO alert_incidents (source, group_key, state, incident_id, title, severity)
           VALUES ('generic', 'g2', 'declared', $1, 't', 1)`,
          [alerted.id],
        );
        await ctx.db.query(
          `INSERT INTO incident_playbooks (incident_id, playbook_id, attached_at) VALUES ($1, 'db', now())`,
          [alerted.id],
        );
        await ctx.db.query(
          `INSERT INTO escalation_jobs (incident_id, key, rule, role, due_at) VALUES ($1, 'ack:lead', 'unacknowledged', 'lead', now() + interval '1 hour')`,
          [alerted.id],
        );
        // A part with parameters of its own, before the sections: the sections' parameters are numbered after them.
        const other = (first: number): StatementPart => ({ with: '', params: ['x'], select: `$${first}::text` });
        const more = (first: number): StatementPart => ({ with: '', params: [7], select: `$${first}::int + 1` });
        for (const id of [alerted.id, (await declare('plain')).id]) {
          const opts = { playbooks: true, more };
          const own = await cardSectionFacts(ctx.db, id, opts);
          const s = await escalationSummary(ctx.db, id, [], jointPart([other, cardSectionsPart(id, opts)]));
          const [x, sections] = partsOf(s.more);
          expect(x).toBe('x');
          expect(cardSectionFactsOf(sections)).toEqual(own);
          expect(s.next?.role).toBe(id === alerted.id ? 'lead' : undefined);
        }
        expect(await cardSectionFacts(ctx.db, alerted.id, { playbooks: true, more })).toEqual({
          alerts: true,
          playbookIds: ['db'],
          postmortem: null,
          actionItems: { open: 0, total: 0 },
          more: 8,
        });
      });

      it('gives each incident the people peopleOfIncident gives it', async () => {
        const a = await declare('a', 2, 'UREPA');
        const b = await declare('b', 2, 'UREPB');
        await changeIncident(ctx.db, a.id, { commanderId: 'UCMD' }, [{ kind: 'acknowledged', actorId: 'UACT' }]);
        await ctx.db.query('INSERT INTO incident_members (incident_id, user_id) VALUES ($1, $2)', [b.id, 'UMEM']);
        const people = await peopleOfIncidents(ctx.db, [a.id, b.id, 999_999]);
        expect(people.get(a.id)?.sort()).toEqual((await peopleOfIncident(ctx.db, a.id)).sort());
        expect(people.get(a.id)?.sort()).toEqual(['UACT', 'UCMD', 'UREPA']);
        expect(people.get(b.id)?.sort()).toEqual(['UMEM', 'UREPB']);
        expect(people.get(999_999)).toEqual([]);
        expect(await peopleOfIncidents(ctx.db, [])).toEqual(new Map());
      });
    });
  },
  { migrate: true },
);
