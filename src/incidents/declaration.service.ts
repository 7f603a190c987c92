import { randomUUID } from 'node:crypto';
import { type Database, DatabaseUnavailableError, type Queryable } from '../store/db.js';
import {
  claimStaleDeclarations,
  type DeclarationRow,
  endDeclaration,
  holdDeclaration,
  insertDeclaring,
  markDeclarationStep,
  markDeclaredHeld,
  renewDeclaration,
} from '../store/declaration.repo.js';
import {
  deleteAbandonedIncident,
  findRecentSameDeclaration,
  getIncident,
  isDeclaring,
  numberIncident,
  recordDeclaringChannel,
  updateIncident,
} from '../store/incident.repo.js';
import type { KeyValue } from '../store/kv.js';
import { claimRequestKeyLocked } from '../store/request-key.repo.js';
import { noteDeclaredWhole } from './declared-in-request.js';
import { ChatPlatformError, DomainError } from './errors.js';
import type { EscalationService } from './escalation.service.js';
import {
  type DeclarationReport,
  type DeclareProblem,
  type EscalationView,
  type IncidentChat,
  type IncidentMetrics,
  type Logger,
  NO_METRICS,
} from './ports.js';
import type { Severity } from './severity.js';
import { type NoteCodec, noteKey, SideNotes } from './side-notes.js';
import type { DeclareSource, Incident, Unchanged } from './types.js';

export interface DeclareInput {
  teamId: string;
  reporterId: string;
  title: string;
  severity: Severity;
  /** Unique per Slack request (the trigger id): a retry of the same request finds it taken. */
  requestKey: string;
  /** Who declared it, for the metrics; default a person. */
  source?: DeclareSource;
  /** Declared private (`--private`, the form's Private box); a security title makes it private too (DeclarePolicy). */
  private?: boolean;
  /**
   * The title held a secret (a key or token, masked before it came here): private too, as a security title is, for
   * the incident is about a secret seen where it should not be.
   */
  heldSecret?: boolean;
  /** A security matter by more than its title (an alert whose runbook row points at a security playbook): private. */
  security?: boolean;
}

/** Why an incident was declared private: asked for, a security title, or a secret in its title. */
export type PrivateWhy = 'asked' | 'security' | 'secret';

/** What decides, as an incident is declared, whether it is private and which maintenance window it falls in. */
export interface DeclarePolicy {
  /** Whether a title calls for a private incident (its suggested playbook is a security one). */
  sensitive?(title: string): boolean;
  /** The title of the maintenance window open now, if any (read in the declaring transaction). */
  maintenanceNow?(q: Queryable): Promise<string | null>;
}

export interface DeclareOptions {
  /**
   * Runs in the transaction that records the incident (still being declared), so what it writes exists exactly when
   * the incident does (e.g. the link from the alerts that opened it). When it throws, nothing is declared. The
   * incident has no number yet (it is given one last in the transaction).
   */
  within?: (tx: Queryable, incident: Incident) => Promise<void>;
  /**
   * Awaited once the card is posted, before the rest (the card shown again as linked, pin, announcement, pages,
   * playbook): a storm of alert incidents gets every card up before the rest of any. Its failure is logged, never the
   * declaration's.
   */
  afterCard?: () => Promise<void>;
  /**
   * Posts the announcement (`announce`, which never throws) when it is its turn: the alert steps post a storm's
   * announcements in the order of their numbers, not in whichever order their pins and cards came back.
   */
  announceInTurn?: (incident: Incident, announce: () => Promise<void>) => Promise<void>;
}

/** What a declaration's Slack side waits on besides its steps (see DeclareOptions). */
type CompleteHooks = Pick<DeclareOptions, 'afterCard' | 'announceInTurn'>;

export type DeclareResult =
  /** `warnings` says each of `problems` in a sentence. */
  | { kind: 'declared'; incident: Incident; warnings: string[]; problems: DeclareProblem[]; privateWhy?: PrivateWhy }
  /** The same person declared the same title moments ago (a double send): the existing incident. */
  | ({ kind: 'existing'; incident: Incident } & Unchanged)
  /** A retry of a request already handled: nothing to say. */
  | { kind: 'retry' };

/** A repeat of `incident`'s declaration moments ago: nothing opened. */
export const existingDeclaration = (incident: Incident): Extract<DeclareResult, { kind: 'existing' }> => ({
  kind: 'existing',
  incident,
  unchanged: `a repeat of incident #${incident.number}, declared moments ago: no second incident was opened`,
});

