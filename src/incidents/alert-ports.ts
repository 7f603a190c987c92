import type {
  AlertCardView,
  AlertNoticeView,
  AlertView,
  ChannelBudgetView,
  DeclaredApart,
  HeartbeatView,
  JoinedWhy,
  NotDeclaredView,
  OfferClosed,
  OutrankedView,
  PastCapView,
  WaitingForChannelView,
} from './alert-types.js';
import type { Incident } from './types.js';

/** Where a storm step tells: the incident's channel, or the incidents channel (a public incident's only). */
export type StormPlace = 'here' | 'everyone';

/** What alerts need from the chat platform, beyond the incident's own (channel, card, pages). */
export interface AlertChat {
  /** The workspace and the bot's own user: incidents opened from alerts are declared there, reported by the bot. */
  self(): Promise<{ teamId: string; botUserId: string }>;
  /**
   * Posts an alert's notice in the incidents channel (a warning's, or a critical alert's that a maintenance window held
   * back), with a Declare incident button while nobody has; null when no incidents channel is configured.
   */
  postAlertNotice(notice: AlertNoticeView): Promise<{ channel: string; ts: string } | null>;
  /**
   * Updates a notice where it was posted: in the incidents channel as postAlertNotice shows it, in a direct message
   * (sendAlertNotice's, when no incidents channel is set) whole.
   */
  updateAlertNotice(ref: { channel: string; ts: string }, notice: AlertNoticeView): Promise<void>;
  /**
   * Sends a security alert's notice whole (what fired, the runbook, Declare incident) to `to` (on-call) by direct
   * message, each apart: where each went (those that could not be sent left out; none sent at all: throws).
   */
  sendAlertNotice(notice: AlertNoticeView, to: readonly string[]): Promise<{ channel: string; ts: string }[]>;
  /**
   * Tells the incident's channel that every alert of it has resolved, and offers Resolve incident: where that message
   * is, or null when there is no channel to tell.
   */
  offerResolve(incident: Incident, alerts: AlertCardView): Promise<{ channel: string; ts: string } | null>;
  /** Updates an offer to resolve that no longer stands (`why`): its Resolve incident button goes. */
  closeResolveOffer(
    ref: { channel: string; ts: string },
    incident: Incident,
    why: OfferClosed,
    /** The incident has an info alert: the offer's "every alert resolved" leaves info alerts aside, said so. */
    hasInfo?: boolean,
  ): Promise<void>;
  /** Tells the incident's channel that an alert fires again after that offer: the incident is not over. */
  tellFiredAgain(incident: Incident, alerts: AlertCardView): Promise<void>;
  /** Tells the incident's channel that a critical alert joined it, and that its row declares a higher severity. */
  tellOutranked(incident: Incident, view: OutrankedView): Promise<void>;
  /**
   * Tells one place (`where`: the incident's channel `here`, the incidents channel `everyone`) that an alert storm's
   * further critical alerts join this incident instead of opening more. One place a call, so that a step's retry
   * posts only where it was not told yet. Where the message is (null: no such channel to tell).
   */
  tellStorm(
    incident: Incident,
    /** `back`: the storm came back to it (its channel is told so). */
    storm: { source: string; maxIncidents: number; back?: boolean },
    where: StormPlace,
    /** The step's claim of the post: the message carries it, for findStepPost (a retry after a crash) to find it. */
    mark?: string,
    /**
     * In the incidents channel, the incidents the storm joined before this one, oldest first (its first message Slack
     * refused, posted by a later step): named as tellStormMoved names them.
     */
    earlier?: readonly { number: number; channelId: string | null }[],
  ): Promise<{ channel: string; ts: string } | null>;
  /**
   * A storm step's message (tellStorm, tellStormMoved's reply, tellJoined, tellPastCap, tellFiredElsewhere) posted
   * in `where` with `mark` since `since`, by an attempt whose process died before it recorded where it went: where it is, for the retry to keep rather than post
   * it again; null when it is not there (or Slack could not be read: logged, and the retry posts it, at least once).
   */
  findStepPost(
    incident: Incident,
    where: StormPlace,
    mark: string,
    since: Date,
    /** Looked for among the replies in this message's thread (the storm message's, for tellStormMoved's reply). */
    thread?: string,
  ): Promise<{ channel: string; ts: string } | null>;
  /**
   * Deletes a storm message of the bot's that is one too many (`ref`: tellStorm's in the incidents channel, posted by a
   * step slow enough that another step posted the storm's message meanwhile, the storm's message being the other). One
   * gone already is no error; throws when Slack will not delete it (StormMessage tries again).
   */
  withdrawStormPost(ref: { channel: string; ts: string }): Promise<void>;
  /**
   * The incidents channel's storm message (`ref`, posted by tellStorm for an earlier incident of the same storm) once
   * the storm's further alerts join `incident` instead: updated to name it (and `earlier`, oldest first), then the
   * change said in its thread. `threaded`: its thread had a reply already (the update says the thread tells when it
   * changed only then: the reply this posts may be refused).
   */
  tellStormMoved(
    ref: { channel: string; ts: string },
    incident: Incident,
    storm: { source: string; maxIncidents: number },
    earlier: readonly { number: number; channelId: string | null }[],
    threaded: boolean,
    /** The step's claim of the thread's reply (see tellStorm; found by findStepPost in the message's thread). */
    mark?: string,
  ): Promise<void>;
  /**
   * The incidents channel's storm message (`ref`) redrawn, nothing posted: it names `incident`, the storm's incident
   * now (and `earlier`, oldest first), after a quick return to it told nowhere (ALERTS_STORM_RETURN_GAP). `threaded`:
   * a move of the storm was told in its thread (the message says so).
   */
  showStorm(
    ref: { channel: string; ts: string },
    incident: Incident,
    storm: { source: string; maxIncidents: number },
    earlier: readonly { number: number; channelId: string | null }[],
    threaded: boolean,
  ): Promise<void>;
  /**
   * Tells a private incident's channel that its source's private storm no longer sends its further critical alerts
   * here: they join `now` (another private incident) instead. Where the message is (null: no channel to tell).
   */
  tellStormMovedAway(
    earlier: Incident,
    now: Incident,
    source: string,
    /** The step's claim of the post (see tellStorm). */
    mark?: string,
  ): Promise<{ channel: string; ts: string } | null>;
  /**
   * Tells one place that alerts of names new to the incident joined it (a storm's further critical alerts), in one
   * message for them all: its channel (`here`), or the incidents channel (`everyone`, for a public incident), with a
   * Declare incident button for each name shown (declares it apart: AlertService.declareFromAlert), for a different
   * trouble must not be seen only by the people of another incident. Where the message is (null: none posted).
   */
  tellJoined(
    incident: Incident,
    alerts: readonly AlertView[],
    storm: { source: string; why?: JoinedWhy },
    where: StormPlace,
    /** The resolved incident an alert was in before it fired again, by its id (said in the incident's channel). */
    before?: ReadonlyMap<number, DeclaredApart>,
    /** The step's claim of the post (see tellStorm). */
    mark?: string,
  ): Promise<{ channel: string; ts: string } | null>;
  /**
   * The incidents channel's message of tellJoined (`ref`) once alerts it shows were declared apart: the same, each
   * such name's Declare incident replaced by where it went (`apart`, by the id of the alert its button declared).
   */
  updateJoined(
    ref: { channel: string; ts: string },
    incident: Incident,
    alerts: readonly AlertView[],
    storm: { source: string; why?: JoinedWhy },
    apart: ReadonlyMap<number, DeclaredApart>,
  ): Promise<void>;
  /**
   * Tells one place (its channel `here`, the incidents channel `everyone`) that storm control opened the incident
   * past its source's cap, and why (its alerts more severe than every incident of the source open).
   */
  tellPastCap(
    incident: Incident,
    view: PastCapView,
    where: StormPlace,
    /** The step's claim of the post (see tellStorm). */
    mark?: string,
  ): Promise<{ channel: string; ts: string } | null>;
  /**
   * Tells the incident's channel that a person added alerts to it from their notice (Add to incident), with a button
   * to take them out again (`alertIncident`: the alert incident they form).
   */
  tellAttached(incident: Incident, by: string, alerts: readonly AlertView[], alertIncident: number): Promise<void>;
  /**
   * Tells a storm's incident channel that alerts storm control had sent to it were declared apart by `by`, and where
   * they went (`to`; a private incident not named): it no longer follows them.
   */
  tellMovedOut(
    incident: Incident,
    alerts: readonly AlertView[],
    to: DeclaredApart,
    by: string,
    /** Declared apart as `to`, or `to` (the incident they were in before) reopened for them. */
    how: 'declared' | 'reopened',
  ): Promise<void>;
  /**
   * Tells a resolved incident's channel that its alerts fired again and joined `joined` (storm control; a private one
   * not named), with Reopen (the alerts followed here again) while it is resolved. Where the message is.
   */
  tellFiredElsewhere(
    resolved: Incident,
    alerts: readonly AlertView[],
    joined: DeclaredApart,
    /** The step's claim of the post (see tellStorm). */
    mark?: string,
  ): Promise<{ channel: string; ts: string } | null>;
  /**
   * The message of tellFiredElsewhere (`ref`) once its incident was reopened (by its Reopen, or any other way): the
   * same, its Reopen replaced by who reopened it and when.
   */
  closeFiredElsewhere(
    ref: { channel: string; ts: string },
    reopened: Incident,
    alerts: readonly AlertView[],
    joined: DeclaredApart,
  ): Promise<void>;
  /** Tells the incident's channel that a person took alerts added by hand out of it again. */
  tellDetached(incident: Incident, by: string, alerts: readonly AlertView[]): Promise<void>;
  /**
   * The message saying alerts were added (`ref`, as posted by tellAttached) once they were taken out: the same, its
   * Take it out button gone, saying who took them out and when.
   */
  closeAttached(
    ref: { channel: string; ts: string },
    added: { by: string; alerts: readonly AlertView[] },
    takenOut: { by: string; at: Date },
  ): Promise<void>;
  /** Tells the incidents channel that a heartbeat went quiet, or is back; false when no incidents channel is set. */
  tellHeartbeat(view: HeartbeatView): Promise<boolean>;
  /** Incidents from alerts wait for Slack's channel budget (see ChannelBudgetView). */
  tellChannelBudget(view: ChannelBudgetView): Promise<void>;
  /**
   * A critical alert's incident waits for Slack's channel budget: `to` (the people its declaration will page) are told
   * by direct message at once, each apart, rather than when it opens. Throws only when none could be told.
   */
  tellWaitingForChannel(view: WaitingForChannelView, to: readonly string[]): Promise<void>;
  /**
   * Slack refused what declaring an incident from a critical alert needs (its channel): the incidents channel is told,
   * and `to` (the people its declaration would page) by direct message, for nobody is paged until it is declared.
   */
  tellNotDeclared(view: NotDeclaredView, to: readonly string[]): Promise<void>;
}

/** An alert as a maintenance window is asked about it. */
export interface MaintenanceQuery {
  source: string;
  name: string;
  service: string | null;
  labels: Readonly<Record<string, string>>;
}

/**
 * The runbook's Maintenance Windows (weekly, monthly, quarterly). During one, an alert whose runbook row says
 * `during_maintenance: record` is recorded and shown, not declared; once none holds it, it is handled as a new alert
 * (the alert loop's sweep asks again every round). MaintenanceService implements it from the windows' rows;
 * NOT_IN_MAINTENANCE is for a bot built without them.
 */
export interface MaintenanceWindows {
  /** Whether a window was open at `at`: a delivery's receipt (possibly past, a window since closed counting), or now. */
  inMaintenance(alert: MaintenanceQuery, at: Date): Promise<boolean>;
}

/** No maintenance window is ever open: every alert is handled as usual. */
export const NOT_IN_MAINTENANCE: MaintenanceWindows = { inMaintenance: async () => false };
