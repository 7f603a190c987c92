import { expect, it } from 'vitest';
import { type MaintenanceChat, MaintenanceService } from '../../src/incidents/maintenance.service.js';
import { loadRunbook } from '../../src/runbook/runbook.js';
import { windowHeldAt } from '../../src/store/maintenance.repo.js';
import { forEachDatabase } from './databases.js';

const RUNBOOK = await loadRunbook();

forEachDatabase(
  (ctx) => {
    it("a window opened by hand is its opener's to post: the timer loop's sweep between the two leaves it alone, and a refusal is told to the opener", async () => {
      const posted: string[] = [];
      let refuse = true;
      const chat: MaintenanceChat = {
        self: async () => ({ teamId: 'T0TEST', botUserId: 'UBOT' }),
        post: async (_channel, m) => {
          if (refuse) throw new Error('not_in_channel');
          posted.push(m.kind);
        },
      };
      const started: string[] = [];
      const runs = { start: async (r: { requestKey: string }) => void started.push(r.requestKey) } as never;
      const service = new MaintenanceService(
        ctx.db,
        chat,
        runs,
        RUNBOOK.maintenance,
        RUNBOOK.playbooks,
        'C0INCIDENTS',
        { warn: () => {}, info: () => {}, error: () => {}, debug: () => {} } as never,
      );
      const w = await service.start('cert rotation', 'U0OPENER', 'C0GENERAL');
      // The timer loop sweeps before the request posts the start: it does not take the window (it would say nothing
      // of a refusal to whoever opened it).
      await service.sweep();
      expect(posted).toEqual([]);
      // The request posts it; the channel refuses, and the opener is told why.
      const failed = await service.postStart(w);
      expect(failed?.message).toBe('not_in_channel');
      // Meanwhile the sweep still leaves it to the lease (the timer loop tries again once it has run out).
      refuse = false;
      await service.sweep();
      expect(posted).toEqual([]);
      // Its lease run out (rather than waited for): the sweep posts it, once.
      await ctx.db.query("UPDATE maintenance_windows SET lease_until = now() - interval '1 second' WHERE id = $1", [
        w.id,
      ]);
      await service.sweep();
      await service.sweep();
      expect(posted).toEqual(['started']);
      expect(started).toHaveLength(1);
      await service.end('U0OPENER');
    });

    it('a window ended by hand is said to have ended before the alerts it held back are let through', async () => {
      const said: string[] = [];
      let held: boolean[] = [];
      let refuse = false;
      const chat: MaintenanceChat = {
        self: async () => ({ teamId: 'T0TEST', botUserId: 'UBOT' }),
        post: async (_channel, m) => {
          // What the alert loop would read while the end is being said.
          held.push(await windowHeldAt(ctx.db, new Date()));
          if (refuse) throw new Error('not_in_channel');
          said.push(m.kind);
        },
      };
      const runs = { start: async () => {} } as never;
      const log = { warn: () => {}, info: () => {}, error: () => {}, debug: () => {} } as never;
      const service = new MaintenanceService(ctx.db, chat, runs, RUNBOOK.maintenance, [], 'C0INCIDENTS', log);
      const w = await service.start('db upgrade', 'U0OPENER', 'C0GENERAL');
      await service.postStart(w);
      expect(said).toEqual(['started']);
      held = [];
      // Said by the request that ends it, not left to the timer loop; the window holds until it is.
      await service.end('U0OPENER');
      expect(said).toEqual(['started', 'ended']);
      expect(held).toEqual([true]);
      expect(await windowHeldAt(ctx.db, new Date())).toBe(false);

      // The channel refuses the end: it holds no longer than its lease, then the sweep says it.
      const w2 = await service.start('db upgrade 2', 'U0OPENER', 'C0GENERAL');
      await service.postStart(w2);
      refuse = true;
      await service.end('U0OPENER');
      expect(await windowHeldAt(ctx.db, new Date())).toBe(true);
      await ctx.db.query("UPDATE maintenance_windows SET lease_until = now() - interval '1 second' WHERE id = $1", [
        w2.id,
      ]);
      expect(await windowHeldAt(ctx.db, new Date())).toBe(false);
      refuse = false;
      await service.sweep();
      expect(said.filter((k) => k === 'ended')).toHaveLength(2);
    });
  },
  { migrate: true },
);