type Channel = { channelId: string; channelName: string };

/** A person double-sending the same declaration within this window gets the existing incident. */
const SAME_DECLARATION_WINDOW_SECONDS = 120;
/**
 * How long a process holds a declaration it works on without renewing it. The holder renews it every third of this;
 * once it runs out (the process died, or lost the database), the timer loop of any process takes the declaration.
 */
export const DECLARATION_LEASE_MS = 15_000;
/** What one process did of a declaration it finished (see DeclarationService.notes). */
interface DeclarationNote {
  done: Set<string>;
  /** The card it posted, linked to the incident or not. */
  cardTs?: string;
  /** Every step was tried and the result went back to the declarer's request: nobody is left to tell. */
  answered?: boolean;
  /** The database did not take a record of it: the note is shared with the other replicas from then on. */
  shared?: boolean;
}

const DECLARATION_NOTE_CODEC: NoteCodec<DeclarationNote> = {
  encode: (n) => ({ done: [...n.done], cardTs: n.cardTs ?? null, answered: n.answered ?? false }),
  decode: (v) => {
    const n = v as { done?: unknown; cardTs?: unknown; answered?: unknown } | null;
    if (!n || !Array.isArray(n.done)) return null;
    return {
      done: new Set(n.done.filter((x): x is string => typeof x === 'string')),
      ...(typeof n.cardTs === 'string' ? { cardTs: n.cardTs } : {}),
      answered: n.answered === true,
      shared: true,
    };
  },
};

const noteKeyOf = (incident: Incident) => noteKey(incident.id, incident.createdAt, 'declaration');
/** Declarations taken by one sweep at most. */
const SWEEP_BATCH = 20;
/** The attempt at settling a declaration after which its declarer not being reachable no longer holds it up. */
const MAX_ATTEMPTS = 20;

async function retry<T>(fn: () => Promise<T>, attempts = 3, delayMs = 200): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await fn();
    } catch (err) {
      if (i >= attempts) throw err;
      await new Promise((r) => setTimeout(r, delayMs * i));
    }
  }
}

export function describe(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}

/**
 * Declaring an incident: a row, a Slack channel, timers, a card, an announcement. An incident exists whole or not at
 * all: its row is written `declaring` (out of sight) and made whole, with its channel and its timers, in one
 * transaction. Whatever stops a declaration half-way (Slack refusing, the database lost, the process killed) leaves a
 * `declarations` row whose lease runs out; `sweep` (run by every process's timer loop) then abandons it cleanly if it
 * never became whole, or finishes it (card, pin, announcement) if it did, and tells the declarer either way.
 */
export class DeclarationService {
  /**
   * What this process did of each declaration it is finishing, kept beside the database: when the database goes away
   * while a declaration is being finished, its steps cannot be recorded there, and the sweep (this process's, once the
   * database is back) would post a second card and announcement, and tell the declarer the bot had restarted. The
   * sweep here reads this first: it links the card already posted, skips the steps done, and says nothing more to a
   * declarer already answered. Kept in memory until the declaration is ended; once the database has not taken a
   * record of it, in the shared store too, for another replica's sweep (see SideNotes).
   */
  private readonly notes: SideNotes<DeclarationNote>;

  constructor(
    private readonly db: Database,
    private readonly chat: IncidentChat,
    private readonly log: Logger = console,
    private readonly escalation?: EscalationService,
    /** Called once a declared incident is whole (channel, card); e.g. to suggest a playbook. Failures are logged. */
    private readonly afterDeclare?: (incident: Incident) => Promise<void>,
    private readonly leaseMs = DECLARATION_LEASE_MS,
    private readonly metrics: IncidentMetrics = NO_METRICS,
    private readonly policy: DeclarePolicy = {},
    /** Where notes of declarations the database could not record are shared with other replicas (see `notes`). */
    shared: KeyValue | null = null,
    /**
     * Shows the card again once it is linked to the incident, as every change's card is shown (IncidentService's
     * refreshCard: the row and its pages read then, and checked again after the update). None: rendered here from
     * the incident as linked.
     */
    private readonly refreshLinked: ((incidentId: number) => Promise<void>) | null = null,
  ) {
    this.notes = new SideNotes(shared, 'declaration', DECLARATION_NOTE_CODEC, log);
  }

