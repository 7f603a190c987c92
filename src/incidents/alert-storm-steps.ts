import { createHash } from 'node:crypto';
import {
  type AlertIncidentRow,
  alertIncidentsOf,
  claimStepPost,
  claimStormMessage,
  earlierIncidentOf,
  firedElsewhereClosed,
  getAlertIncident,
  getAlerts,
  joinedMessagesShowing,
  keepStepPost,
  keepStormMessage,
  keptStepPost,
  movePrivateStorm,
  openFiredElsewhere,
  recordFiredElsewhere,
  recordJoinedMessage,
  recordPastCapNote,
  releaseStepPost,
  renewStormMessageClaim,
  STORM_MESSAGE_CLAIM_STALE_MS,
  stormMessageNow,
  stormMessageOf,
  stormMessageRefused,
  stormMessageReplied,
} from '../store/alert.repo.js';
import type { Database } from '../store/db.js';
import { getIncident } from '../store/incident.repo.js';
import type { AlertChat, StormPlace } from './alert-ports.js';
import { pastCapNote, STORM_WINDOW_MS } from './alert-recorder.js';
import type { AlertStep, DeclaredApart, JoinedWhy } from './alert-types.js';
import { NotYet } from './not-yet.js';
import type { Incident } from './types.js';

/**
 * What a storm step drew in the incidents channel's storm message: the storm's list it drew from, and whether it said
 * the message's thread tells when it changed; `nothing`: the step left the message as it was (or had none to draw).
 */
type Drawn = { incidents: readonly number[]; threaded: boolean } | 'nothing';

