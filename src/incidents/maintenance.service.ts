import { describeDuration } from '../runbook/duration.js';
import {
  combinedKey,
  describeSchedule,
  holding,
  type Maintenance,
  type MaintenanceWindowDef,
  nextOccurrence,
  takesPrecedence,
} from '../runbook/maintenance.js';
import { sectionName, stepsOf } from '../runbook/playbook-steps.js';
import type { Playbook } from '../runbook/playbooks.js';
import type { Database, Queryable } from '../store/db.js';
import {
  advanceWindow,
  claimDueWindows,
  type DeclaredDuring,
  dropPlanned,
  endOpenWindows,
  incidentsDeclaredDuring,
  type MaintenanceStage,
  type MaintenanceWindowRow,
  openWindows,
  pendingWindows,
  planWindow,
  WINDOWS_DUE,
  windowHeldAt,
} from '../store/maintenance.repo.js';
import { getPlaybookRunByRequest } from '../store/playbook-run.repo.js';
import { currentChecks } from '../store/step-check.repo.js';
import { lastStepRuns } from '../store/step-run.repo.js';
import type { MaintenanceQuery, MaintenanceWindows } from './alert-ports.js';
import { progressOf, stepStatuses } from './checklist.js';
import { AlreadyDoneError, DomainError } from './errors.js';
import type { PlaybookRuns } from './playbook-run.service.js';
import type { Logger } from './ports.js';
import { slips } from './slips.js';
import type { MaintenanceSource, PublicMaintenance } from './status-page.js';
import { cleanTitle, isBlank } from './text.js';
import { type Sweep, sweepWhen } from './timer-loop.js';

/** What the channel is told of a window: the notice ahead of it, its start (with its checklist), its end. */
export type MaintenanceMessage =
  /** `takesIn`: the titles of the smaller windows this one takes in (their tasks are on its checklist). */
  | { kind: 'notice'; window: MaintenanceWindowRow; takesIn?: string[] }
  | {
      kind: 'started';
      window: MaintenanceWindowRow;
      checklist: string | null;
      takesIn?: string[];
      /** Other windows open already as it starts (opened by hand, or scheduled in other hours). */
      alsoOpen?: OtherWindow[];
    }
  | {
      kind: 'ended';
      window: MaintenanceWindowRow;
      summary?: WindowEnd;
      /** Other windows still open as it ends: alerts are not handled as usual until they end too. */
      stillOpen?: OtherWindow[];
    };

/** Another window open at the same time, as a start or an end names it. */
export type OtherWindow = Pick<MaintenanceWindowRow, 'title' | 'endsAt'>;

/** How far a window's checklist got when it ended. */
export interface WindowChecklist {
  title: string;
  total: number;
  done: number;
  skipped: number;
  /** The first steps neither done nor skipped (at most LEFT_LISTED), in the playbook's order. */
  left: { section: string; number: number; text: string }[];
  /** How many steps are neither done nor skipped in all. */
  leftCount: number;
}

/**
 * What a window's end says of it: how far its checklist got (null: it had none, or none was started), and the
 * incidents declared while it was open (the maintenance process ends with "Post-incident report (if issues)").
 */
export interface WindowEnd {
  checklist: WindowChecklist | null;
  incidents: DeclaredDuring[];
}

/** A window just ended by hand, with what its end says of it. */
export interface EndedWindow {
  window: MaintenanceWindowRow;
  summary: WindowEnd;
}

/** Steps left named at a window's end at most (the rest are counted). */
const LEFT_LISTED = 3;

/** The chat side of maintenance windows (src/slack implements it). */
export interface MaintenanceChat {
  /** The workspace and the bot's user (a window's checklist is a run started by the bot). */
  self(): Promise<{ teamId: string; botUserId: string }>;
  post(channelId: string, message: MaintenanceMessage): Promise<void>;
}

/** `/incident maintenance schedule`. */
export interface ScheduleView {
  open: MaintenanceWindowRow[];
  next: {
    key: string;
    title: string;
    describe: string;
    startsAt: Date;
    endsAt: Date;
    /** The larger window that takes this occurrence in (one notice, one checklist with both task lists). */
    takenInBy?: string;
  }[];
  byHand: { key: string; title: string }[];
  noticeBefore: string;
}

/** Occurrences of one window the status page lists at most (a window every few seconds, for trying the bot out). */
const PUBLIC_OCCURRENCES = 3;

/** Windows claimed by one sweep at most, and how long one stays with the replica that claimed it. */
const BATCH = 10;
const LEASE_MS = 30_000;

