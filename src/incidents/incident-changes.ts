import { type Database, jointPart, partsOf, type Queryable } from '../store/db.js';
import { nextDueOf } from '../store/escalation-jobs.repo.js';
import {
  changeIncident,
  getVersionedIncident,
  incidentIfChanged,
  lockIncidentForChange,
  patched,
  type VersionedIncident,
} from '../store/incident.repo.js';
import { insertPublicUpdate } from '../store/status-page.repo.js';
import { ChangeFollowups, type Followup, overtaken } from './change-followups.js';
import { Coalesced } from './coalesced.js';
import type { Decision } from './commander.js';
import { DomainError } from './errors.js';
import { type EscalationService, stopsPages } from './escalation.service.js';
import { reopens } from './escalation-policy.js';
import { incidentNotFound } from './find-incident.js';
import type { EscalationView, IncidentChat, IncidentMetrics, IncidentNotice, Logger } from './ports.js';
import type { Incident } from './types.js';

export interface ChangeResult {
  incident: Incident;
  /** Parts that were recorded but could not be shown in Slack. */
  warnings: string[];
}

/** What follows a resolution and a reopening (IncidentService's onResolved and onReopened, set by the composition root). */
export interface ChangeHooks {
  onResolved: ((incident: Incident) => Promise<void>) | null;
  onReopened: ((incident: Incident) => Promise<void>) | null;
}

/**
 * How a change of an incident is made and shown (IncidentService's changes all go through `change`): written with its
 * events, timers and follow-up in one transaction, then its card, its notice, the pages it answered and what follows
 * it shown; what a dead process left unshown shown by the follow-ups' sweep (showLeft). The card's refreshes of one
 * incident are folded (showCard).
 */
export class IncidentChanges {
  constructor(
    private readonly db: Database,
    private readonly chat: IncidentChat,
    private readonly log: Logger,
    private readonly escalation: EscalationService | undefined,
    private readonly metrics: IncidentMetrics,
    private readonly hooks: ChangeHooks,
  ) {
    this.followups = new ChangeFollowups(db, log, (incident, f, posted) => this.showLeft(incident, f, posted));
  }

  /** What committed changes still have to show, and the sweep that shows what a dead process left (timer loop). */
  readonly followups: ChangeFollowups;

  escalationView(incident: Incident): Promise<EscalationView | undefined> {
    return this.escalation ? this.escalation.cardView(incident) : Promise.resolve(undefined);
  }

  /**
   * Re-renders the incident's card from its current state (e.g. once its alerts changed). What changed may be outside
   * the incident's row (its alerts, objectives, pages), so a refresh folded into a card update under way renders the
   * card again after it even when the row did not change: the update under way may have read the alerts before.
   */
  async refreshCard(incidentId: number): Promise<void> {
    this.changedOutsideRow.add(incidentId);
    await this.showCard(incidentId, async () => {
      const found = await getVersionedIncident(this.db, incidentId);
      if (!found) throw await incidentNotFound(this.db, incidentId);
      return found;
    });
  }

  /**
   * Shows the incident on its card (`first`: the state to show when no refresh of it is under way in this process).
   * Refreshes of one incident asked while one is under way are folded into one after it, which shows the row as it is
   * then, if it changed since: a burst of changes to one incident (people clicking on its card at once) updates the
   * card twice, not once per change, and the last update shows the last change.
   */
  private async showCard(incidentId: number, first: () => Promise<VersionedIncident>): Promise<void> {
    await this.cardRuns.run(incidentId, async (shown) => {
      // Taken as the run starts: a refresh asked after this point is folded into the next run, which renders again.
      const outside = this.changedOutsideRow.delete(incidentId);
      const latest =
        shown === undefined
          ? await first()
          : outside
            ? await getVersionedIncident(this.db, incidentId)
            : await incidentIfChanged(this.db, incidentId, shown);
      return latest ? this.showLatest(latest) : shown;
    });
  }

  private readonly cardRuns = new Coalesced<number, string | undefined>();
  /** Incidents whose card was asked to show something kept outside their row, not shown yet (see refreshCard). */
  private readonly changedOutsideRow = new Set<number>();

