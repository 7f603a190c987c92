import { beforeEach, describe, expect, it } from 'vitest';
import { alertsOfAlertIncident, linkIncidentReadingAlerts } from '../../src/store/alert.repo.js';
import { alertSectionRows, cardDueLater, cardsShowRepeats } from '../../src/store/alert-card.repo.js';
import { markStorm } from '../../src/store/alert-storm-control.repo.js';
import { insertIncident } from '../../src/store/incident.repo.js';
import { forEachDatabase } from './databases.js';

/** A card refreshed for any reason shows the repeats its read saw: their refresh is then no longer due. */
forEachDatabase(
  (ctx) => {
    beforeEach(() => ctx.truncate());

    const setUp = async () => {
      const i = await insertIncident(ctx.db, { teamId: 'T1', number: 1, title: 't', severity: 1, reporterId: 'U' });
      const { rows } = await ctx.db.query<{ id: number }>(
        `INSERT INTO alert_incidents (source, group_key, state, incident_id, title, severity)
         VALUES ('generic', 'g', 'declared', $1, 't', 1) RETURNING id`,
        [i.id],
      );
      return { incidentId: i.id, aiId: rows[0]!.id };
    };
    const due = async (id: number) =>
      (await ctx.db.query<{ d: Date | null }>('SELECT card_due_at AS d FROM alert_incidents WHERE id = $1', [id]))
        .rows[0]!.d;
    const seen = async (incidentId: number) =>
      (await alertSectionRows(ctx.db, incidentId, 8))!.alertIncidents.map((a) => ({
        id: a.id,
        due: a.cardDue,
        repeatsAt: a.repeatsAt,
      }));

    describe('linkIncidentReadingAlerts', () => {
      it('links a declaring alert incident once, reading its alerts oldest first; a second link gets null', async () => {
        const i = await insertIncident(ctx.db, { teamId: 'T1', number: 1, title: 't', severity: 1, reporterId: 'U' });
        const ai = async (key: string) =>
          (
            await ctx.db.query<{ id: number }>(
              `INSERT INTO alert_incidents (source, group_key, state, title, severity)
               VALUES ('generic', $1, 'declaring', 't', 1) RETURNING id`,
              [key],
            )
          ).rows[0]!.id;
        const withAlerts = await ai('g1');
        for (const [fp, status] of [
          ['b', 'firing'],
          ['a', 'resolved'],
        ])
          await ctx.db.query(
            `INSERT INTO alerts (alert_incident_id, source, format, fingerprint, group_key, name, level, status, summary,
               last_delivery_id)
             VALUES ($1, 'generic', 'generic', $2, 'g1', $2, 'critical', $3, 's', 1)`,
            [withAlerts, fp, status],
          );
        const linked = await linkIncidentReadingAlerts(ctx.db, withAlerts, i.id);
        const alerts = linked?.alerts;
        expect(alerts).toEqual(await alertsOfAlertIncident(ctx.db, withAlerts));
        expect(linked?.storm).toBe(false);
        expect(alerts?.map((a) => [a.name, a.status])).toEqual([
          ['b', 'firing'],
          ['a', 'resolved'],
        ]);
        expect(await linkIncidentReadingAlerts(ctx.db, withAlerts, i.id)).toBeNull(); // linked already
        // One without alerts yet is linked all the same.
        const bare = await ai('g2');
        // A storm marked it before it was linked: the link says so (markStorm found it unlinked).
        expect(await markStorm(ctx.db, bare)).toBeNull();
        expect(await linkIncidentReadingAlerts(ctx.db, bare, i.id)).toEqual({ alerts: [], storm: true });
        // Marked once linked: the mark finds its incident (its note goes on the timeline there).
        expect(await markStorm(ctx.db, bare)).toBe(i.id);
        const { rows } = await ctx.db.query<{ incident_id: number }>(
          'SELECT incident_id FROM alert_incidents WHERE id = ANY($1::int[]) ORDER BY id',
          [[withAlerts, bare]],
        );
        expect(rows.map((r) => r.incident_id)).toEqual([i.id, i.id]);
      });
    });

    describe('cardsShowRepeats', () => {
      it('clears the refresh a read saw due; repeats recorded after the read keep it due', async () => {
        const { incidentId, aiId } = await setUp();
        expect(await seen(incidentId)).toEqual([{ id: aiId, due: false, repeatsAt: null }]);
        await cardDueLater(ctx.db, [aiId], 10_000);
        const read = await seen(incidentId);
        expect(read[0]).toMatchObject({ due: true, repeatsAt: expect.any(String) });
        // Repeats after the read: a card rendered from it does not show them, so the refresh stays due.
        await new Promise((r) => setTimeout(r, 5));
        await cardDueLater(ctx.db, [aiId], 10_000);
        const dueBefore = await due(aiId);
        await cardsShowRepeats(ctx.db, read);
        expect(await due(aiId)).toEqual(dueBefore);
        // A card rendered from a read after them: no longer due.
        await cardsShowRepeats(ctx.db, await seen(incidentId));
        expect(await due(aiId)).toBeNull();
        // Nothing seen, nothing done.
        await cardsShowRepeats(ctx.db, []);
      });

      it('keeps the earliest due time when repeats come again, and moves the repeats time', async () => {
        const { incidentId, aiId } = await setUp();
        await cardDueLater(ctx.db, [aiId], 10_000);
        const first = await due(aiId);
        const r1 = (await seen(incidentId))[0]!.repeatsAt;
        await new Promise((r) => setTimeout(r, 5));
        await cardDueLater(ctx.db, [aiId], 10_000);
        expect(await due(aiId)).toEqual(first);
        expect((await seen(incidentId))[0]!.repeatsAt).not.toBe(r1);
      });
    });
  },
  { migrate: true },
);