/**
 * The runbook's Maintenance Windows, as durable rows swept by the timer loop (never a timer in memory): each
 * occurrence of a scheduled window is planned as a row (one per window and start, whichever replica comes first),
 * and the sweep says, once each, its notice (`notice_before` ahead), its start with its checklist (a playbook run:
 * Before, the window's tasks and During, After) and its end. A window is also opened and closed by hand. While one is
 * open, incidents declared say so on their card, and alerts whose runbook row says `during_maintenance: record` are
 * recorded without declaring.
 */
export class MaintenanceService implements Sweep, MaintenanceWindows, MaintenanceSource {
  /** The start of the occurrence planned last, by window: a replica plans each once (the unique key does the rest). */
  private readonly planned = new Map<string, number>();

  constructor(
    private readonly db: Database,
    private readonly chat: MaintenanceChat,
    private readonly runs: Pick<PlaybookRuns, 'start'>,
    private readonly maintenance: Maintenance,
    private readonly playbooks: readonly Playbook[],
    /** Where windows are said when the runbook file names no channel (INCIDENTS_CHANNEL). */
    private readonly defaultChannel: string | null,
    private readonly log: Logger = console,
    /**
     * What a person types (a window's own title) is masked by: the values the bot knows are secret, before it is
     * stored or announced.
     */
    private readonly typed: (text: string) => string = (text) => text,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** Text a person typed, as it may be shown back (a refusal that quotes it): the known secret values masked. */
  masked(text: string): string {
    return this.typed(text);
  }

  private get channel(): string | null {
    return this.maintenance.channel ?? this.defaultChannel;
  }

  /** The title of the window open now, for a declaration (read in its transaction). */
  async openNow(q: Queryable = this.db): Promise<string | null> {
    return (await openWindows(q, this.now()))[0]?.title ?? null;
  }

  /**
   * The alert port: whether a window was open at `at` (a delivery's receipt, which may be some time ago: a window
   * closed since still counts for the time it was open).
   */
  inMaintenance(_alert: MaintenanceQuery, at: Date): Promise<boolean> {
    return windowHeldAt(this.db, at);
  }

  schedule(): Promise<ScheduleView> {
    const now = this.now();
    return pendingWindows(this.db, now).then((pending) => ({
      open: pending.filter((w) => w.startsAt <= now),
      next: this.maintenance.windows
        .flatMap((w) => {
          if (!w.schedule) return [];
          let occ = nextOccurrence(w.schedule, now);
          // The one open now is listed as open: the next is the one after it.
          if (occ.startsAt <= now) occ = nextOccurrence(w.schedule, occ.endsAt);
          const by = this.takenIn(w, occ);
          return [
            {
              key: w.key,
              title: w.title,
              describe: describeSchedule(w.schedule),
              ...occ,
              ...(by ? { takenInBy: by.title } : {}),
            },
          ];
        })
        .sort((a, b) => a.startsAt.getTime() - b.startsAt.getTime()),
      byHand: this.maintenance.windows.filter((w) => !w.schedule).map((w) => ({ key: w.key, title: w.title })),
      noticeBefore: describeDuration(this.maintenance.noticeBeforeMs),
    }));
  }

  /**
   * What the public status page shows ("notify users 24 hours in advance"): the windows open at `now` and the
   * runbook's scheduled ones starting within `horizonMs`, soonest first. Only a title from the runbook and times: a
   * window opened by hand under a title of its own is "Maintenance" (what a person typed may be internal), and nothing
   * else of a window (checklist, channel, who) is given.
   */
  async publicWindows(now: Date, horizonMs: number): Promise<PublicMaintenance[]> {
    const byKey = new Map(this.maintenance.windows.map((w) => [w.key, w]));
    const open: PublicMaintenance[] = (await pendingWindows(this.db, now))
      .filter((w) => w.startsAt <= now)
      .map((w) => ({
        key: w.scheduled && w.windowKey ? `scheduled/${w.windowKey}/${w.startsAt.getTime()}` : `open/${w.id}`,
        title: (w.windowKey && byKey.get(w.windowKey)?.title) || 'Maintenance',
        startsAt: w.startsAt,
        endsAt: w.endsAt,
        inProgress: true,
      }));
    const until = now.getTime() + horizonMs;
    const upcoming = this.maintenance.windows.flatMap((w) => {
      const schedule = w.schedule;
      if (!schedule) return [];
      const found: PublicMaintenance[] = [];
      let occ = nextOccurrence(schedule, now);
      for (let n = 0; n < 50 && found.length < PUBLIC_OCCURRENCES && occ.startsAt.getTime() <= until; n++) {
        // The one open now is listed from its row (it may have been ended by hand); one taken in by a larger window
        // is that window.
        if (occ.startsAt > now && !this.takenIn(w, occ))
          found.push({
            key: `scheduled/${w.key}/${occ.startsAt.getTime()}`,
            title: w.title,
            startsAt: occ.startsAt,
            endsAt: occ.endsAt,
            inProgress: false,
          });
        occ = nextOccurrence(schedule, occ.endsAt);
      }
      return found;
    });
    return [...open, ...upcoming.sort((a, b) => a.startsAt.getTime() - b.startsAt.getTime())];
  }

  /** The window of the runbook whose key `word` is a slip or two from (one in a word of up to 5 letters). */
  private windowNear(word: string) {
    const most = word.length <= 5 ? 1 : 2;
    return this.maintenance.windows
      .map((w) => ({ w, d: slips(word, w.key.toLowerCase()) }))
      .filter((x) => x.d <= most)
      .sort((a, b) => a.d - b.d)[0]?.w;
  }

  /**
   * Opens a window now, by hand: a window of the runbook named by its key (`quarterly`) or title, or one under a title
   * of its own (with the maintenance process as its checklist); `endsAt`: when it ends itself. Its start is said by the
   * sweep, as a scheduled one's.
   */
  async start(
    what: string | null,
    userId: string,
    typedIn: string,
    endsAt: Date | null = null,
  ): Promise<MaintenanceWindowRow> {
    // A title of one's own is stored and announced: cleaned as an incident title is, and refused when it shows nothing.
    // Masked first: a secret value pasted in a title is never stored, announced or shown on an incident's card.
    const typed = what ? this.typed(cleanTitle(what)).replace(/\s+/g, ' ').trim() : '';
    if (typed && isBlank(typed)) {
      throw new DomainError(
        'maintenance_title_blank',
        'The title shows nothing: it is only invisible characters. Name a window of the runbook (`/incident maintenance start quarterly`) or write a title.',
      );
    }
    const key = typed.toLowerCase();
    const def = this.maintenance.windows.find((w) => w.key === key || w.title.toLowerCase() === key);
    // One word a slip or two from a window's name (`quartrely`) is that window mistyped, not a title of its own: opened
    // as typed it would run the general process, not the window's tasks.
    const meant = !def && /^[\p{L}\p{N}_-]{4,}$/u.test(key) ? this.windowNear(key) : undefined;
    if (meant)
      throw new DomainError('maintenance_window_unknown', [
        `There is no window \`${typed}\` in the runbook file: did you mean \`/incident maintenance start ${meant.key}\` (*`,
        { typed: meant.title },
        '*)? For a window of your own, give it a title of more than one word. Nothing was opened.',
      ]);
    const title = def?.title ?? (typed || 'Maintenance');
    return this.db.transaction(async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', ['maintenance:start']);
      const open = await openWindows(tx, this.now());
      if (open[0]) {
        throw new AlreadyDoneError([
          '*',
          { typed: open[0].title },
          `* is open already (since ${open[0].startsAt.toISOString().slice(0, 16).replace('T', ' ')} UTC); \`/incident maintenance end\` closes it.`,
        ]);
      }
      const made = await planWindow(tx, {
        windowKey: def?.key ?? null,
        title,
        playbookId: def?.playbookId ?? this.maintenance.processPlaybookId,
        channelId: this.channel ?? typedIn,
        noticeAt: null,
        startsAt: this.now(),
        endsAt,
        scheduled: false,
        openedBy: userId,
        // Held by this request, which posts its start (postStart): the timer loop takes it only once that lease has
        // run out (the post failed, or the process died before it).
        leaseMs: LEASE_MS,
      });
      if (!made) throw new DomainError('maintenance_not_started', 'The window could not be opened; try again.');
      return made;
    });
  }

