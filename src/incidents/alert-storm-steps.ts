import { createHash } from 'node:crypto';
import { earlierIncidentOf, getAlerts } from '../store/alert.repo.js';
import { type AlertIncidentRow, alertIncidentsOf, getAlertIncident } from '../store/alert-incident.repo.js';
import {
  firedElsewhereClosed,
  joinedMessagesShowing,
  keepStepPost,
  openFiredElsewhere,
  recordFiredElsewhere,
  recordJoinedMessage,
  releaseStepPost,
} from '../store/alert-posts.repo.js';
import { recordPastCapNote } from '../store/alert-storm-control.repo.js';
import { movePrivateStorm, stormMessageOf, stormMessageReplied } from '../store/alert-storm-message.repo.js';
import type { Database } from '../store/db.js';
import { getIncident } from '../store/incident.repo.js';
import type { AlertChat } from './alert-ports.js';
import { StepPosts } from './alert-step-posts.js';
import { type Drawn, StormMessage } from './alert-storm-message.js';
import { pastCapNote, STORM_WINDOW_MS } from './alert-storm-notes.js';
import { StormWithdrawals } from './alert-storm-withdrawals.js';
import type { AlertStep, DeclaredApart, JoinedWhy } from './alert-types.js';
import type { Incident } from './types.js';

/**
 * Storm control's steps (AlertStep `storm`, `joined`, `past_cap`): what a storm's incident, its channel and the
 * incidents channel are told as storm control sends alerts to it or opens one past the cap, each message once in each
 * place however often the step runs (tellOnce), and the incidents channel's messages of new names kept up to date as
 * they are declared apart. AlertSteps runs them.
 */
export class StormSteps {
  constructor(
    private readonly db: Database,
    private readonly chat: AlertChat,
    /** The incident an alert incident was declared as (null: none, or failed); throws NotYet while it is declared. */
    private readonly declaredIncident: (
      alertIncidentId: number,
    ) => Promise<{ incidentId: number; ai: AlertIncidentRow } | null>,
    /** Posts of storms' messages one too many, deleted (Slack refusing it, by the alert loop's sweep). */
    withdrawals: StormWithdrawals = new StormWithdrawals(db, chat),
  ) {
    this.posts = new StepPosts(db, chat);
    this.message = new StormMessage(db, chat, this.posts, withdrawals);
  }

  /** Each post once, however often a step runs (tellOnce). */
  private readonly posts: StepPosts;
  /** The storm's message in the incidents channel. */
  private readonly message: StormMessage;

  /**
   * A storm started joining this incident, or came back to it: its channel and the incidents channel are told, once
   * each time (a return's posts are claimed apart: `back`). A private storm's list (alert_private_storms) names it
   * before either is posted, as the public storm's does (claimStormMessage): a step Slack refused, tried again after
   * the storm's step of a later incident, keeps its place before that one. A quick return (`quiet`, a flap) is told
   * nowhere: the incidents channel's message is only redrawn to name it (showStormNow).
   */
  async storm(step: Extract<AlertStep, { kind: 'storm' }>): Promise<void> {
    if (step.quiet) await this.message.stormFlapped(step);
    else await this.tellStormOnce(step);
  }

