import { beforeEach, describe, expect, it } from 'vitest';
import type { Severity } from '../../src/incidents/severity.js';
import { type PublicUpdate, StatusPage } from '../../src/incidents/status-page.js';
import { parseRunbook } from '../../src/runbook/runbook.js';
import { insertIncident, nextIncidentNumber, updateIncident } from '../../src/store/incident.repo.js';
import { insertPublicUpdate } from '../../src/store/status-page.repo.js';
import { testRunbookData } from '../support/test-runbook.js';
import { forEachDatabase } from './databases.js';

const severities = parseRunbook(testRunbookData()).severities;
const DAY = 86_400_000;

forEachDatabase(
  (ctx) => {
    beforeEach(() => ctx.truncate());

    /** An incident as a declaration leaves it: whole (with its channel) unless `declaring`. */
    const incident = async (title: string, severity: Severity, opts: { declaring?: boolean } = {}) => {
      const i = await ctx.db.transaction(async (tx) => {
        const number = await nextIncidentNumber(tx, 'T0');
        return insertIncident(tx, { teamId: 'T0', number, title, severity, reporterId: 'U0REP' }, opts);
      });
      if (opts.declaring) return i;
      return updateIncident(ctx.db, i.id, { channelId: `C${i.id}`, channelName: `inc-${i.number}` });
    };
    const resolvedAgo = (id: number, ms: number) =>
      updateIncident(ctx.db, id, { status: 'resolved', resolvedAt: new Date(Date.now() - ms) });
    const publish = (id: number, text: string, at = new Date()): Promise<void> => {
      const u: PublicUpdate = {
        at,
        status: 'investigating',
        affected: `affected ${text}`,
        currentImpact: `impact ${text}`,
        currentStatus: `status ${text}`,
        nextUpdateAt: new Date(at.getTime() + 30 * 60_000),
      };
      return insertPublicUpdate(ctx.db, id, u);
    };
    const page = () => new StatusPage(ctx.db, severities, { cacheMs: 0 }).snapshot();

    describe('the status page reads', () => {
      it('public levels from their declaration, others once published; never a declaration in progress', async () => {
        const major = await incident('Checkout down', 1);
        await incident('Replica lag', 2);
        const published = await incident('Search slow', 2);
        await publish(published.id, 'search');
        await incident('Everything down', 0, { declaring: true });
        const minor = await incident('Typo on the login page', 3);
        await publish(minor.id, 'older', new Date(Date.now() - 60_000));
        await publish(minor.id, 'newer');

        const s = await page();
        expect(s.active.map((i) => [i.title, i.impact, i.impactLevel])).toEqual([
          ['Checkout down', 'Partial outage', 1],
          ['Search slow', 'Degraded performance', 2],
          ['Typo on the login page', 'Minor issue', 3],
        ]);
        expect(s.active[0]!.latest).toBeNull();
        expect(s.active[0]!.startedAt.getTime()).toBe(major.createdAt.getTime());
        expect(s.active[1]!.latest).toMatchObject({ affected: 'affected search', currentStatus: 'status search' });
        expect(s.active[2]!.latest?.currentImpact).toBe('impact newer');
        expect(s.resolved).toEqual([]);
      });

      it('incidents resolved in the last 7 days, latest first, and none older', async () => {
        const recent = await incident('Auth broken', 1);
        const older = await incident('Payments down', 0);
        const ancient = await incident('Agents failing', 1);
        await resolvedAgo(recent.id, 2 * DAY);
        await resolvedAgo(older.id, 3 * DAY);
        await resolvedAgo(ancient.id, 8 * DAY);
        const s = await page();
        expect(s.active).toEqual([]);
        expect(s.resolved.map((i) => i.title)).toEqual(['Auth broken', 'Payments down']);
        expect(s.resolved[0]!.resolvedAt!.getTime()).toBeCloseTo(Date.now() - 2 * DAY, -4);
      });

      it('a feed entry per event: made public, each published update, resolved; newest first', async () => {
        const a = await incident('Checkout down', 1);
        await publish(a.id, 'one', new Date(Date.now() + 1000));
        await publish(a.id, 'two', new Date(Date.now() + 2000));
        await resolvedAgo(a.id, -3000);
        const s = await page();
        expect(s.entries.map((e) => [e.kind, e.update?.affected ?? null])).toEqual([
          ['resolved', null],
          ['update', 'affected two'],
          ['update', 'affected one'],
          ['opened', null],
        ]);
        expect(new Set(s.entries.map((e) => e.key)).size).toBe(4);
      });

      it('reads the database once per few seconds, however many ask', async () => {
        const cached = new StatusPage(ctx.db, severities);
        const first = await cached.snapshot();
        await incident('Checkout down', 1);
        expect(await cached.snapshot()).toBe(first);
        expect((await page()).active).toHaveLength(1);
      });
    });
  },
  { migrate: true },
);
