/**
 * What the tests of a checklist's post (test/store/attached-playbook-message.test.ts, playbook-run-message.test.ts)
 * share: a recording Slack channel, a log that keeps what was said, the sweep (ChecklistMessages) of one kind, and the
 * giving up's tests, whose shape is the same for a playbook run's checklist and an incident's attached playbook's.
 */
import { expect, it } from 'vitest';
import { Checklists } from '../../src/incidents/checklist.service.js';
import { CHECKLIST_POST_MAX_ATTEMPTS, ChecklistMessages } from '../../src/incidents/checklist-messages.js';
import { ChatPlatformError } from '../../src/incidents/errors.js';
import type {
  ChecklistGivenUp,
  ChecklistMarker,
  ChecklistView,
  Logger,
  PlaybookChat,
  PlaybookNote,
} from '../../src/incidents/ports.js';
import type { Playbook } from '../../src/runbook/playbooks.js';
import { parseRunbook, type Runbook } from '../../src/runbook/runbook.js';
import type { ChecklistPostKind } from '../../src/store/checklist-post.repo.js';
import type { Database } from '../../src/store/db.js';
import { untilPasses } from './incident-flow.js';
import { testRunbookData } from './test-runbook.js';

/** A request's answer never came (a timeout): Slack may have taken it. */
export const lostAnswer = () =>
  new ChatPlatformError('request_error', 'Slack did not answer while posting the playbook.');

/** What the next post does (see checklistSlack). */
export type NextPost = 'answer' | 'hang' | 'lost' | 'untaken' | 'refused';

/** Whether a post is the one a marker names: a run's by its id; an attached playbook's by its incident and attachment. */
const marks = (marker: ChecklistMarker, view: ChecklistView) =>
  marker.kind === 'run'
    ? view.runId === marker.runId
    : view.attachment?.incidentId === marker.incidentId && view.attachment.attachment === marker.attachment;

/**
 * A Slack channel holding the checklists posted (each with its marker in its view: a run's id, an attachment), their
 * redraws, thread notes and deletions. `next` says what the next post does: answered (default); `hang`, taken and never
 * answered (its process dies there: `answer` lets it go on, failing, for the test to end); `lost`, taken and its answer
 * lost; `untaken`, not taken, its answer lost all the same; `refused`, refused outright. `state.unreadable`: its history
 * cannot be read; `state.refusing`: every post refused outright. `told`: the direct messages saying a checklist was
 * given up (taken); `state.tellRefused`: so many of them refused first (the network failing); `state.tellLost`: so many
 * taken with their answer lost; `tellTries` counting every try, `tellLooks` every look for one taken (its history
 * unreadable with `state.unreadable`).
 */
export function checklistSlack() {
  const posts: { ts: string; view: ChecklistView }[] = [];
  const updates: { ts: string; view: ChecklistView }[] = [];
  const notes: { threadTs: string; note: PlaybookNote }[] = [];
  const deleted: string[] = [];
  const looks: ChecklistMarker[] = [];
  const told: { userId: string; given: ChecklistGivenUp }[] = [];
  /** Whose checklist each telling was marked with (as Slack keeps it in the message's metadata). */
  const toldMarks: { userId: string; marker: ChecklistMarker }[] = [];
  let next: NextPost = 'answer';
  let answer: () => void = () => {};
  let n = 0;
  const state = {
    unreadable: false,
    refusing: false,
    tellRefused: 0,
    tellLost: 0,
    tellTries: 0,
    tellLooks: 0,
    /** When each try was made (Date.now()). */
    tellTimes: [] as number[],
  };
  const chat = {
    async postPlaybook(_p: unknown, view: ChecklistView) {
      const mode = next;
      next = 'answer';
      if (mode === 'untaken') throw lostAnswer();
      if (mode === 'refused' || state.refusing)
        throw new ChatPlatformError('not_in_channel', 'The bot is not in that channel.');
      const ts = `1700000000.${String(++n).padStart(6, '0')}`;
      posts.push({ ts, view });
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
      return posts.filter((p) => marks(marker, p.view)).at(-1)?.ts ?? null;
    },
    async deletePlaybook(_p: unknown, ts: string) {
      deleted.push(ts);
    },
    async updatePlaybook(_p: unknown, ts: string, view: ChecklistView) {
      updates.push({ ts, view });
    },
    async postNote(_p: unknown, threadTs: string, note: PlaybookNote) {
      notes.push({ threadTs, note });
    },
    async tellChecklistGivenUp(userId: string, given: ChecklistGivenUp, marker: ChecklistMarker) {
      state.tellTries++;
      state.tellTimes.push(Date.now());
      if (state.tellRefused > 0) {
        state.tellRefused--;
        throw new ChatPlatformError('request_error', 'Slack did not answer while telling the person.');
      }
      told.push({ userId, given });
      toldMarks.push({ userId, marker });
      if (state.tellLost > 0) {
        state.tellLost--;
        throw new ChatPlatformError('request_error', 'Slack did not answer while telling the person.');
      }
    },
    async findChecklistGivenUp(userId: string, _given: ChecklistGivenUp, marker: ChecklistMarker) {
      state.tellLooks++;
      if (state.unreadable) return false;
      return toldMarks.some((t) => t.userId === userId && JSON.stringify(t.marker) === JSON.stringify(marker));
    },
    isMember: async () => true,
    isPrivateChannel: async () => false,
    permalink: async (_p: unknown, ts: string) => `https://slack.example/${ts}`,
  };
  return {
    chat: chat as unknown as PlaybookChat,
    posts,
    updates,
    notes,
    deleted,
    looks,
    told,
    state,
    next(mode: NextPost) {
      next = mode;
    },
    answer: () => answer(),
  };
}

