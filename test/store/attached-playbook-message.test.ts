import { beforeEach, describe, expect, it } from 'vitest';
import { Checklists } from '../../src/incidents/checklist.service.js';
import {
  CHECKLIST_POST_MAX_ATTEMPTS,
  CHECKLIST_TELL_MAX_ATTEMPTS,
  type ChecklistMessages,
} from '../../src/incidents/checklist-messages.js';
import { DomainError } from '../../src/incidents/errors.js';
import { PlaybookService } from '../../src/incidents/playbook.service.js';
import type { Logger } from '../../src/incidents/ports.js';
import type { Incident } from '../../src/incidents/types.js';
import type { Playbook } from '../../src/runbook/playbooks.js';
import { parseRunbook } from '../../src/runbook/runbook.js';
import type { Database } from '../../src/store/db.js';
import { getIncident, insertIncident } from '../../src/store/incident.repo.js';
import {
  type ChecklistSlack,
  checklistSweeper,
  givingUpTests,
  keptLog as log,
  checklistSlack as slack,
  stateOf,
  sweepUntilGivenUp,
  sweepUntilRecorded as untilRecorded,
} from '../support/checklist-post-slack.js';
import { flaky } from '../support/flaky-db.js';
import { untilPasses } from '../support/incident-flow.js';
import { testRunbookData } from '../support/test-runbook.js';
import { forEachDatabase } from './databases.js';

/**
 * A playbook attached to an incident (`/incident playbook`, the suggested one at declaration, the alert row's) has its
 * checklist posted in the incident channel, and then where it went recorded: a process dying between (kill -9), the
 * recording failing, or Slack's answer lost, left the attachment without a message for good (its checklist never
 * redrawn, its buttons pointing at nothing recorded). The attachment is held while it is posted; once its hold runs
 * out the sweep (ChecklistMessages) finds the post by its marker and records it, or posts it once.
 */

const CHANNEL = 'C0INC42';
const USER = 'U0RESPONDER';
/** How long an attachment is held while its checklist is posted (renewed every third of it): short, really waited for. */
const LEASE_MS = 1_500;

const runbook = parseRunbook({
  ...testRunbookData(),
  playbooks: {
    'db-failover': {
      title: 'Database failover',
      kind: 'procedure',
      detection: ['Check replication lag', 'Promote the replica', 'Point the app at it'],
    },
  },
});
const playbook = runbook.playbooks.find((p) => p.id === 'db-failover') as Playbook;

