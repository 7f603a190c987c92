/**
 * Whether monitoring no longer sees an incident's trouble (every alert of it resolved), as the rounds of nobody
 * acknowledging read it to page on-call alone, and the card's Next to say so.
 */
import { expect, it } from 'vitest';
import {
  alertsAllResolvedOf,
  incidentsWithAlertsAllResolved,
  insertAlertIncident,
  setAllResolved,
} from '../../src/store/alert-incident.repo.js';
import { insertIncident } from '../../src/store/incident.repo.js';
import { forEachDatabase } from './databases.js';

forEachDatabase((ctx) => {
  it('is so for an incident opened from alerts whose every alert resolved, never for one a person declared', async () => {
    await ctx.truncate();
    let number = 0;
    const incident = async () =>
      (await insertIncident(ctx.db, { teamId: 'T1', number: ++number, title: 't', severity: 1, reporterId: 'U' })).id;
    /** An alert group in `incidentId`: its opening one, or one a person added (Add to an open incident). */
    const group = (incidentId: number, how: 'opened' | 'added', resolved: boolean) =>
      insertAlertIncident(ctx.db, {
        source: 'metrics',
        groupKey: `g-${incidentId}-${how}`,
        title: 'Disk',
        severity: 1,
        rule: null,
        previousIncidentId: null,
        declaredBy: { userId: 'U0PERSON', incidentId, attached: how === 'added' },
      }).then((id) => setAllResolved(ctx.db, id, resolved));

    const opened = await incident();
    await group(opened, 'opened', true);
    const openedAndAdded = await incident();
    await group(openedAndAdded, 'opened', true);
    await group(openedAndAdded, 'added', true);
    const addedStillFiring = await incident();
    await group(addedStillFiring, 'opened', true);
    await group(addedStillFiring, 'added', false);
    // Declared by a person; a warning someone added to it has resolved since.
    const typed = await incident();
    await group(typed, 'added', true);
    const noAlerts = await incident();

    const all = [opened, openedAndAdded, addedStillFiring, typed, noAlerts];
    expect([...(await incidentsWithAlertsAllResolved(ctx.db, all))].sort()).toEqual([opened, openedAndAdded].sort());
    const scalar = async (id: number) =>
      (await ctx.db.query<{ quiet: boolean | null }>(`SELECT ${alertsAllResolvedOf('$1')} AS quiet`, [id])).rows[0]!
        .quiet;
    expect(await Promise.all(all.map(scalar))).toEqual([true, true, false, false, null]);
  });
});