const sameList = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((x, i) => x === b[i]);

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
  ) {}

  /**
   * A storm step's message in each of its places (the incident's channel, then the incidents channel), each once: the
   * post is claimed first (alert_step_posts), so a retry of the step (its process died after posting, or Slack refused
   * its other place) does not post it again where it went; a post Slack refuses gives its claim back, for the retry.
   * Each post carries its claim (`mark`): a claim taken over from an attempt whose process died looks first for the
   * post that attempt may have made before it recorded it, and keeps it (`adopt`: what else the step keeps of it).
   * Where the incidents channel's message went, by this attempt or an earlier one (null: none there).
   */
  private async tellOnce(
    incident: Incident,
    key: string,
    post: (where: StormPlace, mark: string) => Promise<{ channel: string; ts: string } | null>,
    adopt?: (where: StormPlace, at: { channel: string; ts: string }) => Promise<void>,
    /** Where a dead attempt's post may be (by default, among the place's messages: findStepPost). */
    find: (where: StormPlace, mark: string, since: Date) => Promise<{ channel: string; ts: string } | null> = (
      where,
      mark,
      since,
    ) => this.chat.findStepPost(incident, where, mark, since),
    /** Where the step posts (by default both places). */
    places: readonly StormPlace[] = ['here', 'everyone'],
  ): Promise<{ channel: string; ts: string } | null> {
    let everyone: { channel: string; ts: string } | null = null;
    for (const where of places) {
      const claim = `${key}:${where}`;
      const mine = await this.claim(claim);
      if (!mine) {
        // Posted by an earlier attempt: where it went, for what the step keeps of it (joined: its message).
        if (where === 'everyone') everyone = await keptStepPost(this.db, claim);
        continue;
      }
      // Taken over from an attempt that died: it may have posted before it could record where.
      const found = mine.retakenFrom ? await find(where, claim, mine.retakenFrom) : null;
      if (found) {
        await adopt?.(where, found);
        await keepStepPost(this.db, claim, found);
        if (where === 'everyone') everyone = found;
        continue;
      }
      let at: { channel: string; ts: string } | null;
      try {
        at = await post(where, claim);
      } catch (err) {
        await releaseStepPost(this.db, claim).catch(() => {});
        throw err;
      }
      await keepStepPost(this.db, claim, at);
      if (where === 'everyone') everyone = at;
    }
    return everyone;
  }

  /**
   * Claims a step's post (claimStepPost): this attempt's claim when it posts it (`retakenFrom`: taken over from one
   * whose process died, claimed then), false when an earlier one did. One claimed lately and not posted may be on its
   * way from another attempt, or its process was killed: the step is tried again once that claim is stale (NotYet),
   * and then posts it, rather than take it for posted and lose it.
   */
  private async claim(key: string): Promise<{ retakenFrom?: Date } | false> {
    const c = await claimStepPost(this.db, key);
    if (c.kind === 'pending')
      throw new NotYet(`the post ${key} was claimed and not yet posted; looking again then`, c.retryInMs + 100);
    return c.kind === 'mine' ? c : false;
  }

  /**
   * A storm started joining this incident, or came back to it: its channel and the incidents channel are told, once
   * each time (a return's posts are claimed apart: `back`). A private storm's list (alert_private_storms) names it
   * before either is posted, as the public storm's does (claimStormMessage): a step Slack refused, tried again after
   * the storm's step of a later incident, keeps its place before that one. A quick return (`quiet`, a flap) is told
   * nowhere: the incidents channel's message is only redrawn to name it (showStormNow).
   */
  async storm(step: Extract<AlertStep, { kind: 'storm' }>): Promise<void> {
    if (step.quiet) return this.stormFlapped(step);
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
    await this.tellOnce(
      incident,
      key,
      async (where, mark) => {
        // Its channel hears it as news; a private incident is not named in the incidents channel.
        if (where === 'here' || incident.private) return this.chat.tellStorm(incident, storm, where, mark);
        const told = await this.tellStormEveryone(incident, storm, mark);
        drew = told.drew;
        return told.at;
      },
      // Found in the incidents channel after a crash: the storm's message, as if this attempt had posted it.
      async (where, at) => {
        if (where === 'everyone' && !incident.private) await keepStormMessage(this.db, storm.source, at);
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
    await this.redrawIfBehind(storm, drew);
  }

  /**
   * The incidents channel's storm message as a step drew it (`drew`; unset: an earlier attempt did the step's part) may
   * be behind the storm: its thread has a reply now (posted after the update), or its list changed while it was posted
   * (a flap meanwhile). Redrawn from the storm as it is then (by each retry too: Slack may refuse the redraw).
   */
  private async redrawIfBehind(storm: { source: string; maxIncidents: number }, drew: Drawn | undefined) {
    if (drew === 'nothing') return;
    const now = await stormMessageNow(this.db, storm.source, STORM_WINDOW_MS);
    if (drew && now && drew.threaded === now.replied && sameList(drew.incidents, now.incidents)) return;
    await this.showStormNow(storm.source, storm.maxIncidents, now);
  }

  /**
   * A public storm went back to an incident within ALERTS_STORM_RETURN_GAP (a flap, told nowhere): its incidents-channel
   * message is redrawn to name the incident its list ends with (showStormNow). While a step posts it, the flap waits
   * (NotYet) for it to be up (then redrawn, if that step did not draw it so) or refused. Refused, it is posted by this
   * step, naming the storm's incident now, in the list's order, as that incident's own step would: the steps that
   * were to post it may be done (each, tried again with a later incident in the list, leaves it to that one's).
   */
  private async stormFlapped(step: Extract<AlertStep, { kind: 'storm' }>): Promise<void> {
    const storm = { source: step.source, maxIncidents: step.maxIncidents };
    const now = await stormMessageNow(this.db, storm.source, STORM_WINDOW_MS);
    if (!now) return;
    if (now.at) return this.showStormNow(storm.source, storm.maxIncidents, now);
    if (now.pending)
      throw new NotYet(`the storm message of ${storm.source} is being posted; redrawn once it is up`, 1000);
    const last = now.incidents.at(-1);
    const incident = last === undefined ? null : await getIncident(this.db, last);
    if (!incident || incident.private || incident.status === 'resolved') return;
    let drew: Drawn | undefined;
    // Claimed apart from the storm's steps (the list as it is names this posting), in the incidents channel only.
    await this.tellOnce(
      incident,
      `storm:${step.alertIncident}:flap-${now.incidents.join('.')}`,
      async (_where, mark) => {
        const told = await this.tellStormEveryone(incident, storm, mark, true);
        drew = told.drew;
        return told.at;
      },
      async (_where, at) => keepStormMessage(this.db, storm.source, at),
      undefined,
      ['everyone'],
    );
    await this.redrawIfBehind(storm, drew);
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
    const mine = await this.claim(claim);
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
   * The incidents channel hears of a source's storm once while it goes on (alert_storm_messages): the first incident it
   * joins is told in a message; the next (that one resolved, or one more severe opened past the cap) updates that
   * message, and its thread says when. A storm quiet for the cap's window is over: the next is a new message. A message
   * Slack refused as it was first posted is kept with its incidents, in order, and posted by the storm's next step (or
   * the retry): each incident keeps its place, whichever step posts it. One being posted is the posting step's (held
   * in alert_storm_messages while Slack takes it, however slowly): the storm's next step waits for it to be up (NotYet)
   * and tells its move in its thread, never in a second message; it takes the post over only from a step whose
   * process died, and keeps that one's post if Slack took it.
   */
  private async tellStormEveryone(
    incident: Incident,
    storm: { source: string; maxIncidents: number },
    mark: string,
    /** For a flap (stormFlapped): posts the message if it is to be posted, and says nothing else (drew unset). */
    flap = false,
  ): Promise<{ at: { channel: string; ts: string } | null; drew: Drawn | undefined }> {
    const claim = await claimStormMessage(this.db, storm.source, incident.id, STORM_WINDOW_MS, mark);
    // Another step of the storm posts its message at this moment (Slack slow to take it, or two replicas at once):
    // waited for, this step's move then told in its thread, rather than in a second message for the same storm.
    if (claim.kind === 'ongoing' && !claim.at)
      throw new NotYet(`the storm message of ${storm.source} is being posted; told once it is up`, 1000);
    // Up since it was read (redrawn after).
    if (flap && claim.kind === 'ongoing') return { at: claim.at, drew: undefined };
    if (claim.kind === 'new' && claim.retakenFrom) {
      // Taken over from a step whose process died while it posted: its post, if Slack took it, is the storm's message.
      const found = await this.chat.findStepPost(incident, 'everyone', claim.retakenFrom.mark, claim.retakenFrom.since);
      if (found) {
        await keepStormMessage(this.db, storm.source, found);
        return this.tellStormEveryone(incident, storm, mark, flap);
      }
    }
    if (claim.kind === 'ongoing' && claim.at) {
      const place = claim.incidents.indexOf(incident.id);
      // This step retried after the storm moved on to a later incident: the message and its thread said that move,
      // listing this one in its place; saying now that the storm goes here would be out of order, and untrue.
      if (place >= 0 && place < claim.incidents.length - 1) return { at: claim.at, drew: 'nothing' };
      const earlier = await this.earlierOf(claim.incidents, incident);
      await this.chat.tellStormMoved(claim.at, incident, storm, earlier, claim.replied, mark);
      // Said once Slack took the reply: a message drawn before points to its thread only if it had one already.
      await stormMessageReplied(this.db, storm.source, claim.at);
      return { at: claim.at, drew: { incidents: claim.incidents, threaded: claim.replied } };
    }
    const place = claim.incidents.indexOf(incident.id);
    // This step retried after the storm moved on, its message refused again since: the storm's later step posts it,
    // naming this one in its place (left refused, for that step to take at once).
    if (place >= 0 && place < claim.incidents.length - 1) {
      await stormMessageRefused(this.db, storm.source);
      return { at: null, drew: 'nothing' };
    }
    const earlier = await this.earlierOf(claim.incidents, incident);
    let at: { channel: string; ts: string } | null;
    // Held while Slack takes it, however long: the storm's other steps wait for it (a claim not renewed is a dead one's).
    const holding = setInterval(
      () => void renewStormMessageClaim(this.db, storm.source, mark).catch(() => {}),
      STORM_MESSAGE_CLAIM_STALE_MS / 3,
    );
    try {
      at = await this.chat.tellStorm(incident, storm, 'everyone', mark, earlier);
    } catch (err) {
      await stormMessageRefused(this.db, storm.source).catch(() => {});
      throw err;
    } finally {
      clearInterval(holding);
    }
    await keepStormMessage(this.db, storm.source, at);
    return { at, drew: at ? { incidents: claim.incidents, threaded: false } : 'nothing' };
  }

  /**
   * The storm's incidents-channel message redrawn to name the incident its list ends with, the storm's now (whichever
   * step of it runs last draws the same), nothing posted. Nothing while it is not up (see stormFlapped), nor once the
   * storm is over.
   */
  private async showStormNow(
    source: string,
    maxIncidents: number,
    /** The storm as read just before (stormMessageNow); by default read here. */
    read?: Awaited<ReturnType<typeof stormMessageNow>>,
  ): Promise<void> {
    const now = read === undefined ? await stormMessageNow(this.db, source, STORM_WINDOW_MS) : read;
    const last = now?.incidents.at(-1);
    if (!now?.at || last === undefined) return;
    const incident = await getIncident(this.db, last);
    if (!incident || incident.private) return;
    await this.chat.showStorm(
      now.at,
      incident,
      { source, maxIncidents },
      await this.earlierOf(now.incidents, incident),
      now.replied,
    );
  }

  /** The public incidents of a storm's list before `incident`, oldest first, as its message names them. */
  private async earlierOf(
    incidents: readonly number[],
    incident: Incident,
  ): Promise<{ number: number; channelId: string | null }[]> {
    const earlier: { number: number; channelId: string | null }[] = [];
    for (const id of incidents.filter((i) => i !== incident.id)) {
      const e = await getIncident(this.db, id);
      if (e && !e.private) earlier.push({ number: e.number, channelId: e.channelId });
    }
    return earlier;
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
    const told = await this.tellOnce(incident, `joined:${alertIncidentId}:${step.slice(0, 32)}`, (where, mark) =>
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
    const claimed = await this.claim(claim);
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
    await this.tellOnce(incident, `past_cap:${step.alertIncident}`, (where, mark) =>
      this.chat.tellPastCap(incident, view, where, mark),
    );
  }
}