  /** Shows the card linked to `incident` again (see `refreshLinked`). */
  private async showAgain(incident: Incident): Promise<void> {
    if (this.refreshLinked) return this.refreshLinked(incident.id);
    await this.chat.refreshCard(incident, await this.escalationView(incident));
  }

  private escalationView(incident: Incident): Promise<EscalationView | undefined> {
    return this.escalation ? this.escalation.cardView(incident) : Promise.resolve(undefined);
  }

  /**
   * The incident the same person declared with the same title moments ago (what a declaration of it now would give,
   * `existing`), or null: a person over the rate limit repeating their last declaration is shown it, not refused.
   */
  async recentSame(input: Pick<DeclareInput, 'teamId' | 'reporterId' | 'title'>): Promise<Incident | null> {
    return findRecentSameDeclaration(
      this.db,
      input.teamId,
      input.reporterId,
      input.title,
      SAME_DECLARATION_WINDOW_SECONDS,
    );
  }

  async declare(input: DeclareInput, opts: DeclareOptions = {}): Promise<DeclareResult> {
    const owner = randomUUID();
    const privateWhy: PrivateWhy | null = input.private
      ? 'asked'
      : input.heldSecret
        ? 'secret'
        : input.security || this.policy.sensitive?.(input.title)
          ? 'security'
          : null;
    const created = await this.db.transaction(async (tx) => {
      // Serialise identical declarations by the same person so a double send cannot make two incidents (the lock and
      // the request key in one statement; what follows reads after the lock).
      const lock = `declare:${input.teamId}:${input.reporterId}:${input.title.toLowerCase()}`;
      if (!(await claimRequestKeyLocked(tx, lock, `declare:${input.requestKey}`))) return { kind: 'retry' as const };
      // A person's double send. Not the bot's for alerts: its groups with one summary (CPU above 90% on api, then on
      // web, or from another source) are incidents of their own, each once (its alert incident's request key).
      const same =
        input.source === 'alert'
          ? null
          : await findRecentSameDeclaration(
              tx,
              input.teamId,
              input.reporterId,
              input.title,
              SAME_DECLARATION_WINDOW_SECONDS,
            );
      if (same) return existingDeclaration(same);
      const maintenance = (await this.policy.maintenanceNow?.(tx)) ?? null;
      const isPrivate = privateWhy !== null;
      // The row, its `declared` event and the declaration held by this process: one statement.
      const incident = await insertDeclaring(
        tx,
        { ...input, private: isPrivate, maintenance },
        {
          title: input.title,
          severity: input.severity,
          ...(privateWhy ? { private: privateWhy } : {}),
          ...(maintenance ? { maintenance } : {}),
        },
        owner,
        this.leaseMs,
      );
      await opts.within?.(tx, incident);
      // Numbered last: the team's counter is locked from here to the commit, so declarations made at once (a storm of
      // alerts) wait for each other only that long.
      const number = await numberIncident(tx, incident.id, input.teamId);
      return { kind: 'new' as const, incident: { ...incident, number } };
    });
    if (created.kind !== 'new') return created;
    const source = input.source ?? 'person';

    // Holding the declaration while working on it: a lease renewed in the database, not a timer that matters.
    const heartbeat = setInterval(
      () => {
        renewDeclaration(this.db, created.incident.id, owner, this.leaseMs).catch((err) =>
          this.log.warn(`could not renew the lease on declaration ${created.incident.id}`, err),
        );
      },
      Math.floor(this.leaseMs / 3),
    );
    heartbeat.unref();
    try {
      const r = await this.build(created.incident, owner, source, opts);
      return r.kind === 'declared' && privateWhy ? { ...r, privateWhy } : r;
    } finally {
      clearInterval(heartbeat);
    }
  }