  /**
   * Posts the start of a window just opened by `start` (which holds it), and its checklist, now (the request that
   * opened it waits for it), so that a refusal can be told to whoever opened it; the timer loop stays the fallback (a
   * post that failed, or a process gone before it: tried again when the lease runs out). Returns the failure, if any.
   */
  async postStart(w: MaintenanceWindowRow): Promise<Error | null> {
    try {
      await this.act(w);
      return null;
    } catch (err) {
      this.log.warn(`maintenance window ${w.id}: could not post its start; the timer loop tries again`, err);
      return err instanceof Error ? err : new Error(String(err));
    }
  }

  /**
   * Closes the windows open now (by hand, or a scheduled one early) and says so at once, before any alert they held
   * back is let through (it waits while this request holds the window: see windowHeldAt), so the channel reads the end
   * first. What cannot be said now, the sweep says once the lease runs out.
   */
  async end(userId: string): Promise<EndedWindow[]> {
    const ended = await endOpenWindows(this.db, this.now(), userId, LEASE_MS);
    if (ended.length === 0) throw new DomainError('no_maintenance', 'No maintenance window is open.');
    const out: EndedWindow[] = [];
    for (const w of ended) {
      // For whoever ended it: the private incidents they are part of are named to them (the channel only counts them).
      const summary = await this.summarize(w, userId);
      out.push({ window: w, summary });
      if (w.stage !== 'open') continue;
      try {
        await this.act(w);
      } catch (err) {
        this.log.warn(`maintenance window ${w.id}: could not post its end; the timer loop tries again`, err);
      }
    }
    return out;
  }

