import { beforeEach, describe, expect, it } from 'vitest';
import { Checklists } from '../../src/incidents/checklist.service.js';
import { CHECKLIST_POST_MAX_ATTEMPTS, ChecklistMessages } from '../../src/incidents/checklist-messages.js';
import { ChatPlatformError, DomainError } from '../../src/incidents/errors.js';
import { PlaybookService } from '../../src/incidents/playbook.service.js';
import type {
  ChecklistGivenUp,
  ChecklistMarker,
  ChecklistView,
  Logger,
  PlaybookChat,
} from '../../src/incidents/ports.js';
import type { Incident } from '../../src/incidents/types.js';
import type { Playbook } from '../../src/runbook/playbooks.js';
import { parseRunbook } from '../../src/runbook/runbook.js';
import type { Database } from '../../src/store/db.js';
import { getIncident, insertIncident } from '../../src/store/incident.repo.js';
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

const lostAnswer = () => new ChatPlatformError('request_error', 'Slack did not answer while posting the playbook.');

/**
 * The incident channel: the checklists posted (each with its marker), their redraws. `next` says what the next post
 * does: answered (default); `hang`, taken and never answered (its process dies there; `answer` lets it go on, failing);
 * `lost`, taken and its answer lost; `untaken`, not taken, its answer lost all the same; `refused`, refused outright.
 * `state.refusing`: every post refused outright. `told`: the direct messages saying a checklist was given up.
 */
function slack() {
  const posts: { ts: string; marker: ChecklistView['attachment']; view: ChecklistView }[] = [];
  const updates: { ts: string; view: ChecklistView }[] = [];
  const looks: ChecklistMarker[] = [];
  const told: { userId: string; given: ChecklistGivenUp }[] = [];
  let next: 'answer' | 'hang' | 'lost' | 'untaken' | 'refused' = 'answer';
  let answer: () => void = () => {};
  let n = 0;
  const state = { unreadable: false, refusing: false };
  const chat = {
    async postPlaybook(_p: unknown, view: ChecklistView) {
      const mode = next;
      next = 'answer';
      if (mode === 'untaken') throw lostAnswer();
      if (mode === 'refused' || state.refusing)
        throw new ChatPlatformError('not_in_channel', 'The bot is not in that channel.');
      const ts = `1700000000.${String(++n).padStart(6, '0')}`;
      posts.push({ ts, marker: view.attachment, view });
      if (mode === 'lost') throw lostAnswer();
      if (mode === 'hang') {
        await new Promise<void>((r) => {
          answer = r;
        });
        throw new Error('the process died here');
      }
      return ts;
    },
    async findPlaybookPost(_p: unknown, marker: ChecklistMarker) {
      looks.push(marker);
      if (state.unreadable) throw new ChatPlatformError('missing_scope', 'Slack refused to read the channel.');
      if (marker.kind !== 'attached') return null;
      const mine = posts.filter(
        (p) => p.marker?.incidentId === marker.incidentId && p.marker.attachment === marker.attachment,
      );
      return mine.at(-1)?.ts ?? null;
    },
    async deletePlaybook() {},
    async updatePlaybook(_p: unknown, ts: string, view: ChecklistView) {
      updates.push({ ts, view });
    },
    async postNote() {},
    async tellChecklistGivenUp(userId: string, given: ChecklistGivenUp) {
      told.push({ userId, given });
    },
    isMember: async () => true,
    isPrivateChannel: async () => false,
    permalink: async (_p: unknown, ts: string) => `https://slack.example/${ts}`,
  };
  return {
    chat: chat as unknown as PlaybookChat,
    posts,
    updates,
    looks,
    told,
    state,
    next(mode: typeof next) {
      next = mode;
    },
    answer: () => answer(),
  };
}

