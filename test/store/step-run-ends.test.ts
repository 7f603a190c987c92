import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { stepStatuses } from '../../src/incidents/checklist.js';
import { Checklists } from '../../src/incidents/checklist.service.js';
import { ChatPlatformError } from '../../src/incidents/errors.js';
import { LostRuns } from '../../src/incidents/lost-runs.js';
import type { PlaybookHost } from '../../src/incidents/playbook-host.js';
import type { ChecklistView, IncidentMetrics, PlaybookChat, RunView } from '../../src/incidents/ports.js';
import { REDRAW_MAX_ATTEMPTS } from '../../src/incidents/redraw-retries.js';
import { RunMessageRedraws } from '../../src/incidents/run-message-redraws.js';
import { StepExecutor } from '../../src/incidents/step-execution.js';
import type { RunnerOptions } from '../../src/ops/step-runners.js';
import type { Playbook, RunnableStep } from '../../src/runbook/playbooks.js';
import { parseRunbook } from '../../src/runbook/runbook.js';
import type { Database } from '../../src/store/db.js';
import { listEvents } from '../../src/store/event.repo.js';
import { insertIncident } from '../../src/store/incident.repo.js';
import { attachPlaybook } from '../../src/store/incident-playbook.repo.js';
import { lookForRunMessageLater } from '../../src/store/run-message.repo.js';
import { currentChecks, insertCheck, undoCheck } from '../../src/store/step-check.repo.js';
import { lastStepRuns } from '../../src/store/step-run.repo.js';
import { renderChecklist } from '../../src/templates/checklist.js';
import { renderRun } from '../../src/templates/playbook.js';
import { flaky } from '../support/flaky-db.js';
import { untilPasses } from '../support/incident-flow.js';
import { testRunbookData } from '../support/test-runbook.js';
import { forEachDatabase } from './databases.js';

/**
 * A run's end as its process records and draws it (StepExecutor), against a real database: its message recorded even
 * when the recording after the post fails; its final message kept whole, so a redraw by the sweep shows its detail; and
 * its real end, once its process comes back from being cut off past its lease, recorded over `lost` only when nobody
 * acted on the lost run.
 */

const ATOM_CLI = join(process.cwd(), 'test', 'fixtures', 'atom-cli');

const runbook = parseRunbook({
  ...testRunbookData(),
  playbooks: {
    'web-down': {
      title: 'Web Down',
      kind: 'incident',
      match: ['web down'],
      detection: [
        { text: 'Check the health endpoint', http: { path: '/api/health' }, expect: 'Health endpoints return 200 OK' },
        { text: 'Read the logs', run: ['atom-cli', 'logs', '--lines', '30'], look_for: 'ERROR' },
        { text: 'Check the app status', run: ['atom-cli', 'status'], timeout: '60s' },
        // Slow (ATOM_CLI_SLOW_MS), its lines "progress 1/N" and "progress 10/N" to "progress 19/N" found.
        { text: 'Watch the progress', run: ['atom-cli', 'status'], look_for: 'progress 1', timeout: '60s' },
      ],
      mitigation: [],
      resolution: [],
      prevention: [],
    },
  },
});
const playbook = runbook.playbooks.find((p) => p.id === 'web-down') as Playbook;
const stepAt = (key: string) => {
  const i = Number(key.split('.')[1]);
  return playbook.detection[i] as RunnableStep;
};