  private async build(
    declaring: Incident,
    owner: string,
    source: DeclareSource,
    hooks: CompleteHooks,
  ): Promise<DeclareResult> {
    let made: Channel | undefined;
    let channel: Channel;
    try {
      channel = await this.chat.openChannel(declaring, async (c) => {
        made = c;
        await recordDeclaringChannel(this.db, declaring.id, c);
      });
    } catch (err) {
      // No channel, no incident: nothing half-made is left behind.
      if (made) await this.archive(made.channelId);
      await this.giveUp(declaring, owner);
      throw err;
    }
    let incident: Incident;
    try {
      let due: Date | null = null;
      incident = await this.db.transaction(async (tx) => {
        // Held by this process still (else taken over), made whole, and the channel_created event: one statement.
        const whole = await markDeclaredHeld(tx, declaring.id, owner, channel);
        if (!whole) throw new TakenOverError();
        // The incident is whole now: its escalation timers start in this same transaction.
        due = (await this.escalation?.sync(tx, whole)) ?? null;
        return whole;
      });
      this.escalation?.scheduled(due);
      this.metrics.declared(incident.severity, source);
    } catch (err) {
      // The database went away as the incident was being made whole: whether it was is not known (the commit may have
      // reached it). Nothing is archived or removed on a guess: once the database is back the sweep finishes it, or
      // abandons it, and tells the declarer which.
      if (err instanceof DatabaseUnavailableError) throw new InterruptedError(declaring);
      await this.archive(channel.channelId);
      if (!(err instanceof TakenOverError)) await this.giveUp(declaring, owner);
      throw err;
    }

    // Whole, and kept from here on: whatever fails later in this request tells the declarer the incident exists.
    noteDeclaredWhole(incident);
    // Ending the declaration (its row deleted) also says its last step was done: one statement, not two.
    const note: DeclarationNote = { done: new Set() };
    this.notes.keep(noteKeyOf(incident), note);
    const result = await this.complete(
      incident,
      new Set(),
      hooks,
      async () => {
        const ended = await endDeclaration(this.db, incident.id, owner);
        this.notes.forget(noteKeyOf(incident));
        return ended;
      },
      note,
    );
    // Its result goes back to the declarer's request now; a sweep finishing what could not be recorded tells nobody.
    noteDeclaredWhole(result.incident);
    note.answered = true;
    this.noteChanged(incident, note);
    return { kind: 'declared', ...result };
  }