  /**
   * What a window's end says of it: its checklist's progress (the run its start posted) and the incidents declared
   * while it was open, a private one `visible` only to `userId` if part of it (null: nobody, as in the channel).
   */
  private async summarize(w: MaintenanceWindowRow, userId: string | null): Promise<WindowEnd> {
    const until = w.endsAt ?? this.now();
    const incidents = await incidentsDeclaredDuring(this.db, w.startsAt, until, userId);
    const playbook = w.playbookId ? this.playbooks.find((p) => p.id === w.playbookId) : undefined;
    const run = playbook ? await getPlaybookRunByRequest(this.db, `maintenance:${w.id}`) : null;
    if (!playbook || !run) return { checklist: null, incidents };
    const ref = { kind: 'run' as const, id: run.id };
    const statuses = stepStatuses(
      playbook,
      await currentChecks(this.db, ref, playbook.id),
      await lastStepRuns(this.db, ref, playbook.id),
    );
    const progress = progressOf(playbook, statuses);
    const left = stepsOf(playbook).filter((s) => {
      const state = statuses[s.key]?.state ?? 'open';
      return state !== 'done' && state !== 'skipped';
    });
    return {
      checklist: {
        title: playbook.title,
        total: progress.total,
        done: progress.done,
        skipped: progress.skipped,
        left: left
          .slice(0, LEFT_LISTED)
          .map((s) => ({ section: sectionName(playbook, s.phase), number: s.number, text: s.step.text })),
        leftCount: left.length,
      },
      incidents,
    };
  }

  /** The timer loop's sweep: plan the next occurrences, then say what is due of each window. */
  async sweep(): Promise<void> {
    await this.plan();
    await this.actOnDue();
  }

  /**
   * The sweep as the loop runs it: the planning each round (in memory, but for an occurrence not planned yet), the
   * windows due only in the rounds where some are.
   */
  readonly sweeps: readonly Sweep[] = [
    { sweep: () => this.plan() },
    sweepWhen(WINDOWS_DUE, { sweep: () => this.actOnDue() }),
  ];

  /** Says what is due of each window due. */
  private async actOnDue(): Promise<void> {
    const due = await claimDueWindows(this.db, BATCH, LEASE_MS);
    for (const w of due) {
      try {
        await this.act(w);
      } catch (err) {
        // Its lease runs out and a later round says it (to the people it was not said to yet: stages are per step).
        this.log.warn(`maintenance window ${w.id}: could not post its ${w.stage} step; trying again later`, err);
      }
    }
  }

  /**
   * The larger scheduled window whose occurrence holds the whole of `occ` (of window `w`), if one does: the monthly
   * window on the first Sunday (02:00–06:00) holds the weekly one (02:00–04:00). Read from the schedules alone, so
   * every replica reads the same and the smaller occurrence is never planned by any.
   */
  private takenIn(w: MaintenanceWindowDef, occ: { startsAt: Date; endsAt: Date }): MaintenanceWindowDef | null {
    let found: MaintenanceWindowDef | null = null;
    for (const big of this.maintenance.windows) {
      if (!big.schedule || !takesPrecedence(big, w) || !holding(big.schedule, occ)) continue;
      // Of several that hold it, the largest: it takes in the others too.
      if (!found || takesPrecedence(big, found)) found = big;
    }
    return found;
  }

