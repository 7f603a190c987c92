import { beforeEach, expect, it } from 'vitest';
import { insertIncident } from '../../src/store/incident.repo.js';
import {
  lockPagerDutyIncident,
  recordPagerDutyAcknowledged,
  recordPagerDutyResolved,
  recordTriggered,
} from '../../src/store/notification.repo.js';
import { forEachDatabase } from './databases.js';

forEachDatabase(
  (ctx) => {
    beforeEach(() => ctx.truncate());

    it("a trigger after PagerDuty resolved the key's incident starts a new one: acknowledged and resolved again from nothing", async () => {
      const i = await insertIncident(ctx.db, {
        teamId: 'T1',
        number: 1,
        title: 'db down',
        severity: 1,
        reporterId: 'U1',
      });
      const t = { dedupKey: 'incident-bot/T1/1/cto', incidentId: i.id, role: 'cto' };
      await recordTriggered(ctx.db, t);
      await recordPagerDutyAcknowledged(ctx.db, t.dedupKey, { name: 'Cleo', userId: null });
      // A repeat trigger while it is open changes nothing: the acknowledgement stands.
      await recordTriggered(ctx.db, t);
      expect((await lockPagerDutyIncident(ctx.db, t.dedupKey))?.acknowledgedAt).toBeInstanceOf(Date);
      await recordPagerDutyResolved(ctx.db, t.dedupKey);
      await recordTriggered(ctx.db, t);
      expect(await lockPagerDutyIncident(ctx.db, t.dedupKey)).toMatchObject({ acknowledgedAt: null, resolvedAt: null });
    });
  },
  { only: ['postgres'] },
);