  /**
   * The Slack side of a whole incident: card, pin, announcement, what comes after. Failures are reported, not thrown.
   * Steps in `done` (and the card, when the incident has one) were done by an earlier attempt and are skipped; each
   * step is recorded as done once tried (before the next one starts), so a process finishing an interrupted
   * declaration does each once. `end`, when given, ends the declaration after the last step, which records that step
   * too (when it fails, or another process took the declaration over, the step is recorded as done instead).
   */
  private async complete(
    whole: Incident,
    done: ReadonlySet<string> = new Set(),
    hooks: CompleteHooks = {},
    end?: () => Promise<boolean>,
    /** Where what is done is kept beside the database (see notes). */
    note: DeclarationNote = { done: new Set() },
    /** Look for a card already posted (an interrupted declaration's) before posting one. */
    findPosted = false,
  ): Promise<{ incident: Incident; warnings: string[]; problems: DeclareProblem[] }> {
    let incident = whole;
    const warnings: string[] = [];
    const problems: DeclareProblem[] = [];
    const failed = (step: DeclareProblem['step'], sentence: string, err: unknown) => {
      warnings.push(`${sentence} (${describe(err)})`);
      problems.push({ step, reason: describe(err) });
    };
    /** The step done last and not yet recorded: recorded before the next starts, or by `end`. */
    let unrecorded: string | null = null;
    const record = async () => {
      const name = unrecorded;
      unrecorded = null;
      if (name === null) return;
      await markDeclarationStep(this.db, incident.id, name).catch((err) => {
        this.log.warn(`could not record step ${name} of declaration ${incident.id}`, err);
        this.share(incident, note);
      });
    };
    const step = async (name: string, fn: () => Promise<void>) => {
      if (done.has(name) || note.done.has(name)) return;
      await record();
      await fn();
      note.done.add(name);
      this.noteChanged(incident, note);
      unrecorded = name;
    };
    let cardTs = incident.cardTs ?? undefined;
    // Finishing an interrupted declaration: its process may have posted the card and stopped before recording it.
    const posted = !cardTs && findPosted ? await this.chat.findCard?.(incident).catch(() => null) : null;
    if (posted) {
      incident = await updateIncident(this.db, incident.id, { cardTs: posted });
      cardTs = posted;
      // It shows the incident as it was then: shown as it is now.
      await this.showAgain(incident).catch((err) =>
        this.log.warn('could not refresh the card found in the channel', err),
      );
    }
    /** The card was posted here, and is shown again once linked (see below). */
    let showAgain = false;
    if (!cardTs) {
      let shown: EscalationView | undefined;
      try {
        shown = await this.escalationView(incident);
        cardTs = await this.chat.postCard(incident, shown);
        note.cardTs = cardTs;
        this.noteChanged(incident, note);
      } catch (err) {
        failed('card', 'the incident card could not be posted', err);
        this.log.error('postCard failed', err);
      }
      if (cardTs) {
        const ts = cardTs;
        try {
          incident = await retry(() => updateIncident(this.db, incident.id, { cardTs: ts })); // one statement
        } catch (err) {
          warnings.push(
            'the card was posted but could not be linked to the incident yet, so it does not update until the bot links it once the database answers',
          );
          problems.push({ step: 'link', reason: describe(err) });
          this.log.error('saving the card ts failed', err);
          this.share(incident, note);
        }
        // A page that fired while the card was being posted refreshed no card (there was none yet), nor did a change
        // made meanwhile (an acknowledgement from the page's DM, on another replica), nor alerts that joined the
        // incident meanwhile (a storm's): the card is shown again once it is linked, from the row, pages and alerts as
        // they are then (a role skipped for want of contacts left the card saying "Next: On-Call Engineer" for good).
        // Always: the alerts are not in what the card was posted with to compare. A card that would not change is not
        // sent again. After the wait for the other cards of a storm (afterCard): their first showing comes first.
        showAgain = incident.cardTs !== null;
      }
    }
    await hooks.afterCard?.().catch((err) => this.log.warn('after-card wait failed', err));
    if (showAgain) {
      await this.showAgain(incident).catch((err) =>
        this.log.warn('could not show the changes made while the card was posted', err),
      );
    }
    if (cardTs) {
      const ts = cardTs;
      await step('pin', async () => {
        try {
          await this.chat.pinCard({ ...incident, cardTs: ts });
        } catch (err) {
          failed('pin', 'the card could not be pinned', err);
          this.log.warn('pinCard failed', err);
        }
      });
    }
    const announce = async () => {
      try {
        await this.chat.announce(incident);
      } catch (err) {
        failed('announce', 'the announcement could not be posted', err);
        this.log.warn('announce failed', err);
      }
    };
    const { announceInTurn } = hooks;
    await step('announce', async () => {
      // Finishing an interrupted declaration: its process may have announced it and stopped before recording that.
      if (findPosted && (await this.chat.findAnnouncement?.(incident).catch(() => false))) return;
      await (announceInTurn ? announceInTurn(incident, announce) : announce());
    });
    const after = this.afterDeclare;
    if (after) {
      await step('after', async () => {
        try {
          await after(incident);
        } catch (err) {
          this.log.warn('after-declare step failed', err);
        }
      });
    }
    if (end) {
      try {
        if (!(await end())) await record();
      } catch (err) {
        this.log.warn(`could not close declaration ${incident.id}; the timer loop will`, err);
        this.share(incident, note);
        await record();
      }
    } else {
      await record();
    }
    return { incident, warnings, problems };
  }

  private async archive(channelId: string): Promise<boolean> {
    try {
      await this.chat.abandonChannel(channelId);
      return true;
    } catch (err) {
      this.log.error('abandonChannel failed', err);
      return false;
    }
  }

  /**
   * Removes the row of a declaration that failed half-way (giving its number back), if `owner` still holds it;
   * retried, since the database may be busy. When the database is gone, the sweep does it once it is back.
   */
  private async giveUp(incident: Incident, owner: string): Promise<void> {
    try {
      await retry(() =>
        this.db.transaction(async (tx) => {
          if (await holdDeclaration(tx, incident.id, owner)) await deleteAbandonedIncident(tx, incident);
        }),
      );
    } catch (err) {
      this.log.error(`could not remove half-made incident ${incident.id}; the timer loop will once it can`, err);
    }
  }

  /**
   * Settles declarations whose holder is gone (its lease ran out): one that never became whole is abandoned, one that
   * did is finished; its declarer is told either way. Run by the timer loop of every process, at start and then on
   * each round; two processes never take the same declaration.
   */
  async sweep(): Promise<void> {
    const owner = randomUUID();
    const stale = await claimStaleDeclarations(this.db, owner, SWEEP_BATCH, this.leaseMs);
    for (const d of stale) {
      try {
        await this.settle(d, owner, d.attempts >= MAX_ATTEMPTS);
      } catch (err) {
        // Its lease runs out again and a later round takes it, skipping the steps already done.
        this.log.warn(`could not settle interrupted declaration ${d.incidentId}; trying again later`, err);
      }
    }
  }