forEachDatabase((ctx) => {
  beforeEach(() => ctx.truncate());

  const quiet = log().log;
  let incident: Incident;
  beforeEach(async () => {
    const i = await insertIncident(ctx.db, {
      teamId: 'T1',
      number: 42,
      title: 'db down',
      severity: 1,
      reporterId: USER,
    });
    await ctx.db.query('UPDATE incidents SET channel_id = $2 WHERE id = $1', [i.id, CHANNEL]);
    incident = (await getIncident(ctx.db, i.id))!;
  });

  const service = (db: Database, s: ChecklistSlack) =>
    new PlaybookService(db, s.chat as never, runbook, { atomCli: 'atom-cli', checklistPostLeaseMs: LEASE_MS }, quiet);
  const attach = (db: Database, s: ChecklistSlack) => service(db, s).attach(incident.id, playbook.id, USER);
  const sweeper = (s: ChecklistSlack, l: Logger = quiet, leaseMs = LEASE_MS) =>
    checklistSweeper(ctx.db, 'attached', s, runbook, l, leaseMs);
  const row = async () =>
    (
      await ctx.db.query<{ message_ts: string | null; message_given_up_at: Date | null }>(
        'SELECT message_ts, message_given_up_at FROM incident_playbooks WHERE incident_id = $1 AND playbook_id = $2',
        [incident.id, playbook.id],
      )
    ).rows[0];
  const sweepUntilRecorded = (sweep: ChecklistMessages) => untilRecorded(sweep, row, LEASE_MS * 4 + 5_000);
  const tick = (s: ChecklistSlack, key: string) =>
    new Checklists(ctx.db, s.chat, runbook, quiet).done({ kind: 'incident', incident }, playbook.id, key, USER);

  describe('a process that dies after Slack took the checklist (no answer), before it recorded where', () => {
    it('the attachment is held while it could still record it; then the sweep finds the post by its marker, records it and draws it as it stands: one message in the incident channel, kept up to date', async () => {
      const s = slack();
      const f = flaky(ctx.db);
      s.next('hang');
      // Dead: its hold is renewed no more.
      f.fail(/SET message_lease_until = now\(\) \+/);
      const dying = attach(f.db, s).catch((e: unknown) => e);
      await untilPasses(async () => expect(s.posts).toHaveLength(1), 5_000);
      const [post] = s.posts;
      expect(post!.view.attachment).toMatchObject({ incidentId: incident.id });
      expect(await row()).toMatchObject({ message_ts: null });
      // Its buttons are up: a step ticked meanwhile is recorded, and shown nowhere (no message on the record).
      await tick(s, 'detection.0');
      expect(s.updates).toEqual([]);

      const sweep = sweeper(s);
      // Within its hold: left to its process.
      await sweep.sweep();
      expect(s.looks).toEqual([]);

      await sweepUntilRecorded(sweep);
      expect((await row())?.message_ts).toBe(post!.ts);
      expect(s.posts).toHaveLength(1);
      // Drawn as it stands: the step ticked meanwhile shows done.
      expect(s.updates.map((u) => u.ts)).toEqual([post!.ts]);
      expect(stateOf(s.updates[0]?.view, 'detection.0')).toBe('done');

      // Kept up to date afterwards.
      await tick(s, 'detection.1');
      expect(s.updates.map((u) => u.ts)).toEqual([post!.ts, post!.ts]);
      expect(stateOf(s.updates[1]?.view, 'detection.1')).toBe('done');

      s.answer();
      await dying;
      await new Promise((r) => setTimeout(r, LEASE_MS));
      await sweep.sweep();
      expect(s.posts).toHaveLength(1);
      expect((await row())?.message_ts).toBe(post!.ts);
    });

    it('a live process posting slowly (past several holds) keeps its attachment: the sweep never takes it', async () => {
      const s = slack();
      s.next('hang');
      const slow = attach(ctx.db, s).catch((e: unknown) => e);
      await untilPasses(async () => expect(s.posts).toHaveLength(1), 5_000);
      const sweep = sweeper(s);
      const until = Date.now() + LEASE_MS * 3;
      while (Date.now() < until) {
        await sweep.sweep();
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(s.looks).toEqual([]);
      expect(s.posts).toHaveLength(1);
      s.answer();
      await slow;
    });
  });

  it('the recording failing after Slack took it: the person is told so, and the sweep records the post found', async () => {
    const s = slack();
    const f = flaky(ctx.db);
    f.fail(/SET message_ts = \$\d/, 1);
    const failed = await attach(f.db, s).catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(DomainError);
    expect(String((failed as Error).message)).toMatch(
      /The checklist of Database failover is posted in the incident channel, but where it went could not be recorded/,
    );
    expect(s.posts).toHaveLength(1);
    expect((await row())?.message_ts).toBeNull();
    await sweepUntilRecorded(sweeper(s));
    expect((await row())?.message_ts).toBe(s.posts[0]!.ts);
    expect(s.posts).toHaveLength(1);
    await tick(s, 'detection.2');
    expect(s.updates.at(-1)?.ts).toBe(s.posts[0]!.ts);
    expect(stateOf(s.updates.at(-1)?.view, 'detection.2')).toBe('done');
  });

  describe('the post answered with a timeout, or refused', () => {
    it.each([
      ['Slack took it: found and recorded', 'lost' as const, /Slack may have posted its checklist all the same/],
      [
        'Slack never took it: posted then, once',
        'untaken' as const,
        /Slack may have posted its checklist all the same/,
      ],
      [
        'Slack refused it: posted then, once',
        'refused' as const,
        /is attached all the same: the bot tries posting its checklist in the incident channel again for about half an hour/,
      ],
    ])('%s', async (_name, mode, said) => {
      const s = slack();
      s.next(mode);
      const failed = await attach(ctx.db, s).catch((e: unknown) => e);
      expect(failed).toBeInstanceOf(DomainError);
      expect(String((failed as Error).message)).toMatch(said);
      // Attached all the same, and left to the sweep at once.
      expect(await row()).toMatchObject({ message_ts: null });
      const sweep = sweeper(s);
      await sweepUntilRecorded(sweep);
      expect(s.posts).toHaveLength(1);
      expect((await row())?.message_ts).toBe(s.posts[0]!.ts);
      // Recorded: swept no more.
      await new Promise((r) => setTimeout(r, LEASE_MS));
      await sweep.sweep();
      expect(s.posts).toHaveLength(1);
      expect(s.looks).toHaveLength(1);
      await tick(s, 'detection.0');
      expect(s.updates.at(-1)?.ts).toBe(s.posts[0]!.ts);
    });
  });

  it("attached again after a detach: the old message (the earlier attachment's marker) is not taken for the new one", async () => {
    const s = slack();
    await attach(ctx.db, s);
    const old = s.posts[0]!.ts;
    expect((await row())?.message_ts).toBe(old);
    await service(ctx.db, s).detach(incident.id, playbook.id, USER);
    // Attached again within the same second or so; Slack never takes its checklist.
    s.next('untaken');
    await attach(ctx.db, s).catch(() => null);
    expect(await row()).toMatchObject({ message_ts: null });
    await sweepUntilRecorded(sweeper(s));
    expect(s.posts).toHaveLength(2);
    expect((await row())?.message_ts).toBe(s.posts[1]!.ts);
    expect(s.posts[1]!.ts).not.toBe(old);
  });

  givingUpTests({
    names: {
      unreadable:
        "the incident channel's history unreadable: nothing is posted blind; tried again with growing waits, then given up, said in the log and on the record",
      refused:
        "Slack refusing the checklist outright till the sweep gives up: the person who attached it is told once, on giving up, with Slack's answer and what to do",
    },
    sweeper,
    row,
    unposted: (s) => attach(ctx.db, s),
    refused: (s) => {
      s.state.refusing = true;
      return attach(ctx.db, s);
    },
    givenUpLog:
      /incident \d+'s playbook db-failover .*gave up finding or posting its checklist after 8 attempts .*detach the playbook and attach it again/,
    told: async () => ({
      userId: USER,
      given: {
        kind: 'attached',
        incidentNumber: 42,
        private: false,
        playbookId: 'db-failover',
        playbookTitle: 'Database failover',
        channelId: CHANNEL,
        error: 'not_in_channel',
        attempts: CHECKLIST_POST_MAX_ATTEMPTS,
      },
    }),
  });

  describe('the direct message saying it was given up refused (Slack, the network)', () => {
    const giveUp = async (s: ChecklistSlack, l: Logger) => {
      s.state.refusing = true;
      await attach(ctx.db, s).catch(() => null);
      const sweep = sweeper(s, l, 30);
      await sweepUntilGivenUp(sweep, row);
      return sweep;
    };

    it('is tried again by the sweep with growing waits (due on the record, not in memory) until Slack takes it: told once', async () => {
      const s = slack();
      s.state.tellRefused = 2;
      const l = log();
      const sweep = await giveUp(s, l.log);
      expect(s.told).toEqual([]);
      const due = (
        await ctx.db.query<{ tell_due_at: Date | null }>(
          'SELECT tell_due_at FROM incident_playbooks WHERE incident_id = $1',
          [incident.id],
        )
      ).rows[0]?.tell_due_at;
      expect(due).not.toBeNull();
      expect(s.state.tellTries).toBe(1);
      await untilPasses(async () => {
        await sweep.sweep();
        expect(s.told).toHaveLength(1);
      }, 10_000);
      expect(s.state.tellTries).toBe(3);
      // Not tried again before its wait, as the record said it (its first wait is the test's 30 ms: a sweep made "at
      // once" after the first try could come after it on a loaded machine, so the times are compared instead).
      expect(s.state.tellTimes[1]!).toBeGreaterThanOrEqual(due!.getTime());
      expect(s.told[0]).toMatchObject({ userId: USER, given: { error: 'not_in_channel', attempts: 8 } });
      expect(l.said.filter((x) => x.level === 'warn' && /could not tell U0RESPONDER/.test(x.text))).toHaveLength(2);
      // Told: never again.
      await new Promise((r) => setTimeout(r, 300));
      await sweep.sweep();
      expect(s.state.tellTries).toBe(3);
    });

    it('taken by Slack with its answer lost: the next try finds it sent and does not say it again (unreadable history: said again, never not at all)', async () => {
      for (const unreadable of [false, true]) {
        const s = slack();
        s.state.tellLost = 1;
        const sweep = await giveUp(s, quiet);
        s.state.unreadable = unreadable;
        expect(s.told).toHaveLength(1);
        await untilPasses(async () => {
          await sweep.sweep();
          expect(s.state.tellLooks).toBe(1);
        }, 10_000);
        // Settled: no telling due, none made after.
        const due = await ctx.db.query('SELECT tell_due_at FROM incident_playbooks WHERE incident_id = $1', [
          incident.id,
        ]);
        expect(due.rows[0]?.tell_due_at ?? null, `unreadable: ${unreadable}`).toBeNull();
        expect(s.told, `unreadable: ${unreadable}`).toHaveLength(unreadable ? 2 : 1);
        expect(s.state.tellTries).toBe(unreadable ? 2 : 1);
        await new Promise((r) => setTimeout(r, 300));
        await sweep.sweep();
        expect(s.told).toHaveLength(unreadable ? 2 : 1);
        await ctx.db.query('DELETE FROM incident_playbooks WHERE incident_id = $1', [incident.id]);
      }
    });

    it('refused every time: given up after a bounded number of tries, said in the log', async () => {
      const s = slack();
      s.state.tellRefused = 1_000;
      const l = log();
      const sweep = await giveUp(s, l.log);
      await untilPasses(async () => {
        await sweep.sweep();
        expect(l.said.filter((x) => x.level === 'error' && /could not tell/.test(x.text))).toHaveLength(1);
      }, 20_000);
      expect(s.state.tellTries).toBe(CHECKLIST_TELL_MAX_ATTEMPTS);
      expect(l.said.filter((x) => x.level === 'error').at(-1)?.text).toMatch(
        /could not tell U0RESPONDER that the checklist of incident \d+'s playbook db-failover was given up, after 6 tries/,
      );
      await new Promise((r) => setTimeout(r, 1_500));
      await sweep.sweep();
      expect(s.state.tellTries).toBe(CHECKLIST_TELL_MAX_ATTEMPTS);
      expect(s.told).toEqual([]);
    });

    it('its process dying after marking it given up, before telling: the sweep tells once the hold runs out', async () => {
      const s = slack();
      const l = log();
      s.state.refusing = true;
      await attach(ctx.db, s).catch(() => null);
      // Given up by a process that died at once (its hold, as the giving up sets it, left to run out).
      await ctx.db.query(
        `UPDATE incident_playbooks SET message_lease_until = NULL, message_given_up_at = now(),
           message_given_up_why = 'not_in_channel', message_attempts = 8, tell_due_at = now(), tell_attempts = 1
         WHERE incident_id = $1`,
        [incident.id],
      );
      await sweeper(s, l.log, 30).sweep();
      expect(s.told).toMatchObject([{ userId: USER, given: { error: 'not_in_channel', attempts: 8 } }]);
    });
  });

  it('a playbook the bot attached (nobody did) given up: its commander is told', async () => {
    await ctx.db.query('UPDATE incidents SET commander_id = $2 WHERE id = $1', [incident.id, 'U0COMMANDER']);
    incident = (await getIncident(ctx.db, incident.id))!;
    const s = slack();
    s.state.refusing = true;
    await service(ctx.db, s)
      .attach(incident.id, playbook.id, null, true)
      .catch(() => null);
    await sweepUntilGivenUp(sweeper(s, quiet, 30), row);
    expect(s.told.map((t) => t.userId)).toEqual(['U0COMMANDER']);
  });

  it('a playbook the bot attached to an incident nobody commands given up: who declared the incident is told', async () => {
    const s = slack();
    s.state.refusing = true;
    await service(ctx.db, s)
      .attach(incident.id, playbook.id, null, true)
      .catch(() => null);
    await sweepUntilGivenUp(sweeper(s, quiet, 30), row);
    expect(s.told.map((t) => t.userId)).toEqual([USER]);
  });
});
