import {
  claimStormMessage,
  keepStormMessage,
  renewStormMessageClaim,
  STORM_MESSAGE_CLAIM_STALE_MS,
  stormMessageNow,
  stormMessageRefused,
  stormMessageReplied,
} from '../store/alert-storm-message.repo.js';
import type { Database } from '../store/db.js';
import { getIncident } from '../store/incident.repo.js';
import type { AlertChat } from './alert-ports.js';
import type { StepPosts } from './alert-step-posts.js';
import { STORM_WINDOW_MS } from './alert-storm-notes.js';
import { StormWithdrawals } from './alert-storm-withdrawals.js';
import type { AlertStep } from './alert-types.js';
import { mayHaveBeenDone } from './errors.js';
import { NotYet } from './not-yet.js';
import type { Incident } from './types.js';

/**
 * What a storm step drew in the incidents channel's storm message: the storm's list it drew from, and whether it said
 * the message's thread tells when it changed; `nothing`: the step left the message as it was (or had none to draw).
 */
export type Drawn = { incidents: readonly number[]; threaded: boolean } | 'nothing';

const sameList = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((x, i) => x === b[i]);

/**
 * A public storm's one message in the incidents channel (alert_storm_messages), for the storm's steps (StormSteps):
 * posted by the step of the first incident it joins (or, Slack refusing it, by a later one, naming the earlier), told
 * each move in its thread and redrawn to name the storm's incident now, a quick flap only redrawn.
 */
export class StormMessage {
  constructor(
    private readonly db: Database,
    private readonly chat: AlertChat,
    private readonly posts: StepPosts,
    /** Posts one too many, deleted (Slack refusing it, by the alert loop's sweep). */
    private readonly withdrawals: StormWithdrawals = new StormWithdrawals(db, chat),
  ) {}

  /**
   * The incidents channel's storm message as a step drew it (`drew`; unset: an earlier attempt did the step's part) may
   * be behind the storm: its thread has a reply now (posted after the update), or its list changed while it was posted
   * (a flap meanwhile). Redrawn from the storm as it is then (by each retry too: Slack may refuse the redraw).
   */
  async redrawIfBehind(storm: { source: string; maxIncidents: number }, drew: Drawn | undefined) {
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
  async stormFlapped(step: Extract<AlertStep, { kind: 'storm' }>): Promise<void> {
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
    await this.posts.tellOnce(
      incident,
      `storm:${step.alertIncident}:flap-${now.incidents.join('.')}`,
      async (_where, mark) => {
        const told = await this.tellStormEveryone(incident, storm, mark, true);
        drew = told.drew;
        return told.at;
      },
      async (_where, at) => void (await this.keepFound(incident, storm.source, at)),
      undefined,
      ['everyone'],
    );
    await this.redrawIfBehind(storm, drew);
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
  async tellStormEveryone(
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
      // Taken over from a step whose process died while it posted, or whose post Slack answered with an error (this
      // step's own earlier attempt too): its post, if Slack took it, is the storm's message.
      const found = await this.chat.findStepPost(incident, 'everyone', claim.retakenFrom.mark, claim.retakenFrom.since);
      if (found) {
        // Kept, or withdrawn if this step's taken-over post was recorded first (see below): told in the one recorded.
        const kept = await this.keepFound(incident, storm.source, found);
        // This step's own, its answer lost: kept as if it had come (redrawn to the storm as it is now: drew unset).
        if (kept && claim.retakenFrom.mark === mark) return { at: found, drew: undefined };
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
      await stormMessageRefused(this.db, storm.source, mark, false);
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
      // Slack may have taken it, its answer an error or lost: looked for by the next attempt (this step's retry, or the
      // next step's). Refused in so many words (not_in_channel, ratelimited…), nothing was posted: none looks for it.
      await stormMessageRefused(this.db, storm.source, mark, mayHaveBeenDone(err)).catch(() => {});
      throw err;
    } finally {
      clearInterval(holding);
    }
    if (!(await keepStormMessage(this.db, storm.source, at, incident.id)) && at) {
      // So slow (its claim not renewed: its database out of reach, its process frozen) that the storm's next step took
      // the claim over and posted the storm's message, recorded first: this post is withdrawn, one message in the
      // channel, and the step tells its move in that one's thread, as if it had waited for it.
      await this.withdraw(storm.source, at);
      return this.tellStormEveryone(incident, storm, mark, flap);
    }
    return { at, drew: at ? { incidents: claim.incidents, threaded: false } : 'nothing' };
  }

  /**
   * A post of the storm's message found after its step lost it (its process died, or it was slow and its claim taken
   * over), kept as the storm's message: false when another post is recorded as that already, this one then withdrawn
   * (one message in the channel; the step tells its move in the recorded one's thread).
   */
  async keepFound(incident: Incident, source: string, at: { channel: string; ts: string }): Promise<boolean> {
    if (await keepStormMessage(this.db, source, at, incident.id)) return true;
    await this.withdraw(source, at);
    return false;
  }

  /**
   * A post of the storm's message that is one too many (not recorded: keepStormMessage) is deleted. Recorded first
   * (alert_storm_withdrawals), it stays recorded while Slack refuses the deletion (a 5xx, rate limited), for the alert
   * loop's sweep to delete (StormWithdrawals), storm steps or none: the step goes on telling its move in the recorded
   * message's thread.
   */
  private withdraw(source: string, at: { channel: string; ts: string }): Promise<void> {
    return this.withdrawals.withdraw(source, at);
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
}