export type ChecklistSlack = ReturnType<typeof checklistSlack>;

/** A log that keeps what was said. */
export function keptLog() {
  const said: { level: string; text: string }[] = [];
  const keep =
    (level: string) =>
    (...args: unknown[]) =>
      said.push({ level, text: args.map(String).join(' ') });
  const l: Logger = { info: keep('info'), warn: keep('warn'), error: keep('error') };
  return { log: l, said };
}

/**
 * The test runbook with a playbook run outside incidents (`/incident run weekly-backup-check`) in `channel`, its
 * detection steps `detection`: the runbook, and the playbook.
 */
export function backupCheckRunbook(channel: string, detection: unknown[]): { runbook: Runbook; playbook: Playbook } {
  const runbook = parseRunbook({
    ...testRunbookData(),
    playbooks: {
      'weekly-backup-check': {
        title: 'Weekly backup check',
        kind: 'procedure',
        outside_incident: { channel },
        detection,
      },
    },
  });
  return { runbook, playbook: runbook.playbooks.find((p) => p.id === 'weekly-backup-check') as Playbook };
}

/** The sweep of one kind of checklist, on the recording channel. */
export const checklistSweeper = (
  db: Database,
  kind: ChecklistPostKind,
  s: ChecklistSlack,
  runbook: Runbook,
  l: Logger,
  leaseMs: number,
) => new ChecklistMessages(kind, db, s.chat, new Checklists(db, s.chat, runbook, l), runbook.playbooks, l, leaseMs);

/** A step's state in a drawn checklist. */
export const stateOf = (v: ChecklistView | undefined, key: string) => v?.statuses[key]?.state ?? 'open';

/** The checklist's record: where its message went, whether it was given up. */
export interface ChecklistRow {
  message_ts: string | null;
  message_given_up_at: Date | null;
}

/** Sweeps (really waiting for its holds to run out) until the checklist's message is recorded. */
export const sweepUntilRecorded = (
  sweep: ChecklistMessages,
  row: () => Promise<ChecklistRow | undefined>,
  ms: number,
) =>
  untilPasses(async () => {
    await sweep.sweep();
    expect((await row())?.message_ts).not.toBeNull();
  }, ms);

/** Sweeps until the checklist is given up; `meanwhile` checks each round before it is. */
export const sweepUntilGivenUp = (
  sweep: ChecklistMessages,
  row: () => Promise<ChecklistRow | undefined>,
  meanwhile: () => void = () => {},
  ms = 15_000,
) =>
  untilPasses(async () => {
    await sweep.sweep();
    const given = (await row())?.message_given_up_at;
    if (!given) meanwhile();
    expect(given).not.toBeNull();
  }, ms);

/**
 * The two tests of a checklist the sweep gives up, one kind's: its channel's history unreadable (nothing posted blind,
 * given up after its attempts, said in the log); Slack refusing it outright (its person told once, on giving up).
 */
export function givingUpTests(o: {
  /** The tests' names. */
  names: { unreadable: string; refused: string };
  /** The sweep, with holds of `leaseMs`. */
  sweeper: (s: ChecklistSlack, l: Logger, leaseMs: number) => ChecklistMessages;
  row: () => Promise<ChecklistRow | undefined>;
  /** Its checklist made, its process's post failed: left to the sweep (its channel's history unreadable by then). */
  unposted: (s: ChecklistSlack) => Promise<unknown>;
  /** Its checklist made, left to the sweep, and every post refused outright from then on. */
  refused: (s: ChecklistSlack) => Promise<unknown>;
  /** The error logged on giving up. */
  givenUpLog: RegExp;
  /** Who is told, and what, once it is given up (Slack's answer not_in_channel). */
  told: () => Promise<{ userId: string; given: ChecklistGivenUp }>;
}): void {
  it(o.names.unreadable, async () => {
    const s = checklistSlack();
    s.state.unreadable = true;
    s.next('untaken');
    await o.unposted(s).catch(() => null);
    const l = keptLog();
    // Holds of 30 ms, doubled each attempt: the attempts are really waited for.
    const sweep = o.sweeper(s, l.log, 30);
    await sweepUntilGivenUp(sweep, o.row);
    expect(s.looks).toHaveLength(CHECKLIST_POST_MAX_ATTEMPTS);
    expect(s.posts).toEqual([]);
    expect(l.said.filter((x) => x.level === 'error').map((x) => x.text)).toEqual([expect.stringMatching(o.givenUpLog)]);
    // Given up: left.
    await new Promise((r) => setTimeout(r, 200));
    await sweep.sweep();
    expect(s.looks).toHaveLength(CHECKLIST_POST_MAX_ATTEMPTS);
  });

  it(o.names.refused, async () => {
    const s = checklistSlack();
    await o.refused(s).catch(() => null);
    const sweep = o.sweeper(s, keptLog().log, 30);
    // Not told before it is given up.
    await sweepUntilGivenUp(sweep, o.row, () => expect(s.told).toEqual([]));
    expect(s.posts).toEqual([]);
    expect(s.told).toEqual([await o.told()]);
    // Given up: told no more.
    await new Promise((r) => setTimeout(r, 200));
    await sweep.sweep();
    expect(s.told).toHaveLength(1);
  });
}
