import type { Playbook } from '../runbook/playbooks.js';
import {
  type ChecklistClaim,
  type ChecklistPostKey,
  type ChecklistPostKind,
  type ClaimedChecklist,
  checklistsUnposted,
  giveChecklistPostUp,
  renewChecklistPost,
  retryChecklistPostAt,
  setChecklistMessage,
} from '../store/checklist-post.repo.js';
import type { Database } from '../store/db.js';
import { getIncident } from '../store/incident.repo.js';
import { claimUnpostedAttachments } from '../store/incident-playbook.repo.js';
import { claimUnpostedRuns } from '../store/playbook-run.repo.js';
import type { Checklists } from './checklist.service.js';
import { GivenUpTells } from './checklist-given-up-tells.js';
import { slackAnswerOf } from './errors.js';
import { channelOf, type PlaybookHost } from './playbook-host.js';
import type { ChatPlace, ChecklistMarker, Logger, PlaybookChat } from './ports.js';
import { retryWaitMs } from './retry-schedule.js';
import type { Sweep } from './timer-loop.js';

/**
 * How long a checklist being posted is held without a renewal (renewed every third of it while Slack takes the post):
 * a process that dies posting it leaves it to the sweep after that. The default of CHECKLIST_POST_LEASE (config).
 */
export const CHECKLIST_POST_LEASE_MS = 30_000;
/** Checklists claimed per round at most. */
const SWEEP_BATCH = 10;
/** The sweep's attempts at a checklist (found or posted) at most: then given up, logged, and its person told. */
export const CHECKLIST_POST_MAX_ATTEMPTS = 8;
/**
 * Tellings that a checklist was given up at most (its person's direct message refused): then given up too, logged. The
 * waits between them are the attempts' (below): about 15 minutes in all by default.
 */
export const CHECKLIST_TELL_MAX_ATTEMPTS = 6;
/** The wait before the next attempt: a lease, doubled each time, at most 10 minutes (the sweeps' one schedule). */
const againAfterMs = (leaseMs: number, attempts: number) =>
  retryWaitMs({ firstMs: leaseMs, mostMs: 600_000 }, attempts);

type Chat = Pick<
  PlaybookChat,
  'postPlaybook' | 'findPlaybookPost' | 'deletePlaybook' | 'postNote' | 'tellChecklistGivenUp' | 'findChecklistGivenUp'
>;

/** A checklist with no message on the record (or given up, its person yet to be told), claimed by the sweep. */
export interface UnpostedChecklist extends ClaimedChecklist {
  key: ChecklistPostKey;
  /** Its message's marker (in its metadata). */
  marker: ChecklistMarker;
  host: PlaybookHost;
  playbookId: string;
  /** When it was started or attached: its post is no older. */
  since: Date;
  /**
   * Who is told once it is given up: who attached it or started the run; for one the bot attached, the commander, else
   * who declared the incident.
   */
  tell: string | null;
}

/** One kind of checklist message the sweep looks after. */
interface ChecklistKind {
  /** The timer loop's look before the sweep (see `sweepWhen`). */
  dueWhen: string;
  claim(db: Database, limit: number, leaseMs: number, what: ChecklistClaim): Promise<UnpostedChecklist[]>;
  /** What follows its post recorded (found, or posted by the sweep): a run's thread opened. */
  recorded?(chat: Chat, host: PlaybookHost, playbook: Playbook, ts: string): Promise<void>;
  /** Who is to do what once it is given up. */
  givenUp: string;
}