  /** The storm step's posts (storm), a flap apart. */
  private async tellStormOnce(step: Extract<AlertStep, { kind: 'storm' }>): Promise<void> {
    const declared = await this.declaredIncident(step.alertIncident);
    if (!declared) return;
    const incident = await getIncident(this.db, declared.incidentId);
    if (!incident || incident.status === 'resolved') return;
    const storm = { source: step.source, maxIncidents: step.maxIncidents, ...(step.back ? { back: true } : {}) };
    // The step, each return apart (its claims: this turn's posts are not an earlier one's).
    const turn = `${step.alertIncident}${step.back ? `:back-${step.back}` : ''}`;
    const key = `storm:${turn}`;
    const earlierId = incident.private
      ? await movePrivateStorm(this.db, storm.source, incident.id, STORM_WINDOW_MS)
      : null;
    /** What this attempt drew in the incidents channel's storm message (unset: an earlier attempt did its part). */
    let drew: Drawn | undefined;
    await this.posts.tellOnce(
      incident,
      key,
      async (where, mark) => {
        // Its channel hears it as news; a private incident is not named in the incidents channel.
        if (where === 'here' || incident.private) return this.chat.tellStorm(incident, storm, where, mark);
        const told = await this.message.tellStormEveryone(incident, storm, mark);
        drew = told.drew;
        return told.at;
      },
      // Found in the incidents channel after a crash: the storm's message, as if this attempt had posted it (another
      // recorded first, this one is withdrawn and the move told in that one's thread).
      async (where, at) => {
        if (where !== 'everyone' || incident.private) return;
        if (!(await this.message.keepFound(incident, storm.source, at)))
          drew = (await this.message.tellStormEveryone(incident, storm, `${key}:${where}`)).drew;
      },
      // The storm's message, or, when the storm moved here from an earlier incident, the reply in its thread saying
      // so (tellStormMoved): found there, the step keeps the storm's message, as an attempt that lived would have.
      async (where, mark, since) => {
        const top = await this.chat.findStepPost(incident, where, mark, since);
        if (top || where !== 'everyone' || incident.private) return top;
        const message = await stormMessageOf(this.db, storm.source);
        if (!message) return null;
        if (!(await this.chat.findStepPost(incident, where, mark, since, message.ts))) return null;
        await stormMessageReplied(this.db, storm.source, message);
        return message;
      },
    );
    if (incident.private) return this.tellPrivateStormMoved(incident, storm.source, turn, earlierId);
    await this.message.redrawIfBehind(storm, drew);
  }

  /**
   * A private storm's further alerts now join `incident`: the private incident they joined before (`earlierId`, as
   * alert_private_storms lists it) is told in its channel, once (the incidents channel, which tells a public storm's
   * moves, hears nothing of it).
   */
  private async tellPrivateStormMoved(
    incident: Incident,
    source: string,
    stormStep: string,
    earlierId: number | null,
  ): Promise<void> {
    const earlier = earlierId !== null && earlierId !== incident.id ? await getIncident(this.db, earlierId) : null;
    if (!earlier?.private || !earlier.channelId) return;
    const claim = `storm_moved:${stormStep}:${earlier.id}`;
    const mine = await this.posts.claim(claim);
    if (!mine) return;
    // Taken over from an attempt that died: it may have posted (its message carries the claim) before it recorded it.
    let at = mine.retakenFrom ? await this.chat.findStepPost(earlier, 'here', claim, mine.retakenFrom) : null;
    try {
      at ??= await this.chat.tellStormMovedAway(earlier, incident, source, claim);
    } catch (err) {
      await releaseStepPost(this.db, claim).catch(() => {});
      throw err;
    }
    await keepStepPost(this.db, claim, at);
  }