  /** `last`: the last attempt, which settles the declaration even if its declarer cannot be told. */
  private async settle(d: DeclarationRow, owner: string, last: boolean): Promise<void> {
    const incident = await getIncident(this.db, d.incidentId);
    if (!incident) {
      await endDeclaration(this.db, d.incidentId, owner);
      return;
    }
    if (await isDeclaring(this.db, d.incidentId)) return this.abandon(incident, owner, last);
    // Whole, but its process stopped before the card, the announcement or the reply (or, when this process finished
    // it, could not record that for want of the database): finish what is left, then tell the declarer, if nobody has.
    const note = (await this.notes.read(noteKeyOf(incident))) ?? undefined;
    let whole = incident;
    if (!whole.cardTs && note?.cardTs) whole = await updateIncident(this.db, whole.id, { cardTs: note.cardTs });
    const r = await this.complete(whole, new Set(d.done), {}, undefined, note, true);
    if (!note?.answered) await this.tell({ kind: 'finished', incident: r.incident, problems: r.problems }, last);
    await endDeclaration(this.db, d.incidentId, owner);
    this.notes.forget(noteKeyOf(incident));
  }

  /** The database did not take a record of `incident`'s declaration: its note is shared from now on. */
  private share(incident: Incident, note: DeclarationNote): void {
    note.shared = true;
    void this.notes.write(noteKeyOf(incident), note, false);
  }

  /** `note` changed (in memory already): shared again when it is shared. */
  private noteChanged(incident: Incident, note: DeclarationNote): void {
    if (note.shared) void this.notes.write(noteKeyOf(incident), note, false);
  }

  /** A declaration that never became whole: archive its channel, tell the declarer, remove it (number given back). */
  private async abandon(incident: Incident, owner: string, last: boolean): Promise<void> {
    // Its process may have stopped between Slack making the channel and recording it: looked for, so that no empty
    // channel is left holding the incident's name.
    const channelId = incident.channelId ?? (await this.chat.findChannel?.(incident).catch(() => null)) ?? null;
    const channel = channelId ? { id: channelId, archived: await this.archive(channelId) } : null;
    await this.tell({ kind: 'abandoned', incident, channel }, last);
    await this.db.transaction(async (tx) => {
      if (await holdDeclaration(tx, incident.id, owner)) await deleteAbandonedIncident(tx, incident);
    });
  }

  /**
   * Tells the declarer how it ended. A failure Slack may get over (HTTP 5xx, network, rate limit) is thrown, for a
   * later round, unless this is the last attempt; any other (the person cannot be reached) is logged.
   */
  private async tell(report: DeclarationReport, last: boolean): Promise<void> {
    try {
      await this.chat.tellDeclarer(report);
    } catch (err) {
      const passing =
        !(err instanceof DomainError) || (err instanceof ChatPlatformError && PASSING.has(err.slackError));
      if (passing && !last) throw err;
      this.log.warn(`could not tell ${report.incident.reporterId} how declaration ${report.incident.id} ended`, err);
    }
  }
}

/** Slack failures that pass (see toChatPlatformError): worth trying again later. */
const PASSING = new Set(['http_error', 'request_error', 'ratelimited']);

/**
 * The database went away as the incident was being made whole: it may or may not have been. The declarer is told so,
 * and told again (a direct message) how it ended once the database is back and the sweep has settled it.
 */
class InterruptedError extends DomainError {
  constructor(incident: Incident) {
    super('declaration_interrupted', [
      'The bot lost its database while recording your incident "',
      // Typed by a person: shown as typed, never read as markup.
      { typed: incident.title },
      '", so it cannot tell yet whether it was kept. Once the database is back it finishes the incident or gives it up, and tells you which in a direct message. If this is a real incident, follow the runbook by hand meanwhile.',
    ]);
  }
}

/** The declaration's lease ran out and another process took it over (and gives it up): nothing was kept. */
class TakenOverError extends DomainError {
  constructor() {
    super(
      'declaration_taken_over',
      'This declaration took too long and was given up, so nothing was kept. Declare it again; if this is a real incident, follow the runbook by hand meanwhile.',
    );
  }
}