/** The checklist messages posted after their record is made, by kind: a new kind is a row here. */
export const CHECKLIST_KINDS: { readonly [K in ChecklistPostKind]: ChecklistKind } = {
  run: {
    dueWhen: checklistsUnposted('run'),
    claim: async (db, limit, leaseMs, what) =>
      (await claimUnpostedRuns(db, limit, leaseMs, what)).map(({ attempts, tellAttempts, givenUpWhy, ...run }) => ({
        key: { kind: 'run', runId: run.id },
        marker: { kind: 'run', runId: run.id },
        host: { kind: 'run', run },
        playbookId: run.playbookId,
        since: run.startedAt,
        attempts,
        tellAttempts,
        givenUpWhy,
        tell: run.startedBy,
      })),
    recorded: async (chat, host, playbook, ts) => {
      if (host.kind !== 'run') return;
      await chat.postNote({ channelId: host.run.channelId, threadTs: ts }, ts, {
        kind: 'run_started',
        runId: host.run.id,
        playbookTitle: playbook.title,
        startedBy: host.run.startedBy,
      });
    },
    givenUp: 'it has no message: start the playbook again',
  },
  attached: {
    dueWhen: checklistsUnposted('attached'),
    claim: async (db, limit, leaseMs, what) => {
      const claimed: UnpostedChecklist[] = [];
      for (const a of await claimUnpostedAttachments(db, limit, leaseMs, what)) {
        const incident = await getIncident(db, a.incidentId);
        if (!incident) continue;
        claimed.push({
          key: { kind: 'attached', incidentId: a.incidentId, playbookId: a.playbookId },
          marker: { kind: 'attached', incidentId: a.incidentId, playbookId: a.playbookId, attachment: a.attachment },
          host: { kind: 'incident', incident },
          playbookId: a.playbookId,
          since: a.attachedAt,
          attempts: a.attempts,
          tellAttempts: a.tellAttempts,
          givenUpWhy: a.givenUpWhy,
          // The bot attached it: its commander, else who declared it (the incident channel, said there, for one the
          // bot declared from alerts: see tellChecklistGivenUp).
          tell: a.attachedBy ?? incident.commanderId ?? incident.reporterId,
        });
      }
      return claimed;
    },
    givenUp: 'it has no message in the incident channel: detach the playbook and attach it again',
  },
};

/** How the log names whose checklist it is, and the checklist. */
const ownerName = (k: ChecklistPostKey) =>
  k.kind === 'run' ? `playbook run ${k.runId}` : `incident ${k.incidentId}'s playbook ${k.playbookId}`;
export const checklistName = (k: ChecklistPostKey) =>
  k.kind === 'run' ? `playbook run ${k.runId}'s checklist` : `the checklist of ${ownerName(k)}`;

/**
 * `post` (Slack taking a checklist), its record held all the while: its hold renewed every third of `leaseMs`, so that
 * the sweep takes it only from a process that died (or froze) posting it. The hold is a row in Postgres; the interval
 * only renews it.
 */
export async function holdingPost<T>(db: Database, key: ChecklistPostKey, leaseMs: number, post: () => Promise<T>) {
  const holding = setInterval(
    () => void renewChecklistPost(db, key, leaseMs).catch(() => {}),
    Math.max(1, Math.floor(leaseMs / 3)),
  );
  try {
    return await post();
  } finally {
    clearInterval(holding);
  }
}

/**
 * Records `ts` as the checklist's message: its message then (null: its record is gone). Another post recorded first (a
 * process that took over a post it thought dead) keeps its place: this one, one too many, is deleted.
 */
export async function keepPost(
  db: Database,
  chat: Pick<PlaybookChat, 'deletePlaybook'>,
  log: Logger,
  key: ChecklistPostKey,
  place: ChatPlace,
  ts: string,
): Promise<string | null> {
  const kept = await setChecklistMessage(db, key, ts);
  if (kept !== ts) {
    await chat
      .deletePlaybook(place, ts)
      .catch((e) => log.warn(`could not delete ${checklistName(key)} posted twice (${ts})`, e));
  }
  return kept;
}

/** The host as it stands once its checklist message is `ts` (a run's carries it; an incident's is read again). */
const withMessage = (host: PlaybookHost, ts: string): PlaybookHost =>
  host.kind === 'run' ? { kind: 'run', run: { ...host.run, messageTs: ts } } : host;

/**
 * The timer loop's sweep of one kind of checklist (CHECKLIST_KINDS: a playbook run's, a playbook attached to an
 * incident) with no message on the record whose process no longer holds it: it died (kill -9) after Slack took the post
 * and before it recorded where, or Slack's answer was lost (a timeout), or Slack never took it. Each is looked for in
 * its channel by its marker (in the message's metadata): found, it is recorded and drawn as it stands (ticks, step runs
 * since); not there, the checklist is posted then (once: a post whose answer is lost again is found by the next
 * attempt). Slack failing (its history unreadable, the post refused) is tried again with doubling waits,
 * CHECKLIST_POST_MAX_ATTEMPTS times at most, then given up (an error logged, its record marked so, and the person who
 * attached it or started the run told in a direct message, with Slack's last answer and what to do: GivenUpTells, tried
 * again by this sweep while Slack refuses it).
 */