  /**
   * Alerts of names new to a storm's incident joined it: its channel is told, in one message (no page: a critical
   * alert in a less severe incident is offered a raise apart, `outranked`), and so is the incidents channel for a
   * public incident (a different trouble would otherwise be seen there by nobody), with a way to declare them apart.
   * Nothing once it is resolved. Those a person declared apart since are left out. Each place once (tellOnce).
   */
  async joined(alertIncidentId: number, alertIds: readonly number[], why?: JoinedWhy): Promise<void> {
    const declared = await this.declaredIncident(alertIncidentId);
    if (!declared) return;
    const incident = await getIncident(this.db, declared.incidentId);
    if (!incident || incident.status === 'resolved' || !incident.channelId) return;
    const mine = new Set((await alertIncidentsOf(this.db, incident.id)).map((a) => a.id));
    const alerts = (await getAlerts(this.db, alertIds)).filter(
      (a) => a.alertIncidentId !== null && mine.has(a.alertIncidentId),
    );
    if (alerts.length === 0) return;
    // The step's own alerts name it (a storm's incident is joined by many such steps, each of other alerts).
    const step = createHash('sha256')
      .update([...alertIds].sort((x, y) => x - y).join(','))
      .digest('hex');
    const source = declared.ai.source;
    // One that fired again after the incident it was in was resolved: its channel is told which (a private one, to
    // the people of a public incident, not named).
    const before = new Map<number, DeclaredApart>();
    for (const a of alerts) {
      const earlier = await earlierIncidentOf(this.db, a);
      const e = earlier && earlier !== incident.id ? await getIncident(this.db, earlier) : null;
      if (e?.status === 'resolved')
        before.set(
          a.id,
          e.private && !incident.private ? { private: true } : { number: e.number, channelId: e.channelId },
        );
    }
    // An alert with a notice of its own in the incidents channel (a critical one a maintenance window held back,
    // released into the storm's incident as the window ended) is offered to be declared apart there, its notice
    // updated to say where it joined: not again in a second message with a second Declare incident.
    const unnoticed = alerts.filter((a) => !a.noticePlanned && a.notice === null && a.noticeLead === null);
    const told = await this.posts.tellOnce(incident, `joined:${alertIncidentId}:${step.slice(0, 32)}`, (where, mark) =>
      where === 'here'
        ? this.chat.tellJoined(incident, alerts, { source }, where, before, mark)
        : unnoticed.length > 0
          ? this.chat.tellJoined(incident, unnoticed, { source, ...(why ? { why } : {}) }, where, before, mark)
          : Promise.resolve(null),
    );
    // Kept, so that declaring one apart replaces its button with where it went (declaredApart); by a retry too, when
    // the attempt that posted it could not.
    if (told)
      await recordJoinedMessage(this.db, {
        incidentId: incident.id,
        source,
        ...told,
        alertIds: unnoticed.map((a) => a.id),
        why,
      });
  }

  /**
   * Alerts fired again after the incident they were in was resolved, and joined another (storm control): the resolved
   * incident's channel is told, once, which and where they went (a private incident not named), with Reopen while it
   * is resolved (AlertService.reopenForAlert). Those that left the incident they joined since are left out.
   */
  async firedElsewhere(step: Extract<AlertStep, { kind: 'fired_elsewhere' }>): Promise<void> {
    const declared = await this.declaredIncident(step.alertIncident);
    if (!declared) return;
    const [joined, resolved] = await Promise.all([
      getIncident(this.db, declared.incidentId),
      getIncident(this.db, step.from),
    ]);
    if (!joined || !resolved?.channelId) return;
    const mine = new Set((await alertIncidentsOf(this.db, joined.id)).map((a) => a.id));
    const alerts = (await getAlerts(this.db, step.alerts)).filter(
      (a) => a.alertIncidentId !== null && mine.has(a.alertIncidentId),
    );
    if (alerts.length === 0) return;
    const claim = `fired_elsewhere:${step.from}:${[...step.alerts].sort((x, y) => x - y).join(',')}`.slice(0, 200);
    const claimed = await this.posts.claim(claim);
    if (!claimed) return;
    const where: DeclaredApart =
      joined.private && !resolved.private ? { private: true } : { number: joined.number, channelId: joined.channelId };
    // Taken over from an attempt that died: it may have posted (its message carries the claim) before it recorded it.
    let at = claimed.retakenFrom ? await this.chat.findStepPost(resolved, 'here', claim, claimed.retakenFrom) : null;
    try {
      at ??= await this.chat.tellFiredElsewhere(resolved, alerts, where, claim);
    } catch (err) {
      await releaseStepPost(this.db, claim).catch(() => {});
      throw err;
    }
    await keepStepPost(this.db, claim, at);
    // Kept, so that reopening the incident (by its Reopen or otherwise) replaces the button (closeFiredElsewhere).
    if (at)
      await recordFiredElsewhere(this.db, {
        incidentId: resolved.id,
        joinedIncidentId: joined.id,
        ...at,
        alertIds: alerts.map((a) => a.id),
      });
    // Reopened while it was on its way (the reopening found no message to close): closed now.
    const now = await getIncident(this.db, resolved.id);
    if (at && now && now.status !== 'resolved') await this.closeFiredElsewhere(now);
  }