function log() {
  const said: { level: string; text: string }[] = [];
  const keep =
    (level: string) =>
    (...args: unknown[]) =>
      said.push({ level, text: args.map(String).join(' ') });
  const l: Logger = { info: keep('info'), warn: keep('warn'), error: keep('error') };
  return { log: l, said };
}

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

  const service = (db: Database, s: ReturnType<typeof slack>) =>
    new PlaybookService(db, s.chat as never, runbook, { atomCli: 'atom-cli', checklistPostLeaseMs: LEASE_MS }, quiet);
  const attach = (db: Database, s: ReturnType<typeof slack>) => service(db, s).attach(incident.id, playbook.id, USER);
  const sweeper = (s: ReturnType<typeof slack>, l: Logger = quiet, leaseMs = LEASE_MS) =>
    new ChecklistMessages(
      'attached',
      ctx.db,
      s.chat,
      new Checklists(ctx.db, s.chat, runbook, l),
      runbook.playbooks,
      l,
      leaseMs,
    );
  const row = async () =>
    (
      await ctx.db.query<{ message_ts: string | null; message_given_up_at: Date | null }>(
        'SELECT message_ts, message_given_up_at FROM incident_playbooks WHERE incident_id = $1 AND playbook_id = $2',
        [incident.id, playbook.id],
      )
    ).rows[0];
  const sweepUntilRecorded = async (sweep: ChecklistMessages) =>
    untilPasses(
      async () => {
        await sweep.sweep();
        expect((await row())?.message_ts).not.toBeNull();
      },
      LEASE_MS * 4 + 5_000,
    );
  const tick = (s: ReturnType<typeof slack>, key: string) =>
    new Checklists(ctx.db, s.chat, runbook, quiet).done({ kind: 'incident', incident }, playbook.id, key, USER);
  const stateOf = (v: ChecklistView | undefined, key: string) => v?.statuses[key]?.state ?? 'open';

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
      expect(post!.marker).toMatchObject({ incidentId: incident.id });
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

  it("the incident channel's history unreadable: nothing is posted blind; tried again with growing waits, then given up, said in the log and on the record", async () => {
    const s = slack();
    s.state.unreadable = true;
    s.next('untaken');
    await attach(ctx.db, s).catch(() => null);
    const l = log();
    const sweep = sweeper(s, l.log, 30);
    await untilPasses(async () => {
      await sweep.sweep();
      expect((await row())?.message_given_up_at).not.toBeNull();
    }, 15_000);
    expect(s.looks).toHaveLength(CHECKLIST_POST_MAX_ATTEMPTS);
    expect(s.posts).toEqual([]);
    expect(l.said.filter((x) => x.level === 'error').map((x) => x.text)).toEqual([
      expect.stringMatching(
        /incident \d+'s playbook db-failover .*gave up finding or posting its checklist after 8 attempts .*detach the playbook and attach it again/,
      ),
    ]);
    await new Promise((r) => setTimeout(r, 200));
    await sweep.sweep();
    expect(s.looks).toHaveLength(CHECKLIST_POST_MAX_ATTEMPTS);
  });

  it("Slack refusing the checklist outright till the sweep gives up: the person who attached it is told once, on giving up, with Slack's answer and what to do", async () => {
    const s = slack();
    s.state.refusing = true;
    await attach(ctx.db, s).catch(() => null);
    const sweep = sweeper(s, quiet, 30);
    await untilPasses(async () => {
      await sweep.sweep();
      const given = (await row())?.message_given_up_at;
      // Not before it is given up.
      if (!given) expect(s.told).toEqual([]);
      expect(given).not.toBeNull();
    }, 15_000);
    expect(s.posts).toEqual([]);
    expect(s.told).toEqual([
      {
        userId: USER,
        given: {
          kind: 'attached',
          incidentNumber: 42,
          playbookId: 'db-failover',
          playbookTitle: 'Database failover',
          channelId: CHANNEL,
          error: 'not_in_channel',
          attempts: CHECKLIST_POST_MAX_ATTEMPTS,
        },
      },
    ]);
    // Given up: told no more.
    await new Promise((r) => setTimeout(r, 200));
    await sweep.sweep();
    expect(s.told).toHaveLength(1);
  });

  it('a playbook the bot attached (nobody did) given up: its commander is told', async () => {
    await ctx.db.query('UPDATE incidents SET commander_id = $2 WHERE id = $1', [incident.id, 'U0COMMANDER']);
    incident = (await getIncident(ctx.db, incident.id))!;
    const s = slack();
    s.state.refusing = true;
    await service(ctx.db, s)
      .attach(incident.id, playbook.id, null, true)
      .catch(() => null);
    const sweep = sweeper(s, quiet, 30);
    await untilPasses(async () => {
      await sweep.sweep();
      expect((await row())?.message_given_up_at).not.toBeNull();
    }, 15_000);
    expect(s.told.map((t) => t.userId)).toEqual(['U0COMMANDER']);
  });
});