  /** The smaller scheduled windows an occurrence of `big` takes in (in the file's order). */
  private takesIn(big: MaintenanceWindowDef, occ: { startsAt: Date; endsAt: Date }): MaintenanceWindowDef[] {
    return this.maintenance.windows.filter((small) => {
      if (!small.schedule || !takesPrecedence(big, small)) return false;
      const theirs = nextOccurrence(small.schedule, occ.startsAt);
      return theirs.startsAt >= occ.startsAt && theirs.endsAt <= occ.endsAt && this.takenIn(small, theirs) === big;
    });
  }

  /** What a scheduled window's row takes in, read again from the schedules when it is said. */
  private takesInOf(w: MaintenanceWindowRow): MaintenanceWindowDef[] {
    const def = w.scheduled ? this.maintenance.windows.find((d) => d.key === w.windowKey) : undefined;
    return def && w.endsAt ? this.takesIn(def, { startsAt: w.startsAt, endsAt: w.endsAt }) : [];
  }

  private async plan(): Promise<void> {
    const now = this.now();
    for (const w of this.maintenance.windows) {
      if (!w.schedule) continue;
      const occ = nextOccurrence(w.schedule, now);
      if (this.planned.get(w.key) === occ.startsAt.getTime()) continue;
      if (this.takenIn(w, occ)) {
        // Said as part of the larger window; a row planned before this version knew is left unsaid.
        await dropPlanned(this.db, w.key, occ.startsAt);
        this.planned.set(w.key, occ.startsAt.getTime());
        continue;
      }
      const smaller = this.takesIn(w, occ);
      const combined = smaller.length
        ? this.maintenance.combined[
            combinedKey(
              w.key,
              smaller.map((d) => d.key),
            )
          ]
        : undefined;
      await planWindow(this.db, {
        windowKey: w.key,
        title: w.title,
        playbookId: combined ?? w.playbookId,
        channelId: this.channel,
        noticeAt: new Date(occ.startsAt.getTime() - this.maintenance.noticeBeforeMs),
        startsAt: occ.startsAt,
        endsAt: occ.endsAt,
        scheduled: true,
      });
      this.planned.set(w.key, occ.startsAt.getTime());
    }
  }

  /** Says the step due of a claimed window, then records it said. */
  private async act(w: MaintenanceWindowRow): Promise<void> {
    const now = this.now();
    const ended = w.endsAt !== null && w.endsAt <= now;
    let to: MaintenanceStage;
    if (w.stage === 'open') to = 'closed';
    else if (w.startsAt <= now) to = ended && w.scheduled ? 'closed' : 'open';
    else to = 'noticed';
    if (w.stage !== 'open' && to === 'closed') {
      // A scheduled window that passed entirely while no bot ran: nothing is said late.
      this.log.warn(`maintenance window ${w.id} (${w.title}) passed while no bot was running; nothing was posted`);
    } else if (w.channelId) {
      const takesIn = this.takesInOf(w).map((d) => d.title);
      const also = takesIn.length ? { takesIn } : {};
      if (to === 'noticed') await this.chat.post(w.channelId, { kind: 'notice', window: w, ...also });
      // Windows overlap (one opened by hand while a scheduled one comes): each start and end names the others open.
      const others =
        to === 'noticed'
          ? []
          : (await openWindows(this.db, now))
              .filter((o) => o.id !== w.id)
              .map((o): OtherWindow => ({ title: o.title, endsAt: o.endsAt }));
      if (to === 'open') await this.opened(w, w.channelId, takesIn, others);
      if (to === 'closed')
        await this.chat.post(w.channelId, {
          kind: 'ended',
          window: w,
          summary: await this.summarize(w, null),
          ...(others.length ? { stillOpen: others } : {}),
        });
    }
    await advanceWindow(this.db, w.id, w.stage, to);
  }

  /** Its start, then its checklist as a playbook run (once: the run's request key is the window's). */
  private async opened(
    w: MaintenanceWindowRow,
    channelId: string,
    takesIn: string[],
    alsoOpen: OtherWindow[],
  ): Promise<void> {
    const playbook = w.playbookId ? this.playbooks.find((p) => p.id === w.playbookId) : undefined;
    await this.chat.post(channelId, {
      kind: 'started',
      window: w,
      checklist: playbook?.title ?? null,
      ...(takesIn.length ? { takesIn } : {}),
      ...(alsoOpen.length ? { alsoOpen } : {}),
    });
    if (!playbook) return;
    const me = await this.chat.self();
    await this.runs.start({
      teamId: me.teamId,
      playbook,
      typedIn: channelId,
      userId: w.openedBy ?? me.botUserId,
      requestKey: `maintenance:${w.id}`,
    });
  }
}