  /**
   * The incident was reopened (by a Reopen of a message saying its alerts fired again elsewhere, or any other way):
   * each such message still showing Reopen says who reopened it instead, so nobody presses it again. Each is marked
   * closed once Slack took its update: one Slack refuses (thrown once the others are done), or whose process died
   * first, is closed by the reopening's follow-up (IncidentService), tried again until Slack takes it.
   */
  async closeFiredElsewhere(incident: Incident): Promise<void> {
    let refused: unknown = null;
    for (const m of await openFiredElsewhere(this.db, incident.id)) {
      const [alerts, joined] = await Promise.all([
        getAlerts(this.db, m.alertIds),
        getIncident(this.db, m.joinedIncidentId),
      ]);
      const where: DeclaredApart =
        !joined || (joined.private && !incident.private)
          ? { private: true }
          : { number: joined.number, channelId: joined.channelId };
      try {
        await this.chat.closeFiredElsewhere(m, incident, alerts, where);
      } catch (err) {
        refused ??= err;
        continue;
      }
      await firedElsewhereClosed(this.db, m);
    }
    if (refused) throw refused;
  }

  /**
   * Alerts a storm sent to an incident were declared apart, or brought back to the incident they were in before
   * (`alertIds`, the group's that left it): each incidents
   * channel message telling they joined it is updated, its Declare incident for them replaced by where they went
   * (a private incident not named), so nobody presses it again to be told they are in an incident already.
   */
  async declaredApart(stormIncidentId: number, alertIds: readonly number[]): Promise<void> {
    const messages = await joinedMessagesShowing(this.db, stormIncidentId, alertIds);
    if (messages.length === 0) return;
    const incident = await getIncident(this.db, stormIncidentId);
    if (!incident) return;
    for (const m of messages) {
      const alerts = await getAlerts(this.db, m.alertIds);
      const apart = new Map<number, DeclaredApart>();
      for (const a of alerts) {
        const ai = a.alertIncidentId ? await getAlertIncident(this.db, a.alertIncidentId) : null;
        if (!ai?.incidentId || ai.incidentId === incident.id) continue;
        // Declared apart by a person, or back in the incident it was in before (reopened for it: AlertService
        // reopenForAlert), its group's own.
        const back = ai.declaredBy === null && ai.source === a.source && ai.groupKey === a.groupKey;
        if (ai.declaredBy === null && !back) continue;
        const went = await getIncident(this.db, ai.incidentId);
        if (went)
          apart.set(
            a.id,
            went.private
              ? { private: true }
              : { number: went.number, channelId: went.channelId, ...(back ? { reopened: true as const } : {}) },
          );
      }
      await this.chat.updateJoined(m, incident, alerts, { source: m.source, ...(m.why ? { why: m.why } : {}) }, apart);
    }
  }

  /**
   * Storm control opened this incident past its source's cap (its alerts more severe than every incident of it
   * open): its channel and the incidents channel are told why, each once (tellOnce), and its timeline notes it (so in
   * its post-mortem), once, before either is told.
   */
  async pastCap(step: Extract<AlertStep, { kind: 'past_cap' }>): Promise<void> {
    const declared = await this.declaredIncident(step.alertIncident);
    if (!declared) return;
    const incident = await getIncident(this.db, declared.incidentId);
    if (!incident || incident.status === 'resolved') return;
    const view = { source: step.source, maxIncidents: step.maxIncidents, severity: step.severity, than: step.than };
    await this.db.transaction((tx) => recordPastCapNote(tx, incident.id, pastCapNote(view)));
    await this.posts.tellOnce(incident, `past_cap:${step.alertIncident}`, (where, mark) =>
      this.chat.tellPastCap(incident, view, where, mark),
    );
  }
}