export class ChecklistMessages implements Sweep {
  private readonly kind: ChecklistKind;
  private readonly tells: GivenUpTells;

  constructor(
    kind: ChecklistPostKind,
    private readonly db: Database,
    private readonly chat: Chat,
    private readonly checklists: Pick<Checklists, 'view' | 'refresh'>,
    private readonly playbooks: readonly Playbook[],
    private readonly log: Logger = console,
    private readonly leaseMs = CHECKLIST_POST_LEASE_MS,
  ) {
    this.kind = CHECKLIST_KINDS[kind];
    this.tells = new GivenUpTells(db, chat, playbooks, log, {
      firstMs: leaseMs,
      mostMs: 600_000,
      maxAttempts: CHECKLIST_TELL_MAX_ATTEMPTS,
    });
  }

  /** The timer loop's look before the sweep. */
  get dueWhen(): string {
    return this.kind.dueWhen;
  }

  async sweep(): Promise<void> {
    // Given up, their person not told yet: the giving up's own telling refused, or its process died first. Before the
    // posts, so that a telling this sweep makes on giving up is tried again by a later sweep, after its wait, never
    // twice in this one (its wait may pass while the sweep's posts go on).
    for (const c of await this.kind.claim(this.db, SWEEP_BATCH, this.leaseMs, 'tell')) {
      await this.tells.tell(c, checklistName(c.key));
    }
    const due = await this.kind.claim(this.db, SWEEP_BATCH, this.leaseMs, 'post');
    for (const c of due) {
      await this.show(c).catch((e) => this.failed(c, e));
    }
  }

  private async show(c: UnpostedChecklist): Promise<void> {
    const playbook = this.playbooks.find((p) => p.id === c.playbookId);
    if (!playbook) throw new Error(`its playbook ${c.playbookId} is no longer in the runbook`);
    const name = checklistName(c.key);
    const place = { channelId: channelOf(c.host) };
    const found = await this.chat.findPlaybookPost(place, c.marker, c.since);
    let ts = found;
    if (!ts) {
      const { view } = await this.checklists.view(c.host, playbook);
      ts = await holdingPost(this.db, c.key, this.leaseMs, () => this.chat.postPlaybook(place, view));
    }
    const kept = await keepPost(this.db, this.chat, this.log, c.key, place, ts);
    if (kept === null) return;
    if (found && kept === found) {
      this.log.info(`${name}, posted by a process that stopped before recording it, was found and recorded`);
      // Drawn as it stands: ticked or run from its buttons meanwhile, it was not redrawn (no message on record).
      await this.checklists.refresh(withMessage(c.host, kept), c.playbookId);
    } else if (kept === ts) {
      this.log.info(`${name} was not in its channel (Slack never took it): posted now`);
    }
    if (kept !== ts) return;
    await this.kind
      .recorded?.(this.chat, withMessage(c.host, kept), playbook, kept)
      .catch((e) => this.log.warn(`could not open the thread of ${name}`, e));
  }

  private async failed(c: UnpostedChecklist, err: unknown): Promise<void> {
    const why = err instanceof Error ? err.message : String(err);
    const name = checklistName(c.key);
    if (c.attempts >= CHECKLIST_POST_MAX_ATTEMPTS) {
      this.log.error(
        `${ownerName(c.key)} (${c.playbookId} in ${channelOf(c.host)}): gave up finding or posting its checklist after ${c.attempts} attempts (${why}); ${this.kind.givenUp}`,
      );
      // Told by the process that marked it given up (a failed marking leaves it to the next round's), first: a telling
      // Slack refuses is left due on the record, told again by the sweep.
      const answer = slackAnswerOf(err);
      const marked = await giveChecklistPostUp(this.db, c.key, answer, this.leaseMs).catch(() => false);
      if (marked) await this.tells.tell({ ...c, tellAttempts: 1, givenUpWhy: answer }, name);
      return;
    }
    this.log.warn(`could not find or post ${name}; tried again later`, err);
    await retryChecklistPostAt(this.db, c.key, new Date(Date.now() + againAfterMs(this.leaseMs, c.attempts))).catch(
      (e) => this.log.warn(`could not reschedule ${name}; its hold will run out`, e),
    );
  }
}