forEachDatabase(
  (ctx) => {
    beforeEach(() => ctx.truncate());

    let health: Server;
    let healthUrl: string;
    beforeAll(async () => {
      health = createServer((_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{"status":"ok"}');
      });
      await new Promise<void>((r) => health.listen(0, '127.0.0.1', r));
      healthUrl = `http://127.0.0.1:${(health.address() as AddressInfo).port}`;
    });
    afterAll(() => new Promise<void>((r) => health.close(() => r())));

    let host: PlaybookHost;
    beforeEach(async () => {
      const incident = await insertIncident(ctx.db, {
        teamId: 'T1',
        number: 1,
        title: 'web',
        severity: 1,
        reporterId: 'U',
      });
      host = { kind: 'incident', incident };
    });

    /**
     * A Slack that records every drawing of a run's message; `refuse` makes it refuse the ones it matches; `dieAtPost`
     * takes the next post and never answers (its process dies there: `answer` lets it go on, for the test to end);
     * `unreadable` makes its history unreadable for the next look-ups. It records every drawing of a checklist too.
     */
    const slack = () => {
      const drawn: { ts: string; view: RunView }[] = [];
      const checklistsDrawn: { ts: string; view: ChecklistView }[] = [];
      const posts: { ts: string; runId: number }[] = [];
      let refuse: ((v: RunView) => boolean) | null = null;
      let dies = false;
      let unreadable = 0;
      const looks: number[] = [];
      let answer: () => void = () => {};
      let n = 0;
      const chat = {
        postRun: async (_p: unknown, _t: unknown, view: RunView) => {
          const ts = `1700000000.${String(++n).padStart(6, '0')}`;
          drawn.push({ ts, view });
          posts.push({ ts, runId: view.runId });
          if (dies) {
            dies = false;
            await new Promise<void>((r) => {
              answer = r;
            });
            throw new Error('the process died here');
          }
          return ts;
        },
        findRunPost: async (_p: unknown, _t: unknown, runId: number) => {
          looks.push(runId);
          if (unreadable > 0) {
            unreadable--;
            throw new ChatPlatformError('ratelimited', 'Slack asked to wait before reading the channel again.');
          }
          return posts.find((p) => p.runId === runId)?.ts ?? null;
        },
        updateRun: async (_p: unknown, ts: string, view: RunView) => {
          if (refuse?.(view)) throw new Error('internal_error');
          drawn.push({ ts, view });
        },
        updatePlaybook: async (_p: unknown, ts: string, view: ChecklistView) => {
          checklistsDrawn.push({ ts, view });
        },
        uploadOutput: async () => {},
        permalink: async () => null,
      };
      return {
        chat: chat as unknown as PlaybookChat,
        drawn,
        checklistsDrawn,
        last: () => drawn.at(-1)!.view,
        refuse(f: ((v: RunView) => boolean) | null) {
          refuse = f;
        },
        posts,
        dieAtPost() {
          dies = true;
        },
        answer: () => answer(),
        /** Its history cannot be read (rate limited) for the next `n` look-ups. */
        unreadable(n: number) {
          unreadable = n;
        },
        looks,
      };
    };
    const checklists = {
      refresh: async () => {},
      redraw: async () => {},
      settleRun: async () => {},
    } as unknown as Checklists;
    const metrics = { stepRan: () => {} } as unknown as IncidentMetrics;
    const quiet = { ...console, warn: () => {}, info: () => {} };
    const opts = (env: Record<string, string> = {}): RunnerOptions => ({
      atomCli: ATOM_CLI,
      healthBaseUrl: healthUrl,
      commandEnv: env,
    });
    const executor = (db: Database, chat: PlaybookChat, o: RunnerOptions, leaseMs = 30_000) =>
      new StepExecutor(db, chat, checklists, o, (_s, t) => t, metrics, quiet, leaseMs);
    const execute = (e: StepExecutor, key: string) => {
      const step = stepAt(key);
      return e.execute({ host, playbook, step, key, target: e_target(step), userId: 'U1', approvedBy: null });
    };
    const e_target = (step: RunnableStep) =>
      step.type === 'http' ? [new URL(step.path, healthUrl).toString()] : [ATOM_CLI, ...step.run.slice(1)];
    const runRow = async (key: string) =>
      (
        await ctx.db.query<{ id: number; state: string; thread_ts: string | null; lease_until: Date | null }>(
          'SELECT id, state, thread_ts, lease_until FROM step_runs WHERE step_key = $1 ORDER BY id DESC LIMIT 1',
          [key],
        )
      ).rows[0];
    /** Its message made due to be drawn again by the sweep now, as when Slack refused its drawing. */
    const dueAgain = (key: string) =>
      ctx.db.query(
        'UPDATE step_runs SET show_due_at = now() WHERE id = (SELECT max(id) FROM step_runs WHERE step_key = $1)',
        [key],
      );
    const dueNow = (id: number) =>
      ctx.db.query('UPDATE step_runs SET show_due_at = now() WHERE id = $1 AND show_due_at IS NOT NULL RETURNING id', [
        id,
      ]);
    const runs = { host: async () => host, step: (_p: string, key: string) => ({ playbook, step: stepAt(key) }) };
    const redraws = (chat: PlaybookChat) => new RunMessageRedraws(ctx.db, chat, checklists, runs, quiet);
    const tailOf = async (key: string) =>
      (
        await ctx.db.query<{ output_tail: string | null }>(
          'SELECT output_tail FROM step_runs WHERE step_key = $1 ORDER BY id DESC LIMIT 1',
          [key],
        )
      ).rows[0]?.output_tail ?? '';

    /** The step's section in a drawn checklist. */
    const sectionOf = (view: ChecklistView, key: string) =>
      JSON.stringify(renderChecklist(view).blocks)
        .split('"type":"section"')
        .find((b) => b.includes(stepAt(key).text)) ?? '';
    /** The step's line in the playbook's checklist, as drawn from the records. */
    const checklistLine = async (key: string) => {
      const ref = { kind: 'incident' as const, id: host.kind === 'incident' ? host.incident.id : 0 };
      const statuses = stepStatuses(
        playbook,
        await currentChecks(ctx.db, ref, 'web-down'),
        await lastStepRuns(ctx.db, ref, 'web-down'),
      );
      const view: ChecklistView = {
        playbook,
        runId: null,
        origin: { kind: 'attached', by: 'U1' },
        statuses,
        detached: null,
        page: null,
        focus: key,
      };
      return sectionOf(view, key);
    };

    describe('a run whose final update Slack refused', () => {
      it('is drawn again by the sweep with its detail: an HTTP check’s status, the lines found', async () => {
        const s = slack();
        s.refuse((v) => v.state !== 'running');
        const e = executor(ctx.db, s.chat, opts());
        const http = await execute(e, 'detection.0');
        expect(http.view).toMatchObject({ state: 'succeeded', detail: expect.stringMatching(/^HTTP 200 in \d+ ms/) });
        const logs = await execute(e, 'detection.1');
        expect(logs.view.state).toBe('succeeded');
        expect(logs.view.found?.matched).toBeGreaterThan(0);
        // Slack refused both final updates: their messages still say "Running".
        expect(s.drawn.filter((d) => d.view.state !== 'running')).toEqual([]);

        s.refuse(null);
        const sweep = new RunMessageRedraws(
          ctx.db,
          s.chat,
          checklists,
          { host: async () => host, step: (_p, key) => ({ playbook, step: stepAt(key) }) },
          quiet,
        );
        for (const key of ['detection.0', 'detection.1']) {
          const r = (await runRow(key))!;
          expect((await dueNow(r.id)).rows, key).toHaveLength(1);
        }
        await sweep.sweep();
        const again = (ts: string) => s.drawn.filter((d) => d.ts === ts && d.view.state !== 'running').at(-1)?.view;
        const httpAgain = again(http.ts!);
        expect(httpAgain).toMatchObject({ state: 'succeeded', detail: http.view.detail, exitCode: null });
        expect(JSON.stringify(renderRun(httpAgain!).blocks)).toMatch(/HTTP 200 in \d+ ms/);
        const logsAgain = again(logs.ts!);
        expect(logsAgain).toMatchObject({ state: 'succeeded', found: logs.view.found, bytes: logs.view.bytes });
        expect(renderRun(logsAgain!).text).toBe(renderRun(logs.view).text);
        expect(renderRun(logsAgain!).blocks).toEqual(renderRun(logs.view).blocks);
      });
    });

    describe("a run's message whose recording failed (the database blipped)", () => {
      it('is recorded by the lease’s renewal while it runs, so the sweep finds it if the process dies', async () => {
        const s = slack();
        const f = flaky(ctx.db);
        f.fail(/^UPDATE step_runs SET thread_ts = \$2 WHERE id = \$1$/, 1);
        const e = executor(f.db, s.chat, opts({ ATOM_CLI_SLOW_MS: '100', ATOM_CLI_SLOW_COUNT: '15' }), 600);
        const running = execute(e, 'detection.2');
        await untilPasses(async () => {
          expect(await runRow('detection.2')).toMatchObject({ state: 'running', thread_ts: s.drawn[0]?.ts });
        }, 5_000);
        await running;
      });

      it('is recorded with the run’s end', async () => {
        const s = slack();
        const f = flaky(ctx.db);
        f.fail(/^UPDATE step_runs SET thread_ts = \$2 WHERE id = \$1$/, 1);
        const r = await execute(executor(f.db, s.chat, opts()), 'detection.0');
        expect(await runRow('detection.0')).toMatchObject({ state: 'succeeded', thread_ts: r.ts });
      });
    });

    describe('a run whose process died as Slack took its message, before it recorded where', () => {
      it('is found by its marker when the run is recorded lost, and drawn so: one message, saying the run was lost', async () => {
        const s = slack();
        const f = flaky(ctx.db);
        s.dieAtPost();
        // Dead: its lease is renewed no more.
        f.fail(/lease_until = now\(\) \+ make_interval/);
        const running = execute(executor(f.db, s.chat, opts(), 600), 'detection.2').catch(() => null);
        await untilPasses(async () => expect(s.posts).toHaveLength(1), 5_000);
        expect(await runRow('detection.2')).toMatchObject({ state: 'running', thread_ts: null });
        const sweep = new LostRuns(ctx.db, s.chat, checklists, runs, metrics, quiet);
        await untilPasses(async () => {
          await sweep.sweep();
          expect((await runRow('detection.2'))?.state).toBe('lost');
        }, 5_000);
        const [post] = s.posts;
        expect(await runRow('detection.2')).toMatchObject({ state: 'lost', thread_ts: post!.ts });
        expect(s.drawn.filter((d) => d.ts === post!.ts).at(-1)?.view).toMatchObject({ state: 'lost' });
        // Drawn: not due to be drawn again.
        const { rows } = await ctx.db.query('SELECT show_due_at FROM step_runs WHERE id = $1', [
          (await runRow('detection.2'))!.id,
        ]);
        expect(rows[0]).toMatchObject({ show_due_at: null });
        expect(s.posts).toHaveLength(1);
        // The test's end: the frozen process let go.
        f.fail(/./);
        s.answer();
        await running;
      });
    });

    describe("a lost run's message whose look-up Slack refused (its history unreadable)", () => {
      /** A run whose process died as Slack took its message, recorded lost while Slack's history is unreadable. */
      const lostUnread = async (s: ReturnType<typeof slack>, refusals: number) => {
        const f = flaky(ctx.db);
        s.dieAtPost();
        f.fail(/lease_until = now\(\) \+ make_interval/);
        const running = execute(executor(f.db, s.chat, opts(), 600), 'detection.2').catch(() => null);
        await untilPasses(async () => expect(s.posts).toHaveLength(1), 5_000);
        s.unreadable(refusals);
        const sweep = new LostRuns(ctx.db, s.chat, checklists, runs, metrics, quiet);
        await untilPasses(async () => {
          await sweep.sweep();
          expect((await runRow('detection.2'))?.state).toBe('lost');
        }, 5_000);
        expect(await runRow('detection.2')).toMatchObject({ state: 'lost', thread_ts: null });
        expect(s.looks).toHaveLength(1);
        return async () => {
          f.fail(/./);
          s.answer();
          await running;
        };
      };

      it('is looked for again by the redraw sweep: found once Slack reads again, recorded and drawn lost', async () => {
        const s = slack();
        const end = await lostUnread(s, 1);
        const id = (await runRow('detection.2'))!.id;
        // Due to be looked for again.
        expect((await dueNow(id)).rows).toHaveLength(1);
        await redraws(s.chat).sweep();
        const [post] = s.posts;
        expect(await runRow('detection.2')).toMatchObject({ state: 'lost', thread_ts: post!.ts });
        expect(s.drawn.filter((d) => d.ts === post!.ts).at(-1)?.view).toMatchObject({ state: 'lost' });
        const { rows } = await ctx.db.query('SELECT show_due_at FROM step_runs WHERE id = $1', [id]);
        expect(rows[0]).toMatchObject({ show_due_at: null });
        expect(s.posts).toHaveLength(1);
        await end();
      });

      it('still unreadable: looked for again a bounded number of times, then given up, said in the log', async () => {
        const s = slack();
        // The playbook attached to the incident, its checklist posted.
        const incidentId = host.kind === 'incident' ? host.incident.id : 0;
        await attachPlaybook(ctx.db, incidentId, 'web-down', 'U1', {}, 30_000);
        await ctx.db.query(
          "UPDATE incident_playbooks SET message_ts = '1700000000.900000' WHERE incident_id = $1 AND playbook_id = 'web-down'",
          [incidentId],
        );
        const end = await lostUnread(s, Number.POSITIVE_INFINITY);
        const id = (await runRow('detection.2'))!.id;
        const warned: string[] = [];
        const sweep = new RunMessageRedraws(ctx.db, s.chat, new Checklists(ctx.db, s.chat, runbook, quiet), runs, {
          ...quiet,
          warn: (...a: unknown[]) => void warned.push(a.map(String).join(' ')),
        });
        for (let i = 0; i < REDRAW_MAX_ATTEMPTS; i++) {
          expect((await dueNow(id)).rows, `attempt ${i + 1}`).toHaveLength(1);
          expect(s.checklistsDrawn, `attempt ${i + 1}`).toEqual([]);
          await sweep.sweep();
        }
        // Giving up redrew the checklist at once: its step's line says why, with Slack's last answer.
        const redrawn = s.checklistsDrawn.at(-1);
        expect(redrawn?.ts).toBe('1700000000.900000');
        expect(sectionOf(redrawn!.view, 'detection.2')).toMatch(
          /its run's message could not be found in the thread, so its output is not shown \(Slack's last answer: `ratelimited`\)/,
        );
        expect(s.looks).toHaveLength(1 + REDRAW_MAX_ATTEMPTS);
        expect((await dueNow(id)).rows).toHaveLength(0);
        expect(warned.filter((w) => /gave up looking for it/.test(w))).toEqual([
          expect.stringContaining(`step run ${id}'s message: gave up looking for it`),
        ]);
        // Marked on the run: lost, its look-up given up, with Slack's last answer.
        const { rows } = await ctx.db.query<{ state: string; message_given_up_at: Date | null; why: string | null }>(
          'SELECT state, message_given_up_at, message_given_up_why AS why FROM step_runs WHERE id = $1',
          [id],
        );
        expect(rows[0]).toMatchObject({ state: 'lost', message_given_up_at: expect.any(Date), why: 'ratelimited' });
        // Said on the step's line in the checklist, with Slack's last answer.
        expect(await checklistLine('detection.2')).toMatch(
          /its run's message could not be found in the thread, so its output is not shown \(Slack's last answer: `ratelimited`\)/,
        );
        // Never looked up again: not made due by a later look-up's request, nor looked for when due for another reason.
        await lookForRunMessageLater(ctx.db, id);
        expect((await dueNow(id)).rows).toHaveLength(0);
        await ctx.db.query('UPDATE step_runs SET show_due_at = now(), show_attempts = 0 WHERE id = $1', [id]);
        await sweep.sweep();
        expect(s.looks).toHaveLength(1 + REDRAW_MAX_ATTEMPTS);
        expect((await dueNow(id)).rows).toHaveLength(0);
        await end();
      });
    });

    describe('a run whose process was cut off from the database past its lease, and came back', () => {
      /**
       * Runs the slow status step, its lease renewed with its output so far, then the process cut off (its renewals
       * fail) until another process's sweep records it lost; `meanwhile` runs then; the process comes back and the
       * command ends.
       */
      const cutOff = async (meanwhile: () => Promise<void>, key = 'detection.2') => {
        const s = slack();
        const f = flaky(ctx.db);
        const e = executor(f.db, s.chat, opts({ ATOM_CLI_SLOW_MS: '100', ATOM_CLI_SLOW_COUNT: '25' }), 600);
        const running = execute(e, key);
        await untilPasses(async () => expect(await tailOf(key)).toMatch(/^progress 1\//), 5_000);
        f.fail(/lease_until = now\(\) \+ make_interval/);
        const other = new LostRuns(ctx.db, s.chat, checklists, runs, metrics, quiet);
        await untilPasses(async () => {
          await other.sweep();
          expect((await runRow(key))?.state).toBe('lost');
        }, 5_000);
        await meanwhile();
        f.fail(null);
        const result = await running;
        const events = (await listEvents(ctx.db, host.kind === 'incident' ? host.incident.id : 0)).filter(
          (x) => x.kind === 'step_run',
        );
        return { s, result, events };
      };

      /** Someone ticks the step while its run is recorded lost: acted on, so the run stays lost when its end comes. */
      const tickedMeanwhile = async () => {
        await insertCheck(
          ctx.db,
          { kind: 'incident', id: host.kind === 'incident' ? host.incident.id : 0 },
          { playbookId: 'web-down', stepKey: 'detection.2', state: 'done', reason: null, checkedBy: 'U2' },
        );
      };

      it('records its real end when nobody acted on the lost run, the timeline saying it came back', async () => {
        const { s, result, events } = await cutOff(async () => {});
        expect(result.view.state).toBe('succeeded');
        expect((await runRow('detection.2'))?.state).toBe('succeeded');
        expect(events.map((x) => [x.details.state, x.details.cameBack ?? null])).toEqual([
          ['lost', null],
          ['succeeded', true],
        ]);
        expect(s.last()).toMatchObject({ state: 'succeeded' });
      });

      it('leaves it lost when its step was acted on meanwhile, its message and the timeline saying how it ended', async () => {
        const { s, events } = await cutOff(tickedMeanwhile);
        expect((await runRow('detection.2'))?.state).toBe('lost');
        expect(events.map((x) => [x.details.state, x.details.cameBack ?? null, x.details.keptLost ?? null])).toEqual([
          ['lost', null, null],
          ['succeeded', true, true],
        ]);
        expect(s.last()).toMatchObject({ state: 'lost', detail: expect.stringMatching(/came back.*succeeded/) });
      });

      it('kept lost, its message shows the output its late end brought, said to have come after, drawn again too', async () => {
        const { s, result } = await cutOff(tickedMeanwhile);
        // The record keeps what the last renewal saved; the message shows the command's whole end.
        expect(await tailOf('detection.2')).not.toMatch(/done\n?$/);
        expect(result.view.tail).toMatch(/progress 25\/25\ndone\n?$/);
        const kept = s.last();
        expect(kept).toMatchObject({ state: 'lost', exitCode: null, tail: result.view.tail, bytes: result.view.bytes });
        // How long it ran to its end (25 lines 100 ms apart), not how long it had run at the lease's last renewal.
        expect(kept.durationMs).toBeGreaterThanOrEqual(2_400);
        expect(kept.detail).toMatch(
          /recorded lost\..*the output below is what it printed to its end, reported after it was recorded lost/,
        );
        // Drawn again by the sweep from the record: the same.
        await dueAgain('detection.2');
        await redraws(s.chat).sweep();
        expect(s.last()).toEqual(kept);
      });

      it('kept lost, its checklist line says the count of the lines found to its end, as its message does: not so far', async () => {
        // Ticked done, then the tick undone while the run is lost: acted on, and the checklist shows the run again.
        const { s, result } = await cutOff(async () => {
          const ref = { kind: 'incident' as const, id: host.kind === 'incident' ? host.incident.id : 0 };
          const c = await insertCheck(ctx.db, ref, {
            playbookId: 'web-down',
            stepKey: 'detection.3',
            state: 'done',
            reason: null,
            checkedBy: 'U2',
          });
          await undoCheck(ctx.db, c!.id, 'U2');
        }, 'detection.3');
        expect((await runRow('detection.3'))?.state).toBe('lost');
        // Its message: the count to its end ("progress 1/25" and "progress 10/25" to "progress 19/25").
        const end = result.view.found!;
        expect(end.matched).toBe(11);
        expect(s.last()).toMatchObject({ state: 'lost', found: end });
        expect(s.last().foundSoFar).toBeUndefined();
        const line = await checklistLine('detection.3');
        expect(line).toContain(`:mag: ${end.matched} of ${end.total} lines have \\"progress 1\\"`);
        expect(line).not.toContain('so far');
      }, 20_000);
    });

    describe('a run whose process died while it ran', () => {
      it('is drawn lost with what its message showed at the lease’s last renewal, the lines found too', async () => {
        const s = slack();
        const f = flaky(ctx.db);
        // 35 lines 100 ms apart: still running a second past when the cut-off runs (25 lines) are recorded lost, so that
        // its end comes after what is looked at here; the test waits for that end (in finally), no longer than it must.
        const e = executor(f.db, s.chat, opts({ ATOM_CLI_SLOW_MS: '100', ATOM_CLI_SLOW_COUNT: '35' }), 600);
        const running = execute(e, 'detection.3');
        try {
          // Renewed with a line found ("progress 1/35"); then renewed no more, as a process killed outright.
          await untilPasses(async () => expect(await tailOf('detection.3')).toMatch(/^progress 1\//), 5_000);
          f.fail(/lease_until = now\(\) \+ make_interval/);
          const other = new LostRuns(ctx.db, s.chat, checklists, runs, metrics, quiet);
          await untilPasses(async () => {
            await other.sweep();
            expect((await runRow('detection.3'))?.state).toBe('lost');
          }, 5_000);
          const lost = s.drawn.filter((d) => d.view.state === 'lost').at(-1)!.view;
          // What the live message showed with the same output: its lines found, not only their count.
          const live = s.drawn.filter((d) => d.view.state === 'running' && d.view.tail === lost.tail).at(-1)!.view;
          expect(live.found?.last).toContain('progress 1/35');
          expect(lost).toMatchObject({ found: live.found, bytes: live.bytes, lookFor: live.lookFor });
          expect(JSON.stringify(renderRun(lost).blocks)).toContain('progress 1/35');
          // Only what was found up to that renewal (the command may have printed more after): said to be so far.
          expect(lost.foundSoFar).toBe(true);
          expect(renderRun(lost).text).toMatch(/lines? ha(s|ve) "progress 1" so far$/);
          // Its checklist line too: the count written while it ran, said to be so far (not as a stopped run's count).
          expect(await checklistLine('detection.3')).toMatch(/:x: \*4\.\*/);
          expect(await checklistLine('detection.3')).toMatch(
            /:mag: \d+ of \d+ lines? ha(s|ve) \\"progress 1\\" so far/,
          );
          // Drawn again by the sweep from the record: the same.
          await dueAgain('detection.3');
          await redraws(s.chat).sweep();
          expect(s.drawn.filter((d) => d.view.state === 'lost').at(-1)!.view).toEqual(lost);
        } finally {
          f.fail(null);
          await running;
        }
      }, 20_000);
    });
  },
  { migrate: true },
);