  /**
   * Shows `shown` on the card, then reads the incident again: when another change (in this process or another
   * replica) committed meanwhile, its card update may have reached Slack before this one, leaving this older state on
   * the card, so the card is rendered again from the newer row. Whoever updates last also checks last, so the card
   * ends as the database has it (bench/mixed found a card showing the commander one change behind without this).
   * The check compares the version of the row (one small statement), and reads the row only when it changed. That
   * render is sent even when it is what the card was last updated to: with updates from two replicas crossing, the
   * update answered last is not always the one Slack applied last, so what was last sent is not known to be shown
   * (bench/mixed found a card a severity behind, its last render left out as already shown).
   */
  private async showLatest(shown: VersionedIncident): Promise<string> {
    for (let round = 0; ; round++) {
      await this.chat.refreshCard(shown.incident, await this.escalationView(shown.incident));
      if (round === 2) return shown.version;
      const newer = await incidentIfChanged(this.db, shown.incident.id, shown.version);
      if (!newer) return shown.version;
      shown = newer;
      await this.chat.cardMayDiffer?.(shown.incident);
    }
  }

  /**
   * The shape of every change: lock the incident, decide (may throw AlreadyDoneError), write the patch and its event
   * in one transaction, then show it in Slack. A request key makes Slack retries and double submits no-ops.
   */
  async change(
    incidentId: number,
    requestKey: string | undefined,
    decide: (current: Incident) => Decision,
  ): Promise<ChangeResult | null> {
    // Few round trips: the key and the lock in one statement; the patch, its events and the escalation timers (those
    // the incident asks for as the patch leaves it) in one.
    const result = await this.db.transaction(async (tx: Queryable) => {
      const { claimed, incident: current } = await lockIncidentForChange(tx, incidentId, requestKey);
      if (!claimed) return null;
      if (!current) throw await incidentNotFound(tx, incidentId);
      const d = decide(current);
      const after = patched(current, d.patch);
      // The pages this answered (it stopped them: an acknowledgement, the resolution) say so in their direct
      // messages; reopened, those that said it was resolved say again who acknowledged it.
      const pages = stopsPages(current, after) || reopens(current, after);
      const resolved = current.status !== 'resolved' && after.status === 'resolved';
      const timers = this.escalation?.timersPart(after, current);
      // What people are told of it is kept with it, until shown (a process killed meanwhile leaves it to another):
      // written by the same statement, as the timers are.
      const kept = this.followups.part({ incident: after, notice: d.notice, pages, resolved });
      const more = timers && kept ? jointPart([timers, kept]) : (timers ?? kept);
      const written = await changeIncident(tx, incidentId, d.patch, d.events, more);
      if (d.publicUpdate) await insertPublicUpdate(tx, incidentId, d.publicUpdate);
      await this.escalation?.syncNotifications(tx, written.incident, current);
      const redrawn = (await this.escalation?.commandMoved(tx, written.incident, current)) ?? null;
      const [timersRead, keptRead] =
        timers && kept ? partsOf(written.more) : timers ? [written.more] : [undefined, written.more];
      // A redraw written for a change of command is due now: no timer is due sooner.
      const due = redrawn ?? nextDueOf(timersRead);
      const followup = kept ? Number(keptRead) : null;
      return {
        before: current,
        written,
        incident: written.incident,
        notice: d.notice,
        due,
        said: d.said,
        pages,
        resolved,
        followup,
      };
    });
    if (!result) return null;
    // Held (its lease renewed) while it is shown here: however long Slack takes, no other process shows it too.
    const release = this.followups.hold(result.followup);
    try {
      return await this.showChange(incidentId, result);
    } finally {
      release();
    }
  }

  /** What a committed change shows: the card, its notice, the pages it answered, what follows a resolution. */
  private async showChange(
    incidentId: number,
    result: {
      before: Incident;
      written: VersionedIncident;
      incident: Incident;
      notice: IncidentNotice | undefined;
      due: Date | null;
      said?: readonly string[];
      pages: boolean;
      resolved: boolean;
      followup: number | null;
    },
  ): Promise<ChangeResult> {
    this.escalation?.scheduled(result.due);
    this.countMilestones(result.before, result.incident);
    const warnings: string[] = [...(result.said ?? [])];
    try {
      await this.showCard(incidentId, async () => result.written);
    } catch (err) {
      warnings.push(`the card could not be updated: ${describe(err).replace(/\.$/, '')}`);
      this.log.warn('refreshCard failed', err);
    }
    if (result.notice) {
      try {
        // Each of its posts names the follow-up: a process taking it over finds them (this one may die after a post).
        const problems = await this.chat.notify(
          result.incident,
          result.notice,
          result.followup === null ? undefined : { followup: result.followup },
        );
        if (problems) warnings.push(...problems);
      } catch (err) {
        warnings.push(`the notice could not be posted: ${describe(err).replace(/\.$/, '')}`);
        this.log.warn('notify failed', err);
      }
      // Recorded when more is left to show after it (else the follow-up ends next, one statement fewer).
      if (result.pages || result.resolved) await this.followups.noticePosted(result.followup);
    }
    // The pages a resolution, an acknowledgement or a reopening answered, and the DMs a new severity changed (their
    // Acknowledge, their subject, response time and Escalate to …), are shown by the change's own timer
    // (`redraw_pages`, written with it): retried until Slack takes each, by any process, after a restart too.
    if (result.resolved) await this.afterResolved(result.incident);
    if (result.before.status === 'resolved' && result.incident.status !== 'resolved') {
      try {
        await this.hooks.onReopened?.(result.incident);
      } catch (err) {
        // Left to the change's follow-up (its lease runs out; any process's timer loop finishes it: showLeft), as when
        // this process dies before it: a Reopen button left showing would reopen nothing and confuse.
        this.log.warn('after reopening: could not finish; its follow-up tries again shortly', err);
        if (result.followup !== null) {
          if (result.notice) await this.followups.noticePosted(result.followup);
          return { incident: result.incident, warnings };
        }
      }
    }
    await this.followups.done(result.followup);
    return { incident: result.incident, warnings };
  }

