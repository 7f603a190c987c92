import { beforeEach, describe, expect, it } from 'vitest';
import type { HostRef } from '../../src/incidents/playbook-host.js';
import { insertIncident } from '../../src/store/incident.repo.js';
import { attachPlaybook, getAttachedPlaybook } from '../../src/store/incident-playbook.repo.js';
import { checksOf, currentChecks, currentChecksPart, insertCheck } from '../../src/store/step-check.repo.js';
import { checklistRecords, finishStepRun, insertRunningStep, lastStepRuns } from '../../src/store/step-run.repo.js';
import { forEachDatabase } from './databases.js';

/** A checklist's records in one statement: the same as its three reads one by one. */
forEachDatabase(
  (ctx) => {
    beforeEach(() => ctx.truncate());

    const records = async (host: HostRef, playbookId: string) => {
      const r = await checklistRecords(ctx.db, host, playbookId, currentChecksPart(host, playbookId));
      return { runs: r.runs, attached: r.attached, checks: checksOf(r.checks) };
    };
    const oneByOne = async (host: HostRef, playbookId: string) => ({
      runs: await lastStepRuns(ctx.db, host, playbookId),
      attached: host.kind === 'incident' ? await getAttachedPlaybook(ctx.db, host.id, playbookId) : null,
      checks: await currentChecks(ctx.db, host, playbookId),
    });
    const byKey = <T extends { stepKey: string }>(xs: T[]) =>
      [...xs].sort((a, b) => a.stepKey.localeCompare(b.stepKey));

    describe('checklistRecords', () => {
      it("an incident's playbook with runs, ticks and alert rows: as read one by one", async () => {
        const i = await insertIncident(ctx.db, { teamId: 'T1', number: 1, title: 'db', severity: 1, reporterId: 'U' });
        const host: HostRef = { kind: 'incident', id: i.id };
        // Nothing yet: no runs, not attached, no ticks.
        expect(await records(host, 'db')).toEqual({ runs: [], attached: null, checks: [] });
        await ctx.db.query(
          `INSERT INTO alert_incidents (source, group_key, state, incident_id, title, severity, rule)
           VALUES ('generic', 'g', 'declared', $1, 't', 1, 'HighErrorRate')`,
          [i.id],
        );
        expect(await attachPlaybook(ctx.db, i.id, 'db', null, {}, 30_000)).toBe(true);
        const run = await insertRunningStep(
          ctx.db,
          {
            host,
            playbookId: 'db',
            stepKey: 'check',
            kind: 'command',
            target: ['atom-cli', 'status'],
            requestedBy: 'U1',
            approvedBy: null,
          },
          30_000,
        );
        await finishStepRun(ctx.db, run!.id, {
          state: 'succeeded',
          exitCode: 0,
          durationMs: 5,
          digest: null,
          tail: '',
        });
        await insertRunningStep(
          ctx.db,
          {
            host,
            playbookId: 'db',
            stepKey: 'restart',
            kind: 'command',
            target: ['atom-cli', 'restart'],
            requestedBy: 'U2',
            approvedBy: 'U3',
          },
          30_000,
        );
        await insertCheck(ctx.db, host, {
          playbookId: 'db',
          stepKey: 'notify',
          state: 'skipped',
          reason: 'nobody to tell',
          checkedBy: 'U3',
        });
        const one = await records(host, 'db');
        const expected = await oneByOne(host, 'db');
        expect({ ...one, runs: byKey(one.runs) }).toEqual({ ...expected, runs: byKey(expected.runs) });
        expect(one.attached).toMatchObject({ playbookId: 'db', attachedBy: null, alertRules: ['HighErrorRate'] });
        expect(one.runs.map((r) => [r.stepKey, r.state]).sort()).toEqual([
          ['check', 'succeeded'],
          ['restart', 'running'],
        ]);
        expect(one.checks).toMatchObject([{ stepKey: 'notify', state: 'skipped', reason: 'nobody to tell' }]);
        expect(one.checks[0]!.checkedAt).toBeInstanceOf(Date);
        // Another playbook of the same incident has none of these.
        expect(await records(host, 'dr')).toEqual({ runs: [], attached: null, checks: [] });
      });

      it('a run killed by a signal the bot did not send: its signal read with its state, one by one or in one', async () => {
        const i = await insertIncident(ctx.db, { teamId: 'T1', number: 1, title: 'db', severity: 1, reporterId: 'U' });
        const host: HostRef = { kind: 'incident', id: i.id };
        const ended = async (stepKey: string, state: 'failed' | 'timed_out', signal: string) => {
          const run = await insertRunningStep(
            ctx.db,
            {
              host,
              playbookId: 'db',
              stepKey,
              kind: 'command',
              target: ['atom-cli'],
              requestedBy: 'U1',
              approvedBy: null,
            },
            30_000,
          );
          await finishStepRun(ctx.db, run!.id, {
            state,
            exitCode: null,
            durationMs: 5,
            digest: null,
            tail: '',
            shown: { signal },
          });
        };
        await ended('crash', 'failed', 'SIGSEGV');
        // Only a failed run says killed: a timed-out one is the bot's doing, whatever its record holds.
        await ended('slow', 'timed_out', 'SIGTERM');
        for (const runs of [(await records(host, 'db')).runs, await lastStepRuns(ctx.db, host, 'db')]) {
          expect(byKey(runs).map((r) => [r.stepKey, r.state, r.signal])).toEqual([
            ['crash', 'failed', 'SIGSEGV'],
            ['slow', 'timed_out', undefined],
          ]);
        }
      });

      it("a playbook run's records: no attachment is read", async () => {
        const { rows } = await ctx.db.query<{ id: number }>(
          `INSERT INTO playbook_runs (team_id, playbook_id, channel_id, started_by) VALUES ('T1', 'db', 'C1', 'U') RETURNING id`,
        );
        const host: HostRef = { kind: 'run', id: rows[0]!.id };
        await insertCheck(ctx.db, host, {
          playbookId: 'db',
          stepKey: 'a',
          state: 'done',
          reason: null,
          checkedBy: 'U',
        });
        const one = await records(host, 'db');
        expect(one).toEqual(await oneByOne(host, 'db'));
        expect(one.checks).toHaveLength(1);
      });
    });
  },
  { migrate: true },
);