  private async afterResolved(incident: Incident): Promise<void> {
    await this.hooks.onResolved?.(incident).catch((err) => this.log.warn('after resolving: could not finish', err));
  }

  /**
   * Shows what a change left unshown when its process died (see ChangeFollowups), from the incident as it is now: its
   * card; its notice, unless posted already or overtaken (a resolution not said once the incident was reopened, nor a
   * reopening once resolved again); the pages it answered; what follows a resolution. The notice is posted late, saying
   * so, where it is not yet: the dead process may have posted it in the incident channel, or in the incidents channel
   * too, before it could record that (its posts name the follow-up: findNotice). Slack refusing a post is thrown once
   * the rest is shown, for a later round, which posts only what is still missing. A chat that cannot tell where it is
   * posts it at most once: recorded before it is posted, a refusal logged.
   */
  private async showLeft(incident: Incident | null, f: Followup, noticeDone: () => Promise<void>): Promise<void> {
    if (!incident) return;
    await this.refreshCard(incident.id);
    let refused: unknown;
    if (!f.noticeDone && !overtaken(f.notice, f.incident, incident)) {
      // Shown as the change left the incident (a rename's new title then).
      const post = { followup: f.id, late: { madeAt: f.createdAt } };
      const posted = this.chat.findNotice
        ? await this.chat.findNotice(f.incident, f.notice, f.id, f.createdAt).catch(() => null)
        : null;
      if (posted) {
        try {
          await this.chat.notify(f.incident, f.notice, { ...post, posted });
          await noticeDone();
        } catch (err) {
          refused = err;
        }
      } else {
        await noticeDone();
        await this.chat
          .notify(f.incident, f.notice, post)
          .catch((err) =>
            this.log.warn(`could not post the late ${f.notice.kind} notice of incident ${incident.id}`, err),
          );
      }
    }
    if (f.pages) await this.escalation?.showAnsweredPages(incident);
    if (f.resolved && incident.status === 'resolved') await this.afterResolved(incident);
    // A reopening: what follows it (the messages offering Reopen say who reopened it), unless resolved again since.
    // Slack refusing is thrown, for a later round.
    if (f.notice.kind === 'reopened' && incident.status !== 'resolved')
      await this.hooks.onReopened?.(incident).catch((err: unknown) => {
        refused ??= err;
      });
    if (refused) throw refused;
  }

  /**
   * Time to acknowledge, mitigate and resolve, counted when a change reaches each for the first time: a reopened
   * incident (its mitigation and resolution cleared) is not counted again when it is mitigated and resolved again.
   */
  private countMilestones(before: Incident, after: Incident): void {
    if (after.reopenedAt) return;
    const since = (at: Date) => Math.max(0, (at.getTime() - after.createdAt.getTime()) / 1000);
    if (!before.acknowledgedAt && after.acknowledgedAt)
      this.metrics.reached('acknowledge', after.severity, since(after.acknowledgedAt));
    if (!before.mitigatedAt && after.mitigatedAt)
      this.metrics.reached('mitigate', after.severity, since(after.mitigatedAt));
    if (!before.resolvedAt && after.resolvedAt)
      this.metrics.reached('resolve', after.severity, since(after.resolvedAt));
  }
}

function describe(err: unknown): string {
  if (err instanceof DomainError) return err.message;
  if (err instanceof Error) return err.message;
  return String(err);
}
